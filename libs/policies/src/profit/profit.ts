import { z } from 'zod';
import { InputError } from '@zonal/core';
import { socDependentLimitOf } from '@zonal/ev';
import { clock, parseWithSchema, type TariffBlock } from '@zonal/scenario';
import { ModelBuilder, solve, type Solution } from '@zonal/solver';
import { loadShippedCase } from '../cases';
import { caseZoneHeader, declaredDegradationNote, declaredZoneSettings, zoneTariff } from '../case-zone';
import type { CaseZone, DsoSignal, PolicyContext, PolicyReport, ZoneAnswer, ZonePolicy, ZoneProblem } from '../policy';
import { answerFromSchedules, buildZoneModel, energyPrices, solveZoneModel } from '../zone-model';
import { disaggregatePart, fleetPart, mergeSchedules, partBid } from '../zone-parts';
import { addSocDependentEvs, type SocDependentEvs } from './soc-dependent-evs';
import { addSocDependentLp, addSocDependentMilp, lpExactFromDtH, type SocDependentPower } from './soc-dependent-power';

/**
 * profit (SPEC §7.3, seed 000 §4, eq 10–18): an EV aggregator maximises its profit over the night,
 * once with the SOC-dependent charging power (the "detailed" model) and once with a constant
 * average power (the "traditional" model), and reports both and their ratio.
 *
 * Profit = energy sold (V2G) + the users' charging fee on the energy delivered to their batteries
 * (E at departure − E at arrival) − energy bought; sell price = buy price (SPEC §7.3: the seed's
 * eq 11 books charging as revenue and discharging as cost, against its own text).
 *
 * The EVs are identical and share no constraint, so the fleet problem separates: one representative
 * EV scaled by the count is exact, even for the MILP form. The detailed model is the LP of SPEC §6
 * when the step makes it exact, otherwise the region-binary MILP.
 */
const caseSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(0xffffffff),
  /** The case's own horizon (SPEC §2): periods of dtH hours from startH, arrival to departure. */
  time: z.strictObject({
    startH: z.number().min(0).max(24),
    periods: z.number().int().min(1).max(2880),
    dtH: z.number().positive().max(24),
  }).refine((t) => t.periods * t.dtH <= 24 + 1e-9, { message: 'periods × dtH must not exceed 24 h', path: ['periods'] }),
  /** Sell = buy, one price per period; not negative, so no optimum gains by charging and discharging at once. */
  pricesYuanPerKwh: z.array(z.number().min(0).max(100)).min(1),
  chargingFeeYuanPerKwh: z.number().min(0).max(100),
  fleet: z.strictObject({
    count: z.number().int().min(1).max(10_000_000),
    capacityKwh: z.number().positive().max(10_000),
    arrivalKwh: z.number().min(0),
    minKwh: z.number().min(0),
    targetKwh: z.number().min(0),
    eta: z.number().gt(0).max(1),
  }),
  /** Battery side, both directions (seed 000 Table 2). */
  detailedPower: z.strictObject({
    thresholdKwh: z.number().positive(),
    pBelowKw: z.number().positive().max(10_000),
    pAboveKw: z.number().positive().max(10_000),
  }),
  averagedPowerKw: z.number().positive().max(10_000),
  peakTieBreakYuanPerKw: z.number().min(0),
}).superRefine((c, ctx) => {
  const f = c.fleet, issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  if (c.pricesYuanPerKwh.length !== c.time.periods) issue(['pricesYuanPerKwh'], `has ${c.pricesYuanPerKwh.length} prices for ${c.time.periods} periods`);
  if (f.minKwh > f.capacityKwh) issue(['fleet', 'minKwh'], `(${f.minKwh}) exceeds capacityKwh (${f.capacityKwh})`);
  if (f.targetKwh > f.capacityKwh) issue(['fleet', 'targetKwh'], `(${f.targetKwh}) exceeds capacityKwh (${f.capacityKwh})`);
  if (f.arrivalKwh < f.minKwh || f.arrivalKwh > f.capacityKwh) issue(['fleet', 'arrivalKwh'], `(${f.arrivalKwh}) must lie in [minKwh, capacityKwh] = [${f.minKwh}, ${f.capacityKwh}]`);
  const d = c.detailedPower;
  if (d.thresholdKwh >= f.capacityKwh) issue(['detailedPower', 'thresholdKwh'], `(${d.thresholdKwh}) must be below fleet.capacityKwh (${f.capacityKwh})`);
  if (d.pAboveKw > d.pBelowKw) issue(['detailedPower', 'pAboveKw'], `(${d.pAboveKw}) must not exceed pBelowKw (${d.pBelowKw}): the limit falls as the battery fills`);
});
export type ProfitCase = z.infer<typeof caseSchema>;

