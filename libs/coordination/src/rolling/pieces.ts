import { InputError } from '@zonal/core';
import { gridInfo, plugWindow, type EvSpec, type Fleet, type TimeGrid } from '@zonal/ev';

/**
 * A rolling window's fleet is made of *pieces*: plug-in stays on the day's period boundaries, each
 * with the energy it holds when it starts and the energy it must hold when it ends. A session that
 * has arrived becomes a piece from the window's first boundary with the energy it holds then; a
 * session across the grid's start (parked overnight on the periodic day) becomes, once 00:00 is
 * past, a morning piece (to its departure) and an evening piece (from its arrival to the end of the
 * day, ending at the energy it held at 00:00: the periodic day's continuity).
 *
 * Boundaries are counted from the grid's start: `start` in 0..T−1, `end` after it by less than a
 * day. Only a whole session at boundary 0 has `end` > T (a stay across the end of the grid).
 */
export interface Piece {
  ev: EvBattery;
  start: number;
  end: number;
  /** Stored energy at `start`, and the least it must hold at `end` (kWh, battery side). */
  eStartKwh: number;
  eEndKwh: number;
  source: PieceSource;
}

/** Whose stay a piece is: a realised EV (its index in the zone's realised day, and which part), or a forecast session. */
export type PieceSource =
  | { kind: 'realised'; index: number; part: 'stay' | 'morning' | 'evening' }
  | { kind: 'forecast'; index: number };

/** An EV's battery and charger as a session carries them (libs/ev types.ts units). */
export interface EvBattery {
  id: string;
  bus: number;
  capacityKwh: number;
  pChargeMaxKw: number;
  pDischargeMaxKw: number;
  eta: number;
  socMin: number;
  socMax: number;
  v2g: boolean;
  socDependent?: { breakpointKwh: number; pAboveKw: number };
}

/** A piece's battery-side schedule over the day's periods (kW; zero where it is not plugged in). */
export interface PieceSchedule {
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
}

export function batteryOf(fleet: Fleet, i: number): EvBattery {
  const b: EvBattery = {
    id: fleet.id[i], bus: fleet.bus[i], capacityKwh: fleet.capacityKwh[i], pChargeMaxKw: fleet.pChargeMaxKw[i],
    pDischargeMaxKw: fleet.pDischargeMaxKw[i], eta: fleet.eta[i], socMin: fleet.socMin[i], socMax: fleet.socMax[i], v2g: fleet.v2g[i] === 1,
  };
  if (!Number.isNaN(fleet.socBreakpointKwh[i])) b.socDependent = { breakpointKwh: fleet.socBreakpointKwh[i], pAboveKw: fleet.pChargeAboveKw[i] };
  return b;
}

/**
 * EV `i`'s stay on the grid's boundaries (SPEC §2: arrival rounded up, departure rounded down), or
 * null when it holds no whole period. `start` in 0..T−1; `end` − `start` < T periods.
 */
export function stayOf(fleet: Fleet, i: number, grid: TimeGrid): { start: number; end: number } | null {
  const g = gridInfo(grid);
  const w = plugWindow(fleet.arrivalH[i], fleet.departureH[i], g);
  if (w.length === 0) return null;
  if (!g.periodic) throw new InputError('a rolling horizon runs on the periodic day (periods × dtH = 24 h)', 'time');
  const start = w.arrivalBoundary % g.periods;
  return { start, end: start + w.length };
}

/** EV `i`'s whole session as a piece (null when it holds no whole period). */
export function sessionPiece(fleet: Fleet, i: number, grid: TimeGrid, source: PieceSource): Piece | null {
  const stay = stayOf(fleet, i, grid);
  if (!stay) return null;
  const cap = fleet.capacityKwh[i];
  return {
    ev: batteryOf(fleet, i), ...stay, source,
    eStartKwh: fleet.socArrival[i] * cap, eEndKwh: Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap,
  };
}

/**
 * `eStart` plus the battery-side energy a schedule moves over boundaries `from`..`to` (unwrapped: a
 * boundary past T is the next morning's). Summed period by period from `from`, always in the same
 * order, so that the zone's realised state and the plan's expectation agree to the last bit.
 */
export function energyAfter(eStartKwh: number, s: PieceSchedule, from: number, to: number, dtH: number): number {
  const T = s.chargeKw.length;
  let e = eStartKwh;
  for (let u = from; u < to; u++) e = step(e, s, u % T, dtH);
  return e;
}

/** Stored energy after period `t` of a schedule from `e` (SPEC §2, battery side). */
export function step(e: number, s: PieceSchedule, t: number, dtH: number): number {
  return e + (s.chargeKw[t] - s.dischargeKw[t]) * dtH;
}

