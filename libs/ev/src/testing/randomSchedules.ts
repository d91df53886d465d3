import { createRng } from '@zonal/core';
import type { Fleet } from '../fleet';
import type { EvSchedules } from '../schedules';
import type { TimeGrid } from '../types';

/**
 * Test helper, written apart from the library's scheduling code: a random feasible schedule for one
 * EV, as a random walk of its stored energy that stays in [socMin, socMax], within the charger limits,
 * and can always still reach the target. A third of the steps go to an extreme (full charge or the
 * lowest allowed energy) so that the walks touch the region's corners. Tests prove the result with
 * `checkSchedules` before relying on it.
 */
export interface PeriodPower {
  period: number;
  chargeKw: number;
  dischargeKw: number;
}

function pluggedPeriods(arrivalH: number, departureH: number, grid: TimeGrid): number[] {
  const startH = grid.startH ?? 0;
  const from = Math.ceil((((arrivalH - startH) % 24) + 24) % 24 / grid.dtH - 1e-9);
  const to = Math.floor(((((arrivalH - startH) % 24) + 24) % 24 + departureH - arrivalH) / grid.dtH + 1e-9);
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(b % grid.periods);
  return out;
}

export function randomFeasibleSchedule(fleet: Fleet, i: number, grid: TimeGrid, seed: number): PeriodPower[] {
  const rng = createRng(seed >>> 0);
  const periods = pluggedPeriods(fleet.arrivalH[i], fleet.departureH[i], grid);
  const cap = fleet.capacityKwh[i], dt = grid.dtH;
  const eMin = fleet.socMin[i] * cap, eMax = fleet.socMax[i] * cap;
  const eDep = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
  const cStep = fleet.pChargeMaxKw[i] * dt, dStep = fleet.v2g[i] ? fleet.pDischargeMaxKw[i] * dt : 0;
  let e = fleet.socArrival[i] * cap;
  return periods.map((period, j) => {
    const lo = Math.max(e - dStep, eMin, eDep - (periods.length - j - 1) * cStep);
    const hi = Math.min(e + cStep, eMax);
    const u = rng.next();
    const next = u < 1 / 6 ? lo : u < 1 / 3 ? hi : lo + rng.next() * Math.max(0, hi - lo);
    const kw = (next - e) / dt;
    e = next;
    return { period, chargeKw: Math.max(kw, 0), dischargeKw: Math.max(-kw, 0) };
  });
}

/** Random feasible schedules for the EVs with `include(i)`, in the library's compact layout. */
export function randomFeasibleSchedules(fleet: Fleet, grid: TimeGrid, seed: number, include: (i: number) => boolean): EvSchedules {
  const per = Array.from({ length: fleet.size }, (_, i) => (include(i) ? randomFeasibleSchedule(fleet, i, grid, seed * 7919 + i) : []));
  const offset = new Int32Array(fleet.size + 1);
  per.forEach((p, i) => (offset[i + 1] = offset[i] + p.length));
  const sched: EvSchedules = {
    periods: grid.periods, start: Int32Array.from(per, (p) => (p.length ? p[0].period : -1)), offset,
    chargeKw: new Float64Array(offset[fleet.size]), dischargeKw: new Float64Array(offset[fleet.size]),
  };
  per.forEach((p, i) => p.forEach((x, k) => {
    sched.chargeKw[offset[i] + k] = x.chargeKw;
    sched.dischargeKw[offset[i] + k] = x.dischargeKw;
  }));
  return sched;
}
