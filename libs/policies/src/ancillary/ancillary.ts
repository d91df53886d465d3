import { InputError } from '@zonal/core';
import { Fleet, sampleDefaultFleet } from '@zonal/ev';
import { caseZoneHeader, declaredDegradationNote, declaredZoneSettings, zoneTariff } from '../case-zone';
import { pricesAtPeriods } from '../common';
import type { CaseZone, PolicyContext, PolicyReport, ReportTable, ZonePolicy } from '../policy';
import { ancillaryCaseSchema, type AncillaryCase } from './case';
import { solveLevelPair, type LevelPair, type MarketPlan, type MarketPrices } from './market-lp';
import { marketPrices, shippedAncillaryCase } from './markets';
import { ancillaryParamsSchema, respond } from './respond';
import { drawMarketSamples, type MarketSamples } from './samples';
import { incentiveLevels, willingShare } from './willingness';

/**
 * ancillary (seed 003, SPEC §7.5): an EV aggregator sells peak-regulation services — charging-based
 * DR (valley filling in the CBDR window) and discharging-based DR (peak shaving in the DBDR window) —
 * with the users who accept its incentive. Each incentive level (pair of levels for CBDR+DBDR) is one
 * LP (market-lp.ts) on the Monte Carlo fleet (samples.ts); the best is kept. Prints seed 003's table:
 * subsidy, purchase, peak-regulation cost, energy and capacity revenue, total, for CBDR, DBDR, both.
 * In the negotiation the zone's own users decide by the same willingness (respond.ts).
 */
type Scenario = 'cbdr' | 'dbdr' | 'both';
const NOT_OFFERED = -1;

export interface AncillarySweep {
  levels: number[];
  shares: number[];
  /** Every LP's plan, by scenario; `both` holds every pair of levels. */
  plans: Record<Scenario, MarketPlan[]>;
  best: Record<Scenario, MarketPlan>;
  /** The best CBDR+DBDR plan solved once more, last, so it is the last exported LP. */
  final: MarketPlan;
}

/** Every level (pair) one LP; the best kept per scenario (SPEC §7.5). */
export async function sweepIncentives(levels: number[], shares: number[], ms: MarketSamples, prices: MarketPrices, ctx: PolicyContext): Promise<AncillarySweep> {
  const pair = (a: number, b: number): LevelPair => ({
    cbdr: a, dbdr: b, cbdrYuanPerKwh: a === NOT_OFFERED ? 0 : levels[a], dbdrYuanPerKwh: b === NOT_OFFERED ? 0 : levels[b],
  });
  const run = (a: number, b: number) => solveLevelPair(ms, pair(a, b), prices, ctx.exporter);
  const plans: Record<Scenario, MarketPlan[]> = { cbdr: [], dbdr: [], both: [] };
  for (let a = 0; a < levels.length; a++) plans.cbdr.push(await run(a, NOT_OFFERED));
  for (let b = 0; b < levels.length; b++) plans.dbdr.push(await run(NOT_OFFERED, b));
  for (let a = 0; a < levels.length; a++) for (let b = 0; b < levels.length; b++) plans.both.push(await run(a, b));
  const bestOf = (xs: MarketPlan[]) => xs.reduce((best, x) => (x.objective > best.objective ? x : best));
  const best = { cbdr: bestOf(plans.cbdr), dbdr: bestOf(plans.dbdr), both: bestOf(plans.both) };
  const final = await run(best.both.levels.cbdr, best.both.levels.dbdr);
  return { levels, shares, plans, best, final };
}

