import { sampleDefaultFleet, uncoordinatedProfile, type EvSchedules, type Fleet, type TimeGrid, type UserClass } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { atPeriods, loadShape } from '../common';
import { defaultCasePath } from '../cases';
import type { DsoSignal, PolicyContext, PolicyReport, ReportTable, ZoneAnswer, ZonePolicy, ZoneProblem } from '../policy';
import { buildZoneModel, solveZone, energyPrices } from '../zone-model';
import { elasticityCaseSchema, type ElasticityCase } from './case';
import { elasticResponse, PRICE_CLASSES, renormalisedClassEnergy } from './response';
import { solveTracking, type Pricing, type TrackingResult } from './tracking-lp';
import { touCodes, zoneUsers, type PricedUser, type ZoneUsers } from './users';

/**
 * elasticity-pricing (seed 001 §2.7–2.8, SPEC §7.1): the zone sets relative TOU price changes for
 * its EV users' charging; price-responsive users shift energy between price classes through the
 * elasticity matrix (response.ts); the zone then schedules them class by class against its target
 * PZ, and dispatches its V2G-enrolled users directly.
 *
 * Stages, each an L1 target-tracking LP (tracking-lp.ts):
 *  0. pricing: the price change x and every user's schedule at once (the joint optimum, a bound);
 *  1–3. with x fixed, the seed's order: type 4 first (their cheap hours cannot cover their need, so
 *       they get the valley and off-peak room first), then type 1 (one class: no room to shift
 *       between classes), then types 2 and 3 together, each stage on top of the load fixed before it;
 *  4. the V2G users, directly, on top of everything: the reported plan, the last LP.
 */
const STAGES: { label: string; types: UserClass[] }[] = [
  { label: 'type 4', types: [4] },
  { label: 'type 1', types: [1] },
  { label: 'types 2 and 3', types: [2, 3] },
];

export interface ZonePlan {
  fleet: Fleet;
  grid: TimeGrid;
  users: ZoneUsers;
  baseKw: Float64Array;
  targetKw: Float64Array;
  uncoordinatedNetKw: Float64Array;
  joint: TrackingResult;
  /** Every stage in order; a stage with no users is not solved (result null). */
  stages: { label: string; types: UserClass[]; users: number; result: TrackingResult | null }[];
  final: TrackingResult;
  /** The reported per-EV schedules (battery side), fleet order, for @zonal/ev checkSchedules. */
  schedules: EvSchedules;
}

function zoneTarget(c: ElasticityCase, grid: TimeGrid, uncoordinatedNetKw: Float64Array): Float64Array {
  if (c.zoneTarget.kind === 'hourly') return atPeriods(c.zoneTarget.kw, grid);
  const mean = uncoordinatedNetKw.reduce((a, x) => a + x, 0) / grid.periods;
  const share = c.zoneTarget.share;
  return uncoordinatedNetKw.map((u) => (1 - share) * u + share * mean);
}

