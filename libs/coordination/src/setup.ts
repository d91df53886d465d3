import { InputError } from '@zonal/core';
import { buildDispatchInputs, type DispatchInputs, type FlexibleLoad } from '@zonal/dispatch';
import type { AggregateEnvelope } from '@zonal/ev';
import { buildRadialNetwork, loadFeeder, type Feeder, type RadialNetwork } from '@zonal/feeder';
import type { ZoneBid } from '@zonal/policies';
import type { DsoConfig, ZoneListEntry } from '@zonal/scenario';
import type { DsoPast } from './rolling/dso-past';

/**
 * What the DSO holds (SPEC §8 step 0): its own file — network, DERs, tariff, carbon, negotiation
 * settings, the zone list — and the feeder built from it. No EV: a zone exists for the DSO only
 * through its announce (`ZoneAnnounce`), from which `zoneSetupOf` builds the DSO's model of it.
 */
export interface DsoNetwork {
  scenario: DsoConfig;
  feeder: Feeder;
  net: RadialNetwork;
  /** The dispatch inputs without any EV load (the zones' EVs enter as flexible loads). */
  inputs: DispatchInputs;
  /** Tie lines between zones (in-service branches whose ends lie in different zones of the list). */
  tieLines: Array<{ from: number; to: number; fromZone: number; toZone: number }>;
  /**
   * A rolling window's history (rolling/): periods before `past.periods` are held at what the DSO
   * dispatched in every model it solves of this network (`fixDsoPast`). Absent: the whole day is open.
   */
  past?: DsoPast;
}

/**
 * A zone's announce as the DSO reads it (SPEC §8 step 1): its bid (envelope groups, base net load,
 * declared marginal costs) and per-bus aggregates. Counts, sums and bounds only — never an EV.
 */
export interface ZoneAnnounce {
  bid: ZoneBid;
  buses: number[];
  policy: string;
  /** Per bus: grid-side charge + discharge limits (where the zone's EV power goes) and the charge-on-arrival load, kW per period. */
  busProfiles: Array<{ bus: number; flexKw: Float64Array; uncoordinatedKw: Float64Array }>;
  evCount: number;
  evsLeftOut: number;
}

/** One zone as the DSO models it: what it announced, and its EVs as a flexible load on its buses. */
export interface ZoneSetup {
  id: number;
  /** Bus ids, ascending. */
  buses: number[];
  policy: string;
  bid: ZoneBid;
  /** The bid's envelope (the sum of its groups). */
  envelope: AggregateEnvelope;
  flexible: FlexibleLoad;
  /** Every EV charging at full power from arrival, per bus (kW per period): the DSO's "before coordination". */
  uncoordinatedKw: Map<number, Float64Array>;
  evCount: number;
  evsLeftOut: number;
}

/** The DSO with every zone it negotiates with. */
export interface NegotiationSetup extends DsoNetwork {
  zones: ZoneSetup[];
}

/** The DSO's network from its file; the zone list must cover the feeder's buses exactly once. */
export function buildDsoNetwork(config: DsoConfig, feeder: Feeder = loadFeeder(config.network.case)): DsoNetwork {
  checkZoneList(config.zones, feeder, (k) => `zones[${k}].buses`, 'zones');
  const net = buildRadialNetwork(feeder);
  const inputs = buildDispatchInputs(config, feeder);
  const zoneOf = new Map(config.zones.flatMap((z) => z.buses.map((b) => [b, z.id] as const)));
  const tieLines = feeder.branches
    .filter((br) => br.inService && zoneOf.get(br.from) !== zoneOf.get(br.to))
    .map((br) => ({ from: br.from, to: br.to, fromZone: zoneOf.get(br.from)!, toZone: zoneOf.get(br.to)! }));
  return { scenario: config, feeder, net, inputs, tieLines };
}

/**
 * Why the DSO refuses an announce, or null when it fits the DSO's zone list and time grid: an unknown
 * zone id, other buses than the list gives it, another time grid. Each reason names the field.
 */
export function refuseAnnounce(network: DsoNetwork, a: ZoneAnnounce): string | null {
  const listed = network.scenario.zones.find((z) => z.id === a.bid.zoneId);
  if (!listed) return `zone ${a.bid.zoneId} is not in the DSO's zone list (zones ${network.scenario.zones.map((z) => z.id).join(', ')})`;
  const want = [...listed.buses].sort((x, y) => x - y), got = [...a.buses].sort((x, y) => x - y);
  if (want.length !== got.length || want.some((b, i) => b !== got[i])) {
    return `zone ${a.bid.zoneId} announced buses [${got.join(',')}], but the DSO's zone list gives it [${want.join(',')}]`;
  }
  const grid = network.inputs.grid;
  if (a.bid.grid.periods !== grid.periods || Math.abs(a.bid.grid.dtH - grid.dtH) > 1e-9) {
    return `zone ${a.bid.zoneId} announced ${a.bid.grid.periods} periods of ${a.bid.grid.dtH} h, but the DSO runs ${grid.periods} periods of ${grid.dtH} h`;
  }
  const stray = a.busProfiles.find((p) => !listed.buses.includes(p.bus));
  if (stray) return `zone ${a.bid.zoneId} announced flexibility at bus ${stray.bus}, which is not one of its buses`;
  if (new Set(a.busProfiles.map((p) => p.bus)).size !== a.busProfiles.length) return `zone ${a.bid.zoneId} announced a bus profile twice`;
  // The wire schema checks these too; an announce handed over in process is checked here.
  const T = grid.periods;
  const short = [
    ['baseNetLoadKw', a.bid.baseNetLoadKw.length],
    ...a.busProfiles.flatMap((p) => [[`busProfiles (bus ${p.bus}) flexKw`, p.flexKw.length], [`busProfiles (bus ${p.bus}) uncoordinatedKw`, p.uncoordinatedKw.length]] as const),
    ...a.bid.envelopeGroups.flatMap((g, k) => [[`groups[${k}].pMaxKw`, g.envelope.pMaxKw.length], [`groups[${k}].eMaxKwh`, g.envelope.eMaxKwh.length - 1]] as const),
  ].find(([, n]) => n !== T);
  if (short) return `zone ${a.bid.zoneId} announced ${short[0]} over ${short[1]} periods, not ${T}`;
  return null;
}

