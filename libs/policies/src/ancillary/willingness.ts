/**
 * EV user willingness to respond (seed 003 §3.3, SPEC §7.5; every number declared in the case): the
 * share of users who accept an incentive of rho yuan/kWh is 0 up to the threshold, rises linearly to
 * `shareAtSaturation` at the saturation incentive, and stays there above it.
 */
export interface WillingnessParams {
  thresholdYuanPerKwh: number;
  saturationYuanPerKwh: number;
  shareAtSaturation: number;
}

export function willingShare(rhoYuanPerKwh: number, w: WillingnessParams): number {
  if (rhoYuanPerKwh <= w.thresholdYuanPerKwh) return 0;
  if (rhoYuanPerKwh >= w.saturationYuanPerKwh) return w.shareAtSaturation;
  return (w.shareAtSaturation * (rhoYuanPerKwh - w.thresholdYuanPerKwh)) / (w.saturationYuanPerKwh - w.thresholdYuanPerKwh);
}

export interface IncentiveGrid {
  fromYuanPerKwh: number;
  toYuanPerKwh: number;
  stepYuanPerKwh: number;
}

/** The discretised incentive levels from..to in steps, rounded to 1e-9 so 0.1 + 0.05 is 0.15. */
export function incentiveLevels(g: IncentiveGrid): number[] {
  const n = Math.round((g.toYuanPerKwh - g.fromYuanPerKwh) / g.stepYuanPerKwh);
  return Array.from({ length: n + 1 }, (_, k) => Math.round((g.fromYuanPerKwh + k * g.stepYuanPerKwh) * 1e9) / 1e9);
}

/** A join level meaning "never responds". */
export const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * The first level at which a user with uniform draw `u` responds (u < share at that level), or
 * NEVER. Shares rise with the level, so a user who responds at one level
 * responds at every higher one: one draw per user makes the levels' fleets nested (common random
 * numbers, so the comparison between levels is not blurred by resampling).
 */
export function joinLevel(u: number, shares: readonly number[]): number {
  for (let k = 0; k < shares.length; k++) if (u < shares[k]) return k;
  return NEVER;
}
