import type { Command } from 'commander';
import { buildSimSetup, type SimSetup } from '@zonal/coordination';
import type { PartitionResult } from '@zonal/partition';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';
import { summary } from './index';

export function registerPartition(program: Command): void {
  program
    .command('partition')
    .description(summary('partition'))
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--json', 'print one JSON object instead of tables')
    .action(action(async (opts: { scenario: string; json?: boolean }) => {
      try {
        const report = partitionReport(await buildSimSetup(loadScenario(opts.scenario)));
        if (opts.json) printJson(report);
        else if (report.source === 'computed') printPartitionTables(report);
        else printExplicitZones(report);
      } finally {
        await shutdownSolver();
      }
    }));
}

/** What the partitioner worked from (SPEC §5): P_a^d and P_d^an, as buildSimSetup derives them. */
const COMPUTED_INPUTS = 'flexibility = EV envelope upper minus lower power per bus; net load = load minus the DERs of the no-EV base dispatch';

type ComputedReport = PartitionResult & { scenario: string; seed: number; feeder: string; source: 'computed'; inputs: string };
type ExplicitReport = Pick<PartitionResult, 'tieLines' | 'busZone'> & {
  scenario: string; seed: number; feeder: string; source: 'explicit';
  zones: Array<{ id: number; buses: number[] }>;
};

/**
 * The zones the negotiation will use: the computed partition with every index, or, when the
 * scenario lists `zones.buses`, those zones as given (nothing is computed then).
 */
function partitionReport(setup: SimSetup): ComputedReport | ExplicitReport {
  const { scenario, feeder, partition } = setup;
  const header = { scenario: scenario.name, seed: scenario.seed, feeder: feeder.name };
  if (partition) return { ...header, source: 'computed', inputs: COMPUTED_INPUTS, ...partition };
  return {
    ...header,
    source: 'explicit',
    zones: setup.zones.map((z) => ({ id: z.id, buses: z.buses })),
    tieLines: setup.tieLines,
    busZone: Object.fromEntries(setup.zones.flatMap((z) => z.buses.map((b) => [b, z.id]))),
  };
}

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

function printPartitionTables(r: ComputedReport): void {
  const c = r.chosen;
  console.log(`Zone partitioning — scenario "${r.scenario}" (seed ${r.seed}), feeder ${r.feeder}`);
  console.log(`inputs: ${r.inputs}`);
  console.log(`chosen: resolution ${c.resolution}, Louvain seed ${c.rngSeed}: ${r.zones.length} zones, ` +
    `F ${fixed(c.F, 4)}, Q ${fixed(c.Q, 4)}, f2 ${fixed(c.f2, 4)}, f3 ${c.f3.toPrecision(5)} kW², f_c ${c.fc}`);

  const zones = table({
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

  printTieLines(r.tieLines);

  // Candidates that found the same partition (same scores) share a row.
  const rows = new Map<string, { seeds: number[]; c: PartitionResult['candidates'][number] }>();
  for (const cand of r.candidates) {
    const key = JSON.stringify([cand.resolution, cand.zones, cand.F, cand.Q, cand.f2, cand.f3, cand.fc]);
    const row = rows.get(key);
    if (row) row.seeds.push(cand.rngSeed);
    else rows.set(key, { seeds: [cand.rngSeed], c: cand });
  }
  const cands = table({
    head: ['resolution', 'seeds', 'zones', 'F', 'Q', 'f2', 'f3 (kW²)', 'f_c'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  });
  for (const { seeds, c: x } of rows.values()) {
    cands.push([x.resolution, busRanges(seeds), x.zones, fixed(x.F, 4), fixed(x.Q, 4), fixed(x.f2, 4), x.f3.toPrecision(5), x.fc]);
  }
  console.log(cands.toString());
}

function printExplicitZones(r: ExplicitReport): void {
  console.log(`Zones — scenario "${r.scenario}" (seed ${r.seed}), feeder ${r.feeder}`);
  console.log('explicit zones from the scenario\'s zones.buses: no partition computed');
  const zones = table({ head: ['zone', 'buses', 'n'], colAligns: ['right', 'left', 'right'] });
  for (const z of r.zones) zones.push([z.id, busRanges(z.buses), z.buses.length]);
  console.log(zones.toString());
  printTieLines(r.tieLines);
}

function printTieLines(tieLines: PartitionResult['tieLines']): void {
  const ties = table({ head: ['tie line', 'from zone', 'to zone'], colAligns: ['left', 'right', 'right'] });
  for (const t of tieLines) ties.push([`${t.from}-${t.to}`, t.fromZone, t.toZone]);
  console.log(tieLines.length ? ties.toString() : 'no tie lines (one zone)');
}
