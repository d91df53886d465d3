import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CentralisedResult, NegotiationResult, NegotiationSetup, ZoneDelivery } from '@zonal/coordination';
import type { CostTable, DispatchResult } from '@zonal/dispatch';

/** The main job's report (SPEC §8 step 5): written as report.json plus CSVs. */
export interface SimReport {
  scenario: string;
  seed: number;
  runId: string;
  transport: string;
  method: string;
  converged: boolean;
  roundLimitHit: boolean;
  rounds: number;
  maxRounds: number;
  /** (negotiated total − centralised total) / centralised total, in percent (SPEC §8 totals). */
  gapToCentralisedPct: number;
  costs: {
    beforeCoordination: ReturnType<typeof costRows>;
    negotiated: ReturnType<typeof costRows> & { degradation: number; totalWithDegradation: number };
    centralised: ReturnType<typeof costRows> & { degradation: number; totalWithDegradation: number };
    reductionPct: number;
  };
  peakShaving: { peakLoadBeforeKw: number; peakLoadAfterKw: number; reductionPct: number; peakPurchaseBeforeKw: number; peakPurchaseAfterKw: number };
  zones: Array<{ id: number; buses: number[]; evs: number; scheduledEvs: number; targetKw: number[]; achievedKw: number[]; mismatchRmsKw: number; degradationYuan: number; delivery: DeliveryRow }>;
  tieLines: NegotiationSetup['tieLines'];
  trades: NegotiationResult['evaluation']['trades'];
  ac: { converged: boolean; lossKwh: number; lpLossKwh: number; vminPu: number; vminBus: number; vminHour: number; maxAbsVDiffPu: number; violations: number };
  acBefore: { lossKwh: number; vminPu: number; vminBus: number; violations: number };
  incidents: NegotiationResult['incidents'];
  excludedEvs: string[];
  roundLog: Array<{ round: number; rho: number; primalResidualKw: number; dualResidualKw: number; totalCostYuan: number; relCostChange: number | null }>;
}

/**
 * The agreed schedule disaggregated to the zone's EVs (deliverZoneSchedules, SPEC §6). Battery side:
 * energy the EVs took less / more than asked; grid side: the same against the agreed grid power.
 */
interface DeliveryRow {
  evsFeasible: number; evsScheduled: number; shortfallKwh: number; overKwh: number; requestedChargeKwh: number;
  gridShortfallKwh: number; gridOverKwh: number; shortfallKw: number[];
}

function deliveryRow(d: ZoneDelivery): DeliveryRow {
  return {
    evsFeasible: d.evsFeasible, evsScheduled: d.evsScheduled, shortfallKwh: d.shortfallKwh, overKwh: d.overKwh,
    requestedChargeKwh: d.requestedChargeKwh, gridShortfallKwh: d.gridShortfallKwh, gridOverKwh: d.gridOverKwh, shortfallKw: Array.from(d.shortfallKw),
  };
}

function costRows(c: CostTable) {
  return { purchase: c.purchaseYuan, diesel: c.dieselYuan, curtailment: c.curtailmentYuan, carbon: c.carbonYuan, demandCharge: c.demandChargeYuan, total: c.totalYuan, penalties: c.penaltyYuan };
}