export type PowerModel = 'averaged' | 'detailed-lp' | 'detailed-milp';

export interface ProfitSchedule {
  /** Battery side, per EV (kW). */
  chargeKw: Float64Array;
  dischargeKw: Float64Array;
  /** Stored energy per EV at boundaries 0..T (kWh). */
  energyKwh: Float64Array;
}

export interface ProfitResult {
  model: PowerModel;
  objective: number;
  schedule: ProfitSchedule;
  /** Fleet totals (grid side for energy bought and sold). */
  boughtKwh: number;
  boughtYuan: number;
  soldKwh: number;
  soldYuan: number;
  feeYuan: number;
  profitYuan: number;
  /** The fleet's largest grid draw (charging positive), the tie-break's subject (kW). */
  peakKw: number;
}

export function socPower(c: ProfitCase): SocDependentPower {
  return { capacityKwh: c.fleet.capacityKwh, thresholdKwh: c.detailedPower.thresholdKwh, pBelowKw: c.detailedPower.pBelowKw, pAboveKw: c.detailedPower.pAboveKw };
}

/** The detailed model is the LP where SPEC §6 proves it exact, the MILP elsewhere. */
export function detailedModel(c: ProfitCase): PowerModel {
  return c.time.dtH >= lpExactFromDtH(socPower(c)) - 1e-12 ? 'detailed-lp' : 'detailed-milp';
}

/** One representative EV's night under a power model, scaled by the fleet size; maximises profit − tie-break. */
export function profitModel(c: ProfitCase, model: PowerModel): ModelBuilder {
  return buildProfitModel(c, model).m;
}

function buildProfitModel(c: ProfitCase, model: PowerModel) {
  const T = c.time.periods, dt = c.time.dtH, f = c.fleet, n = f.count;
  const m = new ModelBuilder(`profit_${model.replace('-', '_')}`);
  m.setSense('maximize');
  const pMaxKw = model === 'averaged' ? c.averagedPowerKw : c.detailedPower.pBelowKw;
  const chargeKw = m.addVars('chargeKw', [T], { lb: 0, ub: pMaxKw });
  const dischargeKw = m.addVars('dischargeKw', [T], { lb: 0, ub: pMaxKw });
  const energyKwh = m.addVars('energyKwh', [T + 1], ([k]) => (k === 0
    ? { lb: f.arrivalKwh, ub: f.arrivalKwh }
    : { lb: k === T ? Math.max(f.minKwh, f.targetKwh) : f.minKwh, ub: f.capacityKwh }));
  for (let t = 0; t < T; t++) {
    m.addConstraint('soc', [t], [energyKwh.at(t + 1), energyKwh.at(t), chargeKw.at(t), dischargeKw.at(t)], [1, -1, -dt, dt], '=', 0);
  }
  if (model === 'detailed-lp') addSocDependentLp(m, socPower(c), energyKwh, dt);
  if (model === 'detailed-milp') addSocDependentMilp(m, socPower(c), energyKwh, dt);

  // Grid side (SPEC §2): charging draws c/eta, discharging returns d·eta.
  const peakKw = m.addVar('peakKw', [], { lb: -n * pMaxKw * f.eta, ub: (n * pMaxKw) / f.eta });
  for (let t = 0; t < T; t++) {
    const r = c.pricesYuanPerKwh[t];
    m.setObjectiveCoef(chargeKw.at(t), (-n * r * dt) / f.eta);
    m.setObjectiveCoef(dischargeKw.at(t), n * r * dt * f.eta);
    m.addConstraint('peakDef', [t], [peakKw, chargeKw.at(t), dischargeKw.at(t)], [1, -n / f.eta, n * f.eta], '>=', 0);
  }
  m.setObjectiveCoef(energyKwh.at(T), n * c.chargingFeeYuanPerKwh);
  m.addObjectiveConstant(-n * c.chargingFeeYuanPerKwh * f.arrivalKwh);
  m.setObjectiveCoef(peakKw, -c.peakTieBreakYuanPerKw);
  return { m, chargeKw, dischargeKw, energyKwh };
}

