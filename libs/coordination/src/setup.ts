import { InputError } from '@zonal/core';
import { buildDispatchInputs, runDispatch, scenarioFleet, type DispatchInputs, type FlexibleLoad } from '@zonal/dispatch';
import { aggregateEnvelope, anchoredEnvelopeGroups, Fleet, type AggregateEnvelope } from '@zonal/ev';
import { buildRadialNetwork, loadFeeder, type Feeder, type RadialNetwork } from '@zonal/feeder';
import { partitionFeeder, type PartitionInputs, type PartitionResult } from '@zonal/partition';
import { getPolicy, type ZoneProblem } from '@zonal/policies';
import { tariffAtPeriods, timeGrid, type Scenario } from '@zonal/scenario';

/** One aggregation zone as both layers see it (SPEC §5, §8). */
export interface ZoneSetup {
  id: number;
  /** Bus ids, ascending. */
  buses: number[];
  fleet: Fleet;
  envelope: AggregateEnvelope;
  /** The zone's EVs as a load the DSO dispatches: bounds from the envelope, spread by charger power. */
  flexible: FlexibleLoad;
  /** What the zone's policy schedules against. */
  problem: ZoneProblem;
}

export interface NegotiationSetup {
  scenario: Scenario;
  feeder: Feeder;
  net: RadialNetwork;
  /** The dispatch inputs without any EV load (the zones' EVs enter as flexible loads). */
  inputs: DispatchInputs;
  zones: ZoneSetup[];
  /** The computed partition, or null when the scenario lists the zones' buses. */
  partition: PartitionResult | null;
  /** Tie lines between zones (in-service branches whose ends lie in different zones). */
  tieLines: Array<{ from: number; to: number; fromZone: number; toZone: number }>;
  /** The whole fleet and the EVs left out of every envelope (reported). */
  fleet: Fleet;
  excludedEvs: string[];
}

/**
 * Everything a negotiation of `scenario` needs, built deterministically from the scenario alone, so
 * the DSO and every zone process derive the same zones and fleets without exchanging them.
 */
export async function buildNegotiationSetup(scenario: Scenario, feeder: Feeder = loadFeeder(scenario.network.case)): Promise<NegotiationSetup> {
  getPolicy(scenario.zones.policy, 'zones.policy'); // an unknown policy is refused here, naming the field, before any work
  const grid = timeGrid(scenario);
  const net = buildRadialNetwork(feeder);
  const fleet = scenarioFleet(scenario, feeder);
  const inputs = buildDispatchInputs(scenario, feeder);
  const byBus = envelopesByBus(fleet, feeder, grid);
  const partition = scenario.zones.buses ? null : await computePartition(scenario, net, inputs, byBus);
  const zoneBuses = scenario.zones.buses ?? partition!.zones.map((z) => z.buses);
  checkZoneBuses(zoneBuses, feeder);

  const tariff = Float64Array.from(tariffAtPeriods(scenario.tariff.blocks, grid), (b) => b.priceYuanPerKwh);
  const zones = zoneBuses.map((buses, k) => {
    const id = k + 1;
    const sorted = [...buses].sort((a, b) => a - b);
    const inZone = new Set(sorted);
    const members = Array.from({ length: fleet.size }, (_, i) => i).filter((i) => inZone.has(fleet.bus[i]));
    const zoneFleet = Fleet.subset(fleet, members);
    const envelope = aggregateEnvelope(zoneFleet, grid);
    const problem: ZoneProblem = {
      zoneId: id, grid, envelope, envelopeGroups: anchoredEnvelopeGroups(zoneFleet, grid, scenario.zones.envelopeGrouping), eta: scenario.evFleet.eta, tariffYuanPerKwh: tariff,
      baseNetLoadKw: zoneBaseNetLoad(inputs, feeder, inZone),
      degradationYuanPerKwh: scenario.zones.degradationYuanPerKwh,
      peakTieBreakYuanPerKw: scenario.zones.peakTieBreakYuanPerKw,
    };
    return { id, buses: sorted, fleet: zoneFleet, envelope, problem, flexible: flexibleLoad(id, sorted, feeder, envelope, byBus) };
  });
  const zoneOf = new Map(zones.flatMap((z) => z.buses.map((b) => [b, z.id] as const)));
  const tieLines = feeder.branches
    .filter((br) => br.inService && zoneOf.get(br.from) !== zoneOf.get(br.to))
    .map((br) => ({ from: br.from, to: br.to, fromZone: zoneOf.get(br.from)!, toZone: zoneOf.get(br.to)! }));
  const excludedEvs = zones.flatMap((z) => z.envelope.excluded.map((p) => p.message));
  return { scenario, feeder, net, inputs, zones, partition, tieLines, fleet, excludedEvs };
}

