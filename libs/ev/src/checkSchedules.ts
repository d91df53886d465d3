import { socDependentLimitOf, type Fleet } from './fleet';
import type { EvSchedules } from './schedules';
import { socDependentReachKwh, type SocDependentLimit } from './socDependent';
import { rem24 } from './grid';
import type { TimeGrid } from './types';

/**
 * Proves every EV's schedule feasible, from the EV's own data and nothing the scheduler computed:
 * which periods it is plugged in (tested period by period against the parking window, not by the
 * rounding the scheduler uses), charger limits, no charging and discharging in one period, stored
 * energy within [socMin, socMax] at every boundary, the target held at departure, the SOC-dependent
 * limit of an EV that has one (by events within the period, not by LP rows, which are exact only for
 * long periods), and that every EV left without a schedule really could not have had one.
 */
export interface ScheduleViolation {
  index: number;
  id: string;
  message: string;
}

export interface ScheduleCheck {
  ok: boolean;
  /** EVs with a schedule that were simulated. */
  scheduledEvs: number;
  /** EVs without a schedule, confirmed unschedulable. */
  leftOutEvs: number;
  violationCount: number;
  /** The first violations (at most 50). */
  violations: ScheduleViolation[];
}

export interface CheckTolerances {
  /** Power slack (kW), default 1e-6. */
  kw?: number;
  /** Energy slack (kWh), default 1e-6. */
  kwh?: number;
}

const MAX_LISTED = 50;

function wrapDay(h: number): number {
  let m = rem24(h);
  if (m < 0) m += 24;
  return m >= 24 - 1e-9 ? 0 : m;
}

/**
 * Day periods the EV is plugged in for, in time order from arrival (none if outside a horizon), into
 * `out`; returns how many. Each period is tested on its own against the parking window; `since` is
 * scratch (hours from arrival to each period's start).
 */
export function pluggedPeriods(fleet: Fleet, i: number, grid: TimeGrid, since: Float64Array, out: Int32Array): number {
  const { periods, dtH } = grid;
  const startH = grid.startH ?? 0;
  const stayH = fleet.departureH[i] - fleet.arrivalH[i];
  const periodic = Math.abs(periods * dtH - 24) < 1e-9;
  // A horizon shorter than a day holds only stays whose departure, rounded down to a period
  // boundary, falls inside it (an EV leaving at 08:10 has its target due at 08:00).
  if (!periodic && Math.floor((wrapDay(fleet.arrivalH[i] - startH) + stayH) / dtH + 1e-9) > periods) return 0;
  let count = 0, drop = -1, drops = 0;
  for (let t = 0; t < periods; t++) {
    const sinceArrivalH = wrapDay(startH + t * dtH - fleet.arrivalH[i]);
    if (sinceArrivalH + dtH <= stayH + 1e-9) {
      if (count > 0 && sinceArrivalH < since[count - 1]) {
        drop = count;
        drops++;
      }
      since[count] = sinceArrivalH;
      out[count++] = t;
    }
  }
  if (drops === 0) return count;
  // In period order the hours since arrival rise, wrap once past 24 h and rise again: from the wrap
  // on is time order. Anything else (never seen) is sorted as it is.
  if (drops === 1 && since[count - 1] < since[0]) {
    const head = out.slice(0, drop);
    out.copyWithin(0, drop, count);
    out.set(head, count - drop);
    return count;
  }
  const sorted = Array.from(out.subarray(0, count), (t, k) => ({ t, h: since[k] })).sort((x, y) => x.h - y.h);
  sorted.forEach((p, k) => { out[k] = p.t; });
  return count;
}

function curveText(l: SocDependentLimit): string {
  return `(${l.pBelowKw} kW below ${l.breakpointKwh} kWh, ${l.pAboveKw} kW above)`;
}

/** Stored energy after charging at the curve's limit for `periods` periods from `eKwh`. */
function fullChargeKwh(l: SocDependentLimit, eKwh: number, periods: number, dtH: number): number {
  let e = eKwh;
  for (let k = 0; k < periods; k++) e = socDependentReachKwh(l, e, dtH, true);
  return e;
}

