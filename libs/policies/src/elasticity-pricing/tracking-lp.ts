import type { TimeGrid } from '@zonal/ev';
import { ModelBuilder, solve, type LpExporter } from '@zonal/solver';
import type { DsoSignal, ZoneBid } from '../policy';
import { addSignalTerms } from '../zone-model';
import { classEnergyAffine, renormalisedClassEnergy, type Matrix3 } from './response';
import type { DirectUser, PricedUser } from './users';

/**
 * One stage LP of the elasticity-pricing zone (SPEC §7.1, seed 001 §2.7–2.8). The users' side is the
 * same in every stage: price-responsive users charge, per price class, exactly the renormalised
 * response of their need to the price change x (response.ts), per user and period within their
 * charger limit; V2G users move freely inside their exact power–energy region; x is a variable in
 * [min, max] (the pricing model) or fixed (a dispatch stage), with w_price · sum_class |x_class|; a
 * tie-break on the peak of P_zone (SPEC §7). P_zone = fixed load (base, and the users scheduled in
 * earlier stages) + the grid-side draw of the users in this model. Two objectives sit on top:
 *
 *  - `track` (standalone, SPEC §7.1's declared objective, in kWh):
 *      sum_t |P_zone(t) − PZ(t)| dt (split variables) + w_v2g · (kWh discharged by V2G users);
 *  - `zone` (in the negotiation, SPEC §7.1 with §8's one-sided penalty, in yuan): the zone's energy
 *      at the prices it faces + degradation of V2G discharge + w_cg · sum_t max(0, P_zone(t) − PZ(t)) dt
 *      (PZ an upper limit), and, under consensus ADMM, the proximal terms on the zone's EV grid power
 *      — both through zone-model.ts `addSignalTerms`, the terms every policy's zone model gets.
 *
 * A "user" may stand for a group of users the LP cannot tell apart (groups.ts): its need and charger
 * limit are the group's sums, which the affine class energies and the box then scale exactly.
 */
export type Pricing =
  | { kind: 'variable'; matrix: Matrix3; min: number; max: number; weight: number }
  | { kind: 'fixed'; matrix: Matrix3; x: readonly number[]; weight: number };

/** Standalone: L1 tracking of PZ (kWh), with a weight per kWh a V2G user discharges. */
export interface TrackObjective {
  kind: 'track';
  targetKw: Float64Array;
  v2gDischargeWeightPerKwh: number;
}

/** In the negotiation: the zone's own cost and the DSO's terms (yuan). */
export interface ZoneObjective {
  kind: 'zone';
  /** Declared marginal costs (degradation) and the envelope that bounds the signal terms' columns. */
  zone: ZoneBid;
  /** PZ, an upper limit on P_zone. */
  targetKw: Float64Array;
  excessPenaltyYuanPerKwh: number;
  /** The energy price the zone pays on its net load (0 under consensus: λ is in the consensus terms). */
  pricesYuanPerKwh: Float64Array;
  consensus?: DsoSignal['consensus'];
  /** EV grid power fixed by earlier stages (fixedKw = zone base + this): the consensus terms see the zone's whole EV power. */
  fixedEvKw: Float64Array;
}

export type StageObjective = TrackObjective | ZoneObjective;

export interface StageInput {
  name: string;
  grid: TimeGrid;
  fixedKw: Float64Array;
  priced: readonly PricedUser[];
  direct: readonly DirectUser[];
  pricing: Pricing;
  peakTieBreakYuanPerKw: number;
  objective: StageObjective;
}

export interface StageResult {
  objective: number;
  /** Relative price change of p, o, v. */
  x: [number, number, number];
  /** Battery-side charging of each priced user per plugged period (kW), in session order. */
  pricedChargeKw: Float64Array[];
  /** Battery-side charge and discharge of each direct user per plugged period (kW). */
  directChargeKw: Float64Array[];
  directDischargeKw: Float64Array[];
  /** Grid-side draw of the model's users and the zone's net load, kW per period. */
  evGridKw: Float64Array;
  netLoadKw: Float64Array;
  /** sum_t |netLoad − PZ| dt and sum_t max(0, netLoad − PZ) dt (kWh). */
  deviationKwh: number;
  excessKwh: number;
}

/** Grid-side terms of P_zone per period: sum_k coefs[k] · x[cols[k]]. */
type PeriodTerms = { cols: number[]; coefs: number[] }[];

