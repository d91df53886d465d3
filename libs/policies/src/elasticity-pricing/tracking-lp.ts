import type { TimeGrid } from '@zonal/ev';
import { ModelBuilder, solve, type LpExporter } from '@zonal/solver';
import { classEnergyAffine, renormalisedClassEnergy, type Matrix3 } from './response';
import type { DirectUser, PricedUser } from './users';

/**
 * The L1 target-tracking LP of SPEC §7.1 (declared objective):
 *   min  sum_t |P_zone(t) - PZ(t)| dt  +  w_price * sum_class |x_class|
 *        + w_v2g * (kWh discharged by V2G users)  +  tie-break * peak(P_zone)
 * with |.| by split variables, P_zone = fixed load (base, and users scheduled in earlier stages) +
 * the grid-side draw of the users in this model. Price-responsive users charge, per price class,
 * exactly the renormalised response of their need to the price change x (response.ts), per user and
 * period within their charger limit; V2G users move freely inside their exact power–energy region.
 * With `pricing.x` given the class energies are numbers (a dispatch stage); otherwise x is a
 * variable in [min, max] (the pricing model). The deviation is weighted by dt (kWh), so the weights
 * mean the same on any grid.
 */
export type Pricing =
  | { kind: 'variable'; matrix: Matrix3; min: number; max: number; weight: number }
  | { kind: 'fixed'; matrix: Matrix3; x: readonly number[]; weight: number };

export interface TrackingInput {
  name: string;
  grid: TimeGrid;
  targetKw: Float64Array;
  fixedKw: Float64Array;
  priced: readonly PricedUser[];
  direct: readonly DirectUser[];
  pricing: Pricing;
  v2gDischargeWeightPerKwh: number;
  peakTieBreakYuanPerKw: number;
}

export interface TrackingResult {
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
  /** sum_t |netLoad - PZ| dt. */
  deviationKwh: number;
}

export async function solveTracking(input: TrackingInput, exporter: LpExporter | undefined): Promise<TrackingResult> {
  const { grid, pricing } = input;
  const T = grid.periods, dt = grid.dtH;
  const m = new ModelBuilder(input.name);
  const terms = Array.from({ length: T }, () => ({ cols: [] as number[], coefs: [] as number[] }));

  const xCols = pricing.kind === 'variable' ? addPriceChange(m, pricing) : null;
  if (pricing.kind === 'fixed') m.addObjectiveConstant(pricing.weight * pricing.x.reduce((a, v) => a + Math.abs(v), 0));

  const pricedCols = input.priced.map((u, i) => {
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
  });

  const directCols = input.direct.map((u, i) => {
    const r = u.region, L = r.periods.length;
    const e = Array.from({ length: L + 1 }, (_, j) => m.addVar('vE', [i, j], { lb: r.eMinKwh[j], ub: r.eMaxKwh[j] }));
    const c = Array.from(r.periods, (_, j) => m.addVar('vC', [i, j], { lb: 0, ub: r.pMaxKw }));
    const d = Array.from(r.periods, (_, j) => m.addVar('vD', [i, j], { lb: 0, ub: -r.pMinKw }));
    r.periods.forEach((t, j) => {
      m.addConstraint('vSoc', [i, j], [e[j + 1], e[j], c[j], d[j]], [1, -1, -dt, dt], '=', 0);
      m.setObjectiveCoef(d[j], input.v2gDischargeWeightPerKwh * dt);
      terms[t].cols.push(c[j], d[j]);
      terms[t].coefs.push(1 / u.eta, -u.eta);
    });
    return { c, d };
  });

  let scaleKw = 1;
  for (let t = 0; t < T; t++) scaleKw += Math.abs(input.fixedKw[t]) + Math.abs(input.targetKw[t]);
  for (const u of input.priced) scaleKw += u.pMaxKw / u.eta;
  for (const u of input.direct) scaleKw += (u.region.pMaxKw - u.region.pMinKw) / u.eta;
  const peak = m.addVar('peak', [], { lb: -scaleKw, ub: scaleKw });
  m.setObjectiveCoef(peak, input.peakTieBreakYuanPerKw);
  for (let t = 0; t < T; t++) {
    const over = m.addVar('over', [t], { lb: 0, ub: scaleKw });
    const under = m.addVar('under', [t], { lb: 0, ub: scaleKw });
    m.setObjectiveCoef(over, dt);
    m.setObjectiveCoef(under, dt);
    // fixed + draw - PZ = over - under
    m.addConstraint('deviation', [t], [...terms[t].cols, over, under], [...terms[t].coefs, -1, 1], '=', input.targetKw[t] - input.fixedKw[t]);
    m.addConstraint('peakDef', [t], [peak, ...terms[t].cols], [1, ...terms[t].coefs.map((k) => -k)], '>=', input.fixedKw[t]);
  }

  const sol = await solve(m, { exportLp: exporter });
  const value = (col: number) => sol.value(col);
  const xs = pricing.kind === 'fixed' ? pricing.x : xCols!.map(value);
  const x: [number, number, number] = [xs[0], xs[1], xs[2]];
  const evGridKw = new Float64Array(T);
  for (let t = 0; t < T; t++) evGridKw[t] = terms[t].cols.reduce((a, col, k) => a + terms[t].coefs[k] * value(col), 0);
  const netLoadKw = evGridKw.map((p, t) => p + input.fixedKw[t]);
  return {
    objective: sol.objective, x,
    pricedChargeKw: pricedCols.map((cols) => Float64Array.from(cols, value)),
    directChargeKw: directCols.map((u) => Float64Array.from(u.c, value)),
    directDischargeKw: directCols.map((u) => Float64Array.from(u.d, value)),
    evGridKw, netLoadKw,
    deviationKwh: netLoadKw.reduce((a, p, t) => a + Math.abs(p - input.targetKw[t]) * dt, 0),
  };
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
