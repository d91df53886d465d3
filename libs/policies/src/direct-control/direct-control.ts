import { z } from 'zod';
import { aggregateEnvelope, anchoredEnvelopeGroups, checkSchedules, Fleet, sampleDefaultFleet, uncoordinatedProfile, type ScheduleCheck } from '@zonal/ev';
import { evFleetSchema } from '@zonal/scenario';
import { atPeriods, baseLoadSchema, caseHeader, loadShape, pricesAtPeriods, tariffBlocks, touCodesAtPeriods } from '../common';
import { caseZoneHeader, declaredZoneSettings, zoneTariff } from '../case-zone';
import type { CaseZone, DsoSignal, PolicyContext, PolicyReport, ZoneAnswer, ZonePolicy, ZoneProblem } from '../policy';
import { buildZoneModel, solveZone, zoneCostYuan, energyPrices, type ZoneModel } from '../zone-model';

/**
 * direct-control (SPEC §7.0): the zone minimises its energy cost plus EV degradation (V2G discharge,
 * yuan/kWh) over its aggregate envelope, subject to the DSO's coupling terms. Convex (an LP, a QP
 * with ADMM's proximal term), so it is the policy with which the negotiation must reach the
 * centralised optimum.
 */
const caseSchema = z.strictObject({
  ...caseHeader,
  tariff: tariffBlocks,
  baseLoadKw: baseLoadSchema,
  fleet: evFleetSchema,
  degradationYuanPerKwh: z.number().min(0),
  peakTieBreakYuanPerKw: z.number().min(0),
});
type DirectControlCase = z.infer<typeof caseSchema>;

async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const { zm, prices } = directControlModel(zone, signal);
  return (await solveZone(zm, zone, prices, ctx)).answer;
}

/** direct-control's zone model against `signal` and the prices it pays (respond: this, then solveZone). */
export function directControlModel(zone: ZoneProblem, signal: DsoSignal): { zm: ZoneModel; prices: Float64Array } {
  const prices = energyPrices(zone, signal);
  const zm = buildZoneModel(zone, signal, undefined, { evCapsFor: zone });
  for (let t = 0; t < zone.grid.periods; t++) zm.model.setObjectiveCoef(zm.evKw[t], prices[t] * zone.grid.dtH);
  // The base load's cost is a constant: kept in the objective so it reads as the zone's bill.
  zm.model.addObjectiveConstant(zone.baseNetLoadKw.reduce((a, p, t) => a + prices[t] * p * zone.grid.dtH, 0));
  return { zm, prices };
}

