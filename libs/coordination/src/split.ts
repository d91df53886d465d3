import { buildDispatchInputs, runDispatch, scenarioFleet, type DispatchInputs, type DispatchResult } from '@zonal/dispatch';
import { aggregateEnvelope, Fleet, type AggregateEnvelope, type EvSpec } from '@zonal/ev';
import { buildRadialNetwork, loadFeeder, type Feeder, type RadialNetwork } from '@zonal/feeder';
import { choosePartition, louvainCandidates, type PartitionInputs, type PartitionParams, type PartitionResult } from '@zonal/partition';
import { getPolicy } from '@zonal/policies';
import { DSO_FORMAT, timeGrid, ZONE_FORMAT, type DsoConfig, type Scenario, type TimeGrid, type ZoneConfig } from '@zonal/scenario';
import { checkZoneList } from './setup';

/** A scenario split into its parties' files (`zonal split`): the DSO's, and each zone's with its sessions. */
export interface SplitScenario {
  dso: DsoConfig;
  zones: Array<{ config: ZoneConfig; sessions: EvSpec[] }>;
  /** The computed partition, or null when the scenario lists the zones' buses. */
  partition: PartitionResult | null;
}

/**
 * Splits a scenario into parties (the simulation harness's job: it sees everything). The fleet is
 * sampled from the scenario's seed and each EV goes to the zone of its bus; the zones are the
 * scenario's `zones.buses`, or the partition of SPEC §5 (which needs each bus's flexibility: the
 * harness computes it from the whole fleet). Each zone's base net load is its buses' load less the
 * PV and wind available there, as the DSO's dispatch inputs have them.
 */
export async function splitScenario(scenario: Scenario, feeder: Feeder = loadFeeder(scenario.network.case)): Promise<SplitScenario> {
  getPolicy(scenario.zones.policy, 'zones.policy'); // an unknown policy is refused here, naming the field, before any work
  const grid = timeGrid(scenario);
  const net = buildRadialNetwork(feeder);
  const fleet = scenarioFleet(scenario, feeder);
  const inputs = buildDispatchInputs(scenario, feeder);
  const partition = scenario.zones.buses ? null : await partitionOf(net, inputs, () => envelopesByBus(fleet, feeder, grid), scenario.zones.partition);
  const zoneBuses = (scenario.zones.buses ?? partition!.zones.map((z) => z.buses)).map((b) => [...b].sort((x, y) => x - y));
  checkZoneList(zoneBuses.map((buses, k) => ({ id: k + 1, buses })), feeder, (k) => `zones.buses[${k}]`, 'zones.buses');
  const specs = Fleet.toSpecs(fleet);
  // The scenario's description speaks of its fleet; the DSO's file says what it holds instead.
  const { evFleet: _fleet, zones: zoneSettings, description: _description, sources, ...network } = scenario;
  // Each party's file carries the sources of its own declared values: the fleet's and zones' go to the zones.
  const zoneField = (path: string) => path.startsWith('evFleet') || path.startsWith('zones');
  const sourcesWhere = (keep: (path: string) => boolean) => {
    const kept = Object.entries(sources ?? {}).filter(([path]) => keep(path));
    return kept.length ? { sources: Object.fromEntries(kept) } : {};
  };
  const dso: DsoConfig = {
    format: DSO_FORMAT, ...network, ...sourcesWhere((path) => !zoneField(path)),
    description: `the DSO's part of scenario "${scenario.name}" (zonal split): network, DERs, tariff, carbon, negotiation settings and zone list`,
    zones: zoneBuses.map((buses, k) => ({ id: k + 1, buses })),
  };
  const zones = zoneBuses.map((buses, k) => {
    const inZone = new Set(buses);
    const config: ZoneConfig = {
      format: ZONE_FORMAT, id: k + 1, description: `zone ${k + 1} of scenario "${scenario.name}" (zonal split): its charging sessions, base net load and policy`, buses, seed: scenario.seed, time: scenario.time, tariff: scenario.tariff,
      baseNetLoadKw: Array.from(zoneBaseNetLoad(inputs, feeder, inZone)),
      policy: { name: zoneSettings.policy },
      degradationYuanPerKwh: zoneSettings.degradationYuanPerKwh,
      peakTieBreakYuanPerKw: zoneSettings.peakTieBreakYuanPerKw,
      envelopeGrouping: zoneSettings.envelopeGrouping,
      ...sourcesWhere(zoneField),
      sessions: [],
    };
    return { config, sessions: specs.filter((ev) => ev.bus !== undefined && inZone.has(ev.bus)) };
  });
  return { dso, zones, partition };
}

