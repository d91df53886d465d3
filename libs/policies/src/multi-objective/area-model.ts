import { checkSchedules, evRegion, Fleet, type EvProblem, type EvSchedules, type ScheduleCheck, type TimeGrid } from '@zonal/ev';
import { ModelBuilder, type Solution } from '@zonal/solver';
import { addShapeTerms, linear, shapeOf, type ObjectiveTerm, type ShapeTerms, type VarianceForm } from './objectives';

/**
 * The V2G-operated area of seed 002 §1: building load, rooftop PV, a stationary battery (BESS) and
 * every EV as its own battery (50 EVs: per-EV variables are small enough and exact).
 *
 *   P_net[t] = building[t] − PV[t] + Σ_i (c_i[t]/η − d_i[t]·η) + (cB[t]/ηB − dB[t]·ηB)   (eq 1.4)
 *   E[k+1] = E[k] + (c[k] − d[k])·dt                                                      (eq 1.1, 1.2)
 * Powers c, d are battery side (SPEC §2's efficiency on both sides, as in @zonal/ev); an EV holds its
 * arrival energy at plug-in, stays within [socMin, socMax] and leaves with at least its target; the
 * BESS ends the day at its starting energy (SPEC §2, periodic day). The seed's three-state binary
 * form (eq 1.1) appears only in the repair (`exclusive`): the optimisation itself is an LP.
 */
export interface EvSession {
  /** Position in the fleet. */
  index: number;
  id: string;
  /** Day periods plugged in, in order from arrival. */
  periods: Int32Array;
  eArrivalKwh: number;
  eFloorKwh: number;
  eCeilKwh: number;
  eTargetKwh: number;
  chargeMaxKw: number;
  dischargeMaxKw: number;
  eta: number;
}

export interface BessData {
  capacityKwh: number;
  /** Battery-side power limit, each way. */
  pMaxKw: number;
  eta: number;
  eMinKwh: number;
  eMaxKwh: number;
  /** Energy at 00:00, and again at 24:00. */
  eStartKwh: number;
}

export interface AreaData {
  grid: TimeGrid;
  /** Building load minus PV output, kW per period. */
  baseKw: Float64Array;
  priceYuanPerKwh: Float64Array;
  evs: EvSession[];
  bess: BessData;
  /** EV degradation per kWh discharged from the battery (seed 002 C_deg, discharge only: SPEC §7.4). */
  degradationYuanPerKwh: number;
  peakTieBreakYuanPerKw: number;
}

/** The EVs of a fleet that can be scheduled, and those left out (reported). */
export function evSessions(fleet: Fleet, grid: TimeGrid): { evs: EvSession[]; excluded: EvProblem[] } {
  const evs: EvSession[] = [], excluded: EvProblem[] = [];
  Fleet.toSpecs(fleet).forEach((spec, index) => {
    const region = evRegion(spec, grid);
    if (region.problem) {
      excluded.push({ ...region.problem, index });
      return;
    }
    const cap = spec.capacityKwh;
    evs.push({
      index, id: spec.id, periods: region.periods, eArrivalKwh: spec.socArrival * cap, eFloorKwh: spec.socMin * cap,
      eCeilKwh: spec.socMax * cap, eTargetKwh: Math.max(spec.socTarget, spec.socMin) * cap,
      chargeMaxKw: region.pMaxKw, dischargeMaxKw: -region.pMinKw, eta: spec.eta,
    });
  });
  return { evs, excluded };
}

/** Every battery's battery-side schedule and the net load they make. */
export interface AreaSchedule {
  /** Per EV (as data.evs), per session period. */
  evChargeKw: Float64Array[];
  evDischargeKw: Float64Array[];
  bessChargeKw: Float64Array;
  bessDischargeKw: Float64Array;
}

