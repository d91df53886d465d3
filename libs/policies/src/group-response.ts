import type { TimeGrid } from '@zonal/ev';
import type { EnvelopeGroup } from './envelope-model';

/**
 * The cheapest schedule of envelope groups at given prices, exactly and without an LP: what a
 * zone's groups would draw if each period's grid-side kW cost a known price. It is the pricing step
 * of a column-generation clearing (libs/coordination clearing-columns.ts), which asks it of tens of
 * thousands of groups at every iteration.
 *
 * One group is the LP addEnvelopeGroups writes for it — battery-side charge c ∈ [0, max(0, pMax)],
 * discharge d ∈ [0, max(0, −pMin)], energy E[τ+1] = E[τ] + (c − d)·dt within [eMin, eMax] at every
 * boundary after the anchor's E[0] = 0 — with cost Σ price·(c/η − η·d) + degradation·d·dt. That is
 * a storage problem on a line, solved by dynamic programming over energy: the cost-to-go from each
 * boundary is a convex piecewise-linear function of the energy there, and one period's step is the
 * infimal convolution of the next cost-to-go with the period's move cost (merging their segments by
 * slope), then cut to the boundary's energy bounds.
 */
export interface GroupResponse {
  /** Grid-side kW per day period, summed over the groups (charging positive). */
  gridKw: Float64Array;
  /** Battery-side discharge kW per day period, summed over the groups. */
  dischargeKw: Float64Array;
  /** Σ price·gridKw + degradation·discharge·dt (yuan). */
  costYuan: number;
}

/**
 * The cheapest schedules of `groups` (each on its own shifted day, envelope-model.ts) at
 * `priceYuanPerKw[t]` per grid-side kW of day period t and `degradationYuanPerKwh` per battery-side
 * kWh discharged. Throws, naming the group, when a group has no schedule at all.
 */
export function cheapestGroupSchedules(
  groups: readonly EnvelopeGroup[], eta: number, grid: TimeGrid, priceYuanPerKw: ArrayLike<number>, degradationYuanPerKwh: number,
): GroupResponse {
  const T = grid.periods;
  const out: GroupResponse = { gridKw: new Float64Array(T), dischargeKw: new Float64Array(T), costYuan: 0 };
  const charge = new Float64Array(T), discharge = new Float64Array(T);
  groups.forEach((group, k) => {
    cheapestSchedule(group, eta, grid, priceYuanPerKw, degradationYuanPerKwh, charge, discharge, k);
    for (let t = 0; t < T; t++) {
      const gridKw = charge[t] / eta - eta * discharge[t];
      out.gridKw[t] += gridKw;
      out.dischargeKw[t] += discharge[t];
      out.costYuan += priceYuanPerKw[t] * gridKw + degradationYuanPerKwh * discharge[t] * grid.dtH;
    }
  });
  return out;
}

/** One group's cheapest battery-side charge and discharge (kW) by day period, as cheapestGroupSchedules prices them. */
export function cheapestGroupSchedule(
  group: EnvelopeGroup, eta: number, grid: TimeGrid, priceYuanPerKw: ArrayLike<number>, degradationYuanPerKwh: number,
): { chargeKw: Float64Array; dischargeKw: Float64Array } {
  const chargeKw = new Float64Array(grid.periods), dischargeKw = new Float64Array(grid.periods);
  cheapestSchedule(group, eta, grid, priceYuanPerKw, degradationYuanPerKwh, chargeKw, dischargeKw, 0);
  return { chargeKw, dischargeKw };
}

/**
 * A convex piecewise-linear function of energy (kWh) on [x0, x0 + Σ len]: v0 at x0, then segments
 * of nondecreasing slope. `fromNext` marks, in a step's infimal convolution, the segments that came
 * from the next boundary's cost-to-go (the rest are the period's move).
 */
interface Pwl {
  x0: number;
  v0: number;
  len: number[];
  slope: number[];
  fromNext?: boolean[];
}

/** One period's step: its convolution (before the cut to the bounds) and where the next boundary's domain starts. */
interface Step {
  merged: Pwl;
  nextX0: number;
}

/** The cheapest battery-side schedule of one group, written into `charge` and `discharge` by day period. */
function cheapestSchedule(
  group: EnvelopeGroup, eta: number, grid: TimeGrid, price: ArrayLike<number>, degradation: number,
  charge: Float64Array, discharge: Float64Array, k: number,
): void {
  const { envelope: env, shiftPeriods } = group;
  const T = grid.periods, dt = grid.dtH;
  const steps: Step[] = new Array(T);
  let next = cut(line(env.eMinKwh[T], env.eMaxKwh[T]), env.eMinKwh[T], env.eMaxKwh[T], k, T);
  for (let tau = T - 1; tau >= 0; tau--) {
    const t = (tau + shiftPeriods) % T;
    const merged = convolve(next, reachedFrom(moveCost(env.pMaxKw[tau], env.pMinKw[tau], price[t], eta, degradation, dt)));
    steps[tau] = { merged, nextX0: next.x0 };
    // The anchor's energy is 0 whatever eMin[0] and eMax[0] say (envelope-model.ts does not bound it).
    next = tau > 0 ? cut(merged, env.eMinKwh[tau], env.eMaxKwh[tau], k, tau) : cut(merged, 0, 0, k, 0);
  }
  let energy = 0;
  for (let tau = 0; tau < T; tau++) {
    const t = (tau + shiftPeriods) % T;
    const { merged, nextX0 } = steps[tau];
    const after = nextX0 + lengthFromNext(merged, energy - merged.x0);
    const move = splitMove(after - energy, env.pMaxKw[tau], env.pMinKw[tau], price[t], eta, degradation, dt);
    charge[t] = move.charge;
    discharge[t] = move.discharge;
    energy = after;
  }
}

