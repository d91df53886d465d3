import type { z } from 'zod';
import type { Rng } from '@zonal/core';
import type { AggregateEnvelope, TimeGrid } from '@zonal/ev';
import type { EnvelopeGroup } from './envelope-model';
import type { LpExporter } from '@zonal/solver';

/**
 * A zone policy (SPEC §7, STYLE lesson 3): one module implementing this interface, registered by
 * name in registry.ts. It does two jobs:
 *  - `runCase`: its source document's own study, standalone (`zonal policy <name>`), on a case file
 *    validated by `caseSchema` (the shipped `cases/<name>.json` is the default);
 *  - `respond`: inside the negotiation (SPEC §8), schedule a zone's flexibility against the DSO's
 *    signal (targets, prices, coordination terms) and return the zone's net load.
 */
export interface ZonePolicy<Case = unknown> {
  readonly name: string;
  /** One line for `zonal policy --help` and the README. */
  readonly summary: string;
  /** Where the model comes from, e.g. "seed 000 §3, eq 1–9". */
  readonly source: string;
  readonly caseSchema: z.ZodType<Case>;
  runCase(c: Case, ctx: PolicyContext): Promise<PolicyReport>;
  respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer>;
}

export interface PolicyContext {
  /** Every model a policy solves is written here first (one file per solve, SPEC §2). */
  exporter: LpExporter;
  /** The case's seeded generator (its seed is printed in the report). */
  rng: Rng;
}

/** A table as a policy's source document prints it. */
export interface ReportTable {
  title: string;
  head: string[];
  rows: Array<Array<string | number>>;
}

export interface PolicyReport {
  policy: string;
  caseName: string;
  seed: number;
  /** The optimiser's objective of the final solve, i.e. of the last exported LP file. */
  objective: number;
  /** Machine-readable rows (the same numbers as `tables`), for `--json`. */
  rows: Record<string, unknown>;
  tables: ReportTable[];
  notes: string[];
}

/** What a zone aggregator knows of itself in the negotiation. */
export interface ZoneProblem {
  zoneId: number;
  grid: TimeGrid;
  /** The zone's fixed net load without EVs (load − local generation), kW per period. */
  baseNetLoadKw: Float64Array;
  /** The zone fleet's aggregate envelope (battery side; SPEC §6), anchored at 00:00. */
  envelope: AggregateEnvelope;
  /**
   * The same fleet as groups, each anchored where none of its EVs is plugged in (tighter: a stay
   * across the anchor loosens the envelope). Models use these when given, `envelope` otherwise.
   */
  envelopeGroups?: EnvelopeGroup[];
  /** Charging efficiency of the fleet (grid side = battery / eta when charging, × eta when discharging). */
  eta: number;
  /** Energy price the zone pays without any DSO signal (the TOU tariff), yuan/kWh. */
  tariffYuanPerKwh: Float64Array;
  /** EV degradation cost on discharged energy (SPEC §7.0), yuan/kWh. */
  degradationYuanPerKwh: number;
  /** Tie-break on the zone's peak net load (SPEC §7), yuan/kW. */
  peakTieBreakYuanPerKw: number;
}

/**
 * What the DSO sends a zone each round. Every field is optional: a policy uses what its model
 * knows how to answer, and a coordination method (SPEC §8) decides what it sends.
 */
export interface DsoSignal {
  round: number;
  /** PZ: an upper limit on the zone's net consumption per period (seed 001 eq 9). */
  targetKw?: Float64Array;
  /** One-sided penalty on consumption above targetKw (seed 001 scheme, w_cg). */
  excessPenaltyYuanPerKwh?: number;
  /** Prices to use instead of the tariff. */
  priceYuanPerKwh?: Float64Array;
  /**
   * Consensus ADMM terms on the zone's EV grid power x, per period: + dt·(λ·x + ρ/2 (x − reference)²).
   * Under consensus, λ is the zone's energy price: a policy does not add the tariff on top.
   */
  consensus?: { referenceKw: Float64Array; lambdaYuanPerKwh: Float64Array; rho: number };
}

export interface ZoneAnswer {
  /** Grid-side EV power per period (charging positive), kW. */
  evKw: Float64Array;
  /** baseNetLoadKw + evKw. */
  netLoadKw: Float64Array;
  /** The zone's own cost of the answer: energy at the prices it faced + degradation, yuan. */
  costYuan: number;
  /** EV degradation alone (SPEC §8 counts it in the total cost), yuan. */
  degradationYuan: number;
  /** The objective of the zone's solve (its own terms plus the coordination terms). */
  objective: number;
  /**
   * Net battery-side power per day period of each envelope group (zone.envelopeGroups order, or the
   * one envelope), kW: what to disaggregate to each group's EVs (libs/ev disaggregateGroups).
   */
  groupBatteryKw?: Float64Array[];
}
