import type { Fleet } from './fleet';
import { boundaryClock, clock, gridInfo, plugWindowInto, WINDOW_OK, WINDOW_OUTSIDE, WINDOW_SHORT, type GridInfo, type PlugWindow } from './grid';
import { f64, i32, u8, type Scratch } from './scratch';
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

/**
 * Sessions of a fleet. With `shiftPeriods`, EV i's stay is read on a day rotated by shiftPeriods[i]
 * periods (arrival and departure moved back by that many periods' hours, as an envelope group
 * anchored there sees it, groups.ts); energies and power limits do not depend on it.
 */
export function sessions(fleet: Fleet, grid: TimeGrid, shiftPeriods?: ArrayLike<number>, scratch?: Scratch): Sessions {
  const g = gridInfo(grid);
  const n = fleet.size;
  // With `scratch`, views of its arrays (valid until the next call with it), under names of their own.
  const s: Sessions = {
    grid: g, size: n, start: i32(scratch, 'fleet.start', n), length: i32(scratch, 'fleet.length', n), problem: u8(scratch, 'fleet.problem', n),
    eArrivalKwh: f64(scratch, 'fleet.eArrival', n), eFloorKwh: f64(scratch, 'fleet.eFloor', n), eCeilKwh: f64(scratch, 'fleet.eCeil', n),
    eDepartureKwh: f64(scratch, 'fleet.eDeparture', n), chargeMaxKw: f64(scratch, 'fleet.chargeMax', n), dischargeMaxKw: f64(scratch, 'fleet.dischargeMax', n),
    departureBoundary: i32(scratch, 'fleet.departureBoundary', n),
  };
  const w: PlugWindow = { start: 0, length: 0, status: WINDOW_OK, arrivalBoundary: 0, departureBoundary: 0 };
  const rec = new Float64Array(PACKED_SESSION);
  for (let i = 0; i < n; i++) {
    writeSessionRecord(fleet, i, g, shiftPeriods ? shiftPeriods[i] * g.dtH : 0, w, rec, 0);
    s.start[i] = rec[0];
    s.length[i] = rec[1];
    s.problem[i] = rec[2];
    s.eArrivalKwh[i] = rec[3];
    s.eFloorKwh[i] = rec[4];
    s.eCeilKwh[i] = rec[5];
    s.eDepartureKwh[i] = rec[6];
    s.chargeMaxKw[i] = rec[7];
    s.dischargeMaxKw[i] = rec[8];
    s.departureBoundary[i] = rec[9];
  }
  return s;
}

/**
 * EV i's session (on a day rotated back by `shiftH` hours) as one record of PACKED_SESSION numbers
 * at rec[r..]: what `sessions` holds for it. `w` is scratch.
 */
export function writeSessionRecord(fleet: Fleet, i: number, g: GridInfo, shiftH: number, w: PlugWindow, rec: Float64Array, r: number): void {
  const cap = fleet.capacityKwh[i];
  const eArrival = fleet.socArrival[i] * cap, eDeparture = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
  const chargeMax = fleet.pChargeMaxKw[i];
  plugWindowInto(fleet.arrivalH[i] - shiftH, fleet.departureH[i] - shiftH, g, w);
  let problem = PROBLEM_NONE;
  if (w.status === WINDOW_SHORT) problem = PROBLEM_SHORT;
  else if (w.status === WINDOW_OUTSIDE) problem = PROBLEM_OUTSIDE;
  // neededKwh > chargeableKwh + slack
  else if (Math.max(0, eDeparture - eArrival) > w.length * chargeMax * g.dtH + FEASIBILITY_EPS_KWH * (1 + eDeparture)) problem = PROBLEM_UNREACHABLE;
  rec[r] = w.start;
  rec[r + 1] = w.length;
  rec[r + 2] = problem;
  rec[r + 3] = eArrival;
  rec[r + 4] = fleet.socMin[i] * cap;
  rec[r + 5] = fleet.socMax[i] * cap;
  rec[r + 6] = eDeparture;
  rec[r + 7] = chargeMax;
  rec[r + 8] = fleet.v2g[i] ? fleet.pDischargeMaxKw[i] : 0;
  rec[r + 9] = w.departureBoundary;
}

/** Numbers per EV in writeSessionRecord's layout: start, length, problem, eArrival, eFloor, eCeil, eDeparture, chargeMax, dischargeMax, departureBoundary. */
export const PACKED_SESSION = 10;

/**
 * The sessions of the EVs at `indices` (positions in `s`), in that order: what `sessions` gives for
 * that subset of the fleet. With `scratch`, its arrays are views valid until the next such call.
 */
export function subsetSessions(s: Sessions, indices: ArrayLike<number>, scratch?: Scratch): Sessions {
  const n = indices.length;
  const out: Sessions = {
    grid: s.grid, size: n, start: i32(scratch, 'ses.start', n), length: i32(scratch, 'ses.length', n), problem: u8(scratch, 'ses.problem', n),
    eArrivalKwh: f64(scratch, 'ses.eArrival', n), eFloorKwh: f64(scratch, 'ses.eFloor', n), eCeilKwh: f64(scratch, 'ses.eCeil', n),
    eDepartureKwh: f64(scratch, 'ses.eDeparture', n), chargeMaxKw: f64(scratch, 'ses.chargeMax', n), dischargeMaxKw: f64(scratch, 'ses.dischargeMax', n),
    departureBoundary: i32(scratch, 'ses.departureBoundary', n),
  };
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    out.start[k] = s.start[i];
    out.length[k] = s.length[i];
    out.problem[k] = s.problem[i];
    out.eArrivalKwh[k] = s.eArrivalKwh[i];
    out.eFloorKwh[k] = s.eFloorKwh[i];
    out.eCeilKwh[k] = s.eCeilKwh[i];
    out.eDepartureKwh[k] = s.eDepartureKwh[i];
    out.chargeMaxKw[k] = s.chargeMaxKw[i];
    out.dischargeMaxKw[k] = s.dischargeMaxKw[i];
    out.departureBoundary[k] = s.departureBoundary[i];
  }
  return out;
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

/**
 * Why EV `i` is left out, in words. `shiftH`: the hours its stay was moved back by (`sessions`'
 * `shiftPeriods` × dt), so the clock times read as the rotated day the sessions were computed on.
 */
export function problemMessage(fleet: Fleet, s: Sessions, i: number, shiftH?: number): string {
  const id = fleet.id[i];
  const arrivalH = shiftH === undefined ? fleet.arrivalH[i] : fleet.arrivalH[i] - shiftH;
  const departureH = shiftH === undefined ? fleet.departureH[i] : fleet.departureH[i] - shiftH;
  const window = `${clock(arrivalH)}–${clock(departureH)}`;
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

/** The kind of problem EV `i` has (its `s.problem` code in words). */
export function problemKind(s: Sessions, i: number): EvProblemKind {
  return KIND[s.problem[i]];
}

/** Every EV that is left out, with the reason. */
export function problems(fleet: Fleet, s: Sessions): EvProblem[] {
  const out: EvProblem[] = [];
  for (let i = 0; i < s.size; i++) {
    if (s.problem[i] !== 0) out.push({ index: i, id: fleet.id[i], kind: KIND[s.problem[i]], message: problemMessage(fleet, s, i) });
  }
  return out;
}
