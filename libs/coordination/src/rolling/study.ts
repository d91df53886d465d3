import type { CostTable } from '@zonal/dispatch';
import type { Evaluation } from '../evaluate';
import type { SimSetup } from '../harness';
import type { RoundRecord } from '../negotiate';
import { heldPlanOf, runHeld, type DsoDayAheadRecord, type HeldResult } from './held';
import { solveHindsight, type Hindsight } from './hindsight';
import type { RealisedDay } from './realised';
import { negotiateInProcess, runRolling, type NegotiatedPlan, type RollingDsoResult, type RollingResult, type WindowRecord } from './rolling';
import type { Shortfall } from './zone-state';

export interface RollingStudyOptions {
  everyPeriods: number;
  /** The day-ahead agreement, when the caller negotiated it already (else negotiated here, in process). */
  dayAhead?: NegotiatedPlan;
  replanAlways?: boolean;
  coldStart?: boolean;
  keepRecords?: boolean;
  log?: (line: string) => void;
  onRound?: (window: number, r: RoundRecord) => void;
  onWindow?: (w: WindowRecord) => void;
}

/** A rolling run with the two numbers it is measured between (issue 12 item 3). */
export interface RollingStudy {
  dayAhead: NegotiatedPlan;
  rolling: RollingResult;
  held: HeldResult;
  hindsight: Hindsight;
}

/**
 * The three numbers of a rolling run (issue 12 item 3), each eq 1 + EV degradation + soft-limit
 * penalties of an AC-checked dispatch of the realised day: the rolling plan as realised, the day-ahead
 * plan held (`runHeld`), and the perfect-foresight optimum (`solveHindsight`, equal service).
 */
export async function runRollingStudy(sim: SimSetup, realised: readonly RealisedDay[], opts: RollingStudyOptions): Promise<RollingStudy> {
  const say = opts.log ?? (() => undefined);
  let dayAhead = opts.dayAhead;
  if (!dayAhead) {
    say('day-ahead: negotiating the day on the zones\' forecasts');
    dayAhead = await negotiateInProcess(sim, sim.parties, { onRound: (r) => opts.onRound?.(-1, r) });
  }
  say(`rolling: re-negotiating the rest of the day every ${opts.everyPeriods} period(s) on what is known then; beside it, the day-ahead plan held (each zone tracking its day-ahead profile with the EVs that came)`);
  // The plan held needs only the day-ahead agreement and the realised day: it runs beside the rolling day.
  const heldRun = runHeld(sim, heldPlanOf(dayAhead), realised, { everyPeriods: opts.everyPeriods, keepRecords: opts.keepRecords });
  heldRun.catch(() => undefined);
  const rolling = await runRolling(sim, dayAhead, realised, opts);
  const held = await heldRun;
  say('hindsight: the centralised optimum of the realised day');
  const hindsight = await solveHindsight(sim, rolling.zones);
  return { dayAhead, rolling, held, hindsight };
}

/** A cost table as the report writes it (yuan): eq 1's rows, degradation, penalties and their sum. */
export interface RollingCosts {
  purchase: number;
  diesel: number;
  curtailment: number;
  carbon: number;
  demandCharge: number;
  degradation: number;
  penalties: number;
  total: number;
}