export interface AreaModel {
  model: ModelBuilder;
  data: AreaData;
  evCharge: number[][];
  evDischarge: number[][];
  bessCharge: number[];
  bessDischarge: number[];
  /** Net load column per period. */
  net: number[];
  netLoKw: Float64Array;
  netHiKw: Float64Array;
}

/**
 * Per battery-period modes: 0 free, CHARGE_ONLY, DISCHARGE_ONLY, or EXCLUSIVE (a binary, seed 002
 * eq 1.1, for that battery-period alone). The repair sets them where an LP burned energy that no
 * other battery could take over.
 */
export const CHARGE_ONLY = 1, DISCHARGE_ONLY = -1, EXCLUSIVE = 2;

export interface Directions {
  ev: Int8Array[];
  bess: Int8Array;
}

export function freeDirections(data: AreaData): Directions {
  return { ev: data.evs.map((ev) => new Int8Array(ev.periods.length)), bess: new Int8Array(data.grid.periods) };
}

export function buildArea(data: AreaData, name: string, opts: { exclusive?: boolean; directions?: Directions } = {}): AreaModel {
  const { grid, bess } = data;
  const T = grid.periods, dt = grid.dtH;
  const m = new ModelBuilder(name);
  const netLoKw = Float64Array.from(data.baseKw, (b) => b - bess.pMaxKw * bess.eta);
  const netHiKw = Float64Array.from(data.baseKw, (b) => b + bess.pMaxKw / bess.eta);
  const gridCols: number[][] = Array.from({ length: T }, () => []), gridCoefs: number[][] = Array.from({ length: T }, () => []);
  const evCharge: number[][] = [], evDischarge: number[][] = [];
  data.evs.forEach((ev, n) => {
    const L = ev.periods.length;
    const e = Array.from({ length: L + 1 }, (_, k) => m.addVar('evE', [n, k], k === 0
      ? { lb: ev.eArrivalKwh, ub: ev.eArrivalKwh }
      : { lb: k === L ? Math.max(ev.eFloorKwh, ev.eTargetKwh) : ev.eFloorKwh, ub: ev.eCeilKwh }));
    const cs: number[] = [], ds: number[] = [];
    for (let k = 0; k < L; k++) {
      const t = ev.periods[k];
      const dir = opts.directions?.ev[n][k] ?? 0;
      const c = m.addVar('evC', [n, k], { lb: 0, ub: dir === DISCHARGE_ONLY ? 0 : ev.chargeMaxKw });
      const d = m.addVar('evD', [n, k], { lb: 0, ub: dir === CHARGE_ONLY ? 0 : ev.dischargeMaxKw });
      m.addConstraint('evSoc', [n, k], [e[k + 1], e[k], c, d], [1, -1, -dt, dt], '=', 0);
      gridCols[t].push(c, d);
      gridCoefs[t].push(1 / ev.eta, -ev.eta);
      netLoKw[t] -= ev.dischargeMaxKw * ev.eta;
      netHiKw[t] += ev.chargeMaxKw / ev.eta;
      if ((opts.exclusive || dir === EXCLUSIVE) && ev.chargeMaxKw > 0 && ev.dischargeMaxKw > 0) addExclusivity(m, 'evMode', [n, k], c, d, ev.chargeMaxKw, ev.dischargeMaxKw);
      cs.push(c);
      ds.push(d);
    }
    evCharge.push(cs);
    evDischarge.push(ds);
  });
  const bessDir = (t: number) => opts.directions?.bess[t] ?? 0;
  const bc = m.addVars('bessC', [T], ([t]) => ({ lb: 0, ub: bessDir(t) === DISCHARGE_ONLY ? 0 : bess.pMaxKw }));
  const bd = m.addVars('bessD', [T], ([t]) => ({ lb: 0, ub: bessDir(t) === CHARGE_ONLY ? 0 : bess.pMaxKw }));
  const be = m.addVars('bessE', [T + 1], ([k]) => (k === 0 || k === T ? { lb: bess.eStartKwh, ub: bess.eStartKwh } : { lb: bess.eMinKwh, ub: bess.eMaxKwh }));
  const net: number[] = [];
  for (let t = 0; t < T; t++) {
    m.addConstraint('bessSoc', [t], [be.at(t + 1), be.at(t), bc.at(t), bd.at(t)], [1, -1, -dt, dt], '=', 0);
    if ((opts.exclusive || bessDir(t) === EXCLUSIVE) && bess.pMaxKw > 0) addExclusivity(m, 'bessMode', [t], bc.at(t), bd.at(t), bess.pMaxKw, bess.pMaxKw);
    const p = m.addVar('net', [t], { lb: netLoKw[t], ub: netHiKw[t] });
    m.addConstraint('netDef', [t], [p, ...gridCols[t], bc.at(t), bd.at(t)],
      [1, ...gridCoefs[t].map((x) => -x), -1 / bess.eta, bess.eta], '=', data.baseKw[t]);
    net.push(p);
  }
  return {
    model: m, data, evCharge, evDischarge, net, netLoKw, netHiKw,
    bessCharge: Array.from(bc.columns()), bessDischarge: Array.from(bd.columns()),
  };
}

