import { InputError } from '@zonal/core';
import {
  evRegion, Fleet, socDependentLimitOf, socDependentLpRows, socDependentReachKwh,
  type EnergyStepRow, type EvSchedules, type SocDependentLimit, type TimeGrid,
} from '@zonal/ev';
import type { ModelBuilder, Solution } from '@zonal/solver';
import type { Flexibility } from '../zone-model';

/**
 * EVs whose charger follows a SOC-dependent limit (seed 000 §4, SPEC §6), modelled one by one as
 * zone-model flexibility: battery-side charge c, discharge d and stored energy E per plugged period,
 * within the EV's closed-form region (libs/ev evRegion: charger box, socMin..socMax, target at
 * departure), plus the curve's LP rows (libs/ev socDependentLpRows) on every step E[j] -> E[j+1].
 *
 * Short steps: the rows are the physics only for steps of at least (capacity - breakpoint) / pAbove
 * (0.5 h for seed 000). Below that they are not even conservative in a usable way (SPEC §6: from
 * 115 kWh at 0.25 h they demand E+ >= 120 kWh and allow at most 113.75), so a zone holding such an EV
 * on such a grid is refused with an InputError naming the EV: the exact form is the region-binary
 * MILP, which SPEC §8 runs after agreement, never inside the negotiation's rounds.
 *
 * Discharging above the breakpoint is cut by the curve's ratio (libs/ev fleet.ts). Its rows are used
 * where they are exact at this step; otherwise discharge is held to the lower limit
 * pDischargeMax · ratio at every SOC: never beyond the physics, possibly short of it.
 *
 * EVs that cannot hold their target by departure even charging flat out under the curve are left out
 * (checkSchedules confirms it from the EV's own data), as the envelope leaves out EVs that cannot at
 * constant power.
 */
export interface SocDependentEvs extends Flexibility {
  /** Every charge and discharge column (all EVs, all plugged periods), e.g. to price energy delivered. */
  chargeCols: number[];
  dischargeCols: number[];
  /** The EVs' battery-side schedules of a solved model (this fleet's order; left-out EVs have none). */
  read(sol: Solution): EvSchedules;
}

export function addSocDependentEvs(m: ModelBuilder, fleet: Fleet, grid: TimeGrid, degradationYuanPerKwh: number, where: string): SocDependentEvs {
  const T = grid.periods, dt = grid.dtH, n = fleet.size;
  const specs = Fleet.toSpecs(fleet);
  const start = new Int32Array(n).fill(-1), offset = new Int32Array(n + 1);
  const chargeCols: number[] = [], dischargeCols: number[] = [];
  const terms = Array.from({ length: T }, () => ({ cols: [] as number[], coefs: [] as number[] }));
  const drawMaxKw = new Float64Array(T), giveMaxKw = new Float64Array(T);
  for (let k = 0; k < n; k++) {
    offset[k + 1] = offset[k];
    const limit = socDependentLimitOf(fleet, k);
    const region = evRegion(specs[k], grid);
    const L = region.periods.length;
    if (!limit || region.problem || L === 0) continue; // no curve here, or no schedule at all (reported by the region)
    const cap = fleet.capacityKwh[k], arrivalKwh = fleet.socArrival[k] * cap;
    if (flatOutKwh(limit, arrivalKwh, fleet.socMax[k] * cap, L, dt) < region.eMinKwh[L] - 1e-9) continue;
    const rows = stepRows(limit, fleet, k, dt, `${where}: EV ${fleet.id[k]}`);
    start[k] = region.periods[0];
    offset[k + 1] = offset[k] + L;
    const eta = fleet.eta[k];
    let prev = -1; // E[0] is the arrival energy, a constant
    for (let j = 0; j < L; j++) {
      const t = region.periods[j];
      const c = m.addVar('socEvC', [k, j], { lb: 0, ub: region.pMaxKw });
      const d = m.addVar('socEvD', [k, j], { lb: 0, ub: rows.dischargeMaxKw });
      const e = m.addVar('socEvE', [k, j + 1], { lb: region.eMinKwh[j + 1], ub: region.eMaxKwh[j + 1] });
      const before = prev >= 0 ? { cols: [prev], coefs: [-1], rhs: 0 } : { cols: [], coefs: [], rhs: arrivalKwh };
      m.addConstraint('socEvSoc', [k, j], [e, ...before.cols, c, d], [1, ...before.coefs, -dt, dt], '=', before.rhs);
      for (const r of rows.rows) {
        // coefE·E[j] + coefENext·E[j+1] <= rhs, E[0] moved to the right-hand side
        if (prev >= 0) m.addConstraint(`socEv_${r.name}`, [k, j], [prev, e], [r.coefE, r.coefENext], '<=', r.rhsKwh);
        else m.addConstraint(`socEv_${r.name}`, [k, j], [e], [r.coefENext], '<=', r.rhsKwh - r.coefE * arrivalKwh);
      }
      m.setObjectiveCoef(d, degradationYuanPerKwh * dt);
      terms[t].cols.push(c, d);
      terms[t].coefs.push(1 / eta, -eta);
      drawMaxKw[t] += region.pMaxKw / eta;
      giveMaxKw[t] += rows.dischargeMaxKw * eta;
      chargeCols.push(c);
      dischargeCols.push(d);
      prev = e;
    }
  }
  return {
    chargeCols, dischargeCols, drawMaxKw, giveMaxKw,
    gridTerms: (t) => terms[t],
    read: (sol) => readSchedules(sol, T, start, offset, chargeCols, dischargeCols),
  };
}