export async function planZone(c: ElasticityCase, ctx: PolicyContext): Promise<ZonePlan> {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const fleet = sampleDefaultFleet(c.fleet, ctx.rng);
  const baseKw = atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw);
  const users = zoneUsers(fleet, grid, touCodes(c.tariff, grid));
  const unco = uncoordinatedProfile(fleet, grid);
  const uncoordinatedNetKw = baseKw.map((p, t) => p + unco.gridKw[t]);
  const targetKw = zoneTarget(c, grid, uncoordinatedNetKw);
  const common = {
    grid, targetKw, v2gDischargeWeightPerKwh: c.v2gDischargeWeightPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
  };
  const joint = await solveTracking({
    ...common, name: 'elasticity-pricing', fixedKw: baseKw, priced: users.priced, direct: users.direct,
    pricing: { kind: 'variable', matrix: c.elasticityMatrix, min: c.relativePriceChange.min, max: c.relativePriceChange.max, weight: c.priceChangeWeight },
  }, ctx.exporter);
  const fixedPricing: Pricing = { kind: 'fixed', matrix: c.elasticityMatrix, x: joint.x, weight: c.priceChangeWeight };
  let fixedKw = baseKw;
  const stages: ZonePlan['stages'] = [];
  const pricedSchedules = new Map<number, Float64Array>();
  for (const stage of STAGES) {
    const priced = users.priced.filter((u) => stage.types.includes(u.type));
    if (priced.length === 0) {
      stages.push({ ...stage, users: 0, result: null });
      continue;
    }
    const result = await solveTracking({ ...common, name: 'elasticity-pricing', fixedKw, priced, direct: [], pricing: fixedPricing }, ctx.exporter);
    priced.forEach((u, k) => pricedSchedules.set(u.index, result.pricedChargeKw[k]));
    stages.push({ ...stage, users: priced.length, result });
    fixedKw = result.netLoadKw;
  }
  const final = await solveTracking({ ...common, name: 'elasticity-pricing', fixedKw, priced: [], direct: users.direct, pricing: fixedPricing }, ctx.exporter);
  stages.push({ label: 'V2G (direct)', types: [], users: users.direct.length, result: final });
  return { fleet, grid, users, baseKw, targetKw, uncoordinatedNetKw, joint, stages, final, schedules: toSchedules(fleet, grid, users, pricedSchedules, final) };
}

function toSchedules(fleet: Fleet, grid: TimeGrid, users: ZoneUsers, priced: Map<number, Float64Array>, final: TrackingResult): EvSchedules {
  const charge = new Map<number, Float64Array>(priced), discharge = new Map<number, Float64Array>();
  const start = new Int32Array(fleet.size).fill(-1);
  for (const u of users.priced) start[u.index] = u.periods[0];
  users.direct.forEach((u, k) => {
    start[u.index] = u.region.periods[0];
    charge.set(u.index, final.directChargeKw[k]);
    discharge.set(u.index, final.directDischargeKw[k]);
  });
  const offset = new Int32Array(fleet.size + 1);
  for (let i = 0; i < fleet.size; i++) offset[i + 1] = offset[i] + (charge.get(i)?.length ?? 0);
  const chargeKw = new Float64Array(offset[fleet.size]), dischargeKw = new Float64Array(offset[fleet.size]);
  for (const [i, c] of charge) chargeKw.set(c, offset[i]);
  for (const [i, d] of discharge) dischargeKw.set(d, offset[i]);
  return { periods: grid.periods, start, offset, chargeKw, dischargeKw };
}

function classEnergies(priced: readonly PricedUser[], matrix: ElasticityCase['elasticityMatrix'], x: readonly number[]) {
  const baseline = [0, 0, 0], responded = [0, 0, 0];
  for (const u of priced) {
    const e = renormalisedClassEnergy(u.needKwh, u.shares, matrix, x);
    for (let c = 0; c < 3; c++) {
      baseline[c] += u.needKwh * u.shares[c];
      responded[c] += e[c];
    }
  }
  return { baseline, responded };
}