export async function solveStage(input: StageInput, exporter: LpExporter | undefined): Promise<StageResult> {
  const { grid, pricing, objective } = input;
  const T = grid.periods;
  const m = new ModelBuilder(input.name);
  const terms: PeriodTerms = Array.from({ length: T }, () => ({ cols: [], coefs: [] }));

  const xCols = pricing.kind === 'variable' ? addPriceChange(m, pricing) : null;
  if (pricing.kind === 'fixed') m.addObjectiveConstant(pricing.weight * pricing.x.reduce((a, v) => a + Math.abs(v), 0));
  const pricedCols = input.priced.map((u, i) => addPricedUser(m, terms, u, i, pricing, xCols, grid.dtH));
  const dischargeWeight = objective.kind === 'track' ? objective.v2gDischargeWeightPerKwh : objective.zone.degradationYuanPerKwh;
  const directCols = input.direct.map((u, i) => addDirectUser(m, terms, u, i, dischargeWeight, grid.dtH));

  const scaleKw = spanKw(input);
  const peak = m.addVar('peak', [], { lb: -scaleKw, ub: scaleKw });
  m.setObjectiveCoef(peak, input.peakTieBreakYuanPerKw);
  const evGrid: EvGridCol[] = [];
  for (let t = 0; t < T; t++) {
    if (objective.kind === 'track') addDeviation(m, terms, t, objective, input.fixedKw, scaleKw, grid.dtH);
    else evGrid.push(addEvGrid(m, terms, t, objective, grid.dtH));
    m.addConstraint('peakDef', [t], [peak, ...terms[t].cols], [1, ...terms[t].coefs.map((k) => -k)], '>=', input.fixedKw[t]);
  }
  if (objective.kind === 'zone') addZoneTerms(m, objective, evGrid);

  const sol = await solve(m, { exportLp: exporter });
  const value = (col: number) => sol.value(col);
  const xs = pricing.kind === 'fixed' ? pricing.x : xCols!.map(value);
  const evGridKw = new Float64Array(T);
  for (let t = 0; t < T; t++) evGridKw[t] = terms[t].cols.reduce((a, col, k) => a + terms[t].coefs[k] * value(col), 0);
  const netLoadKw = evGridKw.map((p, t) => p + input.fixedKw[t]);
  return {
    objective: sol.objective, x: [xs[0], xs[1], xs[2]],
    pricedChargeKw: pricedCols.map((cols) => Float64Array.from(cols, value)),
    directChargeKw: directCols.map((u) => Float64Array.from(u.c, value)),
    directDischargeKw: directCols.map((u) => Float64Array.from(u.d, value)),
    evGridKw, netLoadKw,
    deviationKwh: netLoadKw.reduce((a, p, t) => a + Math.abs(p - objective.targetKw[t]) * grid.dtH, 0),
    excessKwh: netLoadKw.reduce((a, p, t) => a + Math.max(0, p - objective.targetKw[t]) * grid.dtH, 0),
  };
}

/** The standalone L1 tracking LP (SPEC §7.1): a stage with the `track` objective. */
export interface TrackingInput extends Omit<StageInput, 'objective'> {
  targetKw: Float64Array;
  v2gDischargeWeightPerKwh: number;
}
export type TrackingResult = StageResult;

export function solveTracking(input: TrackingInput, exporter: LpExporter | undefined): Promise<StageResult> {
  const { targetKw, v2gDischargeWeightPerKwh, ...stage } = input;
  return solveStage({ ...stage, objective: { kind: 'track', targetKw, v2gDischargeWeightPerKwh } }, exporter);
}

/** x_p, x_o, x_v in [min, max], with |x| as epigraph columns carrying the weight. */
function addPriceChange(m: ModelBuilder, p: Extract<Pricing, { kind: 'variable' }>): number[] {
  const bound = Math.max(Math.abs(p.min), Math.abs(p.max));
  return [0, 1, 2].map((k) => {
    const x = m.addVar('x', [k], { lb: p.min, ub: p.max });
    const abs = m.addVar('xAbs', [k], { lb: 0, ub: bound });
    m.addConstraint('xAbsHi', [k], [abs, x], [1, -1], '>=', 0);
    m.addConstraint('xAbsLo', [k], [abs, x], [1, 1], '>=', 0);
    m.setObjectiveCoef(abs, p.weight);
    return x;
  });
}

/** Charging per plugged period; each class's energy is the user's renormalised response (response.ts). */
function addPricedUser(m: ModelBuilder, terms: PeriodTerms, u: PricedUser, i: number, pricing: Pricing, xCols: number[] | null, dt: number): number[] {
  const cols = Array.from(u.periods, (t, j) => {
    const col = m.addVar('e', [i, j], { lb: 0, ub: u.pMaxKw });
    terms[t].cols.push(col);
    terms[t].coefs.push(1 / u.eta);
    return col;
  });
  const affine = classEnergyAffine(u.needKwh, u.shares, pricing.matrix);
  const fixedEnergy = pricing.kind === 'fixed' ? renormalisedClassEnergy(u.needKwh, u.shares, pricing.matrix, pricing.x) : null;
  for (let c = 0; c < 3; c++) {
    if (u.shares[c] === 0) continue;
    const inClass = cols.filter((_, j) => u.priceClass[j] === c);
    if (xCols) {
      m.addConstraint('classEnergy', [i, c], [...inClass, ...xCols], [...inClass.map(() => dt), ...affine.slope[c].map((s) => -s)], '=', affine.constant[c]);
    } else {
      m.addConstraint('classEnergy', [i, c], inClass, inClass.map(() => dt), '=', fixedEnergy![c]);
    }
  }
  return cols;
}