async function runCase(c: DirectControlCase, ctx: PolicyContext): Promise<PolicyReport> {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const fleet = sampleDefaultFleet(c.fleet, ctx.rng);
  const envelope = aggregateEnvelope(fleet, grid);
  // One envelope per group of EVs alike in window, charger, need and room (libs/ev groups.ts): their
  // sum is the fleet's feasible set (one envelope for the fleet is about 8% optimistic on such fleets), and each
  // group's schedule goes to its own EVs, every EV's schedule then proven feasible.
  const envelopeGroups = anchoredEnvelopeGroups(fleet, grid, 'window-energy');
  const tariff = pricesAtPeriods(c.tariff, grid);
  const zone: ZoneProblem = {
    zoneId: 1, grid, envelope, envelopeGroups, eta: c.fleet.eta, fleet, tariffYuanPerKwh: tariff, tariffCodes: touCodesAtPeriods(c.tariff, grid),
    baseNetLoadKw: atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw),
    degradationYuanPerKwh: c.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
  };
  // The answer carries every EV's schedule, already disaggregated group by group and proven feasible
  // (zone-model.ts deliverToEvs); the check is repeated here for the report's counts.
  const answer = await respond(zone, { round: 0 }, ctx);
  const delivery = answer.delivery;
  // Exact up to the solver's tolerance (1e-6 relative) on the energy the groups were asked for.
  const askedKwh = (answer.groupBatteryKw ?? []).reduce((a, g) => a + g.reduce((b, kw) => b + Math.abs(kw), 0) * grid.dtH, 0);
  const exact = delivery.overKwh + delivery.shortfallKwh <= 1e-6 * Math.max(1, askedKwh);
  const check = checkSchedules(fleet, grid, answer.schedules);
  const unco = uncoordinatedProfile(fleet, grid);
  const uncoCheck = checkSchedules(fleet, grid, unco.schedules);
  const uncoNet = zone.baseNetLoadKw.map((p, t) => p + unco.gridKw[t]);
  const uncoCost = zoneCostYuan(zone, tariff, uncoNet, new Float64Array(grid.periods));
  const before = loadShape(uncoNet), after = loadShape(answer.netLoadKw);
  const evKwh = (kw: ArrayLike<number>) => Array.from(kw).reduce((a, b) => a + b, 0) * grid.dtH;
  const byBlock = (kw: ArrayLike<number>) => ['v', 'o', 'p'].map((code) =>
    c.tariff.filter((b) => b.code === code).reduce((sum, b) => sum + Array.from(kw).reduce((a, x, t) => {
      const h = t * grid.dtH;
      return a + (h >= b.fromH && h < b.toH ? x * grid.dtH : 0);
    }, 0), 0));
  const [bv, bo, bp] = byBlock(unco.gridKw), [av, ao, ap] = byBlock(answer.evKw);
  const excluded = envelope.excluded.map((p) => p.message);
  return {
    policy: 'direct-control', caseName: c.name, seed: c.seed, objective: answer.objective,
    rows: {
      uncoordinated: { costYuan: uncoCost, ...before, evKwh: evKwh(unco.gridKw), evKwhByBlock: { valley: bv, offPeak: bo, peak: bp } },
      directControl: { costYuan: answer.costYuan, ...after, evKwh: evKwh(answer.evKw), evKwhByBlock: { valley: av, offPeak: ao, peak: ap } },
      costReductionPct: (100 * (uncoCost - answer.costYuan)) / uncoCost,
      evs: {
        count: fleet.size, scheduled: envelope.evCount, excluded, envelopes: envelopeGroups.length,
        provenFeasible: check.ok, uncoordinatedProvenFeasible: uncoCheck.ok,
        trackedExactly: exact, shortfallKwh: delivery.shortfallKwh, overKwh: delivery.overKwh,
      },
      schedule: { evKw: Array.from(answer.evKw), netLoadKw: Array.from(answer.netLoadKw), uncoordinatedEvKw: Array.from(unco.gridKw) },
    },
    tables: [{
      title: `direct-control: ${envelope.evCount} of ${fleet.size} EVs scheduled against the TOU tariff`,
      head: ['', 'uncoordinated', 'direct-control'],
      rows: [
        ['zone energy + degradation cost (yuan)', uncoCost.toFixed(2), answer.costYuan.toFixed(2)],
        ['peak net load (kW)', before.peakKw.toFixed(1), after.peakKw.toFixed(1)],
        ['valley net load (kW)', before.valleyKw.toFixed(1), after.valleyKw.toFixed(1)],
        ['net-load std (kW)', before.stdKw.toFixed(1), after.stdKw.toFixed(1)],
        ['EV energy in valley / off-peak / peak (kWh)', `${bv.toFixed(0)} / ${bo.toFixed(0)} / ${bp.toFixed(0)}`, `${av.toFixed(0)} / ${ao.toFixed(0)} / ${ap.toFixed(0)}`],
        ['EVs given a schedule / proven feasible', feasibility(uncoCheck), feasibility(check)],
      ],
    }],
    notes: [
      `${envelopeGroups.length} envelopes (EVs alike in window, charger, need and room); each group's schedule disaggregated to its EVs: ` +
        (exact ? 'tracked exactly' : `${delivery.shortfallKwh.toFixed(3)} kWh short, ${delivery.overKwh.toFixed(3)} kWh beyond`) +
        (check.ok ? ', every EV schedule proven feasible' : `; ${check.violationCount} violation(s), e.g. ${check.violations[0]?.message}`),
      ...(excluded.length ? [`${excluded.length} EV(s) left out and reported, e.g. ${excluded[0]}`] : []),
      ...(unco.shortOfTarget.length
        ? [`uncoordinated: ${unco.shortOfTarget.length} EV(s) cannot reach their target and charge at full power short of it (the checker's violations), e.g. ${unco.shortOfTarget[0].message}`]
        : []),
    ],
  };
}

/** "given a schedule / proven feasible" for the report's table (the checker lists up to 50 violations). */
function feasibility(check: ScheduleCheck): string {
  const failing = new Set(check.violations.map((v) => v.index)).size;
  const listedAll = check.violations.length === check.violationCount;
  return `${check.scheduledEvs} / ${check.scheduledEvs - failing}${listedAll ? '' : ' or fewer'}`;
}

/**
 * The case as one zone: its fleet (drawn as runCase draws it), its base load as the zone's base net
 * load, its tariff, degradation and tie-break. The case is a whole feeder's (IEEE-33's load and the
 * default 3000-EV fleet), so the zone is one of feeder size.
 */
function caseZone(c: DirectControlCase, ctx: PolicyContext): CaseZone {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const fleet = sampleDefaultFleet(c.fleet, ctx.rng);
  return {
    zone: {
      ...caseZoneHeader('direct-control', c), time: c.time, tariff: zoneTariff(c.tariff),
      baseNetLoadKw: Array.from(atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw)),
      policy: { name: 'direct-control' },
      degradationYuanPerKwh: c.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
      envelopeGrouping: declaredZoneSettings().envelopeGrouping,
    },
    sessions: Fleet.toSpecs(fleet),
    notes: [
      `the case's ${fleet.size} EVs (seed ${c.seed}, drawn as zonal policy direct-control draws them) on its base load of ${c.baseLoadKw.peakKw} kW peak as the zone's base net load`,
    ],
  };
}

export const directControl: ZonePolicy<DirectControlCase> = {
  name: 'direct-control',
  summary: 'minimise the zone\'s energy cost + V2G degradation over its aggregate envelope (convex; the default in zonal sim)',
  source: 'SPEC §7.0',
  caseSchema,
  runCase,
  respond,
  caseZone,
};
