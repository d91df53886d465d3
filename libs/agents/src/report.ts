import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { InputError } from '@zonal/core';
import { join } from 'node:path';
import type { CentralisedResult, NegotiationResult, NegotiationSetup } from '@zonal/coordination';
import type { ZoneDeliveryFigures, ZonePricing } from '@zonal/policies';
import { curtailedKwh, type CostTable, type DispatchResult, type Violation } from '@zonal/dispatch';
import { PROTOCOL_VERSION } from '@zonal/protocol';
import { writeReportHtml } from '@zonal/report-html';

/** The version of Zonal that wrote a report (the workspace's package.json). */
const ZONAL_VERSION: string = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The main job's report (SPEC §8 step 5): written as report.json plus CSVs. */
export interface SimReport {
  scenario: string;
  seed: number;
  runId: string;
  transport: string;
  method: string;
  converged: boolean;
  roundLimitHit: boolean;
  /** Stopped for making no progress in `negotiation.stallRounds` rounds (a policy that is not convex). */
  stalled: boolean;
  /** Stopped because the delivered point still broke a rating after the DSO's last re-plan (NegotiationResult.deliveryUnmet). */
  deliveryUnmet: boolean;
  /** Zones that never gave an acceptable answer (silent, or every reply refused): the run is then not converged. */
  unanswered: number[];
  /** Zones whose answer stopped moving for `negotiation.stallRounds` rounds while off the DSO's ask, at the end (NegotiationResult.stalledZones). */
  stalledZones: NegotiationResult['stalledZones'];
  /** What stopped the negotiation from outside its rules (the wall-clock budget, the server gone), or null. */
  stoppedBy: string | null;
  /** Rounds the DSO could not record on JetStream (no JetStream, the stream lost): the negotiation went on. */
  unrecordedRounds?: number[];
  /**
   * Rounds whose first recording the server acknowledged as a duplicate: it already held a record
   * under this DSO's message id for that round, which this DSO had not stored. The id has a secret
   * part drawn per round and carried in no record, so this means the secret leaked. A duplicate on a
   * retry is this DSO's own earlier attempt, stored though unacknowledged, and is not listed.
   */
  duplicateRecords?: number[];
  /** The DSO's recorder instance: in each of its records and their message ids; `readRounds(runId, { instances: [it] })` tells its records from other instances'. */
  recordInstance?: string;
  /**
   * The message id each of this DSO's rounds was stored under (`<runId>.<recordInstance>.<round>.<secret>`),
   * by round: `readRounds(runId, { messageIds: it })` takes the DSO's own record of each round, and
   * reports as foreign any other record of it, even one that copied the DSO's instance and came first.
   */
  recordIds?: Record<string, string>;
  rounds: number;
  maxRounds: number;
  /**
   * (negotiated total − centralised total) / centralised total, in percent (SPEC §8 totals, soft-limit
   * penalties included: GAP_DEFINITION); null when the report was made without the oracle (a deployed
   * DSO not given the zone files).
   */
  gapToCentralisedPct: number | null;
  /** How the gap is computed (GAP_DEFINITION), and why it is negative when it is. */
  gapDefinition?: string;
  gapNote?: string;
  /**
   * What the printed figures are of: `delivered` — the feeder dispatched with what every zone's EVs
   * draw at each bus (their per-EV schedules summed there), AC-checked; `agreed` — some zone gave
   * only its total, spread over its buses by its announced flexibility.
   */
  operatingPoint: 'delivered' | 'agreed';
  costs: {
    beforeCoordination: ReturnType<typeof costRows>;
    /** The operating point's costs (see operatingPoint). */
    negotiated: ReturnType<typeof costRows> & { degradation: number; totalWithDegradation: number };
    /** The DSO's model of the agreed aggregates (totals by announced shares), only where its figures differ from the delivered point's. */
    agreed?: ReturnType<typeof costRows> & { degradation: number; totalWithDegradation: number; lossKwh: number; violations: number };
    centralised: (ReturnType<typeof costRows> & { degradation: number; totalWithDegradation: number }) | null;
    reductionPct: number;
  };
  /**
   * Peaks before coordination and at the operating point: gross load (base + EVs, kW; reductionPct),
   * substation purchase (kW; purchaseReductionPct) and the EVs' own power (kW; evReductionPct).
   */
  peakShaving: {
    peakLoadBeforeKw: number; peakLoadAfterKw: number; reductionPct: number;
    peakPurchaseBeforeKw: number; peakPurchaseAfterKw: number; purchaseReductionPct: number;
    evPeakBeforeKw: number; evPeakAfterKw: number; evReductionPct: number;
  };
  /** The substation transformer: its declared rating (null: none declared) and the AC |S| peak before and after (kVA). */
  substation: { ratingKva: number | null; peakKvaBefore: number; peakKvaAfter: number };
  /** Available PV and wind energy left unused (kWh/day), before coordination and at the operating point. */
  curtailmentKwh: { before: number; after: number };
  /** The feeder's voltage band (pu), as the scenario declares it. */
  voltageBandPu: [number, number];
  /** Where each declared value of the DSO's file comes from (scenario `sources`). */
  sources?: Record<string, string>;
  zones: Array<{
    id: number; buses: number[]; policy: string; evs: number; scheduledEvs: number; targetKw: number[]; achievedKw: number[]; mismatchRmsKw: number; degradationYuan: number;
    /** What the zone reported of its EVs' schedules in its last answer (null: it never answered). */
    delivery: ZoneDeliveryFigures | null;
    /** elasticity-pricing zones: users per type, class price changes (percent), energy per class. */
    pricing?: ZonePricing;
  }>;
  /** Zones in the DSO's list that never announced themselves (negotiated without). */
  missingZones: number[];
  tieLines: NegotiationSetup['tieLines'];
  trades: NegotiationResult['evaluation']['trades'];
  ac: { converged: boolean; lossKwh: number; lpLossKwh: number; vminPu: number; vminBus: number; vminHour: number; maxAbsVDiffPu: number; violations: number };
  acBefore: { lossKwh: number; vminPu: number; vminBus: number; violations: number };
  incidents: NegotiationResult['incidents'];
  /** Rounds at which the method agreed but the EVs' delivered point broke a limit (the DSO then tightened those limits in its model and went on). */
  deliveryChecks: NegotiationResult['deliveryChecks'];
  /** Agreed on a delivered point that keeps soft-limit violations, once the re-plans stopped lowering its cost (NegotiationResult.deliveryKept); null otherwise. */
  deliveryKept: NegotiationResult['deliveryKept'];
  /** The DSO's caps on what a zone's EVs below a branch only they load may draw, as they stood at the end (NegotiationResult.evCaps). */
  evCaps: NegotiationResult['evCaps'];
  /** The EVs the zones left out, named: only a harness that holds the zone files fills this (a DSO knows counts). */
  excludedEvs: string[];
  roundLog: Array<{ round: number; rho: number; primalResidualKw: number; dualResidualKw: number; totalCostYuan: number; relCostChange: number | null }>;
  /** Emissions of the day (t CO2): before coordination, after, and the carbon quota after (seed 001 eq 3–5). */
  emissionsT: { before: number; after: number; quota: number };
  /** The negotiated operating point period by period (AC-checked): the audit table (periods.csv). */
  periods: PeriodRow[];
  /** AC voltage of every bus per period (pu), at the negotiated point. */
  buses: Array<{ bus: number; vmPu: number[] }>;
  /** Every in-service branch: its declared rating and its AC loading per period (percent of the rating). */
  branches: Array<{ from: number; to: number; ratingKva: number; loadingPct: number[] }>;
  /** Every AC violation past its limit (bus or branch, period, value, limit), before coordination and at the negotiated point. */
  violations: { before: Violation[]; after: Violation[] };
  /** The harness's: the scenario or parties' directory it ran, and the SHA-256 of the DSO file the DSO ran from. */
  source?: { ref: string; dsoFileSha256: string };
  /** What was run: EV and zone counts, the periods' length, the versions that ran it. */
  run: { evs: number; zones: number; periods: number; dtH: number; versions: { zonal: string; protocol: number; node: string } };
}

