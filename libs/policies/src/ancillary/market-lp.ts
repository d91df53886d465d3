import type { AggregateEnvelope } from '@zonal/ev';
import { ModelBuilder, solve, type LpExporter } from '@zonal/solver';
import { addEnvelope, type EnvelopeVars } from '../envelope-model';
import { bestOffer, type OfferRule } from './offer';
import { sumEnvelopes, type MarketSamples, type ResponseCell } from './samples';

/**
 * One LP per pair of incentive levels (SPEC §7.5): the aggregator's expected operating revenue from
 * peak-regulation services with the users who accept those incentives (seed 003 §4, declared).
 *
 * Groups of responding users, each modelled by its mean envelope (samples.ts):
 *  - C, accepted CBDR only: charge-only control; its charging above baseline in the CBDR window is
 *    valley regulation (load added when the grid needs it);
 *  - D, accepted DBDR only: V2G control; its draw below baseline in the DBDR window (discharge plus
 *    charging moved away) is peak regulation;
 *  - CD, accepted both: V2G control, selling both.
 * V2G discharge is the DBDR service, so it happens only in the DBDR window (no TOU arbitrage outside
 * it; with it confined there, charging and discharging at once would only raise the draw it is
 * paid to cut and buy energy at the peak tariff, so an optimum never does both).
 *
 * Books (SPEC §7.5): revenue = energy + capacity - subsidy - purchase - peak-regulation cost.
 *  energy:   regulation price x expected regulation delivered (kWh);
 *  capacity: capacity price x regulation capacity offered (kW x h);
 *  subsidy:  the incentive x expected regulation delivered by its users;
 *  purchase: the TOU price of every kWh the responding EVs draw (the aggregator buys their energy);
 *  peak-regulation cost: its price x the expected shortfall of delivery below the offer.
 * Users who decline charge uncoordinated and are outside the aggregator's books.
 *
 * Shortfall (sample-average approximation over the Monte Carlo samples): a sample whose responding
 * users can deliver a fraction r_s of the mean's capability in a period (charging limit in the CBDR
 * window, discharge limit plus baseline in the DBDR window) delivers r_s x the planned regulation;
 * shortfall_s = max(0, offer - r_s x planned). The mean of r_s is 1, so expected delivery is the plan.
 * The best offer is a fixed multiple of the plan (offer.ts), so the capacity revenue less the expected
 * shortfall cost is one coefficient on the planned regulation; `shortfall: 'sample-rows'` writes the
 * sample-average LP out in full instead (a column per sample and period), to check that reduction.
 */
export interface MarketPrices {
  /** Grid purchase price per period, yuan/kWh. */
  tariffYuanPerKwh: Float64Array;
  cbdrPeriods: readonly number[];
  dbdrPeriods: readonly number[];
  valleyEnergyYuanPerKwh: number;
  peakEnergyYuanPerKwh: number;
  capacityYuanPerKwPerH: number;
  peakRegulationCostYuanPerKwh: number;
  peakTieBreakYuanPerKw: number;
}

export interface LevelPair {
  /** Index into the incentive levels for CBDR and DBDR, and the incentives themselves. */
  cbdr: number;
  dbdr: number;
  cbdrYuanPerKwh: number;
  dbdrYuanPerKwh: number;
}

export type GroupName = 'C' | 'D' | 'CD';

export interface GroupPlan {
  meanEvs: number;
  /** Battery-side charge and discharge, grid-side draw and baseline, kW per period. */
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
  gridKw: Float64Array;
  baselineGridKw: Float64Array;
}

export interface MarketBooks {
  subsidyYuan: number;
  purchaseYuan: number;
  peakRegulationCostYuan: number;
  energyRevenueYuan: number;
  capacityRevenueYuan: number;
  totalYuan: number;
}

