import { InputError } from '@zonal/core';
import type { TimeGrid } from '@zonal/ev';
import type { ModelBuilder, VarBlock } from '@zonal/solver';

/**
 * The commuter EV of seed 000 §3 (eq 3–9): plugged in over several daily windows (10:00–15:00 and
 * 19:00–06:00 in the seed's Table 1), driving a trip between them, on a cyclic day (E[24] = E[0]).
 * Powers are grid side as in the seed (eq 1 adds P_c and P_dc to the load; eq 3–4 store
 * eta·P_c and release P_dc/eta), so the charger limits of eq 7–8 bound grid power.
 *
 * Identical EVs aggregate exactly in an LP: the fleet optimum of a convex model is attained with
 * every EV doing the average schedule, so ONE representative EV scaled by the count is modelled.
 */
export interface CommuterEv {
  capacityKwh: number;
  pChargeMaxGridKw: number;
  pDischargeMaxGridKw: number;
  eta: number;
  socMin: number;
  socMax: number;
  /** Stored energy required at every departure (the seed's "minimum battery capacity before travel"). */
  departureMinKwh: number;
}

export interface Window {
  fromH: number;
  /** At or before fromH: the window runs past midnight (equal to fromH: all day). */
  toH: number;
}

export interface Trip {
  atH: number;
  kwh: number;
}

/** The day's plug-in pattern on a grid: which periods, where it departs, what each boundary's trip takes. */
export interface CommuterDay {
  plugged: boolean[];
  /** Boundaries k where the EV leaves (plugged in period k-1, not in k). */
  departures: number[];
  /** Energy driven away at boundary k (deducted before period k). */
  tripKwh: Float64Array;
}

const EPS = 1e-9;

function wrap24(h: number): number {
  const m = ((h % 24) + 24) % 24;
  return m > 24 - EPS ? 0 : m;
}

/** Hours a window lasts: toH at or before fromH runs past midnight (equal: the whole day). */
function windowH(w: Window): number {
  return w.toH > w.fromH ? w.toH - w.fromH : w.toH - w.fromH + 24;
}

/** A period is plugged in when a whole window covers it (SPEC §2: arrival rounded up, departure down). */
export function commuterDay(grid: TimeGrid, windows: readonly Window[], trips: readonly Trip[]): CommuterDay {
  const T = grid.periods, dt = grid.dtH;
  const covers = (w: Window, t: number) => wrap24(t * dt - w.fromH) + dt <= windowH(w) + EPS;
  windows.forEach((w, i) => {
    if (!Array.from({ length: T }, (_, t) => covers(w, t)).some(Boolean)) {
      throw new InputError(`window ${w.fromH}–${w.toH} h holds no whole period of ${dt} h`, `onGrid[${i}]`);
    }
  });
  const plugged = Array.from({ length: T }, (_, t) => windows.some((w) => covers(w, t)));
  const departures: number[] = [];
  for (let k = 0; k < T; k++) if (plugged[(k - 1 + T) % T] && !plugged[k]) departures.push(k);
  const tripKwh = new Float64Array(T);
  trips.forEach((trip, i) => {
    const h = wrap24(trip.atH);
    if (Math.abs(Math.round(h / dt) * dt - h) > EPS) {
      throw new InputError(`${trip.atH} h is not a period boundary of the ${dt} h grid`, `trips[${i}].atH`);
    }
    const k = Math.round(h / dt) % T;
    if (plugged[(k - 1 + T) % T] && plugged[k]) {
      throw new InputError(`${trip.atH} h falls inside an on-grid window: a trip needs the EV unplugged`, `trips[${i}].atH`);
    }
    tripKwh[k] += trip.kwh;
  });
  return { plugged, departures, tripKwh };
}

export interface CommuterVars {
  /** Grid-side power of the representative EV per period (kW). */
  chargeGridKw: VarBlock;
  dischargeGridKw: VarBlock;
  /** Stored energy at boundaries 0..T-1 (boundary T is boundary 0: the day is cyclic). */
  energyKwh: VarBlock;
}

/** Adds one representative EV's cyclic day (seed 000 eq 3–9) to a model; `tag` keeps groups apart. */
export function addCommuterEv(m: ModelBuilder, ev: CommuterEv, day: CommuterDay, grid: TimeGrid, tag = ''): CommuterVars {
  const T = grid.periods, dt = grid.dtH;
  const eMin = ev.socMin * ev.capacityKwh, eMax = ev.socMax * ev.capacityKwh;
  const departs = new Set(day.departures);
  const chargeGridKw = m.addVars(`chargeGridKw${tag}`, [T], ([t]) => ({ lb: 0, ub: day.plugged[t] ? ev.pChargeMaxGridKw : 0 }));
  const dischargeGridKw = m.addVars(`dischargeGridKw${tag}`, [T], ([t]) => ({ lb: 0, ub: day.plugged[t] ? ev.pDischargeMaxGridKw : 0 }));
  // Eq 5 and 6 as bounds: the energy at a departure meets the travel reserve, and what a trip
  // leaves behind still respects the deep-discharge floor.
  const energyKwh = m.addVars(`energyKwh${tag}`, [T], ([k]) => ({
    lb: Math.max(eMin + day.tripKwh[k], departs.has(k) ? ev.departureMinKwh : eMin),
    ub: eMax,
  }));
  for (let t = 0; t < T; t++) {
    m.addConstraint(`soc${tag}`, [t], [energyKwh.at((t + 1) % T), energyKwh.at(t), chargeGridKw.at(t), dischargeGridKw.at(t)],
      [1, -1, -ev.eta * dt, dt / ev.eta], '=', -day.tripKwh[t]);
  }
  return { chargeGridKw, dischargeGridKw, energyKwh };
}