/** Seed 002 eq 1.1's states as one binary: charging (z = 1) or discharging (z = 0), never both. */
function addExclusivity(m: ModelBuilder, family: string, index: number[], c: number, d: number, cMax: number, dMax: number): void {
  const z = m.addVar(family, index, { lb: 0, ub: 1, integer: true });
  m.addConstraint(`${family}C`, index, [c, z], [1, -cMax], '<=', 0);
  m.addConstraint(`${family}D`, index, [d, z], [1, dMax], '<=', dMax);
}

/** The area with seed 002's three objectives; F1 carries SPEC §7's peak tie-break. */
export interface AreaObjectiveModel extends AreaModel {
  f: [ObjectiveTerm, ObjectiveTerm, ObjectiveTerm];
  shape: ShapeTerms;
}

/**
 * `exclusive` gives the seed's own MILP (its eq 1.1 binaries with every objective; F2 must then be
 * piecewise linear, as HiGHS has no MIQP): the reference the LP-then-repair route is tested against.
 */
export function buildAreaObjectives(
  data: AreaData, name: string, form: VarianceForm, segments: number, opts: { directions?: Directions; exclusive?: boolean } = {},
): AreaObjectiveModel {
  const area = buildArea(data, name, opts);
  const { model: m, net, netHiKw } = area;
  const dt = data.grid.dtH;
  const shape = addShapeTerms(m, net, area.netLoKw, netHiKw, form, segments);
  // Seed 002 prices only import (C_grid for P_net > 0): an epigraph, exact because prices are >= 0.
  const cols: number[] = [], coefs: number[] = [];
  net.forEach((p, t) => {
    const imp = m.addVar('import', [t], { lb: 0, ub: Math.max(0, netHiKw[t]) });
    m.addConstraint('importDef', [t], [imp, p], [1, -1], '>=', 0);
    cols.push(imp);
    coefs.push(data.priceYuanPerKwh[t] * dt);
  });
  area.evDischarge.forEach((ds) => ds.forEach((d) => { cols.push(d); coefs.push(data.degradationYuanPerKwh * dt); }));
  cols.push(shape.peakKw);
  coefs.push(data.peakTieBreakYuanPerKw);
  return { ...area, f: [linear(cols, coefs), shape.f2, shape.f3], shape };
}

export function readSchedule(area: AreaModel, sol: Solution): AreaSchedule {
  const pick = (cols: number[]) => Float64Array.from(cols, (c) => Math.max(0, sol.value(c)));
  return {
    evChargeKw: area.evCharge.map(pick), evDischargeKw: area.evDischarge.map(pick),
    bessChargeKw: pick(area.bessCharge), bessDischargeKw: pick(area.bessDischarge),
  };
}