export interface MarketPlan {
  levels: LevelPair;
  objective: number;
  books: MarketBooks;
  groups: Partial<Record<GroupName, GroupPlan>>;
  valleyRegulationKw: Float64Array;
  peakRegulationKw: Float64Array;
  valleyOfferKw: Float64Array;
  peakOfferKw: Float64Array;
}

interface Group {
  envelope: AggregateEnvelope;
  baselineGridKw: Float64Array;
  meanEvs: number;
}

/** The users who respond at a pair of levels, by group, and the per-sample capabilities of each market. */
export function groupsAt(ms: MarketSamples, a: number, b: number) {
  const T = ms.grid.periods;
  const parts: Record<GroupName, ResponseCell[]> = { C: [], D: [], CD: [] };
  for (const cell of ms.cells) {
    const c = cell.cbdrLevel <= a, d = cell.v2g && cell.dbdrLevel <= b;
    if (c && d) parts.CD.push(cell);
    else if (c) parts.C.push(cell);
    else if (d) parts.D.push(cell);
  }
  const group = (cells: ResponseCell[], mode: 'envelopeV2g' | 'envelopeChargeOnly'): Group | undefined => {
    if (cells.length === 0) return undefined;
    const baselineGridKw = new Float64Array(T);
    for (const cell of cells) for (let t = 0; t < T; t++) baselineGridKw[t] += cell.baselineGridKw[t];
    return { envelope: sumEnvelopes(cells.map((x) => x[mode]), T), baselineGridKw, meanEvs: cells.reduce((s, x) => s + x.meanEvs, 0) };
  };
  const capOf = (cells: ResponseCell[], key: 'chargeCapKw' | 'cutCapKw') => {
    const out = new Float64Array(ms.samples * T);
    for (const cell of cells) for (let k = 0; k < out.length; k++) out[k] += cell[key][k];
    return out;
  };
  return {
    groups: { C: group(parts.C, 'envelopeChargeOnly'), D: group(parts.D, 'envelopeV2g'), CD: group(parts.CD, 'envelopeV2g') },
    valleyCapKw: capOf([...parts.C, ...parts.CD], 'chargeCapKw'),
    peakCapKw: capOf([...parts.D, ...parts.CD], 'cutCapKw'),
  };
}

/** r_s[t] = capability of sample s / mean capability (1 where the mean is 0: nothing is offered there). */
export function deliveryRatios(capKw: Float64Array, samples: number, t: number, periods: number): Float64Array {
  let mean = 0;
  for (let s = 0; s < samples; s++) mean += capKw[s * periods + t] / samples;
  return Float64Array.from({ length: samples }, (_, s) => (mean > 1e-12 ? capKw[s * periods + t] / mean : 1));
}

export type ShortfallForm = 'newsvendor' | 'sample-rows';