/** Grid-side flexible power per bus (charge + discharge limits), from each bus's own EVs. */
function envelopesByBus(fleet: Fleet, feeder: Feeder, grid: TimeGrid): Map<number, AggregateEnvelope> {
  const members = new Map<number, number[]>();
  for (let i = 0; i < fleet.size; i++) members.set(fleet.bus[i], [...(members.get(fleet.bus[i]) ?? []), i]);
  const out = new Map<number, AggregateEnvelope>();
  for (const b of feeder.buses) {
    const idx = members.get(b.id);
    if (idx) out.set(b.id, aggregateEnvelope(Fleet.subset(fleet, idx), grid));
  }
  return out;
}

/**
 * SPEC §5's partition of the feeder. Its no-EV base dispatch is solved on a solver thread while this
 * one computes what does not need it: the Louvain candidates (they read the feeder alone) and the
 * buses' envelopes (the default scenario in process, 8 paired runs: 2.29 s against 2.33 s).
 */
async function partitionOf(net: RadialNetwork, inputs: DispatchInputs, byBus: () => Map<number, AggregateEnvelope>, params: PartitionParams): Promise<PartitionResult> {
  const base = runDispatch(inputs);
  // Awaited below; caught here so a candidate that throws first leaves no unhandled rejection behind.
  base.catch(() => undefined);
  const candidates = louvainCandidates(net, params);
  const envelopes = byBus();
  return choosePartition(candidates, partitionInputsOf(net, inputs, envelopes, await base), params);
}

/**
 * The partition's inputs (SPEC §5): P_a^d = envelope upper minus lower power per bus, and
 * P_d^an from the net load of the no-EV base dispatch (load minus the DERs it dispatched).
 */
export async function partitionInputs(net: RadialNetwork, inputs: DispatchInputs, byBus: Map<number, AggregateEnvelope>): Promise<PartitionInputs> {
  return partitionInputsOf(net, inputs, byBus, await runDispatch(inputs));
}

function partitionInputsOf(net: RadialNetwork, inputs: DispatchInputs, byBus: Map<number, AggregateEnvelope>, base: DispatchResult): PartitionInputs {
  const T = inputs.grid.periods;
  const netLoadKw = net.feeder.buses.map((_b, pos) => Float64Array.from({ length: T }, (_, t) => inputs.loadPKw[t][pos]));
  inputs.renewables.forEach((u, k) => base.schedule.renewableKw[k].forEach((kw, t) => { netLoadKw[u.busPos][t] -= kw; }));
  inputs.diesels.forEach((d, g) => base.schedule.dieselKw[g].forEach((kw, t) => { netLoadKw[d.busPos][t] -= kw; }));
  const flexKw = net.feeder.buses.map((b) => {
    const env = byBus.get(b.id);
    return Float64Array.from({ length: T }, (_, t) => (env ? env.pChargeMaxGridKw[t] + env.pDischargeMaxGridKw[t] : 0));
  });
  return { net, flexKw, netLoadKw };
}

/** The zone's fixed net load before EVs: its buses' load minus their available PV and wind. */
function zoneBaseNetLoad(inputs: DispatchInputs, feeder: Feeder, inZone: Set<number>): Float64Array {
  const T = inputs.grid.periods;
  const out = new Float64Array(T);
  feeder.buses.forEach((b, pos) => { if (inZone.has(b.id)) for (let t = 0; t < T; t++) out[t] += inputs.loadPKw[t][pos]; });
  for (const u of inputs.renewables) if (inZone.has(u.busId)) for (let t = 0; t < T; t++) out[t] -= u.availableKw[t];
  return out;
}