/** The most an EV can store by departure, charging flat out from arrival under a power model. */
export function maxDepartureKwh(c: ProfitCase, model: PowerModel): number {
  const f = c.fleet, dt = c.time.dtH, p = c.detailedPower;
  let e = f.arrivalKwh;
  for (let t = 0; t < c.time.periods; t++) {
    if (model === 'averaged') {
      e += c.averagedPowerKw * dt;
    } else {
      // pBelow up to the threshold, pAbove for the rest of the period.
      const toThresholdH = Math.max(0, p.thresholdKwh - e) / p.pBelowKw;
      e = toThresholdH >= dt ? e + p.pBelowKw * dt : Math.max(e, p.thresholdKwh) + p.pAboveKw * (dt - toThresholdH);
    }
    e = Math.min(e, f.capacityKwh);
  }
  return e;
}

export async function solveProfit(c: ProfitCase, model: PowerModel, ctx: PolicyContext): Promise<ProfitResult> {
  const reach = maxDepartureKwh(c, model);
  if (reach < c.fleet.targetKwh - 1e-9) {
    throw new InputError(`EVs arriving with ${c.fleet.arrivalKwh} kWh cannot hold ${c.fleet.targetKwh} kWh at departure under the ${model} model: ` +
      `charging flat out for ${c.time.periods * c.time.dtH} h stores at most ${reach.toFixed(2)} kWh`, 'fleet.targetKwh');
  }
  const built = buildProfitModel(c, model);
  const sol: Solution = await solve(built.m, { exportLp: ctx.exporter, ...(model === 'detailed-milp' ? { mipRelGap: 0 } : {}) });
  const charge = sol.values(built.chargeKw), discharge = sol.values(built.dischargeKw);
  // Only at a zero price can an optimum charge and discharge at once (at any positive price it
  // loses (1/eta − eta)·price per kWh): netting keeps every energy and the profit.
  for (let t = 0; t < charge.length; t++) {
    const both = Math.min(charge[t], discharge[t]);
    charge[t] -= both;
    discharge[t] -= both;
  }
  return summarise(c, model, sol.objective, { chargeKw: charge, dischargeKw: discharge, energyKwh: sol.values(built.energyKwh) });
}

/** Profit terms of a schedule, from the schedule and the case alone. */
export function summarise(c: ProfitCase, model: PowerModel, objective: number, s: ProfitSchedule): ProfitResult {
  const { count: n, eta } = c.fleet, dt = c.time.dtH, T = c.time.periods;
  let boughtKwh = 0, boughtYuan = 0, soldKwh = 0, soldYuan = 0, peakKw = -Infinity;
  for (let t = 0; t < T; t++) {
    const buy = (n * s.chargeKw[t] * dt) / eta, sell = n * s.dischargeKw[t] * dt * eta;
    boughtKwh += buy;
    soldKwh += sell;
    boughtYuan += buy * c.pricesYuanPerKwh[t];
    soldYuan += sell * c.pricesYuanPerKwh[t];
    peakKw = Math.max(peakKw, (n * s.chargeKw[t]) / eta - n * s.dischargeKw[t] * eta);
  }
  const feeYuan = n * c.chargingFeeYuanPerKwh * (s.energyKwh[T] - s.energyKwh[0]);
  return { model, objective, schedule: s, boughtKwh, boughtYuan, soldKwh, soldYuan, feeYuan, profitYuan: soldYuan + feeYuan - boughtYuan, peakKw };
}

