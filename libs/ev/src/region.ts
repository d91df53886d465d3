import { Fleet } from './fleet';
import { gridInfo, type PlugWindow } from './grid';
import { PACKED_SESSION, problemMessage, problems, sessions, storedMaxKwh, storedMinKwh, writeSessionRecord, type Sessions } from './session';
import type { EvProblem, EvSpec, TimeGrid } from './types';

/**
 * Power–energy feasible regions (seed 003 §3, SPEC §6).
 *
 * One EV: stored energy at each session boundary lies in [storedMinKwh, storedMaxKwh] (closed form,
 * session.ts) and battery-side power in [-pDischargeMax, pChargeMax] while plugged in. For one EV
 * this box plus the power limits is its exact feasible set.
 *
 * A fleet: the per-period sums of the individual bounds. The energy of the aggregate is the battery
 * energy the fleet has gained since the grid's first boundary (00:00 on a periodic day):
 * `E[0] = 0, E[k+1] = E[k] + P[k] * dtH` with `P` the fleet's net battery-side power, so a policy can
 * model the fleet as one battery. Each EV's share of `E[k]` is bounded exactly (the tightest box for
 * that boundary alone, derived below); the sum is an *outer* approximation of the fleet's feasible set
 * (SPEC §6: the exact Minkowski sum needs a constraint per subset of periods), so a point inside it
 * can be undeliverable and `disaggregate` reports the shortfall.
 */

export interface EvRegion {
  id: string;
  /** Day periods the EV is plugged in, in time order from arrival. */
  periods: Int32Array;
  /** Stored-energy bounds at session boundaries 0..periods.length (kWh). */
  eMinKwh: Float64Array;
  eMaxKwh: Float64Array;
  /** Battery-side power bounds while plugged in (kW). */
  pMinKw: number;
  pMaxKw: number;
  /** Why the EV cannot be scheduled, or null. */
  problem: EvProblem | null;
}

export function evRegion(ev: EvSpec, grid: TimeGrid): EvRegion {
  const fleet = Fleet.fromSpecs([ev]);
  const s = sessions(fleet, grid);
  const L = s.length[0];
  const region: EvRegion = {
    id: ev.id, periods: new Int32Array(L), eMinKwh: new Float64Array(L + 1), eMaxKwh: new Float64Array(L + 1),
    pMinKw: -s.dischargeMaxKw[0], pMaxKw: s.chargeMaxKw[0], problem: problems(fleet, s)[0] ?? null,
  };
  for (let j = 0; j < L; j++) region.periods[j] = (s.start[0] + j) % s.grid.periods;
  for (let j = 0; j <= L; j++) {
    region.eMinKwh[j] = storedMinKwh(s, 0, j);
    region.eMaxKwh[j] = storedMaxKwh(s, 0, j);
  }
  return region;
}

/** Null if the EV can be scheduled on the grid, otherwise why not (SPEC §9 wording). */
export function checkEvFeasibility(ev: EvSpec, grid: TimeGrid): string | null {
  const fleet = Fleet.fromSpecs([ev]);
  const s = sessions(fleet, grid);
  return s.problem[0] === 0 ? null : problemMessage(fleet, s, 0);
}

export interface AggregateEnvelope {
  /** Net battery-side power limits per period (kW): -sum of discharge limits, sum of charge limits. */
  pMinKw: Float64Array;
  pMaxKw: Float64Array;
  /** Grid-side limits per period (kW): charging draws sum(pCharge/eta), discharging gives sum(pDischarge*eta). */
  pChargeMaxGridKw: Float64Array;
  pDischargeMaxGridKw: Float64Array;
  /** Battery energy gained since boundary 0, bounds at boundaries 0..periods (kWh). */
  eMinKwh: Float64Array;
  eMaxKwh: Float64Array;
  /** EVs summed into the envelope. */
  evCount: number;
  /** EVs left out (reported), with the reason. */
  excluded: EvProblem[];
}

/**
 * The fleet's envelope, EV by EV in fleet order. Each EV's session is read into one small record
 * (writeSessionRecord) instead of `sessions` for the whole fleet: at a million EVs those are 69 MB
 * of fresh arrays, and first touching fresh memory is most of what they cost (here ~3 ms per MB).
 * The EVs left out get their sessions, and their words, on their own.
 */
export function aggregateEnvelope(fleet: Fleet, grid: TimeGrid): AggregateEnvelope {
  const g = gridInfo(grid), T = g.periods, dt = g.dtH;
  const env = emptyEnvelope(T);
  const w: PlugWindow = { start: 0, length: 0, status: 0, arrivalBoundary: 0, departureBoundary: 0 };
  const rec = new Float64Array(PACKED_SESSION);
  const leftOut: number[] = [];
  for (let i = 0; i < fleet.size; i++) {
    writeSessionRecord(fleet, i, g, 0, w, rec, 0);
    if (rec[2] === 0) addEvToEnvelope(env, T, dt, rec[0], rec[1], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8], fleet.eta[i]);
    else leftOut.push(i);
  }
  const alone = Fleet.subset(fleet, leftOut);
  env.excluded = problems(alone, sessions(alone, grid)).map((p) => ({ ...p, index: leftOut[p.index] }));
  return env;
}