async function runCase(c: ElasticityCase, ctx: PolicyContext): Promise<PolicyReport> {
  const plan = await planZone(c, ctx);
  const { users, joint, final, grid } = plan;
  const x = joint.x;
  const count = (t: UserClass) => users.priced.filter((u) => u.type === t).length;
  const a = elasticResponse(c.elasticityMatrix, x);
  const { baseline, responded } = classEnergies(users.priced, c.elasticityMatrix, x);
  const priceRange = (code: string) => {
    const ps = c.tariff.filter((b) => b.code === code).map((b) => b.priceYuanPerKwh);
    return { min: Math.min(...ps), max: Math.max(...ps) };
  };
  const fmtRange = (r: { min: number; max: number }, f = 1) => (r.min === r.max ? (r.min * f).toFixed(3) : `${(r.min * f).toFixed(3)}–${(r.max * f).toFixed(3)}`);
  const shapeRow = (label: string, kw: Float64Array) => {
    const s = loadShape(kw);
    const dev = kw.reduce((acc, p, t) => acc + Math.abs(p - plan.targetKw[t]) * grid.dtH, 0);
    return [label, dev.toFixed(1), s.peakKw.toFixed(1), s.valleyKw.toFixed(1), s.peakValleyKw.toFixed(1), s.stdKw.toFixed(1)];
  };
  const tables: ReportTable[] = [
    {
      title: `elasticity-pricing: user classes of the zone's ${plan.fleet.size} EVs (seed 001 §2.8)`,
      head: ['type 1', 'type 2', 'type 3', 'type 4', 'V2G (direct)', 'left out'],
      rows: [[count(1), count(2), count(3), count(4), users.direct.length, users.excluded.length]],
    },
    {
      title: 'price changes (base: the grid TOU)',
      head: ['class', 'base price (yuan/kWh)', 'relative change', 'new price (yuan/kWh)'],
      rows: PRICE_CLASSES.map((code, k) => [code, fmtRange(priceRange(code)), `${(100 * x[k]).toFixed(1)}%`, fmtRange(priceRange(code), 1 + x[k])]),
    },
    {
      title: 'response of the price-responsive users (battery-side kWh; baseline: need spread over the stay)',
      head: ['class', 'dE/E = E·(dP/P)', 'baseline energy', 'after response (renormalised)', 'change'],
      rows: PRICE_CLASSES.map((code, k) => [
        code, `${(100 * a[k]).toFixed(2)}%`, baseline[k].toFixed(1), responded[k].toFixed(1),
        `${baseline[k] > 0 ? ((100 * (responded[k] - baseline[k])) / baseline[k]).toFixed(2) : '0.00'}%`,
      ]),
    },
    {
      title: 'tracking the zone target PZ (kW; deviation = sum |P - PZ| dt, kWh)',
      head: ['', 'deviation', 'peak', 'valley', 'peak-valley', 'std'],
      rows: [
        shapeRow('uncoordinated', plan.uncoordinatedNetKw),
        shapeRow('joint LP (all users at once)', joint.netLoadKw),
        shapeRow('scheduled by class order (reported)', final.netLoadKw),
      ],
    },
    {
      title: 'schedule order: each stage tracks PZ on top of the stages before it',
      head: ['stage', 'users', 'EV energy drawn (kWh)', 'deviation after the stage (kWh)'],
      rows: plan.stages.map((s) => s.result
        ? [s.label, s.users, (s.result.evGridKw.reduce((acc, p) => acc + p, 0) * grid.dtH).toFixed(1), s.result.deviationKwh.toFixed(1)]
        : [s.label, 0, '–', '–']),
    },
  ];
  const notes: string[] = [`zone target PZ: ${c.zoneTarget.kind === 'flatten' ? `the uncoordinated net load flattened (share ${c.zoneTarget.share})` : 'given hour by hour'}`];
  if (users.excluded.length) notes.push(`${users.excluded.length} EV(s) left out and reported, e.g. ${users.excluded[0]}`);
  return {
    policy: 'elasticity-pricing', caseName: c.name, seed: c.seed, objective: final.objective,
    rows: {
      classes: { type1: count(1), type2: count(2), type3: count(3), type4: count(4), v2gDirect: users.direct.length, excluded: users.excluded },
      priceChanges: Object.fromEntries(PRICE_CLASSES.map((code, k) => [code, { relativeChange: x[k], basePriceYuanPerKwh: priceRange(code), newPriceYuanPerKwh: { min: priceRange(code).min * (1 + x[k]), max: priceRange(code).max * (1 + x[k]) } }])),
      response: Object.fromEntries(PRICE_CLASSES.map((code, k) => [code, { relativeResponse: a[k], baselineKwh: baseline[k], respondedKwh: responded[k] }])),
      tracking: {
        uncoordinated: { deviationKwh: deviation(plan.uncoordinatedNetKw, plan.targetKw, grid.dtH), ...loadShape(plan.uncoordinatedNetKw) },
        joint: { deviationKwh: joint.deviationKwh, objective: joint.objective, ...loadShape(joint.netLoadKw) },
        scheduled: { deviationKwh: final.deviationKwh, objective: final.objective, ...loadShape(final.netLoadKw) },
      },
      stages: plan.stages.map((s) => ({ stage: s.label, users: s.users, deviationKwh: s.result?.deviationKwh ?? null, objective: s.result?.objective ?? null })),
      schedule: { targetKw: Array.from(plan.targetKw), baseKw: Array.from(plan.baseKw), netLoadKw: Array.from(final.netLoadKw), uncoordinatedNetKw: Array.from(plan.uncoordinatedNetKw) },
    },
    tables,
    notes,
  };
}