export function checkSchedules(fleet: Fleet, grid: TimeGrid, schedules: EvSchedules, tol: CheckTolerances = {}): ScheduleCheck {
  const tolKw = tol.kw ?? 1e-6, tolKwh = tol.kwh ?? 1e-6;
  const result: ScheduleCheck = { ok: true, scheduledEvs: 0, leftOutEvs: 0, violationCount: 0, violations: [] };
  const flag = (i: number, message: string): void => {
    result.ok = false;
    result.violationCount++;
    if (result.violations.length < MAX_LISTED) result.violations.push({ index: i, id: fleet.id[i], message: `EV ${fleet.id[i]}: ${message}` });
  };
  if (schedules.periods !== grid.periods || schedules.offset.length !== fleet.size + 1) {
    flag(0, `the schedules are for ${schedules.offset.length - 1} EVs x ${schedules.periods} periods, not ${fleet.size} x ${grid.periods}`);
    return result;
  }
  const dt = grid.dtH;
  const since = new Float64Array(grid.periods), plugged = new Int32Array(grid.periods);
  for (let i = 0; i < fleet.size; i++) {
    const pluggedCount = pluggedPeriods(fleet, i, grid, since, plugged);
    const cap = fleet.capacityKwh[i];
    const eMin = fleet.socMin[i] * cap, eMax = fleet.socMax[i] * cap;
    const eDeparture = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
    const chargeMax = fleet.pChargeMaxKw[i], dischargeMax = fleet.v2g[i] ? fleet.pDischargeMaxKw[i] : 0;
    const curve = socDependentLimitOf(fleet, i);
    // Discharging above the breakpoint is cut by the charging curve's ratio (socDependent.ts, SPEC §6).
    const dischargeCurve: SocDependentLimit | null = curve && { ...curve, pBelowKw: dischargeMax, pAboveKw: (dischargeMax * curve.pAboveKw) / curve.pBelowKw };
    const from = schedules.offset[i], to = schedules.offset[i + 1];
    if (to === from) {
      const reachableKwh = curve
        ? fullChargeKwh(curve, fleet.socArrival[i] * cap, pluggedCount, dt)
        : fleet.socArrival[i] * cap + pluggedCount * chargeMax * dt;
      // Within the tolerance either way, leaving the EV out is as right as scheduling it.
      if (pluggedCount === 0 || reachableKwh < eDeparture + tolKwh) result.leftOutEvs++;
      else flag(i, `left without a schedule although it can reach ${eDeparture} kWh (up to ${reachableKwh} kWh)`);
      continue;
    }
    result.scheduledEvs++;
    if (to - from !== pluggedCount || schedules.start[i] !== plugged[0]) {
      flag(i, `the schedule covers ${to - from} periods from period ${schedules.start[i]}, but the EV is plugged in for ` +
        `${pluggedCount} from period ${pluggedCount > 0 ? plugged[0] : 'none'}`);
      continue;
    }
    let e = fleet.socArrival[i] * cap;
    for (let k = 0; k < pluggedCount; k++) {
      const c = schedules.chargeKw[from + k], d = schedules.dischargeKw[from + k];
      if (!Number.isFinite(c) || !Number.isFinite(d)) { flag(i, `period ${plugged[k]}: power is not a number (${c}, ${d})`); break; }
      if (c < -tolKw || d < -tolKw) flag(i, `period ${plugged[k]}: negative power (charge ${c} kW, discharge ${d} kW)`);
      if (c > chargeMax + tolKw) flag(i, `period ${plugged[k]}: charges ${c} kW, above its ${chargeMax} kW limit`);
      if (d > dischargeMax + tolKw) flag(i, `period ${plugged[k]}: discharges ${d} kW, above its ${dischargeMax} kW limit`);
      if (c > tolKw && d > tolKw) flag(i, `period ${plugged[k]}: charges (${c} kW) and discharges (${d} kW) at once`);
      const before = e;
      e += (c - d) * dt;
      if (curve && c > tolKw) {
        const highest = socDependentReachKwh(curve, before, dt, true);
        if (e > highest + tolKwh) flag(i, `period ${plugged[k]}: charges ${c} kW from ${before} to ${e} kWh, above the ${highest} kWh its SOC-dependent limit allows ${curveText(curve)}`);
      }
      if (dischargeCurve && d > tolKw) {
        const lowest = socDependentReachKwh(dischargeCurve, before, dt, false);
        if (e < lowest - tolKwh) flag(i, `period ${plugged[k]}: discharges ${d} kW from ${before} to ${e} kWh, below the ${lowest} kWh its SOC-dependent limit allows ${curveText(dischargeCurve)}`);
      }
      if (e < eMin - tolKwh) flag(i, `period ${plugged[k]}: stored energy ${e} kWh falls below socMin (${eMin} kWh)`);
      if (e > eMax + tolKwh) flag(i, `period ${plugged[k]}: stored energy ${e} kWh rises above socMax (${eMax} kWh)`);
    }
    if (e < eDeparture - tolKwh) flag(i, `leaves with ${e} kWh, short of its ${eDeparture} kWh target`);
  }
  return result;
}