/** What report.json holds of a rolling run, under `rolling`. */
export interface RollingReport {
  everyPeriods: number;
  transport: string;
  /** The three numbers (yuan): the rolling plan as realised, the day-ahead plan held, the hindsight optimum. */
  realisedCostYuan: number;
  dayAheadHeldCostYuan: number;
  hindsightCostYuan: number;
  /** The day-ahead agreement's own figure, on the forecast day (not the realised one). */
  dayAheadPlanCostYuan: number;
  /** 100 × (rolling − hindsight) / hindsight, and the same of the day-ahead plan held. */
  rollingAboveHindsightPct: number;
  heldAboveHindsightPct: number;
  /** hindsight ≤ rolling ≤ day-ahead-held (each to 1e-9 relative). */
  ordered: boolean;
  costDefinition: string;
  costs: { rolling: RollingCosts; dayAheadHeld: RollingCosts; hindsight: RollingCosts };
  /** Every window negotiated converged. */
  converged: boolean;
  windows: WindowRecord[];
  realisedDay: {
    description: string;
    earlyDepartureShare: number | null;
    zones: Array<{ zoneId: number; evs: number; leftEarly: number; leftOut: number }>;
  };
  /** EVs that left short of their targets (and EVs left out), by EV and kWh: under the rolling plan and under the day-ahead plan held. */
  shortfalls: { rolling: Shortfall[]; dayAheadHeld: Shortfall[]; rollingKwh: number; dayAheadHeldKwh: number };
  /** What the DSO's DERs did in the rolling run (kW per period and unit), the realised day's emissions (t) and its peak purchase (kVA, the capacity charge's). */
  dispatch: { dieselKw: number[][]; renewableKw: number[][]; emissionsT: number; peakPurchaseKw: number };
}

export const ROLLING_COST_DEFINITION = 'each the realised day\'s eq 1 cost (purchase, diesel, curtailment, carbon, capacity charge) + EV degradation + soft-limit penalties, of the AC-checked dispatch with every zone\'s realised EV power at its buses: rolling — the DSO\'s DERs as each window dispatched them, each zone\'s EVs as each window\'s plan drove them; day-ahead held — the DERs as the day-ahead agreement dispatched them, each zone tracking its day-ahead aggregate with the EVs that came; hindsight — the centralised optimum of the realised day (every EV from its arrival to when it actually left, holding then what it left with under the rolling plan, up to its target), the DSO\'s whole day open';

export function rollingReport(study: RollingStudy, o: { everyPeriods: number; transport: string; earlyDepartureShare: number | null; realisedDescription: string }): RollingReport {
  const { rolling, held, hindsight, dayAhead } = study;
  return rollingReportOf({
    dayAheadPlanCostYuan: dayAhead.negotiation.evaluation.totalCostYuan + dayAhead.negotiation.evaluation.dispatch.costs.penaltyYuan,
    rolling: dsoRollingRecord(rolling, o.everyPeriods),
    rollingShortfalls: rolling.shortfalls,
    zoneCounts: rolling.zones.map((z) => ({ zoneId: z.id, ...z.counts() })),
    held, hindsight,
  }, o);
}

/**
 * What the DSO knows of its rolling day at its end (`runRollingDso`): the realised cost and its rows,
 * its windows, what its DERs did, and each zone's day in sum as the zone told it. The DSO process of
 * a rolling run over NATS writes it (`dso-rolling.json`) for the harness's report.
 */
export interface DsoRollingRecord {
  everyPeriods: number;
  costYuan: number;
  costs: RollingCosts;
  converged: boolean;
  windows: WindowRecord[];
  dispatch: RollingReport['dispatch'];
  zoneDays: Array<{ zoneId: number; evs: number; leftEarly: number; leftOut: number; shortfallEvs: number; shortfallKwh: number; degradationYuan: number }>;
  /** The day-ahead agreement it rolled from (its DERs per unit, each zone's EV power): the DSO's part of the plan the harness holds (`heldPlanFromRecords`). */
  dayAhead?: DsoDayAheadRecord;
}

export function dsoRollingRecord(r: Pick<RollingDsoResult, 'costYuan' | 'evaluation' | 'converged' | 'windows' | 'dispatched'> & { zoneDays?: RollingDsoResult['zoneDays'] }, everyPeriods: number): DsoRollingRecord {
  const d = r.evaluation.dispatch;
  return {
    everyPeriods, costYuan: r.costYuan, costs: costsOf(r.evaluation), converged: r.converged, windows: r.windows,
    dispatch: {
      dieselKw: r.dispatched.dieselKw.map((kw) => Array.from(kw)),
      renewableKw: r.dispatched.renewableKw.map((kw) => Array.from(kw)),
      emissionsT: d.emissionsT,
      peakPurchaseKw: Math.max(...d.schedule.pGridKw),
    },
    zoneDays: (r.zoneDays ?? []).map(({ busEvKw: _kw, ...day }) => day),
  };
}

