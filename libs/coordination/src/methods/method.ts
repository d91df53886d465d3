import type { DsoSignal, ZoneReport } from '@zonal/policies';
import type { LpExporter } from '@zonal/solver';
import type { NegotiationSetup, ZoneSetup } from '../setup';

/**
 * A coordination method (SPEC §8, STYLE lesson 3): a plug-in the generic negotiation loop drives.
 * `initialise` runs the DSO's first solve; each round the loop sends `signal(zone)` to every zone,
 * collects the answers and calls `update`, which runs the DSO's step and says whether it converged.
 */
export interface CoordinationMethod {
  readonly name: string;
  /** The DSO's first solve, over the zones' announced bids only. */
  initialise(): Promise<void>;
  signal(zone: ZoneSetup, round: number): DsoSignal;
  /** `answers[k]`: zone k's answer this round, or its last one (timed out), or null (never answered). */
  update(answers: ReadonlyArray<ZoneReport | null>, round: number): Promise<RoundUpdate>;
  /** The method's state between rounds, as plain data (typed arrays allowed): what a restarted DSO resumes from. */
  snapshot(): unknown;
  /** Takes up a `snapshot()` of the same method on the same setup, instead of `initialise`. */
  restore(state: unknown): void;
  /** The caps each zone's signal carries now (ev-caps.ts), by zone; a method without them leaves this out. */
  evCaps?(): ReadonlyArray<ReadonlyArray<{ buses: number[]; maxKw: Float64Array }>>;
}

/** Checks that a restored array of per-zone series has one series of `periods` values per zone. */
export function zoneSeries(value: unknown, zones: number, periods: number, field: string): Float64Array[] {
  if (!Array.isArray(value) || value.length !== zones || value.some((v) => !(v instanceof Float64Array) || v.length !== periods)) {
    throw new Error(`checkpoint field ${field} is not ${zones} series of ${periods} values`);
  }
  return value.map((v: Float64Array) => Float64Array.from(v));
}

export interface RoundUpdate {
  rho: number;
  /** RMS over zone-periods of the mismatch between the zones' schedules and the DSO's (kW). */
  primalResidualKw: number;
  /** RMS over zone-periods of the change in the DSO's schedule since the last round (kW). */
  dualResidualKw: number;
  /** The DSO's eq 1 cost at its step plus the zones' degradation: the round's cost estimate. */
  totalCostYuan: number;
  converged: boolean;
  /** The DSO's copy of each zone's EV grid power after this round (kW): what a silent zone is held to. */
  dsoEvKw: Float64Array[];
}

/** `exporter`: where the method writes every DSO model it solves (SPEC §2), when enabled. */
export type MethodFactory = (setup: NegotiationSetup, exporter?: LpExporter) => CoordinationMethod;

export function rms(pairs: ReadonlyArray<[ArrayLike<number>, ArrayLike<number>]>): number {
  let sum = 0, n = 0;
  for (const [a, b] of pairs) for (let t = 0; t < a.length; t++) { sum += (a[t] - b[t]) ** 2; n++; }
  return n ? Math.sqrt(sum / n) : 0;
}
