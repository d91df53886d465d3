import { evRegion, Fleet, gridLoadKw, type EvRegion, type EvSchedules } from '@zonal/ev';
import { ModelBuilder, solve, type Algorithm, type Solution } from '@zonal/solver';
import type { ZoneProblem } from '../policy';

/**
 * direct-control (SPEC §7.0) written per EV, the reference the envelope model approximates: one
 * battery-side charge c, discharge d and stored energy E per EV and plugged period, within the EV's
 * closed-form power–energy region (seed 003 §3.2, `evRegion`). For one EV that region is its exact
 * feasible set, so this LP is the fleet's true optimum (SPEC §6: the envelope is only an outer
 * approximation of it). Objective, as the zone model's (zone-model.ts, direct-control.ts):
 *   Σ_t price[t]·dt·(base[t] + Σ_i (c/eta − d·eta)) + degradation·dt·Σ d + peakTieBreak·peak.
 *
 * `integer: true` adds one charge-or-discharge binary per V2G EV and plugged period (c ≤ Pc·z,
 * d ≤ Pd·(1 − z)); EVs without V2G cannot discharge, so they have no choice to make. At positive
 * prices charging and discharging at once only costs (price/eta − price·eta + degradation > 0 per
 * kWh cycled), so the LP never does it and the MILP's optimum equals the LP's: the MILP measures what
 * the binaries cost the solver, not a different answer.
 */
/**
 * A zone's problem without its fleet and envelopes: prices, base load and declared costs. The per-EV
 * model takes the EVs themselves beside it.
 */
export type ZoneData = Omit<ZoneProblem, 'envelope' | 'envelopeGroups' | 'fleet'>;

export interface PerEvModel {
  model: ModelBuilder;
  /** Columns of entry e (EvSchedules order: EV i owns offset[i]..offset[i+1]-1, from arrival). */
  chargeCol: number;
  dischargeCol: number;
  /** Schedules of the right shape, zero power: fill with `readSchedules`. */
  schedules: EvSchedules;
  /** Binaries added (0 for the LP). */
  binaries: number;
}

export function buildPerEvModel(fleet: Fleet, zone: ZoneData, opts: { integer?: boolean } = {}): PerEvModel {
  const { grid, eta } = zone;
  const T = grid.periods, dt = grid.dtH;
  const regions = Fleet.toSpecs(fleet).map((spec) => evRegion(spec, grid));
  const schedules = emptySchedules(regions, T);
  const entries = schedules.offset[fleet.size];
  const m = new ModelBuilder(opts.integer ? 'perEvMilp' : 'perEvLp');
  const c = m.addVars('c', [entries]);
  const d = m.addVars('d', [entries]);
  const e = m.addVars('E', [entries]);
  let binaries = 0;
  const evColsByPeriod: number[][] = Array.from({ length: T }, () => []);
  const evCoefsByPeriod: number[][] = Array.from({ length: T }, () => []);
  regions.forEach((r, i) => {
    const from = schedules.offset[i];
    const v2g = r.pMinKw < 0;
    const arrivalKwh = fleet.socArrival[i] * fleet.capacityKwh[i];
    for (let j = 0; j < schedules.offset[i + 1] - from; j++) {
      const k = from + j, t = r.periods[j];
      m.setColBounds(c.at(k), 0, r.pMaxKw);
      m.setColBounds(d.at(k), 0, -r.pMinKw);
      // Entry k's E is the energy after the EV's j-th plugged period, i.e. at session boundary j + 1.
      m.setColBounds(e.at(k), r.eMinKwh[j + 1], r.eMaxKwh[j + 1]);
      if (j === 0) m.addConstraint('soc', [k], [e.at(k), c.at(k), d.at(k)], [1, -dt, dt], '=', arrivalKwh);
      else m.addConstraint('soc', [k], [e.at(k), e.at(k - 1), c.at(k), d.at(k)], [1, -1, -dt, dt], '=', 0);
      m.setObjectiveCoef(c.at(k), (zone.tariffYuanPerKwh[t] / eta) * dt);
      m.setObjectiveCoef(d.at(k), (-zone.tariffYuanPerKwh[t] * eta + zone.degradationYuanPerKwh) * dt);
      evColsByPeriod[t].push(c.at(k), d.at(k));
      evCoefsByPeriod[t].push(-1 / eta, eta);
      if (opts.integer && v2g) {
        const z = m.addVar('z', [k], { lb: 0, ub: 1, integer: true });
        m.addConstraint('chargeIfZ', [k], [c.at(k), z], [1, -r.pMaxKw], '<=', 0);
        m.addConstraint('dischargeIfNotZ', [k], [d.at(k), z], [1, -r.pMinKw], '<=', -r.pMinKw);
        binaries++;
      }
    }
  });
  const peak = m.addVar('peak', [], { lb: -1e9 });
  for (let t = 0; t < T; t++) {
    m.addConstraint('peakDef', [t], [peak, ...evColsByPeriod[t]], [1, ...evCoefsByPeriod[t]], '>=', zone.baseNetLoadKw[t]);
  }
  m.setObjectiveCoef(peak, zone.peakTieBreakYuanPerKw);
  m.addObjectiveConstant(zone.baseNetLoadKw.reduce((a, p, t) => a + zone.tariffYuanPerKwh[t] * p * dt, 0));
  return { model: m, chargeCol: c.start, dischargeCol: d.start, schedules, binaries };
}