/** Stored energy, charge and discharge per plugged period inside the user's exact region (seed 003 §3). */
function addDirectUser(m: ModelBuilder, terms: PeriodTerms, u: DirectUser, i: number, dischargeWeight: number, dt: number) {
  const r = u.region, L = r.periods.length;
  const e = Array.from({ length: L + 1 }, (_, j) => m.addVar('vE', [i, j], { lb: r.eMinKwh[j], ub: r.eMaxKwh[j] }));
  const c = Array.from(r.periods, (_, j) => m.addVar('vC', [i, j], { lb: 0, ub: r.pMaxKw }));
  const d = Array.from(r.periods, (_, j) => m.addVar('vD', [i, j], { lb: 0, ub: -r.pMinKw }));
  r.periods.forEach((t, j) => {
    m.addConstraint('vSoc', [i, j], [e[j + 1], e[j], c[j], d[j]], [1, -1, -dt, dt], '=', 0);
    m.setObjectiveCoef(d[j], dischargeWeight * dt);
    terms[t].cols.push(c[j], d[j]);
    terms[t].coefs.push(1 / u.eta, -u.eta);
  });
  return { c, d };
}

/** A bound on |P_zone| and |PZ| over the day: finite bounds for every split and peak column. */
function spanKw(input: StageInput): number {
  let scaleKw = 1;
  for (let t = 0; t < input.grid.periods; t++) scaleKw += Math.abs(input.fixedKw[t]) + Math.abs(input.objective.targetKw[t]);
  for (const u of input.priced) scaleKw += u.pMaxKw / u.eta;
  for (const u of input.direct) scaleKw += (u.region.pMaxKw - u.region.pMinKw) / u.eta;
  return scaleKw;
}

/** fixed + draw − PZ = over − under, both weighted by dt (kWh), so the weights mean the same on any grid. */
function addDeviation(m: ModelBuilder, terms: PeriodTerms, t: number, o: TrackObjective, fixedKw: Float64Array, scaleKw: number, dt: number): void {
  const over = m.addVar('over', [t], { lb: 0, ub: scaleKw });
  const under = m.addVar('under', [t], { lb: 0, ub: scaleKw });
  m.setObjectiveCoef(over, dt);
  m.setObjectiveCoef(under, dt);
  m.addConstraint('deviation', [t], [...terms[t].cols, over, under], [...terms[t].coefs, -1, 1], '=', o.targetKw[t] - fixedKw[t]);
}

/** The zone's EV grid power column of a period and its bounds (kW). */
type EvGridCol = { col: number; loKw: number; hiKw: number };

/**
 * The zone's whole EV grid power as one column, evGrid(t) = fixed EV power + this model's draw, priced
 * at the zone's energy price: the DSO's terms are on it, so they stay diagonal as in zone-model.ts.
 */
function addEvGrid(m: ModelBuilder, terms: PeriodTerms, t: number, o: ZoneObjective, dt: number): EvGridCol {
  const { cols, coefs } = terms[t];
  let loKw = o.fixedEvKw[t], hiKw = o.fixedEvKw[t];
  cols.forEach((col, k) => {
    const a = coefs[k] * m.colLowerBound(col), b = coefs[k] * m.colUpperBound(col);
    loKw += Math.min(a, b);
    hiKw += Math.max(a, b);
  });
  const ev = m.addVar('evGrid', [t], { lb: loKw, ub: hiKw });
  m.addConstraint('evGridDef', [t], [ev, ...cols], [1, ...coefs.map((k) => -k)], '=', o.fixedEvKw[t]);
  m.setObjectiveCoef(ev, o.pricesYuanPerKwh[t] * dt);
  return { col: ev, loKw, hiKw };
}

/**
 * The base load's energy (a constant, kept so the objective reads as the zone's bill), and the DSO's
 * terms on the EV grid power: w_cg on the excess over PZ, and under consensus λ and ρ/2 (x − ref)²
 * as zone-model.ts adds them for every policy (SPEC §8).
 */
function addZoneTerms(m: ModelBuilder, o: ZoneObjective, evGrid: EvGridCol[]): void {
  const { grid, baseNetLoadKw } = o.zone;
  m.addObjectiveConstant(baseNetLoadKw.reduce((a, p, t) => a + o.pricesYuanPerKwh[t] * p * grid.dtH, 0));
  const signal: DsoSignal = { round: 0, targetKw: o.targetKw, excessPenaltyYuanPerKwh: o.excessPenaltyYuanPerKwh, consensus: o.consensus };
  addSignalTerms(m, o.zone, signal, evGrid.map((e) => e.col), Float64Array.from(evGrid, (e) => e.loKw), Float64Array.from(evGrid, (e) => e.hiKw));
}
