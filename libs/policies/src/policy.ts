import type { z } from 'zod';
import type { Rng } from '@zonal/core';
import type { AggregateEnvelope, EvSchedules, Fleet, TimeGrid, TouCode } from '@zonal/ev';
import type { EnvelopeGroup } from './envelope-model';
import type { LpExporter, ModelBuilder, SimplexBasis } from '@zonal/solver';
import { carriedBasis, solvedZoneModel, type SolvedZoneModel } from './basis-carry';
import type { EvSpec } from '@zonal/ev';
import type { ZoneConfig } from '@zonal/scenario';

/**
 * A zone policy (SPEC §7, STYLE lesson 3): one module implementing this interface, registered by
 * name in registry.ts. It does two jobs:
 *  - `runCase`: its source document's own study, standalone (`zonal policy <name>`), on a case file
 *    validated by `caseSchema` (the shipped `cases/<name>.json` is the default);
 *  - `respond`: inside the negotiation (SPEC §8), schedule the zone's own EVs against the DSO's
 *    signal (targets, prices, coordination terms) and return what they will draw, EV by EV.
 */
export interface ZonePolicy<Case = unknown> {
  readonly name: string;
  /** One line for `zonal policy --help` and the README. */
  readonly summary: string;
  /** Where the model comes from, e.g. "seed 000 §3, eq 1–9". */
  readonly source: string;
  readonly caseSchema: z.ZodType<Case>;
  runCase(c: Case, ctx: PolicyContext): Promise<PolicyReport>;
  /**
   * The policy's parameters in a zone file (`policy.params`); absent when it takes none. Validated
   * when the zone file loads, so a bad parameter is refused by name before the zone announces.
   */
  readonly paramsSchema?: z.ZodType<unknown>;
  /**
   * Schedule the zone's own EVs against the DSO's signal: the aggregate and every EV's schedule,
   * checked feasible (zone-model.ts `deliverToEvs`); `evKw` is what those schedules draw.
   */
  respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer>;
  /**
   * The case as one zone of a negotiation (`zonal policy <name> --zone-file`): its fleet sampled with
   * `ctx.rng` (seeded by the case's seed) exactly as `runCase` samples it, on a 24 h periodic day.
   */
  caseZone?(c: Case, ctx: PolicyContext): CaseZone;
}

export interface PolicyContext {
  /** Every model a policy solves is written here first (one file per solve, SPEC §2). */
  exporter: LpExporter;
  /** The case's seeded generator (its seed is printed in the report). */
  rng: Rng;
  /**
   * What a zone keeps from one answer to the next, its own state: its models' simplex bases by round,
   * so round r's model (the same rows and columns as round r − 1's, other signal terms) starts from
   * round r − 1's optimum. On the default scenario's largest zone, 3 800 simplex iterations a round
   * cold, 740 and then 270 warm. Absent: every solve starts cold.
   */
  memory?: ZoneSolveMemory;
}

/**
 * A zone's simplex bases of its last few rounds. Keyed by round, not "the last one", so an answer
 * depends only on the signal and the zone's answer to the round before: a DSO restarted from its
 * checkpoint at round r, asking round r + 1 again of zones that had already answered it, gets the
 * answer it would have got.
 *
 * A model of the shape solved the round before starts from that basis. A model of another shape
 * (its groups split by the buses a new cap of the DSO's names) starts from the basis of the model of
 * its name the round before, carried over by name and by each group's EVs (basis-carry.ts).
 */
export class ZoneSolveMemory {
  /** The round being answered: whoever hands a signal to the policy sets it. */
  round = 0;
  private readonly bases = new Map<string, { round: number; basis: SimplexBasis }>();
  private readonly solved = new Map<string, { round: number; solved: SolvedZoneModel }>();

  /** The basis to start `model` from (over envelope groups `groups`), and whether it was carried from another shape. */
  startFor(model: ModelBuilder, groups: readonly EnvelopeGroup[]): { basis: SimplexBasis; carried: boolean } | undefined {
    const same = this.bases.get(`${this.round - 1}:${model.numRows}x${model.numCols}`)?.basis;
    if (same) return { basis: same, carried: false };
    const before = this.solved.get(`${this.round - 1}:${model.name}`)?.solved;
    const carried = before ? carriedBasis(before, { model, groups }) : null;
    return carried ? { basis: carried, carried: true } : undefined;
  }

