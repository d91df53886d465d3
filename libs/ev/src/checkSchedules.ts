import { socDependentLimitOf, type Fleet } from './fleet';
import type { EvSchedules } from './schedules';
import { socDependentReachKwh, type SocDependentLimit } from './socDependent';
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
  let m = h % 24;
  if (m < 0) m += 24;
  return m >= 24 - 1e-9 ? 0 : m;
}

/** Day periods the EV is plugged in for, in time order from arrival (empty if outside a horizon). */
function pluggedPeriods(fleet: Fleet, i: number, grid: TimeGrid): number[] {
  const { periods, dtH } = grid;
  const startH = grid.startH ?? 0;
  const stayH = fleet.departureH[i] - fleet.arrivalH[i];
  const periodic = Math.abs(periods * dtH - 24) < 1e-9;
  // A horizon shorter than a day holds only stays whose departure, rounded down to a period
  // boundary, falls inside it (an EV leaving at 08:10 has its target due at 08:00).
  if (!periodic && Math.floor((wrapDay(fleet.arrivalH[i] - startH) + stayH) / dtH + 1e-9) > periods) return [];
  const inside: { t: number; sinceArrivalH: number }[] = [];
  for (let t = 0; t < periods; t++) {
    const sinceArrivalH = wrapDay(startH + t * dtH - fleet.arrivalH[i]);
    if (sinceArrivalH + dtH <= stayH + 1e-9) inside.push({ t, sinceArrivalH });
  }
  return inside.sort((a, b) => a.sinceArrivalH - b.sinceArrivalH).map((p) => p.t);
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
  for (let i = 0; i < fleet.size; i++) {
    const plugged = pluggedPeriods(fleet, i, grid);
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
        ? fullChargeKwh(curve, fleet.socArrival[i] * cap, plugged.length, dt)
        : fleet.socArrival[i] * cap + plugged.length * chargeMax * dt;
      // Within the tolerance either way, leaving the EV out is as right as scheduling it.
      if (plugged.length === 0 || reachableKwh < eDeparture + tolKwh) result.leftOutEvs++;
      else flag(i, `left without a schedule although it can reach ${eDeparture} kWh (up to ${reachableKwh} kWh)`);
      continue;
    }
    result.scheduledEvs++;
    if (to - from !== plugged.length || schedules.start[i] !== plugged[0]) {
      flag(i, `the schedule covers ${to - from} periods from period ${schedules.start[i]}, but the EV is plugged in for ` +
        `${plugged.length} from period ${plugged[0] ?? 'none'}`);
      continue;
    }
    let e = fleet.socArrival[i] * cap;
    for (let k = 0; k < plugged.length; k++) {
      const c = schedules.chargeKw[from + k], d = schedules.dischargeKw[from + k];
      const at = `period ${plugged[k]}`;
      if (!Number.isFinite(c) || !Number.isFinite(d)) { flag(i, `${at}: power is not a number (${c}, ${d})`); break; }
      if (c < -tolKw || d < -tolKw) flag(i, `${at}: negative power (charge ${c} kW, discharge ${d} kW)`);
      if (c > chargeMax + tolKw) flag(i, `${at}: charges ${c} kW, above its ${chargeMax} kW limit`);
      if (d > dischargeMax + tolKw) flag(i, `${at}: discharges ${d} kW, above its ${dischargeMax} kW limit`);
      if (c > tolKw && d > tolKw) flag(i, `${at}: charges (${c} kW) and discharges (${d} kW) at once`);
      const before = e;
      e += (c - d) * dt;
      if (curve && c > tolKw) {
        const highest = socDependentReachKwh(curve, before, dt, true);
        if (e > highest + tolKwh) flag(i, `${at}: charges ${c} kW from ${before} to ${e} kWh, above the ${highest} kWh its SOC-dependent limit allows ${curveText(curve)}`);
      }
      if (dischargeCurve && d > tolKw) {
        const lowest = socDependentReachKwh(dischargeCurve, before, dt, false);
        if (e < lowest - tolKwh) flag(i, `${at}: discharges ${d} kW from ${before} to ${e} kWh, below the ${lowest} kWh its SOC-dependent limit allows ${curveText(dischargeCurve)}`);
      }
      if (e < eMin - tolKwh) flag(i, `${at}: stored energy ${e} kWh falls below socMin (${eMin} kWh)`);
      if (e > eMax + tolKwh) flag(i, `${at}: stored energy ${e} kWh rises above socMax (${eMax} kWh)`);
    }
    if (e < eDeparture - tolKwh) flag(i, `leaves with ${e} kWh, short of its ${eDeparture} kWh target`);
  }
  return result;
}