async function runCase(c: AncillaryCase, ctx: PolicyContext): Promise<PolicyReport> {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const levels = incentiveLevels(c.incentiveLevels);
  const shares = levels.map((rho) => willingShare(rho, c.willingness));
  const ms = drawMarketSamples(c.fleet, c.monteCarloSamples, grid, shares, ctx.rng);
  const prices = marketPrices(c, pricesAtPeriods(c.tariff, grid), grid.periods, grid.dtH);
  const sweep = await sweepIncentives(levels, shares, ms, prices, ctx);
  const scenarios = { cbdr: sweep.best.cbdr, dbdr: sweep.best.dbdr, both: sweep.final };
  const fmt = (x: number) => x.toFixed(2);
  const col = (f: (p: MarketPlan) => string) => [f(scenarios.cbdr), f(scenarios.dbdr), f(scenarios.both)];
  const evs = (p: MarketPlan) => Object.values(p.groups).reduce((s, g) => s + (g?.meanEvs ?? 0), 0);
  const sumKwh = (kw: Float64Array) => kw.reduce((a, x) => a + x, 0) * grid.dtH;
  const incentive = (y: number, offered: boolean) => (offered ? y.toFixed(2) : '–');
  const table: ReportTable = {
    title: `ancillary: peak-regulation revenue of a ${c.fleet.count}-EV aggregator, mean of ${c.monteCarloSamples} Monte Carlo days (yuan)`,
    head: ['', 'CBDR', 'DBDR', 'CBDR + DBDR'],
    rows: [
      ['subsidy cost', ...col((p) => fmt(p.books.subsidyYuan))],
      ['electricity purchase cost', ...col((p) => fmt(p.books.purchaseYuan))],
      ['peak regulation cost', ...col((p) => fmt(p.books.peakRegulationCostYuan))],
      ['energy revenue', ...col((p) => fmt(p.books.energyRevenueYuan))],
      ['capacity revenue', ...col((p) => fmt(p.books.capacityRevenueYuan))],
      ['total operating revenue', ...col((p) => fmt(p.books.totalYuan))],
      ['incentive CBDR / DBDR (yuan/kWh)', ...col((p) => `${incentive(p.levels.cbdrYuanPerKwh, p.levels.cbdr >= 0)} / ${incentive(p.levels.dbdrYuanPerKwh, p.levels.dbdr >= 0)}`)],
      ['responding EVs per day (mean)', ...col((p) => evs(p).toFixed(1))],
      ['valley / peak regulation (kWh)', ...col((p) => `${sumKwh(p.valleyRegulationKw).toFixed(0)} / ${sumKwh(p.peakRegulationKw).toFixed(0)}`)],
      ['valley / peak capacity offered (kW·h)', ...col((p) => `${sumKwh(p.valleyOfferKw).toFixed(0)} / ${sumKwh(p.peakOfferKw).toFixed(0)}`)],
    ],
  };
  const sweepTable: ReportTable = {
    title: 'incentive sweep: one LP per level, total operating revenue (yuan); CBDR+DBDR: best over the DBDR level',
    head: ['incentive (yuan/kWh)', 'willing share', 'CBDR alone', 'DBDR alone', 'CBDR + DBDR'],
    rows: sweep.levels.map((rho, k) => [
      rho.toFixed(2), sweep.shares[k].toFixed(3), fmt(sweep.plans.cbdr[k].books.totalYuan), fmt(sweep.plans.dbdr[k].books.totalYuan),
      fmt(Math.max(...sweep.plans.both.filter((p) => p.levels.cbdr === k).map((p) => p.books.totalYuan))),
    ]),
  };
  const rowOf = (p: MarketPlan) => ({
    ...p.books,
    cbdrIncentiveYuanPerKwh: p.levels.cbdr >= 0 ? p.levels.cbdrYuanPerKwh : null,
    dbdrIncentiveYuanPerKwh: p.levels.dbdr >= 0 ? p.levels.dbdrYuanPerKwh : null,
    respondingEvs: evs(p),
    valleyRegulationKwh: sumKwh(p.valleyRegulationKw), peakRegulationKwh: sumKwh(p.peakRegulationKw),
    valleyOfferKwh: sumKwh(p.valleyOfferKw), peakOfferKwh: sumKwh(p.peakOfferKw),
  });
  const notes = [
    `each of ${c.monteCarloSamples} samples draws ${c.fleet.count} EVs afresh; the plan uses the mean envelope, the spread prices the offer's shortfall risk`,
  ];
  if (ms.meanExcluded > 0) notes.push(`${ms.meanExcluded.toFixed(1)} EVs per sample left out on average, e.g. ${ms.excludedExample}`);
  if (!(sweep.final.books.totalYuan > Math.max(sweep.best.cbdr.books.totalYuan, sweep.best.dbdr.books.totalYuan))) {
    notes.push('CBDR+DBDR does not beat both single strategies on this case');
  }
  return {
    policy: 'ancillary', caseName: c.name, seed: c.seed, objective: sweep.final.objective,
    rows: {
      cbdr: rowOf(scenarios.cbdr), dbdr: rowOf(scenarios.dbdr), both: rowOf(scenarios.both),
      sweep: sweep.levels.map((rho, k) => ({
        incentiveYuanPerKwh: rho, willingShare: sweep.shares[k],
        cbdrTotalYuan: sweep.plans.cbdr[k].books.totalYuan, dbdrTotalYuan: sweep.plans.dbdr[k].books.totalYuan,
      })),
      monteCarlo: { samples: ms.samples, evsPerSample: ms.evsPerSample, meanExcludedEvs: ms.meanExcluded },
      schedule: Object.fromEntries(Object.entries(sweep.final.groups).map(([name, g]) => [name, {
        meanEvs: g.meanEvs, chargeKw: Array.from(g.chargeKw), dischargeKw: Array.from(g.dischargeKw),
        gridKw: Array.from(g.gridKw), baselineGridKw: Array.from(g.baselineGridKw),
      }])),
    },
    tables: [table, sweepTable],
    notes,
  };
}