async function runCase(c: ProfitCase, ctx: PolicyContext): Promise<PolicyReport> {
  // Averaged first, so the last exported model (whose objective is reported) is the detailed one.
  const averaged = await solveProfit(c, 'averaged', ctx);
  const detailed = await solveProfit(c, detailedModel(c), ctx);
  const ratio = detailed.profitYuan / averaged.profitYuan;
  const increasePct = (100 * (detailed.profitYuan - averaged.profitYuan)) / Math.abs(averaged.profitYuan);
  const yuan = (x: number) => x.toFixed(2), kwh = (x: number) => x.toFixed(1);
  const row = (label: string, pick: (r: ProfitResult) => string) => [label, pick(averaged), pick(detailed)];
  const T = c.time.periods, dt = c.time.dtH;
  const fleetKw = (r: ProfitResult, t: number) => c.fleet.count * (r.schedule.chargeKw[t] / c.fleet.eta - r.schedule.dischargeKw[t] * c.fleet.eta);
  const notes = [
    `${c.fleet.count} identical EVs modelled as one representative EV scaled by ${c.fleet.count} (exact: the EVs share no constraint).`,
    detailed.model === 'detailed-lp'
      ? `detailed model: the LP of SPEC §6, exact at ${dt} h steps (exact from ${lpExactFromDtH(socPower(c))} h)`
      : `detailed model: the region-binary MILP (the LP of SPEC §6 is exact only from ${lpExactFromDtH(socPower(c))} h steps, these are ${dt} h)`,
  ];
  const view = (r: ProfitResult) => ({
    model: r.model, profitYuan: r.profitYuan, boughtKwh: r.boughtKwh, boughtYuan: r.boughtYuan, soldKwh: r.soldKwh, soldYuan: r.soldYuan,
    feeYuan: r.feeYuan, peakKw: r.peakKw, objective: r.objective, departureKwhPerEv: r.schedule.energyKwh[T],
    schedule: { chargeKwPerEv: Array.from(r.schedule.chargeKw), dischargeKwPerEv: Array.from(r.schedule.dischargeKw), energyKwhPerEv: Array.from(r.schedule.energyKwh) },
  });
  return {
    policy: 'profit', caseName: c.name, seed: c.seed, objective: detailed.objective,
    rows: { averaged: view(averaged), detailed: view(detailed), ratio, increasePct },
    tables: [
      {
        title: `profit: ${c.fleet.count} EVs of ${c.fleet.capacityKwh} kWh, ${T} periods of ${dt} h from ${clock(c.time.startH)} (seed 000 §4)`,
        head: ['', `averaged (${c.averagedPowerKw} kW)`, `detailed (${c.detailedPower.pBelowKw}/${c.detailedPower.pAboveKw} kW)`],
        rows: [
          row('energy bought (kWh)', (r) => kwh(r.boughtKwh)),
          row('energy bought (yuan)', (r) => yuan(r.boughtYuan)),
          row('energy sold, V2G (kWh)', (r) => kwh(r.soldKwh)),
          row('energy sold, V2G (yuan)', (r) => yuan(r.soldYuan)),
          row('users\' charging fee (yuan)', (r) => yuan(r.feeYuan)),
          row('energy per EV at departure (kWh)', (r) => kwh(r.schedule.energyKwh[T])),
          row('aggregator profit (yuan)', (r) => yuan(r.profitYuan)),
          ['detailed / averaged', '', `${ratio.toFixed(4)} (${increasePct >= 0 ? '+' : ''}${increasePct.toFixed(2)}%)`],
        ],
      },
      {
        title: 'fleet grid power and energy per EV (seed 000 Figures 3–4; power > 0 charging)',
        head: ['period from', 'price (yuan/kWh)', 'averaged (kW)', 'averaged E (kWh)', 'detailed (kW)', 'detailed E (kWh)'],
        rows: Array.from({ length: T }, (_, t) => [
          clock(c.time.startH + t * dt), c.pricesYuanPerKwh[t].toFixed(2),
          fleetKw(averaged, t).toFixed(1), averaged.schedule.energyKwh[t].toFixed(1), fleetKw(detailed, t).toFixed(1), detailed.schedule.energyKwh[t].toFixed(1),
        ]),
      },
    ],
    notes,
  };
}

/**
 * profit's parameters in a zone file: the users' charging fee (yuan per kWh delivered to their
 * batteries); absent, the shipped case's fee (cases/profit.json).
 */