  keep(model: ModelBuilder, groups: readonly EnvelopeGroup[], basis: SimplexBasis | null): void {
    if (!basis) return;
    this.bases.set(`${this.round}:${model.numRows}x${model.numCols}`, { round: this.round, basis });
    const solved = solvedZoneModel(model, basis, groups);
    if (solved) this.solved.set(`${this.round}:${model.name}`, { round: this.round, solved });
    for (const [key, entry] of this.bases) if (entry.round < this.round - KEPT_ROUNDS) this.bases.delete(key);
    // Only this round's and the last are ever carried from (a re-asked round starts from the one before
    // it): a zone of 10 000 EVs keeps ≈ 1 MB of names a model.
    for (const [key, entry] of this.solved) if (entry.round < this.round - 1) this.solved.delete(key);
  }
}

/** Rounds of bases a zone keeps: a restarted DSO asks again at most the round after its last checkpoint. */
const KEPT_ROUNDS = 3;

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

/**
 * What both layers know of a zone: its announce (SPEC §8 step 1). The DSO's model of a zone is built
 * from this alone — aggregates per period and declared marginal costs, never an EV.
 */
export interface ZoneBid {
  zoneId: number;
  grid: TimeGrid;
  /** The zone's fixed net load without EVs (load − local generation), kW per period. */
  baseNetLoadKw: Float64Array;
  /** The sum of the zone's envelope groups (battery side; SPEC §6), anchored at 00:00. */
  envelope: AggregateEnvelope;
  /**
   * The zone's fleet as envelope groups, each anchored where none of its EVs is plugged in. On the
   * zone's side each group names its EVs (`evs`, indices into `ZoneProblem.fleet`); the DSO gets
   * the envelopes only.
   */
  envelopeGroups: EnvelopeGroup[];
  /** Charging efficiency of the fleet (grid side = battery / eta when charging, × eta when discharging). */
  eta: number;
  /** EV degradation cost on discharged energy (SPEC §7.0), yuan/kWh: a declared marginal cost. */
  degradationYuanPerKwh: number;
  /** Tie-break on the zone's peak net load (SPEC §7), yuan/kW: a declared marginal cost. */
  peakTieBreakYuanPerKw: number;
}

/** A zone's local resources beside its EVs (from its zone file). */
export interface ZoneResources {
  /** Stationary batteries the zone dispatches (seed 002's BESS); battery-side kW and kWh. */
  storage: Array<{ id: string; energyKwh: number; powerKw: number; eta: number; socMin: number; socMax: number; socInitial: number }>;
}

/**
 * What a zone aggregator holds of itself (SPEC §8 step 0): its bid, and the private data behind it —
 * its own EVs (charging sessions), the prices its users face, its local resources and its policy's
 * parameters. None of it leaves the zone.
 */
export interface ZoneProblem extends ZoneBid {
  /** The zone's own EVs; `envelopeGroups[k].evs` index into it and partition it. */
  fleet: Fleet;
  /** Energy price the zone pays without any DSO signal (the TOU tariff), yuan/kWh. */
  tariffYuanPerKwh: Float64Array;
  /** TOU class (peak p, off-peak o, valley v) of every period, for pricing policies. */
  tariffCodes: readonly TouCode[];
  /** The policy's parameters from the zone file, already validated by `ZonePolicy.paramsSchema` (undefined: the policy's defaults). */
  params?: unknown;
  resources?: ZoneResources;
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
  /**
   * Limits on what the zone's EVs at some of its buses may draw together, grid side, kW per period
   * (Infinity: none that period): the DSO's headroom on a branch that only this zone's EVs load
   * beside fixed loads. A policy whose model knows its EVs' buses keeps its answer within them.
   */
  evCaps?: Array<{ buses: number[]; maxKw: Float64Array }>;
}

/**
 * What a zone's EVs will do (SPEC §8 step 3): the figures of its per-EV schedules that a zone may
 * report (counts and kWh, never an EV). Battery side, against the aggregate its policy solved.
 */
export interface ZoneDeliveryFigures {
  /** EVs in the zone, EVs given a schedule, those of them proven feasible (`checkSchedules`), and those left out. */
  evs: number;
  evsScheduled: number;
  evsFeasible: number;
  evsLeftOut: number;
  /** Energy the EVs take beyond, and short of, the aggregate the policy solved (kWh, battery side). */
  overKwh: number;
  shortfallKwh: number;
}

