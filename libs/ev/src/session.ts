import type { Fleet } from './fleet';
import { boundaryClock, clock, gridInfo, plugWindow, WINDOW_OUTSIDE, WINDOW_SHORT, type GridInfo } from './grid';
import type { EvProblem, EvProblemKind, TimeGrid } from './types';

/**
 * Each EV's parking session on a time grid, in the units the algorithms use: stored energies (kWh)
 * and battery-side power limits (kW). Session boundary `j` (0..length) is `j` periods after the
 * plugged-in arrival boundary; session period `j` is day period `(start + j) % periods`.
 */
export interface Sessions {
  grid: GridInfo;
  size: number;
  start: Int32Array;
  length: Int32Array;
  /** 0 = schedulable; otherwise PROBLEM_SHORT, PROBLEM_OUTSIDE or PROBLEM_UNREACHABLE. */
  problem: Uint8Array;
  eArrivalKwh: Float64Array;
  /** socMin * capacity. */
  eFloorKwh: Float64Array;
  /** socMax * capacity. */
  eCeilKwh: Float64Array;
  /** Energy to hold at departure: max(socTarget, socMin) * capacity. */
  eDepartureKwh: Float64Array;
  chargeMaxKw: Float64Array;
  /** 0 unless V2G-enrolled. */
  dischargeMaxKw: Float64Array;
  /** Departure boundary counted from the grid start (unwrapped), for messages. */
  departureBoundary: Int32Array;
}

export const PROBLEM_NONE = 0;
export const PROBLEM_SHORT = 1;
export const PROBLEM_OUTSIDE = 2;
export const PROBLEM_UNREACHABLE = 3;

/** Relative slack on "can it reach its target": a target met to 1e-9 kWh is met. */
const FEASIBILITY_EPS_KWH = 1e-9;

export function sessions(fleet: Fleet, grid: TimeGrid): Sessions {
  const g = gridInfo(grid);
  const n = fleet.size;
  const s: Sessions = {
    grid: g, size: n, start: new Int32Array(n), length: new Int32Array(n), problem: new Uint8Array(n),
    eArrivalKwh: new Float64Array(n), eFloorKwh: new Float64Array(n), eCeilKwh: new Float64Array(n),
    eDepartureKwh: new Float64Array(n), chargeMaxKw: new Float64Array(n), dischargeMaxKw: new Float64Array(n),
    departureBoundary: new Int32Array(n),
  };
  for (let i = 0; i < n; i++) {
    const cap = fleet.capacityKwh[i];
    s.eArrivalKwh[i] = fleet.socArrival[i] * cap;
    s.eFloorKwh[i] = fleet.socMin[i] * cap;
    s.eCeilKwh[i] = fleet.socMax[i] * cap;
    s.eDepartureKwh[i] = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
    s.chargeMaxKw[i] = fleet.pChargeMaxKw[i];
    s.dischargeMaxKw[i] = fleet.v2g[i] ? fleet.pDischargeMaxKw[i] : 0;
    const w = plugWindow(fleet.arrivalH[i], fleet.departureH[i], g);
    s.start[i] = w.start;
    s.length[i] = w.length;
    s.departureBoundary[i] = w.departureBoundary;
    if (w.status === WINDOW_SHORT) s.problem[i] = PROBLEM_SHORT;
    else if (w.status === WINDOW_OUTSIDE) s.problem[i] = PROBLEM_OUTSIDE;
    else if (neededKwh(s, i) > chargeableKwh(s, i) + FEASIBILITY_EPS_KWH * (1 + s.eDepartureKwh[i])) s.problem[i] = PROBLEM_UNREACHABLE;
  }
  return s;
}

/** Energy the EV must add between arrival and departure (0 if it arrives with enough). */
export function neededKwh(s: Sessions, i: number): number {
  return Math.max(0, s.eDepartureKwh[i] - s.eArrivalKwh[i]);
}

/** Energy it can add at full power over its plugged periods. */
export function chargeableKwh(s: Sessions, i: number): number {
  return s.length[i] * s.chargeMaxKw[i] * s.grid.dtH;
}

/**
 * Seed 003 §3.2 closed form, upper boundary: stored energy after charging at full power since
 * arrival, capped by socMax. Exact: every value up to it is reachable and can still meet the target.
 */
export function storedMaxKwh(s: Sessions, i: number, j: number): number {
  return Math.min(s.eCeilKwh[i], s.eArrivalKwh[i] + j * s.chargeMaxKw[i] * s.grid.dtH);
}

/**
 * Lower boundary: no lower than socMin, than full discharge since arrival allows (V2G; arrival
 * energy otherwise), or than full-power charging from here can still lift to the departure target.
 */
export function storedMinKwh(s: Sessions, i: number, j: number): number {
  const dt = s.grid.dtH;
  return Math.max(
    s.eFloorKwh[i],
    s.eArrivalKwh[i] - j * s.dischargeMaxKw[i] * dt,
    s.eDepartureKwh[i] - (s.length[i] - j) * s.chargeMaxKw[i] * dt,
  );
}

const KIND: Record<number, EvProblemKind> = {
  [PROBLEM_SHORT]: 'short-dwell',
  [PROBLEM_OUTSIDE]: 'outside-horizon',
  [PROBLEM_UNREACHABLE]: 'target-unreachable',
};

/** Numbers for a message: one decimal, more only when needed to tell two numbers apart. */
function kwh(x: number, other: number): string {
  for (const digits of [0, 1, 2, 3]) {
    const a = x.toFixed(digits), b = other.toFixed(digits);
    if (a !== b) return String(Number(a));
  }
  return String(Number(x.toFixed(3)));
}

export function problemMessage(fleet: Fleet, s: Sessions, i: number): string {
  const id = fleet.id[i];
  const window = `${clock(fleet.arrivalH[i])}–${clock(fleet.departureH[i])}`;
  switch (s.problem[i]) {
    case PROBLEM_SHORT:
      return `EV ${id} is parked ${window}, which holds no whole ${s.grid.dtH * 60}-minute period: dropped`;
    case PROBLEM_OUTSIDE:
      return `EV ${id} is parked ${window}, beyond the ${s.grid.horizonH} h horizon from ${clock(s.grid.startH)}: dropped`;
    case PROBLEM_UNREACHABLE: {
      const need = neededKwh(s, i), can = chargeableKwh(s, i);
      const soc = Number((Math.max(fleet.socTarget[i], fleet.socMin[i]) * 100).toFixed(1));
      return `EV ${id} cannot reach ${soc}% SOC by ${boundaryClock(s.departureBoundary[i], s.grid)}: ` +
        `needs ${kwh(need, can)} kWh, can charge ${kwh(can, need)} kWh`;
    }
    default:
      return '';
  }
}

/** Every EV that is left out, with the reason. */
export function problems(fleet: Fleet, s: Sessions): EvProblem[] {
  const out: EvProblem[] = [];
  for (let i = 0; i < s.size; i++) {
    if (s.problem[i] !== 0) out.push({ index: i, id: fleet.id[i], kind: KIND[s.problem[i]], message: problemMessage(fleet, s, i) });
  }
  return out;
}