const paramsSchema = z.strictObject({ userFeeYuanPerKwh: z.number().min(0).max(100).optional() });

function shippedFeeYuanPerKwh(): number {
  return loadShippedCase('profit', caseSchema).chargingFeeYuanPerKwh;
}

/**
 * In the negotiation (SPEC §8) the zone maximises its margin at the prices it faces — energy sold −
 * bought − degradation — plus the users' fee on the energy delivered to their batteries (SPEC §7.3),
 * under the DSO's terms: it minimises −margin − fee + tie-break + coordination terms (`objective`;
 * `costYuan` stays energy + degradation). With no fee it is direct-control's problem.
 *
 * EVs whose charger follows a SOC-dependent curve (libs/ev fleet.ts, seed 000 §4) are scheduled one
 * by one with the curve's LP rows (soc-dependent-evs.ts, exact for steps of at least 0.5 h for seed
 * 000; a zone with shorter steps is refused); the others go through the zone's envelope groups and
 * are disaggregated to their EVs as every policy's are. Both kinds' schedules are checked EV by EV.
 */
async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const params = parseWithSchema(paramsSchema, zone.params ?? {}, `zone ${zone.zoneId}: policy.params`);
  const feeYuanPerKwh = params.userFeeYuanPerKwh ?? shippedFeeYuanPerKwh();
  const prices = energyPrices(zone, signal);
  const { grid } = zone;
  const T = grid.periods, dt = grid.dtH;
  const curved = (i: number) => socDependentLimitOf(zone.fleet, i) !== null;
  const envelopeEvs = fleetPart(zone, (i) => (curved(i) ? null : 'envelope'));
  const curveEvs = fleetPart(zone, (i) => (curved(i) ? 'curve' : null));
  const one: { evs?: SocDependentEvs } = {};
  const flex = curveEvs.fleet.size > 0
    ? [(m: ModelBuilder) => (one.evs = addSocDependentEvs(m, curveEvs.fleet, grid, zone.degradationYuanPerKwh, `zone ${zone.zoneId}`))]
    : [];
  const zm = buildZoneModel(partBid(zone, envelopeEvs), signal, `zone${zone.zoneId}_profit`, { flex });
  const m = zm.model;
  for (let t = 0; t < T; t++) m.setObjectiveCoef(zm.evKw[t], prices[t] * dt);
  m.addObjectiveConstant(zone.baseNetLoadKw.reduce((a, p, t) => a + prices[t] * p * dt, 0));
  // The users pay for energy stored (battery side, net of V2G): Σ (c − d)·dt is what their batteries gained.
  const addFee = (col: number, sign: number) => m.setObjectiveCoef(col, -sign * feeYuanPerKwh * dt); // adds to the column's cost
  for (let t = 0; t < T; t++) {
    addFee(zm.env.chargeKw.at(t), 1);
    addFee(zm.env.dischargeKw.at(t), -1);
  }
  one.evs?.chargeCols.forEach((col) => addFee(col, 1));
  one.evs?.dischargeCols.forEach((col) => addFee(col, -1));

  const { sol, groupBatteryKw } = await solveZoneModel(zm, ctx);
  const d = disaggregatePart(envelopeEvs, grid, groupBatteryKw);
  const parts = [{ indices: envelopeEvs.indices, schedules: d.schedules }];
  if (one.evs) parts.push({ indices: curveEvs.indices, schedules: one.evs.read(sol) });
  const schedules = mergeSchedules(zone.fleet.size, T, parts);
  return answerFromSchedules(zone, schedules, prices, sol.objective, { overKwh: d.overKwh, shortfallKwh: d.underKwh });
}

/**
 * The case as one zone. Its night (T periods of dt from startH) is mapped onto the periodic day at the
 * case's own step (SPEC §2; 48 × 0.5 h for the shipped case): every EV one session from startH to the
 * horizon's end with the case's energies and its SOC-dependent charger (pBelow below the threshold,
 * pAbove above it; V2G at pBelow, cut by the same ratio above it as libs/ev does); the tariff is the
 * case's prices over the night and SPEC's TOU for the rest of the day, each half hour in the TOU class
 * of its hour; the users' fee is the policy's parameter. The aggregator has no load of its own.
 */