/** Compact schedules over each EV's plugged periods; EVs that cannot be scheduled get none. */
function emptySchedules(regions: EvRegion[], periods: number): EvSchedules {
  const n = regions.length;
  const offset = new Int32Array(n + 1), start = new Int32Array(n).fill(-1);
  regions.forEach((r, i) => {
    const on = r.problem === null && r.periods.length > 0;
    if (on) start[i] = r.periods[0];
    offset[i + 1] = offset[i] + (on ? r.periods.length : 0);
  });
  return { periods, start, offset, chargeKw: new Float64Array(offset[n]), dischargeKw: new Float64Array(offset[n]) };
}

export function readSchedules(pm: PerEvModel, sol: Solution): EvSchedules {
  const n = pm.schedules.chargeKw.length;
  pm.schedules.chargeKw.set(sol.colValues.subarray(pm.chargeCol, pm.chargeCol + n));
  pm.schedules.dischargeKw.set(sol.colValues.subarray(pm.dischargeCol, pm.dischargeCol + n));
  // Interior-point and MIP answers carry round-off of ~1e-9: clip to the bounds the EV has.
  for (let k = 0; k < n; k++) {
    pm.schedules.chargeKw[k] = Math.max(0, pm.schedules.chargeKw[k]);
    pm.schedules.dischargeKw[k] = Math.max(0, pm.schedules.dischargeKw[k]);
  }
  return pm.schedules;
}

export interface PerEvSolve {
  schedules: EvSchedules;
  sol: Solution;
  binaries: number;
  columns: number;
}

export async function solvePerEv(fleet: Fleet, zone: ZoneData, opts: { integer?: boolean; solver?: Algorithm; timeLimitS?: number; mipRelGap?: number } = {}): Promise<PerEvSolve> {
  const pm = buildPerEvModel(fleet, zone, { integer: opts.integer });
  const sol = await solve(pm.model, { solver: opts.solver, timeLimitS: opts.timeLimitS, mipRelGap: opts.mipRelGap });
  return { schedules: readSchedules(pm, sol), sol, binaries: pm.binaries, columns: pm.model.numCols };
}

/**
 * The zone's bill for per-EV schedules, recomputed from the schedules alone (not from any LP):
 * energy at the tariff on base + EV grid load, degradation on discharged energy, the peak tie-break.
 */
export function scheduleCostYuan(zone: ZoneData, fleet: Fleet, schedules: EvSchedules): { costYuan: number; baseBillYuan: number } {
  const dt = zone.grid.dtH;
  const evKw = gridLoadKw(fleet, schedules).totalKw;
  let costYuan = 0, baseBillYuan = 0, peakKw = -Infinity, dischargedKwh = 0;
  for (let t = 0; t < zone.grid.periods; t++) {
    const net = zone.baseNetLoadKw[t] + evKw[t];
    costYuan += zone.tariffYuanPerKwh[t] * net * dt;
    baseBillYuan += zone.tariffYuanPerKwh[t] * zone.baseNetLoadKw[t] * dt;
    peakKw = Math.max(peakKw, net);
  }
  for (let e = 0; e < schedules.dischargeKw.length; e++) dischargedKwh += schedules.dischargeKw[e] * dt;
  costYuan += zone.degradationYuanPerKwh * dischargedKwh + zone.peakTieBreakYuanPerKw * peakKw;
  return { costYuan, baseBillYuan };
}
