/**
 * The composite index of SPEC §5 (replacing seed 001 eq 21, which minimises "more is better" terms):
 *   F = w_Q (1 − Q~) + w_2 (1 − f2~) + w_3 f3~,  times f_c,
 * each term min–max normalised over the candidate set; the lowest F wins.
 */
import type { PartitionParams } from './types';

export interface RawScore {
  Q: number;
  f2: number;
  f3: number;
  fc: number;
}

/**
 * Spreads below this fraction of the values' magnitude are round-off (a term that is constant in exact
 * arithmetic must not be stretched onto [0, 1]); the normalised term is then 0 for every candidate,
 * as in SPEC §7.4's payoff-table rule. The same tolerance decides ties in F.
 */
const RELATIVE_SPREAD_TOL = 1e-9;

/** (v − min) / (max − min) over the set, 0 for every value when the spread is round-off. */
export function minMaxNormalise(values: readonly number[]): number[] {
  const lo = Math.min(...values), hi = Math.max(...values);
  if (hi - lo <= RELATIVE_SPREAD_TOL * Math.max(Math.abs(lo), Math.abs(hi))) return values.map(() => 0);
  return values.map((v) => (v - lo) / (hi - lo));
}

export function compositeIndex(scores: readonly RawScore[], weights: PartitionParams['weights']): number[] {
  const q = minMaxNormalise(scores.map((s) => s.Q));
  const f2 = minMaxNormalise(scores.map((s) => s.f2));
  const f3 = minMaxNormalise(scores.map((s) => s.f3));
  return scores.map((s, i) =>
    (weights.modularity * (1 - q[i]) + weights.flexibility * (1 - f2[i]) + weights.balance * f3[i]) * s.fc);
}

/** Index of the lowest F; within round-off of each other, the earlier candidate wins. */
export function lowestIndex(F: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < F.length; i++) {
    if (F[i] < F[best] - RELATIVE_SPREAD_TOL * Math.max(1, Math.abs(F[best]))) best = i;
  }
  return best;
}