/** The DSO's model of one zone, from its announce alone (check it with `refuseAnnounce` first). */
export function zoneSetupOf(network: DsoNetwork, a: ZoneAnnounce): ZoneSetup {
  const refused = refuseAnnounce(network, a);
  if (refused) throw new InputError(refused, `announce of zone ${a.bid.zoneId}`);
  const buses = [...a.buses].sort((x, y) => x - y);
  const byBus = new Map(a.busProfiles.map((p) => [p.bus, p]));
  return {
    id: a.bid.zoneId, buses, policy: a.policy, bid: a.bid, envelope: a.bid.envelope,
    flexible: flexibleLoad(a.bid.zoneId, buses, network.feeder, a.bid.envelope, (b) => byBus.get(b)?.flexKw),
    uncoordinatedKw: new Map(a.busProfiles.map((p) => [p.bus, p.uncoordinatedKw])),
    evCount: a.evCount, evsLeftOut: a.evsLeftOut,
  };
}

/** The DSO's network with its zones, in the zone list's order. */
/**
 * The DSO's network with the zones that announced themselves, in the zone list's order. Every
 * announce must fit (`refuseAnnounce`) and come once: a stray or doubled zone is an error, not dropped.
 */
export function negotiationSetup(network: DsoNetwork, announces: ReadonlyArray<ZoneAnnounce>): NegotiationSetup {
  const byId = new Map<number, ZoneAnnounce>();
  for (const a of announces) {
    if (byId.has(a.bid.zoneId)) throw new InputError(`zone ${a.bid.zoneId} announced itself twice`, 'negotiation');
    byId.set(a.bid.zoneId, a);
  }
  const zones = network.scenario.zones.filter((z) => byId.has(z.id)).map((z) => zoneSetupOf(network, byId.get(z.id)!));
  const stray = announces.find((a) => !network.scenario.zones.some((z) => z.id === a.bid.zoneId));
  if (stray) zoneSetupOf(network, stray); // throws, naming it
  return { ...network, zones };
}

/**
 * "Before coordination" (SPEC §4): every zone's EVs charging at full power from arrival, per period
 * and bus position, as the zones announced it.
 */
export function uncoordinatedBusLoadKw(setup: NegotiationSetup): Float64Array[] {
  const { grid } = setup.inputs;
  const out = Array.from({ length: grid.periods }, () => new Float64Array(setup.feeder.buses.length));
  setup.feeder.buses.forEach((b, pos) => {
    for (const z of setup.zones) z.uncoordinatedKw.get(b.id)?.forEach((v, t) => { out[t][pos] += v; });
  });
  return out;
}

/** The zone's EVs as a flexible load: each bus's share of the zone's flexible power, per period. */
function flexibleLoad(id: number, buses: number[], feeder: Feeder, env: AggregateEnvelope, flexAt: (bus: number) => Float64Array | undefined): FlexibleLoad {
  const T = env.pMaxKw.length;
  const busShares = buses.map((b) => ({ busPos: feeder.buses.findIndex((x) => x.id === b), share: new Float64Array(T) }));
  for (let t = 0; t < T; t++) {
    const total = buses.reduce((a, b) => a + (flexAt(b)?.[t] ?? 0), 0);
    // With nothing plugged in the load is 0 anyway; an even spread keeps the shares summing to 1.
    busShares.forEach((s, i) => { s.share[t] = total > 0 ? (flexAt(buses[i])?.[t] ?? 0) / total : 1 / buses.length; });
  }
  return { name: `zone${id}`, lbKw: env.pDischargeMaxGridKw.map((v) => -v), ubKw: Float64Array.from(env.pChargeMaxGridKw), busShares };
}

/** Every feeder bus in exactly one zone; errors name the field (`whereOf(k)` for zone k's buses). */
export function checkZoneList(zones: readonly ZoneListEntry[], feeder: Feeder, whereOf: (k: number) => string, whereAll: string): void {
  const seen = new Map<number, number>();
  zones.forEach((zone, k) => zone.buses.forEach((b) => {
    if (!feeder.buses.some((x) => x.id === b)) throw new InputError(`bus ${b} is not in feeder "${feeder.name}"`, whereOf(k));
    if (seen.has(b)) throw new InputError(`bus ${b} is in zone ${seen.get(b)} and zone ${zone.id}`, whereOf(k));
    seen.set(b, zone.id);
  }));
  const missing = feeder.buses.filter((b) => !seen.has(b.id)).map((b) => b.id);
  if (missing.length) throw new InputError(`bus(es) ${missing.join(', ')} belong to no zone`, whereAll);
}