/** Stored energy after `periods` periods flat out under the curve, held at socMax (the physics, socDependentReachKwh). */
function flatOutKwh(limit: SocDependentLimit, arrivalKwh: number, ceilKwh: number, periods: number, dtH: number): number {
  let e = arrivalKwh;
  for (let j = 0; j < periods; j++) e = Math.min(ceilKwh, socDependentReachKwh(limit, e, dtH, true));
  return e;
}

/** The LP rows of one EV's curve at this step: charging always (refused where not exact), discharging where exact. */
function stepRows(limit: SocDependentLimit, fleet: Fleet, k: number, dtH: number, where: string): { rows: EnergyStepRow[]; dischargeMaxKw: number } {
  const charge = socDependentLpRows(limit, dtH);
  if (!charge.exact) {
    const fromH = (limit.capacityKwh - limit.breakpointKwh) / limit.pAboveKw;
    throw new InputError(
      `its SOC-dependent charging limit is an exact LP only for steps of at least ${fromH} h (SPEC §6); this zone's grid has ${dtH} h steps`,
      where, 'use a grid of longer steps for this zone, or drop the curve; the exact form (region binaries, a MILP) is not run inside the negotiation',
    );
  }
  const rows = charge.rows.filter((r) => r.name.startsWith('charge') || r.name === 'capacity');
  const dMax = fleet.v2g[k] ? fleet.pDischargeMaxKw[k] : 0;
  const ratio = limit.pAboveKw / limit.pBelowKw;
  if (dMax <= 0) return { rows, dischargeMaxKw: 0 };
  const discharge = ratio > 0 ? socDependentLpRows({ ...limit, pBelowKw: dMax, pAboveKw: dMax * ratio }, dtH) : null;
  if (discharge?.exact) return { rows: [...rows, ...discharge.rows.filter((r) => r.name.startsWith('discharge'))], dischargeMaxKw: dMax };
  return { rows, dischargeMaxKw: dMax * ratio };
}

function readSchedules(sol: Solution, periods: number, start: Int32Array, offset: Int32Array, chargeCols: number[], dischargeCols: number[]): EvSchedules {
  const chargeKw = new Float64Array(chargeCols.length), dischargeKw = new Float64Array(dischargeCols.length);
  for (let e = 0; e < chargeCols.length; e++) {
    // Solver round-off clipped; charge and discharge in one period netted (same stored energy, never both).
    const c = Math.max(0, sol.value(chargeCols[e])), d = Math.max(0, sol.value(dischargeCols[e]));
    const both = Math.min(c, d);
    chargeKw[e] = c - both;
    dischargeKw[e] = d - both;
  }
  return { periods, start: Int32Array.from(start), offset: Int32Array.from(offset), chargeKw, dischargeKw };
}