export async function solveLevelPair(
  ms: MarketSamples, levels: LevelPair, p: MarketPrices, exporter: LpExporter | undefined, shortfall: ShortfallForm = 'newsvendor',
): Promise<MarketPlan> {
  const { grid, eta, samples } = ms;
  const T = grid.periods, dt = grid.dtH;
  const { groups, valleyCapKw, peakCapKw } = groupsAt(ms, levels.cbdr, levels.dbdr);
  const m = new ModelBuilder('ancillary');
  m.setSense('maximize');
  const dbdrPeriod = new Set(p.dbdrPeriods);

  const vars: Partial<Record<GroupName, EnvelopeVars>> = {};
  for (const name of ['C', 'D', 'CD'] as const) {
    const g = groups[name];
    if (!g) continue;
    const v = addEnvelope(m, g.envelope, eta, grid, `ev${name}`);
    for (let t = 0; t < T; t++) {
      if (!dbdrPeriod.has(t)) m.setColBounds(v.dischargeKw.at(t), 0, 0);
      m.setObjectiveCoef(v.chargeKw.at(t), (-p.tariffYuanPerKwh[t] * dt) / eta);
    }
    vars[name] = v;
  }
  // Grid-side draw of a set of groups in period t, as (cols, coefs).
  const draw = (names: GroupName[], t: number, sign: number) => {
    const cols: number[] = [], coefs: number[] = [];
    for (const n of names) {
      const v = vars[n];
      if (!v) continue;
      cols.push(v.chargeKw.at(t), v.dischargeKw.at(t));
      coefs.push(sign / eta, -sign * eta);
    }
    return { cols, coefs };
  };
  const baseline = (names: GroupName[], t: number) => names.reduce((s, n) => s + (groups[n]?.baselineGridKw[t] ?? 0), 0);

  const market = { m, samples, T, dt, p, shortfall };
  const valley = addMarket(market, 'valley', p.cbdrPeriods, valleyCapKw, p.valleyEnergyYuanPerKwh - levels.cbdrYuanPerKwh, (t) => {
    // R <= draw - baseline  <=>  R - draw <= -baseline
    const d = draw(['C', 'CD'], t, -1);
    const ub = ['C', 'CD'].reduce((s, n) => s + (groups[n as GroupName]?.envelope.pChargeMaxGridKw[t] ?? 0), 0);
    return { ...d, rhs: -baseline(['C', 'CD'], t), ub };
  });
  const peak = addMarket(market, 'peak', p.dbdrPeriods, peakCapKw, p.peakEnergyYuanPerKwh - levels.dbdrYuanPerKwh, (t) => {
    // R <= baseline - draw  <=>  R + draw <= baseline
    const d = draw(['D', 'CD'], t, 1);
    const ub = ['D', 'CD'].reduce((s, n) => s + (groups[n as GroupName]?.envelope.pDischargeMaxGridKw[t] ?? 0), 0) + baseline(['D', 'CD'], t);
    return { ...d, rhs: baseline(['D', 'CD'], t), ub };
  });

  // SPEC §7 tie-break on the peak of the responding fleet's draw (flat TOU blocks make LPs degenerate).
  let peakUb = 0;
  for (let t = 0; t < T; t++) peakUb = Math.max(peakUb, Object.values(groups).reduce((s, g) => s + (g?.envelope.pChargeMaxGridKw[t] ?? 0), 0));
  const peakKw = m.addVar('peakDraw', [], { lb: 0, ub: peakUb });
  for (let t = 0; t < T; t++) {
    const d = draw(['C', 'D', 'CD'], t, -1);
    m.addConstraint('peakDef', [t], [peakKw, ...d.cols], [1, ...d.coefs], '>=', 0);
  }
  m.setObjectiveCoef(peakKw, -p.peakTieBreakYuanPerKw);

  const sol = await solve(m, { exportLp: exporter });
  const planGroups: Partial<Record<GroupName, GroupPlan>> = {};
  let purchaseYuan = 0;
  for (const [name, v] of Object.entries(vars) as [GroupName, EnvelopeVars][]) {
    const chargeKw = sol.values(v.chargeKw), dischargeKw = sol.values(v.dischargeKw);
    const gridKw = chargeKw.map((c, t) => c / eta - dischargeKw[t] * eta);
    for (let t = 0; t < T; t++) purchaseYuan += (p.tariffYuanPerKwh[t] * chargeKw[t] * dt) / eta;
    planGroups[name] = { meanEvs: groups[name]!.meanEvs, chargeKw, dischargeKw, gridKw, baselineGridKw: groups[name]!.baselineGridKw };
  }
  const value = (col: number) => sol.value(col);
  const v = valley.read(value), k = peak.read(value);
  const energyRevenueYuan = (p.valleyEnergyYuanPerKwh * v.deliveredKwh) + (p.peakEnergyYuanPerKwh * k.deliveredKwh);
  const subsidyYuan = levels.cbdrYuanPerKwh * v.deliveredKwh + levels.dbdrYuanPerKwh * k.deliveredKwh;
  const capacityRevenueYuan = p.capacityYuanPerKwPerH * (v.offeredKwh + k.offeredKwh);
  const peakRegulationCostYuan = p.peakRegulationCostYuanPerKwh * (v.shortfallKwh + k.shortfallKwh);
  return {
    levels, objective: sol.objective, groups: planGroups,
    books: {
      subsidyYuan, purchaseYuan, peakRegulationCostYuan, energyRevenueYuan, capacityRevenueYuan,
      totalYuan: energyRevenueYuan + capacityRevenueYuan - subsidyYuan - purchaseYuan - peakRegulationCostYuan,
    },
    valleyRegulationKw: v.regulationKw, peakRegulationKw: k.regulationKw, valleyOfferKw: v.offerKw, peakOfferKw: k.offerKw,
  };
}

