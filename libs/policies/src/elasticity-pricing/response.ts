/**
 * TOU price-elasticity response of a user's charging energy (seed 001 eq 25–26, SPEC §7.1).
 *
 * Price classes in the matrix's order p, o, v. A relative price change x (x_k = dP_k / P_k) changes
 * the energy a user charges in class c by a_c = sum_k e_ck x_k relative to its baseline (eq 25,
 * with the seed's 1/T factor dropped as SPEC §7.1 says). The user's total is fixed by travel, so
 * the responded energies are renormalised to keep it.
 *
 * Declared: the baseline of a user is price-indifferent charging spread evenly over its stay, so its
 * share in class c is the fraction s_c of its plugged periods in c (an at-arrival baseline would put
 * all energy in one class, where a relative response has nothing to shift). The renormalisation
 * subtracts the net change in proportion to the baseline shares:
 *     E_c(x) = need * s_c * (1 + a_c - sum_k s_k a_k).
 * It keeps the total exactly, is linear in x (so the pricing model is an exact LP), and agrees with
 * the multiplicative renormalisation need * s_c (1 + a_c) / sum_k s_k (1 + a_k) to first order in a;
 * within |x| <= 0.5 and the shipped matrix the two differ by under 0.5% of the need (response.test.ts).
 */
export const PRICE_CLASSES = ['p', 'o', 'v'] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];
export type Matrix3 = readonly (readonly number[])[];

/** a = E x: the relative change of each class's energy before renormalisation. */
export function elasticResponse(matrix: Matrix3, x: readonly number[]): number[] {
  return matrix.map((row) => row.reduce((a, e, k) => a + e * x[k], 0));
}

/**
 * The renormalised class energies as affine functions of x: E_c(x) = constant[c] + sum_k slope[c][k] x_k,
 * with slope[c][k] = need * s_c * (e_ck - sum_j s_j e_jk).
 */
export function classEnergyAffine(needKwh: number, shares: readonly number[], matrix: Matrix3): { constant: number[]; slope: number[][] } {
  const mean = [0, 1, 2].map((k) => shares.reduce((a, s, j) => a + s * matrix[j][k], 0));
  return {
    constant: shares.map((s) => needKwh * s),
    slope: shares.map((s, c) => [0, 1, 2].map((k) => needKwh * s * (matrix[c][k] - mean[k]))),
  };
}

/** E_c(x) evaluated (the affine form above). */
export function renormalisedClassEnergy(needKwh: number, shares: readonly number[], matrix: Matrix3, x: readonly number[]): number[] {
  const a = elasticResponse(matrix, x);
  const mean = shares.reduce((acc, s, c) => acc + s * a[c], 0);
  return shares.map((s, c) => needKwh * s * (1 + a[c] - mean));
}

/** The multiplicative renormalisation, for comparison only. */
export function multiplicativeClassEnergy(needKwh: number, shares: readonly number[], matrix: Matrix3, x: readonly number[]): number[] {
  const a = elasticResponse(matrix, x);
  const total = shares.reduce((acc, s, c) => acc + s * (1 + a[c]), 0);
  return shares.map((s, c) => (needKwh * s * (1 + a[c])) / total);
}

/** Battery-side energy of the price-responsive users per class (p, o, v): baseline and after the response to x. */
export function classEnergies(priced: readonly { needKwh: number; shares: readonly number[] }[], matrix: Matrix3, x: readonly number[]) {
  const baseline = [0, 0, 0], responded = [0, 0, 0];
  for (const u of priced) {
    const e = renormalisedClassEnergy(u.needKwh, u.shares, matrix, x);
    for (let c = 0; c < 3; c++) {
      baseline[c] += u.needKwh * u.shares[c];
      responded[c] += e[c];
    }
  }
  return { baseline, responded };
}
