/**
 * The regulation capacity to offer against a planned delivery whose realisation is uncertain
 * (SPEC §7.5: capacity paid per kW offered per hour, peak-regulation cost per kWh of shortfall).
 *
 * Over the Monte Carlo samples, a period's planned regulation R is delivered as r_s * R (r_s: the
 * sample's capability over the mean, samples.ts). Offering C earns
 *     a*C - pen * mean_s max(0, C - r_s*R)        (a: capacity price, pen: shortfall price)
 * which is positively homogeneous in (C, R): with C = q*R it is R * g(q),
 *     g(q) = a*q - pen * phi(q),   phi(q) = mean_s max(0, q - r_s).
 * So the best offer is a fixed multiple q* of the plan, found once per period (a newsvendor quantile:
 * g's slope a - pen * P(r < q) turns negative past the a/pen quantile of r), and the offer adds
 * exactly g(q*) per kW of planned regulation per hour: the sample-average LP with a shortfall column
 * per sample collapses to one coefficient (market-lp.ts keeps that long form for its tests).
 * g is concave piecewise linear with kinks at the r_s, so its maximum is at 0 or at one of them; the
 * smallest maximiser is taken (the least capacity at the same value).
 */
export interface OfferRule {
  /** Offer per kW of planned regulation. */
  offerPerPlannedKw: number;
  /** Expected shortfall per kW of planned regulation, phi(q*). */
  shortfallPerPlannedKw: number;
  /** g(q*): capacity revenue less expected shortfall cost per kW planned, per hour (yuan/kWh). */
  valueYuanPerPlannedKwh: number;
}

export function bestOffer(ratios: ArrayLike<number>, capacityYuanPerKwPerH: number, shortfallYuanPerKwh: number): OfferRule {
  const r = Float64Array.from(ratios).sort();
  const n = r.length;
  let best: OfferRule = { offerPerPlannedKw: 0, shortfallPerPlannedKw: 0, valueYuanPerPlannedKwh: 0 };
  let below = 0; // sum of the r_j smaller than the candidate
  for (let k = 0; k < n; k++) {
    const q = r[k];
    const phi = (k * q - below) / n; // the k values below q each fall short by q - r_j
    const value = capacityYuanPerKwPerH * q - shortfallYuanPerKwh * phi;
    if (value > best.valueYuanPerPlannedKwh + 1e-12) best = { offerPerPlannedKw: q, shortfallPerPlannedKw: phi, valueYuanPerPlannedKwh: value };
    below += q;
  }
  return best;
}
