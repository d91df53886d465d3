import { f64, i32, type Scratch } from './scratch';
import type { Sessions } from './session';

/**
 * A charging-only aggregate split among EVs that share one plug-in window, without a flow network:
 * the way the groups of a window grouping that disaggregateGroups' fleet-order pass cannot vouch for
 * are done (at 1 000 000 EVs: 150 000 EVs in 3 700 groups, whose flow networks took 0.8 s).
 *
 * Period by period through the window, each EV takes between what it must take now (`lo`: its need
 * left, less what it can still take later, which is its charger's energy in each later period but
 * no more than that period's aggregate) and what it can (`hi`: its charger, and the energy it can
 * still take before socMax). Within those bounds the period's energy is water-filled by a key: the
 * EVs with the largest keys take the most, down to a common level, so what is left stays as even as
 * it can and what later periods bring fits. The key is first the energy each EV can still take (by
 * it every group of alike EVs splits, the window-energy groups of a million EVs among them), then
 * that plus its need left, then need first (NEED_WEIGHTS). Need first alone leaves EVs with room
 * but no need to take a last period's full power alone (the tests' hand case). The fleet-order pass,
 * earliest departure first and then EV order, fills the first EVs' chargers and leaves later
 * periods with EVs that cannot take what comes: that is where it fails.
 *
 * A heuristic with a proof of its answers, not of its success: it returns false when a period's
 * energy does not fit between the bounds or an EV ends short of its target, and the caller then
 * asks the flow network, which decides. When it returns true, every EV keeps its charger's limit in
 * each plugged period, stays at or under socMax and reaches its target (to 1e-9 kWh), and the
 * schedules sum to the aggregate in every period (to 1e-9 of the period's energy): an exact
 * disaggregation, as the network's would be, though not the same one.
 *
 * `offset` and `chargeKw` are the schedules' layout (allocateSchedules: EV i's plugged periods from
 * its arrival); only the scheduled EVs' entries are written. Charge-only: the need and room of the
 * flow network's charge-only solve (a V2G EV discharges nothing here).
 */
export function splitOneWindow(s: Sessions, aggregateKw: ArrayLike<number>, offset: Int32Array, chargeKw: Float64Array, scratch?: Scratch): boolean {
  const T = s.grid.periods, dt = s.grid.dtH, n = s.size;
  let start = -1, length = 0, m = 0;
  for (let i = 0; i < n; i++) {
    if (s.problem[i] !== 0 || s.length[i] <= 0) continue;
    if (start < 0) {
      start = s.start[i];
      length = s.length[i];
    } else if (s.start[i] !== start || s.length[i] !== length) return false;
    m++;
  }
  if (m === 0) return false;
  for (let t = 0; t < T; t++) if (!(aggregateKw[t] >= 0)) return false;
  // Energy asked for outside the window has no EV to take it.
  const inWindow = (t: number) => ((t - start + T) % T) < length;
  for (let t = 0; t < T; t++) if (!inWindow(t) && aggregateKw[t] * dt > TOLERANCE_KWH) return false;

  const ev = i32(scratch, 'split.ev', m);
  for (let i = 0, k = 0; i < n; i++) if (s.problem[i] === 0 && s.length[i] > 0) ev[k++] = i;
  const w: Window = { start, length, m, ev };
  for (const needWeight of NEED_WEIGHTS) if (splitBy(needWeight, s, w, aggregateKw, offset, chargeKw, scratch)) return true;
  return false;
}

/**
 * The tries, in order: water-filled by the energy each EV can still take, then by that plus its
 * need left, then by need first. On random groups of unlike EVs (the tests) the first split 82%,
 * the first two 98.5%, all three 391 of 392; the groups of a window-energy grouping (alike EVs) all
 * go the first way.
 */
const NEED_WEIGHTS = [0, 1, 1000];

/** The window the EVs share, how many are scheduled, and which (indices into the sessions). */
interface Window { start: number; length: number; m: number; ev: Int32Array }