function deviation(kw: Float64Array, targetKw: Float64Array, dtH: number): number {
  return kw.reduce((acc, p, t) => acc + Math.abs(p - targetKw[t]) * dtH, 0);
}

let shippedCase: ElasticityCase | undefined;
function shippedWeights(): ElasticityCase {
  if (!shippedCase) {
    const path = defaultCasePath('elasticity-pricing');
    if (!path) throw new Error('the elasticity-pricing policy ships cases/elasticity-pricing.json');
    shippedCase = parseWithSchema(elasticityCaseSchema, readJsonFile(path), path);
  }
  return shippedCase;
}

/**
 * In the negotiation (SPEC §8) a zone knows its fleet only as an envelope, so there are no users to
 * price: the whole envelope is dispatched directly with the same L1 tracking of PZ (the DSO's target,
 * or without one a flat line at the day's mean of the base load plus the fleet's least energy), the
 * shipped case's V2G discharge weight, plus the zone model's own terms. An LP (a QP under ADMM).
 */
async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const w = shippedWeights();
  const { grid, envelope, eta } = zone;
  const T = grid.periods, dt = grid.dtH;
  const prices = energyPrices(zone, signal);
  let target = signal.targetKw;
  if (!target) {
    const meanKw = (zone.baseNetLoadKw.reduce((a, x) => a + x, 0) * dt + Math.max(0, envelope.eMinKwh[T]) / eta) / (T * dt);
    target = new Float64Array(T).fill(meanKw);
  }
  const zm = buildZoneModel(zone, signal, `elasticity${zone.zoneId}`);
  const room = envelope.pChargeMaxGridKw.reduce((a, x) => a + x, 0) + envelope.pDischargeMaxGridKw.reduce((a, x) => a + x, 0);
  for (let t = 0; t < T; t++) {
    const span = room + Math.abs(zone.baseNetLoadKw[t]) + Math.abs(target[t]);
    const over = zm.model.addVar('over', [t], { lb: 0, ub: span });
    const under = zm.model.addVar('under', [t], { lb: 0, ub: span });
    zm.model.addConstraint('deviation', [t], [zm.evKw[t], over, under], [1, -1, 1], '=', target[t] - zone.baseNetLoadKw[t]);
    zm.model.setObjectiveCoef(over, dt);
    zm.model.setObjectiveCoef(under, dt);
    zm.model.setObjectiveCoef(zm.env.dischargeKw.at(t), w.v2gDischargeWeightPerKwh * dt);
  }
  return (await solveZone(zm, zone, prices, ctx)).answer;
}

export const elasticityPricing: ZonePolicy<ElasticityCase> = {
  name: 'elasticity-pricing',
  summary: 'TOU price changes through a price-elasticity matrix, four user classes scheduled in the seed\'s order, V2G users dispatched directly, all tracking the zone target PZ (L1)',
  source: 'seed 001 §2.7–2.8, SPEC §7.1',
  caseSchema: elasticityCaseSchema,
  runCase,
  respond,
};
