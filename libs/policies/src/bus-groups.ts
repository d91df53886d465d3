import { anchoredEnvelopeGroups, Fleet, type AnchoredEnvelope } from '@zonal/ev';
import type { ZoneProblem } from './policy';

/**
 * A zone's fleet as envelope groups with the EVs at some of its buses apart, bus by bus: what the
 * zone models under the DSO's caps on the EVs at those buses (DsoSignal.evCaps). Each bus's EVs are
 * grouped as the whole fleet is (window-energy: each group exact for its EVs), and the EVs at every
 * other bus together: so the model knows what each capped bus's EVs draw and stays as small as the
 * caps allow (a cap on one lateral splits only that lateral's buses).
 */
export interface BusGroups {
  groups: AnchoredEnvelope[];
  /** Bus of each group, or -1 for a group of the EVs at the buses not split. */
  busOf: Int32Array;
}

/**
 * The last split of each fleet, built once per set of split buses: the caps only grow, so an earlier
 * set is not asked again, and keeping every set would hold a copy of the fleet's groups per cap that
 * ever joined (a city's zone host grew from 1.2 to 3 GB).
 */
const built = new WeakMap<Fleet, { key: string; split: BusGroups }>();

export function busGroupsOf(zone: ZoneProblem, splitBuses: readonly number[]): BusGroups {
  const key = [...new Set(splitBuses)].sort((a, b) => a - b).join(',');
  const last = built.get(zone.fleet);
  if (last?.key === key) return last.split;
  const fleet = zone.fleet, split = new Set(splitBuses);
  const members = new Map<number, number[]>();
  for (let i = 0; i < fleet.size; i++) {
    const at = split.has(fleet.bus[i]) ? fleet.bus[i] : -1;
    const list = members.get(at);
    if (list) list.push(i);
    else members.set(at, [i]);
  }
  const groups: AnchoredEnvelope[] = [], busOf: number[] = [];
  for (const [bus, evs] of [...members].sort(([a], [b]) => a - b)) {
    for (const g of anchoredEnvelopeGroups(Fleet.subset(fleet, evs), zone.grid, 'window-energy')) {
      groups.push({ envelope: g.envelope, shiftPeriods: g.shiftPeriods, evs: Int32Array.from(g.evs!, (j) => evs[j]) });
      busOf.push(bus);
    }
  }
  const out = { groups, busOf: Int32Array.from(busOf) };
  built.set(zone.fleet, { key, split: out });
  return out;
}
