import { Fleet, sampleDefaultFleet, uncoordinatedProfile, type EvSchedules, type TimeGrid, type UserClass } from '@zonal/ev';
import { atPeriods, loadShape } from '../common';
import { caseZoneHeader, declaredDegradationNote, declaredZoneSettings, zoneTariff } from '../case-zone';
import type { CaseZone, PolicyContext, PolicyReport, ReportTable, ZonePolicy } from '../policy';
import { elasticityCaseSchema, elasticityParamsSchema, type ElasticityCase } from './case';
import { scheduleZone, type PipelineResult } from './pipeline';
import { respond } from './respond';
import { classEnergies, elasticResponse, PRICE_CLASSES } from './response';
import type { TrackingResult } from './tracking-lp';
import { touCodes, zoneUsers, type ZoneUsers } from './users';

/**
 * elasticity-pricing (seed 001 §2.7–2.8, SPEC §7.1): the zone sets relative TOU price changes for
 * its EV users' charging; price-responsive users shift energy between price classes through the
 * elasticity matrix (response.ts); the zone then schedules them class by class against its target
 * PZ, and dispatches its V2G-enrolled users directly (pipeline.ts). Standalone (`runCase`, this file)
 * every stage tracks a declared PZ in L1; in the negotiation (`respond`, respond.ts) every stage
 * minimises the zone's own cost with a one-sided penalty over the DSO's PZ.
 */
export interface ZonePlan {
  fleet: Fleet;
  grid: TimeGrid;
  users: ZoneUsers;
  baseKw: Float64Array;
  targetKw: Float64Array;
  uncoordinatedNetKw: Float64Array;
  joint: TrackingResult;
  /** Every stage in order; a stage with no users is not solved (result null). */
  stages: PipelineResult['stages'];
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
  const plan = await scheduleZone({
    name: 'elasticity-pricing', grid, fleetSize: fleet.size, users, baseKw,
    pricing: { matrix: c.elasticityMatrix, min: c.relativePriceChange.min, max: c.relativePriceChange.max, weight: c.priceChangeWeight },
    peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
    objective: () => ({ kind: 'track', targetKw, v2gDischargeWeightPerKwh: c.v2gDischargeWeightPerKwh }),
    groupUsers: false,
  }, ctx.exporter);
  return { fleet, grid, users, baseKw, targetKw, uncoordinatedNetKw, joint: plan.joint, stages: plan.stages, final: plan.final, schedules: plan.schedules };
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

/**
 * The case as one zone: its fleet (drawn as planZone draws it), its base load, its tariff (the base
 * charging price), and its pricing — elasticity matrix, price-change range and weight — as the
 * policy's parameters. Its standalone target PZ stays behind: in the negotiation the DSO sets PZ.
 */
function caseZone(c: ElasticityCase, ctx: PolicyContext): CaseZone {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const fleet = sampleDefaultFleet(c.fleet, ctx.rng);
  const d = declaredZoneSettings();
  return {
    zone: {
      ...caseZoneHeader('elasticity-pricing', c), time: c.time, tariff: zoneTariff(c.tariff),
      baseNetLoadKw: Array.from(atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw)),
      policy: {
        name: 'elasticity-pricing',
        params: { elasticityMatrix: c.elasticityMatrix, relativePriceChange: { ...c.relativePriceChange }, priceChangeWeight: c.priceChangeWeight },
      },
      degradationYuanPerKwh: d.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw, envelopeGrouping: d.envelopeGrouping,
    },
    sessions: Fleet.toSpecs(fleet),
    notes: [
      `the case's ${fleet.size} EVs (seed ${c.seed}, drawn as zonal policy elasticity-pricing draws them) on its base load of ${c.baseLoadKw.peakKw} kW peak`,
      `its zone target (${c.zoneTarget.kind}) and V2G discharge weight are standalone only: in the negotiation the DSO sets PZ, excess over it priced at ` +
        'policy.params.excessPenaltyYuanPerKwh (default w_cg, SPEC §8), and V2G discharge at the zone\'s degradation cost',
      declaredDegradationNote(),
    ],
  };
}

export const elasticityPricing: ZonePolicy<ElasticityCase> = {
  name: 'elasticity-pricing',
  summary: 'TOU price changes through a price-elasticity matrix, four user classes scheduled in the seed\'s order, V2G users dispatched directly; standalone tracking the zone target PZ (L1), in the negotiation the zone\'s cost with a one-sided penalty over PZ',
  source: 'seed 001 §2.7–2.8, SPEC §7.1',
  caseSchema: elasticityCaseSchema,
  paramsSchema: elasticityParamsSchema,
  runCase,
  respond,
  caseZone,
};