/** elasticity-pricing's books in the negotiation (seed 001 §2.7–2.8): users, price changes, shifts. */
export interface ZonePricing {
  /** Price-responsive users of each type (seed 001 §2.8), V2G users dispatched directly, users left out. */
  usersByType: { '1': number; '2': number; '3': number; '4': number };
  v2gDirect: number;
  /** Relative price change of each TOU class, percent (within ±50%). */
  priceChangePct: { p: number; o: number; v: number };
  /** Battery-side energy of the price-responsive users per class, before and after the response (kWh). */
  classEnergyKwh: { before: { p: number; o: number; v: number }; after: { p: number; o: number; v: number } };
}

/**
 * ancillary's books in the negotiation (seed 003, SPEC §7.5): the incentives the zone offered its
 * users, who accepted (willingness at that incentive, one seeded draw per user and service), and the
 * regulation the accepting users' EVs sell against their uncoordinated baseline.
 */
export interface ZoneRegulation {
  /** Incentives offered for CBDR (valley filling) and DBDR (V2G peak shaving), yuan/kWh, and the share of users willing at each. */
  cbdrIncentiveYuanPerKwh: number;
  dbdrIncentiveYuanPerKwh: number;
  cbdrWillingShare: number;
  dbdrWillingShare: number;
  /** Users who accepted CBDR only, DBDR only (V2G-enrolled only), both; the rest charge uncoordinated (fixed schedules). */
  users: { cbdrOnly: number; dbdrOnly: number; both: number; uncoordinated: number };
  /** Valley (CBDR window) and peak (DBDR window) regulation against the accepting users' baseline, grid side (kWh). */
  valleyRegulationKwh: number;
  peakRegulationKwh: number;
  /** Regulation energy and capacity revenue, and the incentives paid to the users, yuan. */
  revenueYuan: number;
  subsidyYuan: number;
}

export interface ZoneAnswer {
  /**
   * Grid-side power of the zone's flexible resources per period (charging positive), kW: the sum of
   * what the EVs' schedules draw, plus `storageKw` where the policy dispatches stationary storage.
   */
  evKw: Float64Array;
  /**
   * Grid-side EV power at each of the zone's buses (the sum of the EVs' schedules there), kW per
   * period, buses ascending: what the DSO dispatches the feeder with once the zones agree. Storage is
   * not in it (evKw − Σ busEvKw is the zone's storage). Absent: the zone gave only its total.
   */
  busEvKw?: Array<{ bus: number; kw: Float64Array }>;
  /** Grid-side power of the zone's stationary storage (ZoneResources.storage), kW; included in evKw. Absent: none dispatched. */
  storageKw?: Float64Array;
  /** baseNetLoadKw + evKw. */
  netLoadKw: Float64Array;
  /** The zone's own cost of the answer: energy at the prices it faced + degradation, yuan. */
  costYuan: number;
  /** EV degradation alone (SPEC §8 counts it in the total cost), yuan. */
  degradationYuan: number;
  /** The objective of the zone's solve (its own terms plus the coordination terms). */
  objective: number;
  /**
   * Net battery-side power per day period of each envelope group (zone.envelopeGroups order; under
   * the DSO's caps, the model's groups split by the capped buses: ZoneModel.groups), kW:
   * the aggregate the policy solved, before it went to the EVs.
   */
  groupBatteryKw?: Float64Array[];
  /** Every EV's battery-side schedule (fleet order), each checked feasible. Stays in the zone. */
  schedules: EvSchedules;
  delivery: ZoneDeliveryFigures;
  /** elasticity-pricing only. */
  pricing?: ZonePricing;
  /** ancillary only. */
  regulation?: ZoneRegulation;
}

/** What a zone tells the DSO of its answer: everything but the per-EV schedules, which stay in the zone. */
export type ZoneReport = Omit<ZoneAnswer, 'schedules' | 'groupBatteryKw'>;

/**
 * The zone-file fields a policy's standalone case fills (`zonal policy <name> --zone-file`): everything
 * of a zone file (`zoneFileSchema`, libs/scenario parties.ts) but its format, id, buses and sessions,
 * which the caller sets when it places the zone on a feeder. Units as in the zone file (kW, yuan).
 */
export type CaseZoneFields = Omit<ZoneConfig, 'format' | 'id' | 'buses' | 'sessions'>;

/**
 * A policy's standalone case as one zone of a negotiation (`ZonePolicy.caseZone`): the zone file's
 * fields on a 24 h periodic day, the case's own EVs (drawn as `runCase` draws them), and what the
 * mapping changed or left behind, said in `notes`.
 */
export interface CaseZone {
  zone: CaseZoneFields;
  /** The case's EVs as charging sessions, not yet placed: `bus` is unset (the caller spreads them over the zone's buses). */
  sessions: EvSpec[];
  notes: string[];
}