/** Grid-side flexible power per bus (charge + discharge limits), from each bus's own EVs. */
function envelopesByBus(fleet: Fleet, feeder: Feeder, grid: ReturnType<typeof timeGrid>): Map<number, AggregateEnvelope> {
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
 * The partition's inputs (SPEC §5): P_a^d = envelope upper minus lower power per bus, and
 * P_d^an from the net load of the no-EV base dispatch (load minus the DERs it dispatched).
 */
async function computePartition(scenario: Scenario, net: RadialNetwork, inputs: DispatchInputs, byBus: Map<number, AggregateEnvelope>): Promise<PartitionResult> {
  return partitionFeeder(await partitionInputs(net, inputs, byBus), scenario.zones.partition);
}

export async function partitionInputs(net: RadialNetwork, inputs: DispatchInputs, byBus: Map<number, AggregateEnvelope>): Promise<PartitionInputs> {
  const T = inputs.grid.periods;
  const base = await runDispatch(inputs);
  const netLoadKw = net.feeder.buses.map((_b, pos) => Float64Array.from({ length: T }, (_, t) => inputs.loadPKw[t][pos]));
  inputs.renewables.forEach((u, k) => base.schedule.renewableKw[k].forEach((kw, t) => { netLoadKw[u.busPos][t] -= kw; }));
  inputs.diesels.forEach((d, g) => base.schedule.dieselKw[g].forEach((kw, t) => { netLoadKw[d.busPos][t] -= kw; }));
  const flexKw = net.feeder.buses.map((b) => {
    const env = byBus.get(b.id);
    return Float64Array.from({ length: T }, (_, t) => (env ? env.pChargeMaxGridKw[t] + env.pDischargeMaxGridKw[t] : 0));
  });
  return { net, flexKw, netLoadKw };
}

/** The zone's EVs as a flexible load: each bus's share of the zone's charger power, per period. */
function flexibleLoad(id: number, buses: number[], feeder: Feeder, env: AggregateEnvelope, byBus: Map<number, AggregateEnvelope>): FlexibleLoad {
  const T = env.pMaxKw.length;
  const weight = (b: number, t: number) => {
    const e = byBus.get(b);
    return e ? e.pChargeMaxGridKw[t] + e.pDischargeMaxGridKw[t] : 0;
  };
  const busShares = buses.map((b) => ({ busPos: feeder.buses.findIndex((x) => x.id === b), share: new Float64Array(T) }));
  for (let t = 0; t < T; t++) {
    const total = buses.reduce((a, b) => a + weight(b, t), 0);
    // With nothing plugged in the load is 0 anyway; an even spread keeps the shares summing to 1.
    busShares.forEach((s, i) => { s.share[t] = total > 0 ? weight(buses[i], t) / total : 1 / buses.length; });
  }
  return { name: `zone${id}`, lbKw: env.pDischargeMaxGridKw.map((v) => -v), ubKw: Float64Array.from(env.pChargeMaxGridKw), busShares };
}

/** The zone's fixed net load before EVs: its buses' load minus their available PV and wind. */
function zoneBaseNetLoad(inputs: DispatchInputs, feeder: Feeder, inZone: Set<number>): Float64Array {
  const T = inputs.grid.periods;
  const out = new Float64Array(T);
  feeder.buses.forEach((b, pos) => { if (inZone.has(b.id)) for (let t = 0; t < T; t++) out[t] += inputs.loadPKw[t][pos]; });
  for (const u of inputs.renewables) if (inZone.has(u.busId)) for (let t = 0; t < T; t++) out[t] -= u.availableKw[t];
  return out;
}

function checkZoneBuses(zoneBuses: number[][], feeder: Feeder): void {
  const seen = new Map<number, number>();
  zoneBuses.forEach((buses, k) => buses.forEach((b) => {
    if (!feeder.buses.some((x) => x.id === b)) throw new InputError(`bus ${b} is not in feeder "${feeder.name}"`, `zones.buses[${k}]`);
    if (seen.has(b)) throw new InputError(`bus ${b} is in zone ${seen.get(b)! + 1} and zone ${k + 1}`, `zones.buses[${k}]`);
    seen.set(b, k);
  }));
  const missing = feeder.buses.filter((b) => !seen.has(b.id)).map((b) => b.id);
  if (missing.length) throw new InputError(`bus(es) ${missing.join(', ')} belong to no zone`, 'zones.buses');
}