function costRows(c: CostTable) {
  return { purchase: c.purchaseYuan, diesel: c.dieselYuan, curtailment: c.curtailmentYuan, carbon: c.carbonYuan, demandCharge: c.demandChargeYuan, total: c.totalYuan, penalties: c.penaltyYuan };
}

export interface PeriodRow {
  period: number;
  /** Start of the period, hours from 00:00. */
  hour: number;
  purchaseKw: number;
  dieselKw: number;
  pvKw: number;
  windKw: number;
  curtailedKw: number;
  /** Demand served: base load plus EVs (kW). */
  loadKw: number;
  /** Before coordination (every EV charging on arrival): purchase and demand served (kW). */
  purchaseBeforeKw: number;
  loadBeforeKw: number;
  /** AC apparent power at the substation (kVA), at the operating point. */
  substationKva: number;
  /** All zones' EV power (kW), at the operating point. */
  evKw: number;
  lossKw: number;
  vminPu: number;
  /** Each zone's EV power: what the DSO last asked (agreed) and what its EVs draw (delivered), kW. */
  zones: Array<{ id: number; agreedKw: number; deliveredKw: number }>;
}

/** The report of a negotiation as the DSO knows it: no oracle yet (see `withOracle`). */
export function buildSimReport(args: {
  setup: NegotiationSetup; runId: string; transport: string;
  before: DispatchResult; negotiation: NegotiationResult;
  missingZones?: number[];
}): SimReport {
  const { setup, negotiation: n, before } = args;
  const after = n.evaluation.dispatch;
  const peak = (xs: ArrayLike<number>) => Math.max(...Array.from(xs));
  // A reduction of nothing (no EV before, say) is none, not a division by zero.
  const pct = (b: number, a: number) => (b === 0 ? 0 : (100 * (b - a)) / b);
  const dt = setup.inputs.grid.dtH;
  const evBefore = before.schedule.evKw, evAfter = after.schedule.evKw;
  const delivered = n.answers.every((a) => a === null || a.busEvKw !== undefined) && n.answers.some((a) => a !== null);
  const rms = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v, t) => s + (v - b[t]) ** 2, 0) / Math.max(1, a.length));
  const beforeTotal = before.costs.totalYuan;
  return {
    scenario: setup.scenario.name,
    seed: setup.scenario.seed,
    runId: args.runId,
    transport: args.transport,
    method: n.method,
    converged: n.converged,
    roundLimitHit: n.roundLimitHit,
    stalled: n.stalled,
    deliveryUnmet: n.deliveryUnmet,
    unanswered: n.unanswered,
    stalledZones: n.stalledZones,
    stoppedBy: n.stoppedBy,
    rounds: n.rounds.length,
    maxRounds: setup.scenario.negotiation.maxRounds,
    gapToCentralisedPct: null,
    operatingPoint: delivered ? 'delivered' : 'agreed',
    costs: {
      beforeCoordination: costRows(before.costs),
      negotiated: { ...costRows(after.costs), degradation: n.evaluation.degradationYuan, totalWithDegradation: n.evaluation.totalCostYuan },
      ...(n.agreedEvaluation ? {
        agreed: {
          ...costRows(n.agreedEvaluation.dispatch.costs), degradation: n.agreedEvaluation.degradationYuan, totalWithDegradation: n.agreedEvaluation.totalCostYuan,
          lossKwh: n.agreedEvaluation.dispatch.acCheck.lossKwh, violations: n.agreedEvaluation.dispatch.acCheck.violations.length,
        },
      } : {}),
      centralised: null,
      reductionPct: (100 * (beforeTotal - n.evaluation.totalCostYuan)) / beforeTotal,
    },
    peakShaving: {
      peakLoadBeforeKw: peak(before.schedule.loadKw),
      peakLoadAfterKw: peak(after.schedule.loadKw),
      reductionPct: pct(peak(before.schedule.loadKw), peak(after.schedule.loadKw)),
      peakPurchaseBeforeKw: peak(before.schedule.pGridKw),
      peakPurchaseAfterKw: peak(after.schedule.pGridKw),
      purchaseReductionPct: pct(peak(before.schedule.pGridKw), peak(after.schedule.pGridKw)),
      evPeakBeforeKw: peak(evBefore),
      evPeakAfterKw: peak(evAfter),
      evReductionPct: pct(peak(evBefore), peak(evAfter)),
    },
    substation: {
      ratingKva: setup.scenario.network.substation?.ratingKva ?? null,
      peakKvaBefore: peak(before.acSubstationKva),
      peakKvaAfter: peak(after.acSubstationKva),
    },
    curtailmentKwh: { before: curtailedKwh(before, dt), after: curtailedKwh(after, dt) },
    voltageBandPu: [...setup.scenario.network.voltageBandPu],
    ...(setup.scenario.sources ? { sources: setup.scenario.sources } : {}),
    zones: setup.zones.map((z, k) => {
      const answer = n.answers[k];
      return {
        id: z.id, buses: z.buses, policy: z.policy, evs: z.evCount + z.evsLeftOut, scheduledEvs: answer?.delivery.evsScheduled ?? 0,
        targetKw: Array.from(n.targetKw[k]), achievedKw: Array.from(n.zoneEvKw[k]),
        mismatchRmsKw: rms(n.targetKw[k], n.zoneEvKw[k]),
        degradationYuan: answer?.degradationYuan ?? 0,
        delivery: answer ? { ...answer.delivery } : null,
        ...(answer?.pricing ? { pricing: answer.pricing } : {}),
      };
    }),
    missingZones: args.missingZones ?? [],
    tieLines: setup.tieLines,
    trades: n.evaluation.trades,
    ac: {
      converged: after.acCheck.converged, lossKwh: after.acCheck.lossKwh, lpLossKwh: after.acCheck.lpLossKwh,
      vminPu: after.acCheck.vminPu, vminBus: after.acCheck.vminBusId, vminHour: after.acCheck.vminPeriod * setup.inputs.grid.dtH,
      maxAbsVDiffPu: after.acCheck.maxAbsVDiffPu, violations: after.acCheck.violations.length,
    },
    acBefore: { lossKwh: before.acCheck.lossKwh, vminPu: before.acCheck.vminPu, vminBus: before.acCheck.vminBusId, violations: before.acCheck.violations.length },
    incidents: n.incidents,
    deliveryChecks: n.deliveryChecks,
    deliveryKept: n.deliveryKept,
    evCaps: n.evCaps,
    excludedEvs: [],
    roundLog: n.rounds.map((r) => ({ round: r.round, rho: r.rho, primalResidualKw: r.primalResidualKw, dualResidualKw: r.dualResidualKw, totalCostYuan: r.totalCostYuan, relCostChange: r.relCostChange })),
    emissionsT: { before: before.emissionsT, after: after.emissionsT, quota: after.quotaT },
    periods: periodRows(setup, n, before),
    ...networkTables(setup, after),
    violations: { before: before.acCheck.violations, after: after.acCheck.violations },
    run: {
      evs: setup.zones.reduce((a, z) => a + z.evCount + z.evsLeftOut, 0), zones: setup.zones.length,
      periods: setup.inputs.grid.periods, dtH: setup.inputs.grid.dtH,
      versions: { zonal: ZONAL_VERSION, protocol: PROTOCOL_VERSION, node: process.versions.node },
    },
  };
}