export function buildSimReport(args: {
  setup: NegotiationSetup; runId: string; transport: string;
  before: DispatchResult; negotiation: NegotiationResult; centralised: CentralisedResult;
  /** deliverZoneSchedules(setup, negotiation.zoneEvKw), one per zone. */
  delivery: ZoneDelivery[];
}): SimReport {
  const { setup, negotiation: n, centralised: c, before } = args;
  const after = n.evaluation.dispatch;
  const gap = (100 * (n.evaluation.totalCostYuan - c.totalCostYuan)) / c.totalCostYuan;
  const peak = (xs: number[]) => Math.max(...xs);
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
    rounds: n.rounds.length,
    maxRounds: setup.scenario.negotiation.maxRounds,
    gapToCentralisedPct: gap,
    costs: {
      beforeCoordination: costRows(before.costs),
      negotiated: { ...costRows(after.costs), degradation: n.evaluation.degradationYuan, totalWithDegradation: n.evaluation.totalCostYuan },
      centralised: { ...costRows(c.dispatch.costs), degradation: c.degradationYuan, totalWithDegradation: c.totalCostYuan },
      reductionPct: (100 * (beforeTotal - n.evaluation.totalCostYuan)) / beforeTotal,
    },
    peakShaving: {
      peakLoadBeforeKw: peak(before.schedule.loadKw),
      peakLoadAfterKw: peak(after.schedule.loadKw),
      reductionPct: (100 * (peak(before.schedule.loadKw) - peak(after.schedule.loadKw))) / peak(before.schedule.loadKw),
      peakPurchaseBeforeKw: peak(before.schedule.pGridKw),
      peakPurchaseAfterKw: peak(after.schedule.pGridKw),
    },
    zones: setup.zones.map((z, k) => ({
      id: z.id, buses: z.buses, evs: z.fleet.size, scheduledEvs: z.envelope.evCount,
      targetKw: Array.from(n.targetKw[k]), achievedKw: Array.from(n.zoneEvKw[k]),
      mismatchRmsKw: rms(n.targetKw[k], n.zoneEvKw[k]),
      degradationYuan: n.answers[k]?.degradationYuan ?? 0,
      delivery: deliveryRow(args.delivery[k]),
    })),
    tieLines: setup.tieLines,
    trades: n.evaluation.trades,
    ac: {
      converged: after.acCheck.converged, lossKwh: after.acCheck.lossKwh, lpLossKwh: after.acCheck.lpLossKwh,
      vminPu: after.acCheck.vminPu, vminBus: after.acCheck.vminBusId, vminHour: after.acCheck.vminPeriod * setup.inputs.grid.dtH,
      maxAbsVDiffPu: after.acCheck.maxAbsVDiffPu, violations: after.acCheck.violations.length,
    },
    acBefore: { lossKwh: before.acCheck.lossKwh, vminPu: before.acCheck.vminPu, vminBus: before.acCheck.vminBusId, violations: before.acCheck.violations.length },
    incidents: n.incidents,
    excludedEvs: setup.excludedEvs,
    roundLog: n.rounds.map((r) => ({ round: r.round, rho: r.rho, primalResidualKw: r.primalResidualKw, dualResidualKw: r.dualResidualKw, totalCostYuan: r.totalCostYuan, relCostChange: r.relCostChange })),
  };
}

/** report.json plus rounds.csv, costs.csv, zones.csv (per zone and period) and trades.csv. */
export function writeSimReport(dir: string, report: SimReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [
    ['report.json', `${JSON.stringify(report, null, 2)}\n`],
    ['rounds.csv', csv(['round', 'rho', 'primalResidualKw', 'dualResidualKw', 'totalCostYuan', 'relCostChange'],
      report.roundLog.map((r) => [r.round, r.rho, r.primalResidualKw, r.dualResidualKw, r.totalCostYuan, r.relCostChange ?? '']))],
    ['costs.csv', csv(['row', 'beforeCoordination', 'negotiated', 'centralised'],
      [
        ...(['purchase', 'diesel', 'curtailment', 'carbon', 'demandCharge', 'total', 'penalties'] as const)
          .map((k): Array<string | number> => [k, report.costs.beforeCoordination[k], report.costs.negotiated[k], report.costs.centralised[k]]),
        ['degradation', 0, report.costs.negotiated.degradation, report.costs.centralised.degradation],
      ])],
    ['zones.csv', csv(['zone', 'period', 'targetKw', 'achievedKw'],
      report.zones.flatMap((z) => z.targetKw.map((v, t) => [z.id, t, v, z.achievedKw[t]])))],
    ['trades.csv', csv(['from', 'to', 'fromZone', 'toZone', 'energyKwh', 'valueYuan', 'congestionRentYuan', 'avgPriceYuanPerKwh'],
      report.trades.map((t) => [t.from, t.to, t.fromZone, t.toZone, t.energyKwh, t.valueYuan, t.congestionRentYuan, t.avgPriceYuanPerKwh]))],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}

function csv(head: string[], rows: Array<Array<string | number>>): string {
  return [head.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}