/** An envelope of no EV yet over `periods` periods. */
export function emptyEnvelope(periods: number, excluded: EvProblem[] = []): AggregateEnvelope {
  const T = periods;
  // Its six series as views of one buffer: a zone keeps thousands of group envelopes (a host of 10
  // zones of 10 000 EVs held 290 000 of these arrays), and each buffer of its own costs a backing
  // store and an ArrayBuffer object beside the numbers.
  const all = new Float64Array(6 * T + 2);
  const at = (k: number, n: number) => all.subarray(k, k + n);
  return {
    pMinKw: at(0, T), pMaxKw: at(T, T), pChargeMaxGridKw: at(2 * T, T),
    pDischargeMaxGridKw: at(3 * T, T), eMinKwh: at(4 * T, T + 1), eMaxKwh: at(5 * T + 1, T + 1),
    evCount: 0, excluded,
  };
}

/** Adds one schedulable EV, given by its session's numbers (session.ts; charging efficiency `eta`), to `env`: its power limits and its energy bounds, on a grid of T periods of dt hours. */
export function addEvToEnvelope(
  env: AggregateEnvelope, T: number, dt: number, a: number, L: number,
  eArr: number, eFloor: number, eCeil: number, eDep: number, c: number, d: number, eta: number,
): void {
  env.evCount++;
  const cGrid = c / eta, dGrid = d * eta;
  const { pMaxKw, pMinKw, pChargeMaxGridKw, pDischargeMaxGridKw } = env;
  for (let j = 0, t = a; j < L; j++, t = t + 1 === T ? 0 : t + 1) {
    pMaxKw[t] += c;
    pMinKw[t] -= d;
    pChargeMaxGridKw[t] += cGrid;
    pDischargeMaxGridKw[t] += dGrid;
  }
  cumulativeBounds(T, dt, a, L, eArr, eFloor, eCeil, eDep, c, d, env.eMinKwh, env.eMaxKwh);
}

/**
 * addEvToEnvelope of several EVs into an empty envelope, bit for bit, when all of them are plugged in
 * over one window [a, a + L) inside the day (a + L <= T; the EVs of a window grouping on their
 * group's rotated day, groups.ts). Every period of that window then receives the same addends in the
 * same order (the EVs' power limits), and so does every boundary after departure (their final
 * bounds): each such sum is done once and copied, instead of once per period and EV. Only the
 * boundaries within the window are summed EV by EV. EV j's numbers are packed[j * stride + ...] in
 * writeSessionRecord's layout (session.ts) with its eta at `etaAt`; EVs whose record has a problem
 * are skipped, as addEvToEnvelope is never called for them.
 */
export function addOneWindowEvs(
  env: AggregateEnvelope, T: number, dt: number, a: number, L: number, packed: Float64Array, stride: number, from: number, to: number, etaAt: number,
): void {
  if (env.evCount !== 0 || a < 0 || L <= 0 || a + L > T) throw new Error('addOneWindowEvs: an empty envelope and one window inside the day');
  const { pMaxKw, pMinKw, pChargeMaxGridKw, pDischargeMaxGridKw, eMinKwh: lo, eMaxKwh: hi } = env;
  const after = a + L + 1; // the first boundary after departure (T + 1 when there is none)
  for (let j = from; j < to; j++) {
    const r = j * stride;
    if (packed[r + 2] !== 0) continue;
    const eArr = packed[r + 3], eFloor = packed[r + 4], eCeil = packed[r + 5], eDep = packed[r + 6], c = packed[r + 7], d = packed[r + 8];
    const eta = packed[r + etaAt];
    env.evCount++;
    pMaxKw[a] += c;
    pMinKw[a] -= d;
    pChargeMaxGridKw[a] += c / eta;
    pDischargeMaxGridKw[a] += d * eta;
    for (let k = a + 1; k <= a + L; k++) {
      lo[k] += gMinOf(eFloor, eArr, eDep, c, d, L, dt, k - a) - eArr;
      hi[k] += gMaxOf(eCeil, eArr, c, dt, k - a) - eArr;
    }
    if (after <= T) {
      lo[after] += gMinOf(eFloor, eArr, eDep, c, d, L, dt, L) - eArr;
      hi[after] += gMaxOf(eCeil, eArr, c, dt, L) - eArr;
    }
  }
  pMaxKw.fill(pMaxKw[a], a + 1, a + L);
  pMinKw.fill(pMinKw[a], a + 1, a + L);
  pChargeMaxGridKw.fill(pChargeMaxGridKw[a], a + 1, a + L);
  pDischargeMaxGridKw.fill(pDischargeMaxGridKw[a], a + 1, a + L);
  if (after <= T) {
    lo.fill(lo[after], after + 1);
    hi.fill(hi[after], after + 1);
  }
}

/*
 * storedMinKwh / storedMaxKwh (session.ts) of one EV from its numbers, with the same arithmetic, so
 * that the bounds below are bit for bit those of the closed form without a closure per EV.
 */