/** Per-bus voltages and per-branch loading of an AC-checked dispatch (pandapower's res_bus / res_line). */
function networkTables(setup: NegotiationSetup, d: DispatchResult): Pick<SimReport, 'buses' | 'branches'> {
  const { feeder, parentPos } = setup.net;
  const buses = feeder.buses.map((b, j) => ({ bus: b.id, vmPu: d.acVmPu.map((vm) => vm[j]) }));
  const branches = feeder.buses.flatMap((b, j) => {
    const parent = parentPos[j];
    if (parent < 0) return [];
    const ratingKva = setup.inputs.sMaxKva[j];
    return [{ from: feeder.buses[parent].id, to: b.id, ratingKva, loadingPct: d.acBranchKva.map((kva) => (100 * kva[j]) / ratingKva) }];
  });
  return { buses, branches };
}

/** The negotiated point's dispatch per period, from the DSO's AC-checked evaluation. */
function periodRows(setup: NegotiationSetup, n: NegotiationResult, before: DispatchResult): PeriodRow[] {
  const d = n.evaluation.dispatch, s = d.schedule, dt = setup.inputs.grid.dtH;
  const sumUnits = (rows: number[][], t: number, keep: (k: number) => boolean = () => true) => rows.reduce((a, r, k) => a + (keep(k) ? r[t] : 0), 0);
  const kind = (k: number) => setup.inputs.renewables[k].kind;
  return s.pGridKw.map((purchaseKw, t) => ({
    period: t, hour: t * dt, purchaseKw,
    dieselKw: sumUnits(s.dieselKw, t),
    pvKw: sumUnits(s.renewableKw, t, (k) => kind(k) === 'pv'),
    windKw: sumUnits(s.renewableKw, t, (k) => kind(k) === 'wind'),
    curtailedKw: sumUnits(s.curtailedKw, t),
    loadKw: s.loadKw[t],
    purchaseBeforeKw: before.schedule.pGridKw[t], loadBeforeKw: before.schedule.loadKw[t],
    substationKva: d.acSubstationKva[t], evKw: s.evKw[t],
    lossKw: d.acCheck.lossKwByPeriod[t], vminPu: d.acCheck.vminPuByPeriod[t],
    zones: setup.zones.map((z, k) => ({ id: z.id, agreedKw: n.targetKw[k][t], deliveredKw: n.zoneEvKw[k][t] })),
  }));
}