/**
 * One market's columns over its window: planned regulation R[t], bounded by the responding groups'
 * change of draw against their baseline; the offer as a multiple of R (offer.ts), or, in the long
 * form, offer C[t] and shortfall S[s,t] >= C[t] - r_s R[t] per sample.
 */
function addMarket(
  mk: { m: ModelBuilder; samples: number; T: number; dt: number; p: MarketPrices; shortfall: ShortfallForm },
  name: string, periods: readonly number[], capKw: Float64Array, netEnergyYuanPerKwh: number,
  bound: (t: number) => { cols: number[]; coefs: number[]; rhs: number; ub: number },
) {
  const { m, samples, T, dt, p } = mk;
  const cols = periods.flatMap((t): { t: number; r: number; offer: number | null; rule: OfferRule; ratios: Float64Array }[] => {
    const b = bound(t);
    if (!(b.ub > 0)) return []; // no responding user can sell here
    const ratios = deliveryRatios(capKw, samples, t, T);
    const rule = bestOffer(ratios, p.capacityYuanPerKwPerH, p.peakRegulationCostYuanPerKwh);
    const r = m.addVar(`${name}Reg`, [t], { lb: 0, ub: b.ub });
    m.addConstraint(`${name}RegDef`, [t], [r, ...b.cols], [1, ...b.coefs], '<=', b.rhs);
    if (mk.shortfall === 'newsvendor') {
      m.setObjectiveCoef(r, (netEnergyYuanPerKwh + rule.valueYuanPerPlannedKwh) * dt);
      return [{ t, r, offer: null, rule, ratios }];
    }
    m.setObjectiveCoef(r, netEnergyYuanPerKwh * dt);
    const cap = Math.max(1, ...ratios) * b.ub;
    const offer = m.addVar(`${name}Offer`, [t], { lb: 0, ub: cap });
    m.setObjectiveCoef(offer, p.capacityYuanPerKwPerH * dt);
    for (let s = 0; s < samples; s++) {
      const x = m.addVar(`${name}Short`, [s, t], { lb: 0, ub: cap });
      m.addConstraint(`${name}ShortDef`, [s, t], [x, offer, r], [1, -1, ratios[s]], '>=', 0);
      m.setObjectiveCoef(x, (-p.peakRegulationCostYuanPerKwh * dt) / samples);
    }
    return [{ t, r, offer, rule, ratios }];
  });
  return {
    read(value: (col: number) => number) {
      const regulationKw = new Float64Array(T), offerKw = new Float64Array(T);
      let deliveredKwh = 0, offeredKwh = 0, shortfallKwh = 0;
      for (const c of cols) {
        regulationKw[c.t] = value(c.r);
        offerKw[c.t] = c.offer === null ? c.rule.offerPerPlannedKw * regulationKw[c.t] : value(c.offer);
        deliveredKwh += regulationKw[c.t] * dt;
        offeredKwh += offerKw[c.t] * dt;
        // The expected shortfall from its definition, whichever form was solved.
        for (const r of c.ratios) shortfallKwh += (Math.max(0, offerKw[c.t] - r * regulationKw[c.t]) / samples) * dt;
      }
      return { regulationKw, offerKw, deliveredKwh, offeredKwh, shortfallKwh };
    },
  };
}
