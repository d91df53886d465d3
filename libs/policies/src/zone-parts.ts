import { ZonalError } from '@zonal/core';
import { aggregateEnvelope, disaggregateGroups, Fleet, type AggregateEnvelope, type Disaggregation, type EvSchedules, type TimeGrid } from '@zonal/ev';
import type { EnvelopeGroup } from './envelope-model';
import type { ZoneBid, ZoneProblem } from './policy';

/**
 * A zone's EVs in parts that its policy schedules differently (SPEC §8 step 0: the zone owns its EVs):
 * users who take part in a programme and users who do not (ancillary, seed 003), EVs whose charger
 * follows a SOC-dependent curve (profit, seed 000 §4). A part keeps the zone's envelope grouping: each
 * of the zone's groups restricted to the part (and split by role), its envelope recomputed on the
 * group's own rotated day as groups.ts does, so a subset of a 'window-energy' group sums exactly still.
 */
export interface FleetPart {
  /** Zone-fleet index of each of the part's EVs, in part order. */
  indices: Int32Array;
  /** The part's EVs (a copy, as `adjust` left them). */
  fleet: Fleet;
  /** The part's envelope groups; `evs` index into `fleet`. */
  groups: EnvelopeGroup[];
  /** Role of each group (the `roleOf` value its EVs share). */
  groupRoles: string[];
  /** Sum of the part's EVs' envelopes, anchored at 00:00 (the bounds of its power). */
  envelope: AggregateEnvelope;
}

/**
 * The EVs to which `roleOf` gives a role, in zone order; `adjust(fleet, k, i)` may change the copy of
 * the part's EV k (the zone's EV i) before its envelope is computed (e.g. a user who declined V2G is
 * charge-only).
 */
export function fleetPart(zone: ZoneProblem, roleOf: (i: number) => string | null, adjust?: (fleet: Fleet, k: number, i: number) => void): FleetPart {
  const indices: number[] = [], roles: string[] = [];
  const position = new Int32Array(zone.fleet.size).fill(-1);
  for (let i = 0; i < zone.fleet.size; i++) {
    const role = roleOf(i);
    if (role === null) continue;
    position[i] = indices.length;
    indices.push(i);
    roles.push(role);
  }
  const whole = indices.length === zone.fleet.size && !adjust && new Set(roles).size <= 1;
  if (whole) {
    // The zone's own groups as they are: nothing to recompute.
    return { indices: Int32Array.from(indices), fleet: zone.fleet, groups: zone.envelopeGroups, groupRoles: zone.envelopeGroups.map(() => roles[0] ?? ''), envelope: zone.envelope };
  }
  const fleet = Fleet.subset(zone.fleet, indices);
  if (adjust) for (let k = 0; k < fleet.size; k++) adjust(fleet, k, indices[k]);
  const groups: EnvelopeGroup[] = [], groupRoles: string[] = [];
  zone.envelopeGroups.forEach((g, n) => {
    if (!g.evs) throw new ZonalError(`envelope group ${n} of zone ${zone.zoneId} names no EVs`, `zone ${zone.zoneId}`);
    const byRole = new Map<string, number[]>();
    for (const i of g.evs) {
      const k = position[i];
      if (k < 0) continue;
      const list = byRole.get(roles[k]) ?? [];
      list.push(k);
      byRole.set(roles[k], list);
    }
    for (const [role, evs] of byRole) {
      groups.push(rotatedGroup(fleet, evs, g.shiftPeriods, zone.grid));
      groupRoles.push(role);
    }
  });
  return { indices: Int32Array.from(indices), fleet, groups, groupRoles, envelope: aggregateEnvelope(fleet, zone.grid) };
}

/** One group's envelope on its day rotated by `shiftPeriods` (groups.ts: the anchor where none of its EVs is plugged in). */
function rotatedGroup(fleet: Fleet, evs: number[], shiftPeriods: number, grid: TimeGrid): EnvelopeGroup {
  const members = Fleet.subset(fleet, evs);
  for (let k = 0; k < members.size; k++) {
    members.arrivalH[k] -= shiftPeriods * grid.dtH;
    members.departureH[k] -= shiftPeriods * grid.dtH;
  }
  return { envelope: aggregateEnvelope(members, grid), shiftPeriods, evs: Int32Array.from(evs) };
}

/** The zone's bid with a part's envelopes in place of the whole fleet's: what its model schedules. */
export function partBid(zone: ZoneBid, part: FleetPart): ZoneBid {
  return { ...zone, envelope: part.envelope, envelopeGroups: part.groups };
}

/** Each of a part's groups' schedules (battery side, `part.groups` order) to the group's own EVs (SPEC §6). */
export function disaggregatePart(part: FleetPart, grid: TimeGrid, groupBatteryKw: ReadonlyArray<ArrayLike<number>>): Disaggregation {
  return disaggregateGroups(part.fleet, grid, part.groups.map((g) => ({ evs: g.evs! })), groupBatteryKw);
}

/** Schedules of the parts (each in its own order) as one set in zone order; every EV in exactly one part. */
export function mergeSchedules(size: number, periods: number, parts: ReadonlyArray<{ indices: ArrayLike<number>; schedules: EvSchedules }>): EvSchedules {
  const source = new Int32Array(size).fill(-1), at = new Int32Array(size);
  parts.forEach((p, n) => {
    for (let k = 0; k < p.indices.length; k++) {
      const i = p.indices[k];
      if (source[i] >= 0) throw new ZonalError(`internal: EV index ${i} is in parts ${source[i]} and ${n}`, 'mergeSchedules');
      source[i] = n;
      at[i] = k;
    }
  });
  const stray = source.indexOf(-1);
  if (stray >= 0) throw new ZonalError(`internal: EV index ${stray} is in no part`, 'mergeSchedules');
  const start = new Int32Array(size).fill(-1), offset = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) {
    const s = parts[source[i]].schedules, k = at[i];
    const length = s.offset[k + 1] - s.offset[k];
    if (length > 0) start[i] = s.start[k];
    offset[i + 1] = offset[i] + length;
  }
  const chargeKw = new Float64Array(offset[size]), dischargeKw = new Float64Array(offset[size]);
  for (let i = 0; i < size; i++) {
    const s = parts[source[i]].schedules, k = at[i];
    chargeKw.set(s.chargeKw.subarray(s.offset[k], s.offset[k + 1]), offset[i]);
    dischargeKw.set(s.dischargeKw.subarray(s.offset[k], s.offset[k + 1]), offset[i]);
  }
  return { periods, start, offset, chargeKw, dischargeKw };
}

/** The same schedules with the EVs at positions `leftOut` given none. */
export function withoutEvs(s: EvSchedules, leftOut: ReadonlySet<number>): EvSchedules {
  const n = s.offset.length - 1;
  const start = new Int32Array(n).fill(-1), offset = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const keep = !leftOut.has(i);
    if (keep) start[i] = s.start[i];
    offset[i + 1] = offset[i] + (keep ? s.offset[i + 1] - s.offset[i] : 0);
  }
  const chargeKw = new Float64Array(offset[n]), dischargeKw = new Float64Array(offset[n]);
  for (let i = 0; i < n; i++) {
    if (leftOut.has(i)) continue;
    chargeKw.set(s.chargeKw.subarray(s.offset[i], s.offset[i + 1]), offset[i]);
    dischargeKw.set(s.dischargeKw.subarray(s.offset[i], s.offset[i + 1]), offset[i]);
  }
  return { periods: s.periods, start, offset, chargeKw, dischargeKw };
}
