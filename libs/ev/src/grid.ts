import { InputError } from '@zonal/core';
import type { TimeGrid } from './types';

/**
 * Plugged-in periods of a parking window (SPEC §2): arrival rounded up and departure rounded down to
 * period boundaries; on a periodic day the window wraps past the end of the grid.
 */

/** Tolerance on times expressed in periods: 17.0 h / 0.25 h must give boundary 68, not 69. */
const BOUNDARY_EPS = 1e-9;

export interface GridInfo {
  periods: number;
  dtH: number;
  startH: number;
  horizonH: number;
  /** A 24 h grid: windows wrap modulo the day. */
  periodic: boolean;
}

export function gridInfo(grid: TimeGrid): GridInfo {
  const { periods, dtH } = grid;
  const startH = grid.startH ?? 0;
  if (!Number.isInteger(periods) || periods < 1) throw new InputError(`must be a positive integer, got ${periods}`, 'grid.periods');
  if (!(Number.isFinite(dtH) && dtH > 0)) throw new InputError(`must be a positive number of hours, got ${dtH}`, 'grid.dtH');
  if (!(Number.isFinite(startH) && startH >= 0 && startH < 24)) throw new InputError(`must be in [0, 24), got ${startH}`, 'grid.startH');
  const horizonH = periods * dtH;
  if (horizonH > 24 + 1e-9) throw new InputError(`periods x dtH = ${horizonH} h exceeds one day`, 'grid');
  return { periods, dtH, startH, horizonH, periodic: Math.abs(horizonH - 24) < 1e-9 };
}

export const WINDOW_OK = 0;
export const WINDOW_SHORT = 1;
export const WINDOW_OUTSIDE = 2;

export interface PlugWindow {
  /** First plugged period (0..periods-1); on a periodic day the window may run past the last one. */
  start: number;
  /** Plugged periods; 0 when the EV is dropped. */
  length: number;
  /** WINDOW_OK, WINDOW_SHORT (no whole period inside the window) or WINDOW_OUTSIDE (beyond a horizon). */
  status: number;
  /** Boundaries (in periods from the grid start, unwrapped) of arrival and departure. */
  arrivalBoundary: number;
  departureBoundary: number;
}

export function mod24(h: number): number {
  const m = rem24(rem24(h) + 24);
  return m >= 24 ? 0 : m;
}

/**
 * h % 24, bit for bit, without the floating-point remainder where the answer is a subtraction:
 * clock hours are almost always within a day or two of 0 (a million EVs take several per EV).
 */
export function rem24(h: number): number {
  if (h >= 0) {
    if (h < 24) return h;
    if (h < 48) return h - 24; // exact (Sterbenz): the remainder itself
  } else if (h > -24) return h;
  return h % 24;
}

/** `departureH - arrivalH` must be in (0, 24): the fleet validation guarantees it. */
export function plugWindow(arrivalH: number, departureH: number, g: GridInfo): PlugWindow {
  return plugWindowInto(arrivalH, departureH, g, { start: 0, length: 0, status: WINDOW_OK, arrivalBoundary: 0, departureBoundary: 0 });
}

/** `plugWindow` written into `out` (one scratch object for a whole fleet, no object per EV); returns `out`. */
export function plugWindowInto(arrivalH: number, departureH: number, g: GridInfo, out: PlugWindow): PlugWindow {
  const arrivalOffsetH = mod24(arrivalH - g.startH);
  const departureOffsetH = arrivalOffsetH + (departureH - arrivalH);
  const arrivalBoundary = Math.ceil(arrivalOffsetH / g.dtH - BOUNDARY_EPS) + 0; // + 0: no -0
  const departureBoundary = Math.floor(departureOffsetH / g.dtH + BOUNDARY_EPS);
  const length = Math.max(0, departureBoundary - arrivalBoundary);
  out.arrivalBoundary = arrivalBoundary;
  out.departureBoundary = departureBoundary;
  out.start = 0;
  out.length = length;
  out.status = WINDOW_OK;
  if (length === 0) out.status = WINDOW_SHORT;
  else if (g.periodic) out.start = arrivalBoundary % g.periods;
  else if (departureBoundary > g.periods) {
    out.length = 0;
    out.status = WINDOW_OUTSIDE;
  } else out.start = arrivalBoundary;
  return out;
}

/** "HH:MM" of a clock time in hours. */
export function clock(h: number): string {
  const minutes = Math.round(mod24(h) * 60) % (24 * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Clock time of a boundary counted from the grid start. */
export function boundaryClock(boundary: number, g: GridInfo): string {
  return clock(g.startH + boundary * g.dtH);
}