/**
 * The report's `rolling` from its parts: the DSO's record of the rolling day, the zones' shortfalls
 * and counts (their own outputs), and the harness's two oracles (the plan held, hindsight).
 */
export function rollingReportOf(p: {
  dayAheadPlanCostYuan: number; rolling: DsoRollingRecord; rollingShortfalls: Shortfall[];
  zoneCounts: RollingReport['realisedDay']['zones']; held: HeldResult; hindsight: Hindsight;
}, o: { everyPeriods: number; transport: string; earlyDepartureShare: number | null; realisedDescription: string }): RollingReport {
  const { rolling, held, hindsight } = p;
  const pct = (a: number, b: number) => (100 * (a - b)) / b;
  const tol = (x: number) => 1e-9 * Math.max(1, Math.abs(x));
  const kwh = (s: readonly Shortfall[]) => s.reduce((a, x) => a + x.shortfallKwh, 0);
  return {
    everyPeriods: o.everyPeriods,
    transport: o.transport,
    realisedCostYuan: rolling.costYuan,
    dayAheadHeldCostYuan: held.costYuan,
    hindsightCostYuan: hindsight.costYuan,
    dayAheadPlanCostYuan: p.dayAheadPlanCostYuan,
    rollingAboveHindsightPct: pct(rolling.costYuan, hindsight.costYuan),
    heldAboveHindsightPct: pct(held.costYuan, hindsight.costYuan),
    ordered: hindsight.costYuan <= rolling.costYuan + tol(rolling.costYuan) && rolling.costYuan <= held.costYuan + tol(held.costYuan),
    costDefinition: ROLLING_COST_DEFINITION,
    costs: {
      rolling: rolling.costs,
      dayAheadHeld: costsOf(held.evaluation),
      hindsight: costRows(hindsight.centralised.dispatch.costs, hindsight.centralised.degradationYuan),
    },
    converged: rolling.converged,
    windows: rolling.windows,
    realisedDay: {
      description: o.realisedDescription,
      earlyDepartureShare: o.earlyDepartureShare,
      zones: p.zoneCounts,
    },
    shortfalls: { rolling: p.rollingShortfalls, dayAheadHeld: held.shortfalls, rollingKwh: kwh(p.rollingShortfalls), dayAheadHeldKwh: kwh(held.shortfalls) },
    dispatch: rolling.dispatch,
  };
}

function costsOf(e: Evaluation): RollingCosts {
  return costRows(e.dispatch.costs, e.degradationYuan);
}

function costRows(c: CostTable, degradation: number): RollingCosts {
  return {
    purchase: c.purchaseYuan, diesel: c.dieselYuan, curtailment: c.curtailmentYuan, carbon: c.carbonYuan, demandCharge: c.demandChargeYuan,
    degradation, penalties: c.penaltyYuan, total: c.totalYuan + degradation + c.penaltyYuan,
  };
}

/** How a scenario runs its day (`negotiation.horizon`, README "Rolling horizon"). */
export interface HorizonSettings {
  mode: 'day-ahead' | 'rolling';
  everyPeriods: number;
  earlyDepartureShare: number;
}

/**
 * Where a scenario's `negotiation.horizon` leaves a field out: the default scenario's declared values
 * (its file holds them, with their source), so a scenario that does not extend it runs the same.
 */
export const DEFAULT_HORIZON: HorizonSettings = { mode: 'day-ahead', everyPeriods: 1, earlyDepartureShare: 0.05 };

/** The scenario's horizon, `mode` overridden (`zonal sim --horizon`). */
export function horizonOf(negotiation: { horizon?: Partial<HorizonSettings> }, mode?: HorizonSettings['mode']): HorizonSettings {
  const h = negotiation.horizon ?? {};
  return {
    mode: mode ?? h.mode ?? DEFAULT_HORIZON.mode,
    everyPeriods: h.everyPeriods ?? DEFAULT_HORIZON.everyPeriods,
    earlyDepartureShare: h.earlyDepartureShare ?? DEFAULT_HORIZON.earlyDepartureShare,
  };
}