function gMinOf(eFloor: number, eArr: number, eDep: number, c: number, d: number, L: number, dt: number, j: number): number {
  return Math.max(eFloor, eArr - j * d * dt, eDep - (L - j) * c * dt);
}

function gMaxOf(eCeil: number, eArr: number, c: number, dt: number, j: number): number {
  return Math.min(eCeil, eArr + j * c * dt);
}

/**
 * Adds EV `i`'s bounds on its energy gained since boundary 0, x(k), to `lo`/`hi` for k = 0..T.
 * Write G(j) for its stored energy at session boundary j, Gmin/Gmax for the closed-form box.
 *
 * A window inside the grid (arrival boundary a, L periods): x(k) = G(k - a) - E_arrival, clamped to
 * the window, so the box is Gmin/Gmax shifted.
 *
 * A window wrapping past the end of a periodic day: the EV is plugged in over [a, T) and [0, d),
 * d = a + L - T; midnight is session boundary j0 = T - a. In a periodic day the tail [0, d) is the
 * end of the same (repeating) stay, so
 *   x(k) = G(j0 + k) - G(j0)                              for k <= d,
 *   x(k) = G(L) - G(j0)                                   for d <= k <= a,
 *   x(k) = (G(m) - E_arrival) + (G(L) - G(j0)), m = k - a  for k >= a.
 * With interval reachable sets (rates C, D per step, box [Gmin, Gmax]) the extremes are:
 * - first piece: pick G(j0) at its lowest (highest) and climb (fall) at full rate, capped by the box.
 * - last piece, max: the objective never falls as G(m) rises (a rise in G(m) lifts the lowest
 *   reachable G(j0) by at most as much), so G(m) = Gmax(m), then G(j0) as low as it can fall from
 *   there, then full charge to departure. The min is the mirror image.
 * The brute-force test (region.test.ts) enumerates every integer trajectory to confirm these.
 */
export function addCumulativeBounds(s: Sessions, i: number, lo: Float64Array, hi: Float64Array): void {
  cumulativeBounds(
    s.grid.periods, s.grid.dtH, s.start[i], s.length[i], s.eArrivalKwh[i], s.eFloorKwh[i], s.eCeilKwh[i], s.eDepartureKwh[i],
    s.chargeMaxKw[i], s.dischargeMaxKw[i], lo, hi,
  );
}

function cumulativeBounds(
  T: number, dt: number, a: number, L: number, eArr: number, eFloor: number, eCeil: number, eDep: number, c: number, d: number,
  lo: Float64Array, hi: Float64Array,
): void {
  const cStep = c * dt, dStep = d * dt;
  if (a + L <= T) {
    for (let k = a + 1; k <= a + L; k++) {
      lo[k] += gMinOf(eFloor, eArr, eDep, c, d, L, dt, k - a) - eArr;
      hi[k] += gMaxOf(eCeil, eArr, c, dt, k - a) - eArr;
    }
    // After departure the box stays at its last boundary's.
    const loAfter = gMinOf(eFloor, eArr, eDep, c, d, L, dt, L) - eArr, hiAfter = gMaxOf(eCeil, eArr, c, dt, L) - eArr;
    for (let k = a + L + 1; k <= T; k++) {
      lo[k] += loAfter;
      hi[k] += hiAfter;
    }
    return;
  }
  const j0 = T - a, tail = a + L - T;
  const minAtMidnight = gMinOf(eFloor, eArr, eDep, c, d, L, dt, j0), maxAtMidnight = gMaxOf(eCeil, eArr, c, dt, j0);
  for (let k = 1; k <= tail; k++) {
    hi[k] += Math.min(gMaxOf(eCeil, eArr, c, dt, j0 + k) - minAtMidnight, k * cStep);
    lo[k] += Math.max(gMinOf(eFloor, eArr, eDep, c, d, L, dt, j0 + k) - maxAtMidnight, -k * dStep);
  }
  const gMaxL = gMaxOf(eCeil, eArr, c, dt, L), gMinL = gMinOf(eFloor, eArr, eDep, c, d, L, dt, L);
  const tailHi = Math.min(gMaxL - minAtMidnight, tail * cStep);
  const tailLo = Math.max(gMinL - maxAtMidnight, -tail * dStep);
  for (let k = tail + 1; k <= a; k++) {
    hi[k] += tailHi;
    lo[k] += tailLo;
  }
  const tailCharge = tail * cStep, tailDischarge = -tail * dStep;
  for (let k = a + 1; k <= T; k++) {
    const m = k - a;
    const gMaxM = gMaxOf(eCeil, eArr, c, dt, m), gMinM = gMinOf(eFloor, eArr, eDep, c, d, L, dt, m);
    const lowestMidnight = Math.max(minAtMidnight, gMaxM - (j0 - m) * dStep);
    hi[k] += gMaxM - eArr + Math.min(gMaxL - lowestMidnight, tailCharge);
    const highestMidnight = Math.min(maxAtMidnight, gMinM + (j0 - m) * cStep);
    lo[k] += gMinM - eArr + Math.max(gMinL - highestMidnight, tailDischarge);
  }
}