/** The case's fields that `respond` reads from the shipped case instead of the zone file (respond.ts). */
const MARKET_FIELDS = [
  'cbdrWindowH', 'dbdrWindowH', 'regulationEnergyYuanPerKwh', 'capacityYuanPerKwPerH', 'peakRegulationCostYuanPerKwh', 'willingness', 'incentiveLevels',
] as const;

/**
 * The case as one zone: the aggregator's users are the fleet of its first Monte Carlo day (sample 0,
 * drawn as runCase draws it), its tariff, and as the offer the incentive at which the case's users
 * are most willing (its saturation incentive), for CBDR and DBDR alike. The aggregator has no base
 * load of its own (base net load 0 kW). In a zone, respond prices the markets and willingness of the
 * shipped case, so a case that changes them is told so.
 */
function caseZone(c: AncillaryCase, ctx: PolicyContext): CaseZone {
  const fleet = sampleDefaultFleet(c.fleet, ctx.rng.fork('fleet-0'));
  const shipped = shippedAncillaryCase();
  const levels = incentiveLevels(shipped.incentiveLevels);
  const offer = c.willingness.saturationYuanPerKwh;
  if (!levels.some((l) => Math.abs(l - offer) < 1e-9)) {
    throw new InputError(`${offer} yuan/kWh is not an incentive a zone can offer: a zone offers one of the shipped case's levels (${levels.join(', ')})`, 'willingness.saturationYuanPerKwh');
  }
  const differ = MARKET_FIELDS.filter((f) => JSON.stringify(c[f]) !== JSON.stringify(shipped[f]));
  const d = declaredZoneSettings();
  return {
    zone: {
      ...caseZoneHeader('ancillary', c), time: c.time, tariff: zoneTariff(c.tariff),
      baseNetLoadKw: new Array<number>(c.time.periods).fill(0),
      policy: { name: 'ancillary', params: { cbdrIncentiveYuanPerKwh: offer, dbdrIncentiveYuanPerKwh: offer } },
      degradationYuanPerKwh: d.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw, envelopeGrouping: d.envelopeGrouping,
    },
    sessions: Fleet.toSpecs(fleet),
    notes: [
      `the zone's ${fleet.size} users are the case's first Monte Carlo day (sample 0 of ${c.monteCarloSamples}, seed ${c.seed}); in the negotiation each accepts the offer by its own seeded draw, and the zone plans the day it has instead of the mean of ${c.monteCarloSamples}`,
      `the offer is the case's saturation incentive, ${offer} yuan/kWh for CBDR and DBDR (willingness ${c.willingness.shareAtSaturation}); the incentive sweep is standalone only`,
      'the aggregator has no load of its own: the zone\'s base net load is 0 kW',
      ...(differ.length ? [`in a zone, ancillary prices regulation with the shipped case's markets and willingness (cases/ancillary.json); this case's ${differ.join(', ')} differ and are not carried`] : []),
      declaredDegradationNote(),
    ],
  };
}

export const ancillary: ZonePolicy<AncillaryCase> = {
  name: 'ancillary',
  summary: 'EV aggregator selling peak-regulation services: CBDR (valley filling), DBDR (V2G peak shaving) or both, with incentive-dependent user willingness',
  source: 'seed 003 (headings and revenue table only), SPEC §7.5',
  caseSchema: ancillaryCaseSchema,
  runCase,
  paramsSchema: ancillaryParamsSchema,
  respond,
  caseZone,
};
