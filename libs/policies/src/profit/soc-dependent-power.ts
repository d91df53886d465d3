import type { ModelBuilder, VarBlock } from '@zonal/solver';

/**
 * SOC-dependent charging power (seed 000 §4, SPEC §6), battery side, both directions: at most
 * `pBelowKw` while the stored energy is below `thresholdKwh`, `pAboveKw` above it (120 kWh,
 * 160 kW below 100 kWh, 40 kW above). The limit can switch within a period, so the energy
 * reachable at the next boundary is piecewise linear in the energy now.
 *
 * Written here because `@zonal/ev` does not export these constraints (yet); they act on a model's
 * stored-energy columns only, so any battery model can take them.
 */
export interface SocDependentPower {
  capacityKwh: number;
  thresholdKwh: number;
  pBelowKw: number;
  /** At most pBelowKw: the limit falls as the battery fills. */
  pAboveKw: number;
}

/**
 * The shortest step for which the LP form is exact: (capacity − threshold) / pAbove (0.5 h for
 * seed 000). Above the threshold the true limits have slope 1 in the energy now; the LP's lines
 * (slope r = pAbove/pBelow charging, 1/r discharging) agree with them only where the capacity
 * cuts both off, i.e. when threshold + pAbove·dt ≥ capacity.
 */
export function lpExactFromDtH(p: SocDependentPower): number {
  return (p.capacityKwh - p.thresholdKwh) / p.pAboveKw;
}

/** Period t's stored-energy pair: E = energy[t], N = energy[t + 1]. */
const pair = (energy: VarBlock, t: number) => [energy.at(t), energy.at(t + 1)];

/**
 * SPEC §6's LP: N ≤ min(E + pBelow·dt, (1 − r)·Eb + pAbove·dt + r·E) (charging across the
 * threshold: pBelow up to Eb, pAbove after) and N ≥ max(E − pBelow·dt, E/r − (1/r − 1)·Eb − pBelow·dt)
 * (discharging across it), with the capacity as the column's bound. For seed 000:
 * N ≤ min(E + 160dt, 75 + 40dt + 0.25E, 120), N ≥ max(E − 160dt, 4E − 300 − 160dt).
 * Exact only for dt ≥ lpExactFromDtH; below it the discharge line can even force charging.
 */
export function addSocDependentLp(m: ModelBuilder, p: SocDependentPower, energy: VarBlock, dtH: number): void {
  const r = p.pAboveKw / p.pBelowKw, eb = p.thresholdKwh;
  for (let t = 0; t + 1 < energy.size; t++) {
    const cols = pair(energy, t);
    m.addConstraint('chargeBelow', [t], cols, [-1, 1], '<=', p.pBelowKw * dtH);
    m.addConstraint('chargeAcross', [t], cols, [-r, 1], '<=', (1 - r) * eb + p.pAboveKw * dtH);
    m.addConstraint('dischargeBelow', [t], cols, [1, -1], '<=', p.pBelowKw * dtH);
    m.addConstraint('dischargeAcross', [t], cols, [1 / r, -1], '<=', (1 / r - 1) * eb + p.pBelowKw * dtH);
  }
}

/**
 * The exact MILP reference for any step (SPEC §6: region binaries). The reachable upper boundary
 * kinks at Eb, the lower one at Eb2 = Eb + pAbove·dt, so the energy now lies in one of three
 * regions, chosen by z1 = [E ≥ Eb] and z2 = [E ≥ Eb2] (z2 ≤ z1), each region's limits switched on
 * by big-M:
 *   low  (E ≤ Eb):        N ≤ E + pBelow·dt, N ≤ crossing-up line, N ≥ E − pBelow·dt
 *   mid  (Eb ≤ E ≤ Eb2):  N ≤ E + pAbove·dt, N ≥ crossing-down line
 *   high (E ≥ Eb2):       N ≤ E + pAbove·dt, N ≥ E − pAbove·dt
 * When Eb2 ≥ capacity (dt ≥ lpExactFromDtH) the high region is empty: one binary per period.
 */
export function addSocDependentMilp(m: ModelBuilder, p: SocDependentPower, energy: VarBlock, dtH: number): void {
  const r = p.pAboveKw / p.pBelowKw, eb = p.thresholdKwh, eb2 = eb + p.pAboveKw * dtH;
  // Every switched-off row must hold for any E, N in [0, capacity]: the steepest line is 1/r.
  const M = p.capacityKwh / r + p.pBelowKw * dtH;
  const threeRegions = eb2 < p.capacityKwh;
  for (let t = 0; t + 1 < energy.size; t++) {
    const [e, n] = pair(energy, t);
    const z1 = m.addVar('aboveThreshold', [t], { lb: 0, ub: 1, integer: true });
    m.addConstraint('lowRegion', [t], [e, z1], [1, -M], '<=', eb);
    m.addConstraint('midRegion', [t], [e, z1], [1, -M], '>=', eb - M);
    m.addConstraint('lowCharge', [t], [n, e, z1], [1, -1, -M], '<=', p.pBelowKw * dtH);
    m.addConstraint('lowChargeAcross', [t], [n, e, z1], [1, -r, -M], '<=', (1 - r) * eb + p.pAboveKw * dtH);
    m.addConstraint('lowDischarge', [t], [e, n, z1], [1, -1, -M], '<=', p.pBelowKw * dtH);
    m.addConstraint('highCharge', [t], [n, e, z1], [1, -1, M], '<=', p.pAboveKw * dtH + M);
    const across = [e, n, z1], acrossCoefs = [1 / r, -1, M];
    if (threeRegions) {
      const z2 = m.addVar('aboveKink', [t], { lb: 0, ub: 1, integer: true });
      m.addConstraint('regionOrder', [t], [z2, z1], [1, -1], '<=', 0);
      m.addConstraint('belowKink', [t], [e, z2], [1, -M], '<=', eb2);
      m.addConstraint('aboveKinkRegion', [t], [e, z2], [1, -M], '>=', eb2 - M);
      m.addConstraint('highDischarge', [t], [e, n, z2], [1, -1, M], '<=', p.pAboveKw * dtH + M);
      across.push(z2);
      acrossCoefs.push(-M);
    }
    m.addConstraint('midDischargeAcross', [t], across, acrossCoefs, '<=', (1 / r - 1) * eb + p.pBelowKw * dtH + M);
  }
}
