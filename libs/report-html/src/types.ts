/**
 * The part of `zonal sim`'s report.json that the HTML page draws, as a structural type of its own:
 * this lib must not import @zonal/agents (which imports it), and a report written by an older Zonal,
 * without the fields added since, must still render. Every table is optional; a missing one leaves
 * its section with a note instead of a chart.
 */

/** One column of the cost table (yuan/day): purchase, diesel, …, plus whatever rows a report adds. */
export type CostColumnForHtml = { [row: string]: number | null | undefined };

/** An AC violation past its limit: a bus voltage (pu), a branch or the substation's rating (kVA). */
export interface ViolationForHtml {
  kind: string;
  busId: number;
  period: number;
  hour?: number;
  value: number;
  limit: number;
}

export interface PeriodForHtml {
  period?: number;
  /** Start of the period, hours from 00:00 (else period × run.dtH). */
  hour?: number;
  /** Grid purchase at the substation after coordination, and before when the report has it (kW). */
  purchaseKw?: number;
  purchaseBeforeKw?: number;
  /** Demand served, base load plus EVs, after and before coordination (kW). */
  loadKw?: number;
  loadBeforeKw?: number;
  /** Each zone's EV power: agreed with the DSO and delivered by its EVs (kW). */
  zones?: Array<{ id: number; agreedKw?: number; deliveredKw?: number }>;
}

export interface ReportForHtml {
  scenario?: string;
  seed?: number;
  runId?: string;
  transport?: string;
  method?: string;
  converged?: boolean;
  roundLimitHit?: boolean;
  stalled?: boolean;
  rounds?: number;
  maxRounds?: number;
  /** 100 × (negotiated − centralised) / centralised (percent); null without the oracle. */
  gapToCentralisedPct?: number | null;
  gapDefinition?: string;
  gapNote?: string;
  costs?: {
    beforeCoordination?: CostColumnForHtml | null;
    negotiated?: CostColumnForHtml | null;
    centralised?: CostColumnForHtml | null;
    reductionPct?: number;
  };
  peakShaving?: {
    peakLoadBeforeKw?: number; peakLoadAfterKw?: number; reductionPct?: number;
    peakPurchaseBeforeKw?: number; peakPurchaseAfterKw?: number;
  };
  zones?: Array<{ id: number; buses?: number[]; policy?: string; evs?: number; scheduledEvs?: number }>;
  missingZones?: number[];
  tieLines?: Array<{ from: number; to: number; fromZone?: number; toZone?: number }>;
  ac?: { converged?: boolean; lossKwh?: number; vminPu?: number; vminBus?: number; violations?: number };
  acBefore?: { lossKwh?: number; vminPu?: number; vminBus?: number; violations?: number };
  roundLog?: Array<{ round: number; primalResidualKw?: number; dualResidualKw?: number; totalCostYuan?: number }>;
  /** Emissions of the day (t CO2). */
  emissionsT?: { before?: number; after?: number; quota?: number };
  periods?: PeriodForHtml[];
  /** AC voltage of every bus per period (pu). */
  buses?: Array<{ bus: number; vmPu: number[] }>;
  /** Every branch: rating (kVA) and AC loading per period (percent of the rating). */
  branches?: Array<{ from: number; to: number; ratingKva?: number; loadingPct?: number[] }>;
  violations?: { before?: ViolationForHtml[]; after?: ViolationForHtml[] };
  /** The scenario's voltage band [lo, hi] (pu). */
  voltageBandPu?: readonly number[] | null;
  /** The substation transformer (kVA). */
  substation?: { ratingKva?: number | null; peakKvaBefore?: number; peakKvaAfter?: number } | null;
  run?: {
    evs?: number; zones?: number; periods?: number; dtH?: number;
    versions?: { zonal?: string; protocol?: number | string; node?: string };
  };
}