/** One try of splitOneWindow, water-filling by needWeight · need left + energy the EV can still take. */
function splitBy(
  needWeight: number, s: Sessions, w: Window, aggregateKw: ArrayLike<number>, offset: Int32Array, chargeKw: Float64Array, scratch?: Scratch,
): boolean {
  const T = s.grid.periods, dt = s.grid.dtH, { start, length, m, ev } = w;
  const needLeft = f64(scratch, 'split.need', m), takeLeft = f64(scratch, 'split.takeLeft', m), step = f64(scratch, 'split.step', m);
  const lo = f64(scratch, 'split.lo', m), hi = f64(scratch, 'split.hi', m), take = f64(scratch, 'split.take', m), key = f64(scratch, 'split.key', m);
  const points = f64(scratch, 'split.points', 2 * m);
  for (let k = 0; k < m; k++) {
    const i = ev[k];
    step[k] = s.chargeMaxKw[i] * dt;
    // The flow network's charge-only need and room edges (buildNetwork).
    needLeft[k] = Math.min(Math.max(0, s.eDepartureKwh[i] - s.eArrivalKwh[i]), length * step[k]);
    takeLeft[k] = needLeft[k] + Math.max(0, s.eCeilKwh[i] - Math.max(s.eArrivalKwh[i], s.eDepartureKwh[i]));
  }
  // What each EV can still take after the current period: its charger's energy in each later period,
  // but no more than that period's whole aggregate.
  const later = f64(scratch, 'split.later', m);
  for (let j = 1; j < length; j++) {
    const energy = aggregateKw[(start + j) % T] * dt;
    for (let k = 0; k < m; k++) later[k] += Math.min(step[k], energy);
  }
  for (let j = 0; j < length; j++) {
    const t = (start + j) % T, energy = aggregateKw[t] * dt;
    if (j > 0) for (let k = 0; k < m; k++) later[k] = Math.max(0, later[k] - Math.min(step[k], energy));
    let sumLo = 0, sumHi = 0;
    for (let k = 0; k < m; k++) {
      lo[k] = Math.max(0, needLeft[k] - later[k]);
      hi[k] = Math.min(step[k], takeLeft[k]);
      if (lo[k] > hi[k] + TOLERANCE_KWH) return false;
      hi[k] = Math.max(hi[k], lo[k]);
      sumLo += lo[k];
      sumHi += hi[k];
    }
    const slack = TOLERANCE_KWH * (1 + energy);
    if (energy < sumLo - slack || energy > sumHi + slack) return false;
    for (let k = 0; k < m; k++) key[k] = needWeight * needLeft[k] + takeLeft[k];
    waterFill(m, key, lo, hi, Math.min(Math.max(energy, sumLo), sumHi), points, take);
    for (let k = 0; k < m; k++) {
      chargeKw[offset[ev[k]] + j] = take[k] / dt;
      needLeft[k] -= take[k];
      takeLeft[k] -= take[k];
    }
  }
  for (let k = 0; k < m; k++) if (needLeft[k] > TOLERANCE_KWH * (1 + step[k] * length)) return false;
  return true;
}

/** Energy (kWh) by which a split may miss a bound or a period's total: the flow network's own epsilon. */
const TOLERANCE_KWH = 1e-9;

/**
 * take[k] = clamp(key[k] − θ, lo[k], hi[k]) with θ such that Σ take = total (Σ lo ≤ total ≤ Σ hi):
 * the largest keys are served first, down to a common level. Σ take(θ) is continuous, piecewise
 * linear and non-increasing in θ, with breakpoints key − hi and key − lo: a binary search over the
 * sorted breakpoints brackets θ, within which it is linear. Rounding is put right on the last EV
 * with slack, so the takes sum to `total` exactly as far as floating point goes.
 */
function waterFill(m: number, key: Float64Array, lo: Float64Array, hi: Float64Array, total: number, points: Float64Array, take: Float64Array): void {
  const at = (theta: number): number => {
    let sum = 0;
    for (let k = 0; k < m; k++) sum += Math.min(hi[k], Math.max(lo[k], key[k] - theta));
    return sum;
  };
  for (let k = 0; k < m; k++) {
    points[2 * k] = key[k] - hi[k];
    points[2 * k + 1] = key[k] - lo[k];
  }
  const sorted = points.subarray(0, 2 * m).sort();
  // Largest index whose breakpoint still gives at least `total`: sum(sorted[0]) = Σ hi ≥ total.
  let a = 0, b = 2 * m - 1;
  if (at(sorted[b]) >= total) a = b;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    if (at(sorted[mid]) >= total) a = mid;
    else b = mid;
  }
  let theta = sorted[a];
  if (a < 2 * m - 1) {
    const sa = at(sorted[a]), sb = at(sorted[a + 1]);
    if (sa > sb) theta = sorted[a] + ((sa - total) * (sorted[a + 1] - sorted[a])) / (sa - sb);
  }
  let sum = 0;
  for (let k = 0; k < m; k++) sum += take[k] = Math.min(hi[k], Math.max(lo[k], key[k] - theta));
  // Rounding: move the remainder onto EVs with room for it (upwards) or above their floor (downwards).
  let rest = total - sum;
  for (let k = m - 1; k >= 0 && rest !== 0; k--) {
    const move = rest > 0 ? Math.min(rest, hi[k] - take[k]) : Math.max(rest, lo[k] - take[k]);
    take[k] += move;
    rest -= move;
  }
}