/** The move cost of one period as a function of the energy gained Δ = (c − d)·dt (kWh): convex, from Δ = −down·dt. */
function moveCost(pMaxKw: number, pMinKw: number, price: number, eta: number, degradation: number, dt: number): Pwl {
  const up = Math.max(0, pMaxKw) * dt, down = Math.max(0, -pMinKw) * dt;
  // Per kWh of Δ: charging costs price/η per kW of c; giving up discharge forgoes η·price and saves degradation.
  const chargeSlope = price / (eta * dt), lessDischargeSlope = (price * eta - degradation * dt) / dt;
  const segments = [{ len: down, slope: lessDischargeSlope }, { len: up, slope: chargeSlope }].filter((s) => s.len > 0).sort((a, b) => a.slope - b.slope);
  return { x0: -down, v0: -lessDischargeSlope * down, len: segments.map((s) => s.len), slope: segments.map((s) => s.slope) };
}

/**
 * c and d of a period whose energy moves by Δ: along moveCost's segments in their order (when
 * giving up discharge is dearer than charging, the cheapest way to a Δ charges while discharging).
 */
function splitMove(delta: number, pMaxKw: number, pMinKw: number, price: number, eta: number, degradation: number, dt: number): { charge: number; discharge: number } {
  const up = Math.max(0, pMaxKw) * dt, down = Math.max(0, -pMinKw) * dt;
  const chargeFirst = price / (eta * dt) < (price * eta - degradation * dt) / dt;
  let along = Math.min(up + down, Math.max(0, delta + down));
  let chargeKwh = 0, lessDischargeKwh = 0;
  for (const which of chargeFirst ? ['charge', 'less'] as const : ['less', 'charge'] as const) {
    const take = Math.min(along, which === 'charge' ? up : down);
    if (which === 'charge') chargeKwh = take;
    else lessDischargeKwh = take;
    along -= take;
  }
  return { charge: chargeKwh / dt, discharge: (down - lessDischargeKwh) / dt };
}

/** h(z) = f(−z): the move cost as a function of (energy before) − (energy after). */
function reachedFrom(f: Pwl): Pwl {
  let end = f.x0, endValue = f.v0;
  for (let i = 0; i < f.len.length; i++) { end += f.len[i]; endValue += f.len[i] * f.slope[i]; }
  return { x0: -end, v0: endValue, len: [...f.len].reverse(), slope: f.slope.map((s) => -s).reverse() };
}

/** The infimal convolution (V □ h)(E) = min over u of V(u) + h(E − u): the two segment lists merged by slope. */
function convolve(next: Pwl, h: Pwl): Pwl {
  const len: number[] = [], slope: number[] = [], fromNext: boolean[] = [];
  let i = 0, j = 0;
  while (i < next.len.length || j < h.len.length) {
    const takeNext = j >= h.len.length || (i < next.len.length && next.slope[i] <= h.slope[j]);
    len.push(takeNext ? next.len[i] : h.len[j]);
    slope.push(takeNext ? next.slope[i++] : h.slope[j++]);
    fromNext.push(takeNext);
  }
  return { x0: next.x0 + h.x0, v0: next.v0 + h.v0, len, slope, fromNext };
}

/** Of the first `along` kWh of a convolution's domain, how much the next boundary's cost-to-go takes. */
function lengthFromNext(merged: Pwl, along: number): number {
  let left = Math.max(0, along), fromNext = 0;
  for (let i = 0; i < merged.len.length && left > 0; i++) {
    const take = Math.min(left, merged.len[i]);
    if (merged.fromNext![i]) fromNext += take;
    left -= take;
  }
  return fromNext;
}

/** A function that is 0 on [lo, hi] (the last boundary's energy bounds). */
function line(lo: number, hi: number): Pwl {
  return hi > lo ? { x0: lo, v0: 0, len: [hi - lo], slope: [0] } : { x0: lo, v0: 0, len: [], slope: [] };
}

/**
 * f restricted to [lo, hi]. Bounds crossed by rounding alone (1e-9 kWh relative) meet at the nearer
 * end; a wider gap is a group with no schedule, named by its index and boundary.
 */
function cut(f: Pwl, lo: number, hi: number, group: number, boundary: number): Pwl {
  let total = 0;
  for (const l of f.len) total += l;
  const end = f.x0 + total;
  const tol = 1e-9 * (1 + Math.abs(lo) + Math.abs(hi) + Math.abs(f.x0) + Math.abs(end));
  const from = Math.max(lo, f.x0), to = Math.min(hi, end);
  if (from > to + tol) {
    throw new Error(`envelope group ${group}: no schedule reaches energy within [${lo}, ${hi}] kWh at boundary ${boundary} (reachable [${f.x0}, ${end}])`);
  }
  const a = Math.min(from, end), b = Math.max(a, Math.min(to, end));
  const len: number[] = [], slope: number[] = [];
  let x = f.x0, v0 = f.v0;
  for (let i = 0; i < f.len.length; i++) {
    v0 += Math.max(0, Math.min(x + f.len[i], a) - x) * f.slope[i];
    const s = Math.max(x, a), e = Math.min(x + f.len[i], b);
    if (e > s) { len.push(e - s); slope.push(f.slope[i]); }
    x += f.len[i];
  }
  return { x0: a, v0, len, slope };
}