function caseZone(c: ProfitCase, _ctx: PolicyContext): CaseZone {
  const { startH, periods: T, dtH } = c.time, f = c.fleet, p = c.detailedPower;
  const dayPeriods = Math.round(24 / dtH);
  if (Math.abs(dayPeriods * dtH - 24) > 1e-9) throw new InputError(`${dtH} h steps do not divide the 24 h day a zone lives on`, 'time.dtH');
  if (Math.abs(startH / dtH - Math.round(startH / dtH)) > 1e-9) throw new InputError(`${startH} h is not a boundary of the ${dtH} h steps, so the night cannot sit on the zone's day`, 'time.startH');
  if (T * dtH >= 24 - 1e-9) throw new InputError(`the night lasts ${T * dtH} h: a charging session must be shorter than the 24 h day`, 'time.periods');
  const spec = declaredZoneSettings().tariff.blocks;
  const blocks: TariffBlock[] = [];
  for (let t = 0; t < dayPeriods; t++) {
    const fromH = t * dtH, k = Math.round((((fromH - startH) % 24) + 24) % 24 / dtH);
    const tou = spec.find((b) => fromH + 1e-9 >= b.fromH && fromH + 1e-9 < b.toH)!;
    const priceYuanPerKwh = k < T ? c.pricesYuanPerKwh[k] : tou.priceYuanPerKwh;
    const last = blocks.at(-1);
    if (last && last.code === tou.code && last.priceYuanPerKwh === priceYuanPerKwh) last.toH = fromH + dtH;
    else blocks.push({ code: tou.code, fromH, toH: fromH + dtH, priceYuanPerKwh });
  }
  blocks[blocks.length - 1].toH = 24;
  const d = declaredZoneSettings();
  const endH = startH + T * dtH;
  return {
    zone: {
      ...caseZoneHeader('profit', c), time: { periods: dayPeriods, dtH }, tariff: zoneTariff(blocks),
      baseNetLoadKw: new Array<number>(dayPeriods).fill(0),
      policy: { name: 'profit', params: { userFeeYuanPerKwh: c.chargingFeeYuanPerKwh } },
      degradationYuanPerKwh: d.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw, envelopeGrouping: d.envelopeGrouping,
    },
    sessions: Array.from({ length: f.count }, (_, i) => ({
      id: String(i + 1), arrivalH: startH % 24, departureH: (startH % 24) + T * dtH, capacityKwh: f.capacityKwh,
      pChargeMaxKw: p.pBelowKw, pDischargeMaxKw: p.pBelowKw, eta: f.eta, v2g: true,
      socMin: f.minKwh / f.capacityKwh, socMax: 1, socArrival: f.arrivalKwh / f.capacityKwh,
      socTarget: Math.max(f.minKwh, f.targetKwh) / f.capacityKwh,
      socDependent: { breakpointKwh: p.thresholdKwh, pAboveKw: p.pAboveKw },
    })),
    notes: [
      `the case's night (${T} periods of ${dtH} h from ${clock(startH)}) mapped onto the periodic day as ${dayPeriods} periods of ${dtH} h: ` +
        `its ${f.count} EVs are sessions ${clock(startH)}–${clock(endH)}; the tariff is its prices over the night and SPEC's TOU ${clock(endH)}–${clock(startH)}`,
      `on a coarser grid (e.g. --time-periods 24) the night's prices are averaged per period; the SOC-dependent rows stay exact for steps of at least ${lpExactFromDtH(socPower(c))} h (SPEC §6), and a finer grid is refused`,
      `in a zone the EVs follow the detailed (SOC-dependent) model; the averaged-power comparison is standalone only; the aggregator has no load of its own (base net load 0 kW)`,
      declaredDegradationNote(),
    ],
  };
}

export const profit: ZonePolicy<ProfitCase> = {
  name: 'profit',
  summary: 'maximise an EV aggregator\'s profit with SOC-dependent charging power vs a constant average power (seed 000 §4)',
  source: 'SPEC §7.3 and §6, seed 000 §4 eq 10–18',
  caseSchema,
  runCase,
  paramsSchema,
  respond,
  caseZone,
};