/**
 * What a piece planned with schedule `s` has become at boundary `k` (`k` ≥ its plan's window start):
 * gone once it has ended; unchanged before it starts; else from `k` with the energy the schedule
 * gives it there. A stay across 00:00 (whole only at boundary 0) splits past 00:00 into its morning
 * and evening pieces, the evening ending at the energy it held at 00:00.
 */
export function advance(p: Piece, s: PieceSchedule, k: number, T: number, dtH: number): Piece[] {
  if (k === 0) return [p];
  if (p.end <= T) {
    if (p.end <= k) return [];
    if (p.start >= k) return [p];
    return [{ ...p, start: k, eStartKwh: energyAfter(p.eStartKwh, s, p.start, k, dtH) }];
  }
  const part = (which: 'morning' | 'evening'): PieceSource => (p.source.kind === 'realised' ? { ...p.source, part: which } : p.source);
  const morningEnd = p.end - T;
  const e0 = energyAfter(p.eStartKwh, s, p.start, T, dtH);
  const out: Piece[] = [];
  if (morningEnd > k) out.push({ ...p, start: k, end: morningEnd, eStartKwh: energyAfter(p.eStartKwh, s, p.start, T + k, dtH), source: part('morning') });
  if (p.start > k) out.push({ ...p, end: T, eEndKwh: e0, source: part('evening') });
  else out.push({ ...p, start: k, end: T, eStartKwh: energyAfter(p.eStartKwh, s, p.start, k, dtH), eEndKwh: e0, source: part('evening') });
  return out;
}

/**
 * A piece as an EV of the window's fleet: plugged exactly from boundary `start` to `end`, arriving
 * with `eStartKwh` and leaving with at least `eEndKwh` (SOCs within 1e-9 kWh of the battery's bounds
 * are put on them: rounding of a schedule that ran along a bound).
 */
export function pieceSpec(p: Piece, dtH: number, id: string): EvSpec {
  const { ev } = p, cap = ev.capacityKwh;
  const soc = (kwh: number, what: string) => {
    const lo = ev.socMin * cap, hi = ev.socMax * cap;
    if (kwh < lo - 1e-6 || kwh > hi + 1e-6) throw new InputError(`${what} ${kwh.toFixed(6)} kWh is outside [${lo}, ${hi}] kWh`, `EV ${ev.id}`);
    return Math.min(hi, Math.max(lo, kwh)) / cap;
  };
  const spec: EvSpec = {
    id, bus: ev.bus, arrivalH: p.start * dtH, departureH: p.end * dtH, capacityKwh: cap,
    pChargeMaxKw: ev.pChargeMaxKw, pDischargeMaxKw: ev.pDischargeMaxKw, eta: ev.eta, socMin: ev.socMin, socMax: ev.socMax,
    socArrival: soc(p.eStartKwh, 'stored energy'), socTarget: Math.min(ev.socMax, Math.max(0, p.eEndKwh / cap)), v2g: ev.v2g,
  };
  if (ev.socDependent) spec.socDependent = { ...ev.socDependent };
  return spec;
}

/**
 * What tells two pieces apart for the zone's "is my window what my plan expected?" (its bus, stay,
 * energies to 1e-6 kWh, battery and charger): the EV's id is not in it, since a realised EV that
 * turns up exactly as a forecast one is, to the plan, that forecast session.
 */
export function pieceKey(p: Piece): string {
  const e = p.ev;
  return [e.bus, p.start, p.end, p.eStartKwh.toFixed(6), p.eEndKwh.toFixed(6), e.capacityKwh, e.pChargeMaxKw, e.pDischargeMaxKw, e.eta, e.socMin, e.socMax, e.v2g ? 1 : 0,
    e.socDependent ? `${e.socDependent.breakpointKwh}/${e.socDependent.pAboveKw}` : ''].join('|');
}

/**
 * When `actual` is `expected` as a multiset of pieces (`pieceKey`), the schedule of the expected
 * piece each actual one matches (so a plan can carry over to the EVs it was made for); else null.
 */
export function matchPieces(actual: readonly Piece[], expected: ReadonlyArray<{ piece: Piece; schedule: PieceSchedule }>): PieceSchedule[] | null {
  if (actual.length !== expected.length) return null;
  const byKey = new Map<string, PieceSchedule[]>();
  for (const { piece, schedule } of expected) {
    const key = pieceKey(piece);
    const same = byKey.get(key);
    if (same) same.push(schedule);
    else byKey.set(key, [schedule]);
  }
  const out: PieceSchedule[] = [];
  for (const p of actual) {
    const left = byKey.get(pieceKey(p));
    if (!left?.length) return null;
    out.push(left.pop()!);
  }
  return out;
}