/** What a schedule costs and how the net load looks, recomputed from the powers alone. */
export interface AreaOutcome {
  netLoadKw: Float64Array;
  /** Grid-side EV power (charging positive) and BESS power per period. */
  evKw: Float64Array;
  bessKw: Float64Array;
  gridCostYuan: number;
  degradationYuan: number;
  /** F1 = grid cost + degradation. */
  totalCostYuan: number;
  varianceKw2: number;
  stdKw: number;
  peakValleyKw: number;
  peakKw: number;
  valleyKw: number;
  /** EV-periods and BESS periods that charge and discharge at once (above 1e-6 kW each). */
  simultaneous: number;
}

export function outcomeOf(data: AreaData, s: AreaSchedule): AreaOutcome {
  const T = data.grid.periods, dt = data.grid.dtH;
  const evKw = new Float64Array(T), bessKw = new Float64Array(T);
  let dischargedKwh = 0, simultaneous = 0;
  data.evs.forEach((ev, n) => ev.periods.forEach((t, k) => {
    const c = s.evChargeKw[n][k], d = s.evDischargeKw[n][k];
    evKw[t] += c / ev.eta - d * ev.eta;
    dischargedKwh += d * dt;
    if (c > 1e-6 && d > 1e-6) simultaneous++;
  }));
  for (let t = 0; t < T; t++) {
    const c = s.bessChargeKw[t], d = s.bessDischargeKw[t];
    bessKw[t] = c / data.bess.eta - d * data.bess.eta;
    if (c > 1e-6 && d > 1e-6) simultaneous++;
  }
  const netLoadKw = Float64Array.from(data.baseKw, (b, t) => b + evKw[t] + bessKw[t]);
  const gridCostYuan = netLoadKw.reduce((a, p, t) => a + data.priceYuanPerKwh[t] * Math.max(0, p) * dt, 0);
  const degradationYuan = data.degradationYuanPerKwh * dischargedKwh;
  const shape = shapeOf(netLoadKw);
  return {
    netLoadKw, evKw, bessKw, gridCostYuan, degradationYuan, totalCostYuan: gridCostYuan + degradationYuan,
    ...shape, peakKw: Math.max(...netLoadKw), valleyKw: Math.min(...netLoadKw), simultaneous,
  };
}

/** Exact F1, F2, F3 of an outcome. */
export const objectivesOf = (o: AreaOutcome): [number, number, number] => [o.totalCostYuan, o.varianceKw2, o.peakValleyKw];

/** The EV part of a schedule in @zonal/ev's form, for its independent checker. */
export function evSchedules(fleetSize: number, grid: TimeGrid, evs: EvSession[], s: AreaSchedule): EvSchedules {
  const start = new Int32Array(fleetSize).fill(-1), offset = new Int32Array(fleetSize + 1);
  const byIndex = new Map(evs.map((ev, n) => [ev.index, n]));
  for (let i = 0; i < fleetSize; i++) {
    const n = byIndex.get(i);
    offset[i + 1] = offset[i] + (n === undefined ? 0 : evs[n].periods.length);
    if (n !== undefined) start[i] = evs[n].periods[0];
  }
  const chargeKw = new Float64Array(offset[fleetSize]), dischargeKw = new Float64Array(offset[fleetSize]);
  evs.forEach((ev, n) => {
    chargeKw.set(s.evChargeKw[n], offset[ev.index]);
    dischargeKw.set(s.evDischargeKw[n], offset[ev.index]);
  });
  return { periods: grid.periods, start, offset, chargeKw, dischargeKw };
}

export function checkAreaSchedule(fleet: Fleet, data: AreaData, s: AreaSchedule): ScheduleCheck {
  // 1e-6 kW / kWh is HiGHS's feasibility tolerance scaled to a 60 kWh battery.
  return checkSchedules(fleet, data.grid, evSchedules(fleet.size, data.grid, data.evs, s), { kw: 1e-6, kwh: 1e-5 });
}
