import type { Command } from 'commander';
import Table from 'cli-table3';
import { buildRadialNetwork, loadFeeder } from '@zonal/feeder';
import { partitionFeeder, type PartitionInputs, type PartitionParams, type PartitionResult } from '@zonal/partition';
import { loadScenario, profileAtPeriods, timeGrid, type Scenario } from '@zonal/scenario';
import { action, printJson } from '../run';

/**
 * Builds the partitioner's inputs from a scenario: per bus, the flexible power (envelope upper minus
 * lower) and the no-EV base dispatch's net load (SPEC §5). The real one runs the base dispatch and the
 * fleet envelopes; `source` says in the report which inputs were used.
 */
export type PartitionInputsFromScenario = (scenario: Scenario) =>
  Promise<{ inputs: PartitionInputs; params: PartitionParams; source: string }> |
  { inputs: PartitionInputs; params: PartitionParams; source: string };

export function registerPartition(program: Command, fromScenario: PartitionInputsFromScenario = interimInputsFromScenario): void {
  program
    .command('partition')
    .description('zone partitioning of the feeder (SPEC §5, seed 001 eq 12-21): zones, tie lines and every index')
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--json', 'print one JSON object instead of tables')
    .action(action(async (opts: { scenario: string; json?: boolean }) => {
      const scenario = loadScenario(opts.scenario);
      const { inputs, params, source } = await fromScenario(scenario);
      const result = partitionFeeder(inputs, params);
      const report = {
        scenario: scenario.name,
        seed: scenario.seed,
        feeder: inputs.net.feeder.name,
        inputs: source,
        ...result,
      };
      if (opts.json) printJson(report);
      else printPartitionTables(report);
    }));
}

// ---------------------------------------------------------------------------------------------
// INTERIM inputs, until the scenario schema carries `partition` and the base dispatch provides
// `partitionInputsFromScenario` (owned by the scenario/dispatch side). Replace both below then.
// ---------------------------------------------------------------------------------------------

/** SPEC §5's declared values; interim until they are read from `scenario.partition`. */
const INTERIM_PARAMS: PartitionParams = {
  resolutions: [0.5, 0.75, 1, 1.25, 1.5],
  rngSeeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  weights: { modularity: 0.5, flexibility: 0.9, balance: 0.4 },
  sizePenalty: { minBuses: 3, maxBuses: 12, perZone: 0.25 },
  wA: 0.5,
  wE: 0.5,
  gamma: 0.2,
};

/**
 * Interim inputs from the feeder alone, no dispatch: net load = bus load × loadScale × loadProfile,
 * and flexibility ∝ bus load — the fleet's total charger power (count × pChargeMaxKw) placed on the
 * buses by load share as SPEC §6 places EVs, available all day.
 */
function interimInputsFromScenario(scenario: Scenario) {
  const feeder = loadFeeder(scenario.network.case);
  const net = buildRadialNetwork(feeder);
  const load = profileAtPeriods(scenario.profiles.load, timeGrid(scenario));
  const totalKw = feeder.buses.reduce((acc, b) => acc + Math.max(b.pdKw, 0), 0);
  const fleetKw = scenario.evFleet.count * scenario.evFleet.pChargeMaxKw;
  const inputs: PartitionInputs = {
    net,
    flexKw: feeder.buses.map((b) => new Float64Array(load.length).fill(totalKw > 0 ? (fleetKw * Math.max(b.pdKw, 0)) / totalKw : 0)),
    netLoadKw: feeder.buses.map((b) => load.map((f) => b.pdKw * scenario.network.loadScale * f)),
  };
  const source = 'interim: flexibility = fleet charger power placed by bus load, net load = bus load x loadProfile (no base dispatch yet)';
  return { inputs, params: INTERIM_PARAMS, source };
}

// ---------------------------------------------------------------------------------------------

type PartitionReport = PartitionResult & { scenario: string; seed: number; feeder: string; inputs: string };

/** "1-5, 19-25" from sorted bus ids. */
function busRanges(ids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(j > i ? `${ids[i]}-${ids[j]}` : String(ids[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

function printPartitionTables(r: PartitionReport): void {
  const c = r.chosen;
  console.log(`Zone partitioning — scenario "${r.scenario}" (seed ${r.seed}), feeder ${r.feeder}`);
  console.log(`inputs: ${r.inputs}`);
  console.log(`chosen: resolution ${c.resolution}, Louvain seed ${c.rngSeed}: ${r.zones.length} zones, ` +
    `F ${fixed(c.F, 4)}, Q ${fixed(c.Q, 4)}, f2 ${fixed(c.f2, 4)}, f3 ${c.f3.toPrecision(5)} kW², f_c ${c.fc}`);

  const zones = new Table({
    head: ['zone', 'buses', 'n', 'Q term', 'flex kW', 'need kW', 'P_eq kW', 'fA', 'fE', 'f2'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const z of r.zones) {
    const x = z.indices;
    zones.push([z.id, busRanges(z.buses), `${x.nBuses}${x.outsideSizeBand ? ' *' : ''}`, fixed(x.q, 4), fixed(x.flexMeanKw, 1),
      fixed(x.needMeanKw, 1), fixed(x.pEqKw, 1), fixed(x.fA, 3), fixed(x.fE, 3), fixed(x.f2, 3)]);
  }
  console.log(zones.toString());
  if (r.zones.some((z) => z.indices.outsideSizeBand)) console.log('* outside the size band (counted by f_c)');

  const ties = new Table({ head: ['tie line', 'from zone', 'to zone'], colAligns: ['left', 'right', 'right'] });
  for (const t of r.tieLines) ties.push([`${t.from}-${t.to}`, t.fromZone, t.toZone]);
  console.log(r.tieLines.length ? ties.toString() : 'no tie lines (one zone)');

  // Candidates that found the same partition (same scores) share a row.
  const rows = new Map<string, { seeds: number[]; c: PartitionResult['candidates'][number] }>();
  for (const cand of r.candidates) {
    const key = JSON.stringify([cand.resolution, cand.zones, cand.F, cand.Q, cand.f2, cand.f3, cand.fc]);
    const row = rows.get(key);
    if (row) row.seeds.push(cand.rngSeed);
    else rows.set(key, { seeds: [cand.rngSeed], c: cand });
  }
  const cands = new Table({
    head: ['resolution', 'seeds', 'zones', 'F', 'Q', 'f2', 'f3 (kW²)', 'f_c'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const { seeds, c: x } of rows.values()) {
    cands.push([x.resolution, busRanges(seeds), x.zones, fixed(x.F, 4), fixed(x.Q, 4), fixed(x.f2, 4), x.f3.toPrecision(5), x.fc]);
  }
  console.log(cands.toString());
}
