import { InputError } from '@zonal/core';

/**
 * Stepwise carbon trading cost, seed 001 eq 4, on the day's excess emission x = M − Mcq (tonnes):
 *   x < 0    : s·x                                   (quota sold: revenue; the seed's −s(M−Mcq) has its sign flipped)
 *   0 … d    : c·x
 *   d … 2d   : c·d + (1+k)·c·(x−d)
 *   ≥ 2d     : (2+k)·c·d + (1+2k)·c·(x−2d)           (the seed writes x−d here: a typo)
 * Convex piecewise linear when d > 0, k ≥ 0 and s ≤ c, so the LP models it exactly as the epigraph of
 * its four affine pieces, with no binaries.
 */
export interface CarbonLadder {
  basePriceYuanPerT: number; // c
  intervalT: number; // d
  growth: number; // k
  salePriceYuanPerT: number; // s
}

export interface AffinePiece {
  slopeYuanPerT: number;
  interceptYuan: number;
}

/** Refuses, by field name, a ladder whose epigraph would not be the true cost. */
export function assertConvexLadder(l: CarbonLadder, where = 'carbon'): void {
  if (!(l.intervalT > 0)) throw new InputError(`must be > 0 for a convex carbon ladder, got ${l.intervalT}`, `${where}.intervalT`);
  if (!(l.growth >= 0)) throw new InputError(`must be >= 0 for a convex carbon ladder, got ${l.growth}`, `${where}.growth`);
  if (l.salePriceYuanPerT > l.basePriceYuanPerT) {
    throw new InputError(`(${l.salePriceYuanPerT}) must not exceed basePriceYuanPerT (${l.basePriceYuanPerT}): the ladder would not be convex`, `${where}.salePriceYuanPerT`);
  }
}

/** The four affine pieces whose pointwise maximum is the ladder (for a convex ladder). */
export function ladderPieces(l: CarbonLadder): AffinePiece[] {
  const { basePriceYuanPerT: c, intervalT: d, growth: k, salePriceYuanPerT: s } = l;
  return [
    { slopeYuanPerT: s, interceptYuan: 0 },
    { slopeYuanPerT: c, interceptYuan: 0 },
    { slopeYuanPerT: (1 + k) * c, interceptYuan: c * d - (1 + k) * c * d },
    { slopeYuanPerT: (1 + 2 * k) * c, interceptYuan: (2 + k) * c * d - (1 + 2 * k) * c * 2 * d },
  ];
}

/** The ladder evaluated branch by branch, as eq 4 reads (the reference the LP is tested against). */
export function carbonCostYuan(xT: number, l: CarbonLadder): number {
  const { basePriceYuanPerT: c, intervalT: d, growth: k, salePriceYuanPerT: s } = l;
  if (xT < 0) return s * xT;
  if (xT < d) return c * xT;
  if (xT < 2 * d) return c * d + (1 + k) * c * (xT - d);
  return (2 + k) * c * d + (1 + 2 * k) * c * (xT - 2 * d);
}