/**
 * The report with the centralised oracle of the same zones (SPEC §8): the harness's, or one a DSO
 * computed from zone files it was given for that purpose.
 */
export function withOracle(report: SimReport, c: CentralisedResult): SimReport {
  // SPEC §8's total, soft-limit penalties included: a negotiation must not look cheaper by breaking limits.
  const negotiated = report.costs.negotiated.totalWithDegradation + report.costs.negotiated.penalties;
  const centralised = c.totalCostYuan + c.dispatch.costs.penaltyYuan;
  const gap = (100 * (negotiated - centralised)) / centralised;
  return {
    ...report,
    gapToCentralisedPct: gap,
    gapDefinition: GAP_DEFINITION,
    // The oracle minimises this very total over the same envelope groups, but it models each zone's EVs
    // at its buses by the shares of the zone's announced flexibility, as the DSO does; the delivered
    // point has them where they draw.
    ...(gap < 0 ? { gapNote: `below zero by ${(-gap).toExponential(1)}%: the centralised model spreads each zone's EV power over its buses by the shares of its announced flexibility, while the delivered point has each EV's power at its own bus, which can lose less in the lines (and the two successive LPs stop at different loss estimates, each within the loss-correction tolerance)` } : {}),
    costs: { ...report.costs, centralised: { ...costRows(c.dispatch.costs), degradation: c.degradationYuan, totalWithDegradation: c.totalCostYuan } },
  };
}

