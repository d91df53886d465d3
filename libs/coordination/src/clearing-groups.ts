import { emptyEnvelope, type AggregateEnvelope, type TimeGrid } from '@zonal/ev';
import type { EnvelopeGroup } from '@zonal/policies';
import type { ZoneSetup } from './setup';
import { envelopeOfGroups } from './zone-party';

/**
 * The envelope groups the DSO's clearing holds the zones in (SPEC §8 step 2, methods/admm.ts): the
 * announced ones up to `CLEARING_GROUP_BUDGET` over all zones, coarser sums of them beyond it. The
 * clearing only starts the negotiation (its dispatch is y⁰, its link duals λ⁰) and the zones' own
 * steps keep every answer exact, so an outer approximation is allowed; but it starts the rounds
 * further off. Measured on the synthetic 1 000-bus, 20-zone, 100 000-EV case (26 541 groups): over
 * the announced groups the clearing is one LP of 216 628 x 718 195 (≈ 290 000 dual simplex iterations,
 * about 100 s) and the rounds agree in 2; over `arrival` sums (930 groups) it takes 45-67 s with its
 * limit rows and the rounds had not agreed after 40. The budget is therefore for what does not fit at
 * all: 100 zones of 10 000 EVs announce ≈ 190 000 groups, a clearing of millions of columns beyond
 * HiGHS's 2 GiB, where `arrival` sums make it 842 537 x 1 784 483, mostly the network.
 *
 * Coarser, in steps, per zone until it fits its share of the budget:
 *  1. `window`: groups with the same anchor, plug-in window end and V2G enrolment summed into one;
 *  2. `arrival`: the same anchor and V2G enrolment (SPEC §6's grouping by arrival);
 *  3. `day`: one group per V2G enrolment, anchored at 00:00 (envelopeOfGroups).
 * Each step sums groups' bounds (power per period, energy at each boundary of their common rotated
 * day): every schedule the summed groups allow together the sum allows, so each step is an outer
 * approximation of the last. V2G groups stay apart from charge-only ones (summed, their bounds would
 * let the charge-only EVs' energy be discharged).
 */
export const CLEARING_GROUP_BUDGET = 30_000;

export type ClearingLevel = 'announced' | 'window' | 'arrival' | 'day';

export interface ClearingZone {
  zone: ZoneSetup;
  level: ClearingLevel;
}

/** Each zone as the clearing holds it: the zone itself when its groups fit its share, else a copy with coarser groups. */
export function clearingZones(zones: readonly ZoneSetup[], budget = CLEARING_GROUP_BUDGET): ClearingZone[] {
  const total = zones.reduce((a, z) => a + z.bid.envelopeGroups.length, 0);
  if (total <= budget) return zones.map((zone) => ({ zone, level: 'announced' }));
  const cap = Math.max(2, Math.floor(budget / zones.length));
  return zones.map((zone) => {
    const { level, groups } = coarsenGroups(zone.bid.envelopeGroups, zone.bid.grid, cap);
    return { zone: level === 'announced' ? zone : { ...zone, bid: { ...zone.bid, envelopeGroups: groups } }, level };
  });
}

/** A zone's groups at the finest level with at most `cap` of them (`day` whatever its count: at most 2). */
export function coarsenGroups(groups: readonly EnvelopeGroup[], grid: TimeGrid, cap: number): { level: ClearingLevel; groups: EnvelopeGroup[] } {
  let level: ClearingLevel = 'announced', at: EnvelopeGroup[] = [...groups];
  for (const coarser of ['window', 'arrival', 'day'] as const) {
    if (at.length <= cap) break;
    at = coarserGroups(coarser, at, grid);
    level = coarser;
  }
  return { level, groups: at };
}

/** `groups` (announced, or of a finer level) summed into those of `level`. */
export function coarserGroups(level: Exclude<ClearingLevel, 'announced'>, groups: readonly EnvelopeGroup[], grid: TimeGrid): EnvelopeGroup[] {
  const T = grid.periods;
  if (level === 'window') return mergeBy(groups, (g) => `${g.shiftPeriods}:${lastActivePeriod(g.envelope, T)}:${isV2g(g.envelope)}`);
  if (level === 'arrival') return mergeBy(groups, (g) => `${g.shiftPeriods}:${isV2g(g.envelope)}`);
  return [true, false].flatMap((v2g) => {
    const part = groups.filter((g) => isV2g(g.envelope) === v2g);
    if (part.length === 0) return [];
    const evCount = part.reduce((a, g) => a + g.envelope.evCount, 0);
    return [{ envelope: envelopeOfGroups(part, grid, evCount), shiftPeriods: 0 }];
  });
}

/** Groups with the same key summed into one, in order of each key's first group. */
function mergeBy(groups: readonly EnvelopeGroup[], key: (g: EnvelopeGroup) => string): EnvelopeGroup[] {
  const merged = new Map<string, EnvelopeGroup>();
  for (const g of groups) {
    const k = key(g);
    let into = merged.get(k);
    if (!into) merged.set(k, into = { envelope: emptyEnvelope(g.envelope.pMaxKw.length), shiftPeriods: g.shiftPeriods });
    addInto(into.envelope, g.envelope);
  }
  return [...merged.values()];
}

/** Sums b's bounds into a's (both on the same rotated day). */
function addInto(a: AggregateEnvelope, b: AggregateEnvelope): void {
  for (const f of ['pMinKw', 'pMaxKw', 'pChargeMaxGridKw', 'pDischargeMaxGridKw', 'eMinKwh', 'eMaxKwh'] as const) {
    const x = a[f], y = b[f];
    for (let i = 0; i < x.length; i++) x[i] += y[i];
  }
  a.evCount += b.evCount;
}

function isV2g(e: AggregateEnvelope): boolean {
  return e.pMinKw.some((p) => p < 0);
}

/** The group's last period (on its rotated day) in which its EVs can move energy; -1 if none. */
function lastActivePeriod(e: AggregateEnvelope, T: number): number {
  for (let tau = T - 1; tau >= 0; tau--) if (e.pMaxKw[tau] > 0 || e.pMinKw[tau] < 0) return tau;
  return -1;
}
