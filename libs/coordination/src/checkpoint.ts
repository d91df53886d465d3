import { ZonalError } from '@zonal/core';
import type { SavedLimitRows } from '@zonal/dispatch';
import type { ZoneReport } from '@zonal/policies';
import type { NegotiationResult, RoundRecord } from './negotiate';

/**
 * The negotiation's state after a completed round: everything the loop and its method carry from
 * one round to the next, so that a DSO restarted with the same run id goes on from there and ends
 * where an uninterrupted run would (tested). The rounds themselves are kept one by one beside it
 * (a long run's history would not fit one stored value); `round` says how many there are.
 */
export interface NegotiationCheckpoint {
  version: typeof CHECKPOINT_VERSION;
  method: string;
  /** The last completed round. */
  round: number;
  zoneIds: number[];
  /** The method's own state (its `snapshot()`), opaque here. */
  methodState: unknown;
  answers: Array<ZoneReport | null>;
  targetKw: Float64Array[];
  incidents: NegotiationResult['incidents'];
  deliveryChecks: NegotiationResult['deliveryChecks'];
  /** Absent in a checkpoint written before it existed. */
  deliveryKept?: NegotiationResult['deliveryKept'];
  /** The DSO's working model's limits as tightened so far (`ratingScale` of the dispatch inputs). */
  ratingScale: { branch: Float64Array[]; substation: Float64Array; voltageMarginPu: Float64Array[] };
  /**
   * The DSO's limit rows so far (its working set, in the order found): a resumed DSO's clearing LP has
   * the rows, and so stops at the optimum, the uninterrupted run's has. Absent in a checkpoint written
   * before it existed (the resumed DSO then starts from the rows its setup knows).
   */
  limitRows?: SavedLimitRows;
  /** Per zone, the round since which its accepted answer has not moved. */
  unmovedSince: number[];
  /** The DSO's copy of each zone's EV power after the round (what a silent zone is held to). */
  dsoEvKw: Float64Array[];
  /** Whether the round ended the negotiation (a DSO that stopped before writing its report resumes to the report). */
  converged: boolean;
  stalled: boolean;
  deliveryUnmet: boolean;
  unanswered: number[];
  /** Wall-clock time the negotiation has used so far (ms): the budget counts across restarts. */
  elapsedMs: number;
}

export const CHECKPOINT_VERSION = 1;

/**
 * JSON with typed arrays and non-finite numbers kept (`{"$f64":[…]}`, `{"$num":"Infinity"}`): the
 * state holds Float64Arrays, and JSON alone would turn them into objects keyed "0", "1", ….
 */
export function encodeState(value: unknown): string {
  return JSON.stringify(value, function replacer(this: unknown, _key, v: unknown) {
    if (v instanceof Float64Array) return { $f64: Array.from(v, finiteOrTagged) };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
}

export function decodeState<T>(text: string, what: string): T {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (Array.isArray(o.$f64)) return Float64Array.from(o.$f64 as unknown[], untag);
        if (typeof o.$num === 'string') return Number(o.$num);
      }
      return v;
    }) as T;
  } catch (e) {
    throw new ZonalError(`${what} cannot be read back: ${(e as Error).message}`, what);
  }
}

const finiteOrTagged = (x: number): number | { $num: string } => (Number.isFinite(x) ? x : { $num: String(x) });
const untag = (x: unknown): number => (typeof x === 'number' ? x : Number((x as { $num: string }).$num));

/** Refuses a checkpoint that is not of this negotiation (another method, other zones, an older format), naming what differs. */
export function checkCheckpoint(cp: NegotiationCheckpoint, method: string, zoneIds: readonly number[], rounds: readonly RoundRecord[]): void {
  const where = 'checkpoint';
  if (cp.version !== CHECKPOINT_VERSION) throw new ZonalError(`is format ${cp.version}, this DSO reads ${CHECKPOINT_VERSION}`, where);
  if (cp.method !== method) throw new ZonalError(`is of method ${cp.method}, the scenario says ${method}`, where);
  if (cp.zoneIds.join(',') !== zoneIds.join(',')) throw new ZonalError(`is of zones [${cp.zoneIds.join(', ')}], this negotiation has [${zoneIds.join(', ')}]`, where);
  if (rounds.length !== cp.round || rounds.some((r, i) => r.round !== i + 1)) {
    throw new ZonalError(`says round ${cp.round} completed, but rounds [${rounds.map((r) => r.round).join(', ')}] are kept`, where);
  }
  const rows = cp.limitRows;
  if (rows !== undefined && (typeof rows?.shape !== 'string' || !Array.isArray(rows.rows) || !rows.rows.every((k) => Number.isSafeInteger(k) && k >= 0))) {
    throw new ZonalError('limitRows must be { shape: string, rows: non-negative integers }', where);
  }
}