export const GAP_DEFINITION = '100 × (negotiated − centralised) / centralised, each the day\'s eq 1 cost (purchase, diesel, curtailment, carbon, capacity charge) + EV degradation + soft-limit penalties, of the AC-checked dispatch; negotiated: the point the zones\' EVs deliver, each zone\'s per-EV schedules summed per bus; centralised: one model over the same zones\' envelope groups, each zone\'s EV power spread over its buses by the shares of its announced flexibility';

/** report.json plus rounds.csv, costs.csv, zones.csv (per zone and period) and trades.csv. */
export function writeSimReport(dir: string, report: SimReport): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError('is a file, not a directory', '--out');
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['report.json', `${JSON.stringify(report, null, 2)}\n`],
    ['rounds.csv', csv(['round', 'rho', 'primalResidualKw', 'dualResidualKw', 'totalCostYuan', 'relCostChange'],
      report.roundLog.map((r) => [r.round, r.rho, r.primalResidualKw, r.dualResidualKw, r.totalCostYuan, r.relCostChange ?? '']))],
    ['costs.csv', csv(['row', 'beforeCoordination', 'negotiated', 'centralised'],
      [
        ...(['purchase', 'diesel', 'curtailment', 'carbon', 'demandCharge', 'total', 'penalties'] as const)
          .map((k): Array<string | number> => [k, report.costs.beforeCoordination[k], report.costs.negotiated[k], report.costs.centralised?.[k] ?? '']),
        ['degradation', 0, report.costs.negotiated.degradation, report.costs.centralised?.degradation ?? ''],
      ])],
    ['zones.csv', csv(['zone', 'period', 'targetKw', 'achievedKw'],
      report.zones.flatMap((z) => z.targetKw.map((v, t) => [z.id, t, v, z.achievedKw[t]])))],
    ['periods.csv', csv(['period', 'hour', 'purchaseKw', 'substationKva', 'dieselKw', 'pvKw', 'windKw', 'curtailedKw', 'loadKw', 'evKw', 'lossKw', 'vminPu', 'purchaseBeforeKw', 'loadBeforeKw', ...report.zones.flatMap((z) => [`zone${z.id}AgreedKw`, `zone${z.id}DeliveredKw`])],
      report.periods.map((p) => [p.period, p.hour, p.purchaseKw, p.substationKva, p.dieselKw, p.pvKw, p.windKw, p.curtailedKw, p.loadKw, p.evKw, p.lossKw, p.vminPu, p.purchaseBeforeKw, p.loadBeforeKw, ...p.zones.flatMap((z) => [z.agreedKw, z.deliveredKw])]))],
    ['buses.csv', csv(['bus', 'period', 'vmPu'], report.buses.flatMap((b) => b.vmPu.map((v, t) => [b.bus, t, v])))],
    ['branches.csv', csv(['from', 'to', 'ratingKva', 'period', 'loadingPct'], report.branches.flatMap((b) => b.loadingPct.map((v, t) => [b.from, b.to, b.ratingKva, t, v])))],
    ['violations.csv', csv(['when', 'kind', 'bus', 'period', 'hour', 'value', 'limit'],
      (['before', 'after'] as const).flatMap((when) => report.violations[when].map((v) => [when, v.kind, v.busId, v.period, v.hour, v.value, v.limit])))],
    ['trades.csv', csv(['from', 'to', 'fromZone', 'toZone', 'energyKwh', 'valueYuan', 'congestionRentYuan', 'avgPriceYuanPerKwh'],
      report.trades.map((t) => [t.from, t.to, t.fromZone, t.toZone, t.energyKwh, t.valueYuan, t.congestionRentYuan, t.avgPriceYuanPerKwh]))],
    ['trade-prices.csv', csv(['from', 'to', 'period', 'pKw', 'multiplierYuanPerKwh', 'capYuanPerKwh', 'priceYuanPerKwh'],
      report.trades.flatMap((t) => (t.periods ?? []).map((p) => [t.from, t.to, p.period, p.pKw, p.multiplierYuanPerKwh ?? '', p.capYuanPerKwh, p.priceYuanPerKwh])))],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.map(([name]) => join(dir, name)), writeReportHtml(dir, report)];
}

function csv(head: string[], rows: Array<Array<string | number>>): string {
  return [head.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}
