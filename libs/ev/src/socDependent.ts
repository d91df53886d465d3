import { InputError } from '@zonal/core';

/**
 * SOC-dependent charging power (seed 000 §4, SPEC §6): a battery charges and discharges at up to
 * `pBelowKw` while its stored energy is below `breakpointKwh` and at up to `pAboveKw` above it (battery
 * side; seed 000: 120 kWh, 160 kW below 100 kWh, 40 kW above). Within one period the limit can switch
 * mid-way, so the energy reachable at the next boundary is a piecewise-linear function of the energy now.
 *
 * Constraints are exported as data, rows `coefE*E[t] + coefENext*E[t+1] (+ coefZ1*z1 + coefZ2*z2) <= rhsKwh`,
 * so that a policy adds them to its own model.
 */
export interface SocDependentLimit {
  capacityKwh: number;
  breakpointKwh: number;
  /** Battery-side limit below the breakpoint (kW). */
  pBelowKw: number;
  /** Battery-side limit above it (kW); at most pBelowKw. */
  pAboveKw: number;
}

export interface EnergyStepRow {
  name: string;
  coefE: number;
  coefENext: number;
  /** Region binaries of the MILP form (0 in the LP form). */
  coefZ1: number;
  coefZ2: number;
  rhsKwh: number;
}

function validate(l: SocDependentLimit, dtH: number): void {
  const bad = (field: string, message: string): never => { throw new InputError(message, `socDependent.${field}`); };
  for (const f of ['capacityKwh', 'breakpointKwh', 'pBelowKw', 'pAboveKw'] as const) if (!(Number.isFinite(l[f]) && l[f] > 0)) bad(f, `must be > 0, got ${l[f]}`);
  if (l.breakpointKwh >= l.capacityKwh) bad('breakpointKwh', `(${l.breakpointKwh}) must be below capacityKwh (${l.capacityKwh})`);
  // The LP's upper boundary is a minimum of lines only if the rate falls at the breakpoint.
  if (l.pAboveKw > l.pBelowKw) bad('pAboveKw', `(${l.pAboveKw}) must not exceed pBelowKw (${l.pBelowKw}): the limit must fall as the battery fills`);
  if (!(Number.isFinite(dtH) && dtH > 0)) throw new InputError(`must be a positive number of hours, got ${dtH}`, 'dtH');
}

/** Shortest period for which the LP form is exact: (capacity - breakpoint) / pAbove (0.5 h for seed 000). */
export function socDependentExactFromDtH(l: SocDependentLimit): number {
  return (l.capacityKwh - l.breakpointKwh) / l.pAboveKw;
}

/**
 * The physics the rows describe, by events: the highest (charging) or lowest (discharging) stored
 * energy one period can reach from `eKwh`, at the limit for the energy held, switching limit when the
 * breakpoint is crossed, stopping at the capacity (or at empty). Exact for any step, unlike the LP rows,
 * so `checkSchedules` tests schedules against it. No validation: a zero limit is allowed here.
 */
export function socDependentReachKwh(l: SocDependentLimit, eKwh: number, dtH: number, charging: boolean): number {
  let e = eKwh, left = dtH;
  if (charging) {
    if (e < l.breakpointKwh) {
      const toBreakH = (l.breakpointKwh - e) / l.pBelowKw;
      if (left <= toBreakH) return e + l.pBelowKw * left;
      e = l.breakpointKwh;
      left -= toBreakH;
    }
    return Math.min(l.capacityKwh, e + l.pAboveKw * left);
  }
  if (e > l.breakpointKwh) {
    const toBreakH = (e - l.breakpointKwh) / l.pAboveKw;
    if (left <= toBreakH) return e - l.pAboveKw * left;
    e = l.breakpointKwh;
    left -= toBreakH;
  }
  return Math.max(0, e - l.pBelowKw * left);
}

const row = (name: string, coefE: number, coefENext: number, rhsKwh: number, coefZ1 = 0, coefZ2 = 0): EnergyStepRow =>
  ({ name, coefE, coefENext, coefZ1, coefZ2, rhsKwh });

/**
 * The LP form of SPEC §6: `E+ <= min(E + 160dt, 75 + 40dt + 0.25E, 120)` and
 * `E+ >= max(E - 160dt, 4E - 300 - 160dt)`, in general form with r = pAbove/pBelow:
 * charging across the breakpoint reaches `(1 - r)Eb + pAbove*dt + rE`, discharging across it falls to
 * `E/r - (1/r - 1)Eb - pBelow*dt`. Exact when `dtH >= socDependentExactFromDtH`: above the
 * breakpoint the true limits have slope 1 and only the capacity row keeps the lines from cutting them.
 * Below that step the rows are wrong, not just conservative (from 115 kWh at 0.25 h they force
 * E+ >= 120): use the MILP form.
 */
export function socDependentLpRows(l: SocDependentLimit, dtH: number): { rows: EnergyStepRow[]; exact: boolean } {
  validate(l, dtH);
  const r = l.pAboveKw / l.pBelowKw, eb = l.breakpointKwh;
  return {
    rows: [
      row('chargeBelow', -1, 1, l.pBelowKw * dtH),
      row('chargeAcross', -r, 1, (1 - r) * eb + l.pAboveKw * dtH),
      row('capacity', 0, 1, l.capacityKwh),
      row('dischargeBelow', 1, -1, l.pBelowKw * dtH),
      row('dischargeAcross', 1 / r, -1, (1 / r - 1) * eb + l.pBelowKw * dtH),
    ],
    exact: dtH >= socDependentExactFromDtH(l) - 1e-12,
  };
}

/**
 * The exact MILP reference for any step. The reachable upper boundary has a kink at the breakpoint
 * Eb, the lower one at Eb + pAbove*dt, so the energy now is placed in one of three regions by binaries
 * z1 = [E >= Eb] and z2 = [E >= Eb + pAbove*dt] (z2 <= z1), each region's rows switched on by big-M:
 *   E <= Eb:                  E+ <= E + pBelow dt, E+ <= crossing-up line, E+ >= E - pBelow dt
 *   Eb <= E <= Eb + pAbove dt: E+ <= E + pAbove dt, E+ >= crossing-down line
 *   E >= Eb + pAbove dt:       E+ <= E + pAbove dt, E+ >= E - pAbove dt
 * (SPEC §6 names one binary per EV and period; when Eb + pAbove*dt >= capacity, i.e. dt at or above
 * the LP's exactness step, the third region is empty and z2 is fixed at 0: one binary.) For 0 <= E, E+ <=
 * capacity, a switched-off row must hold whatever the energies: `bigMKwh` >= capacity * pBelow / pAbove
 * (480 kWh for seed 000) is enough for every row.
 */
export function socDependentMilpRows(l: SocDependentLimit, dtH: number, bigMKwh: number): { rows: EnergyStepRow[]; usesZ2: boolean } {
  validate(l, dtH);
  const smallestM = (l.capacityKwh * l.pBelowKw) / l.pAboveKw;
  if (!(bigMKwh >= smallestM)) throw new InputError(`must be at least capacity * pBelow / pAbove = ${smallestM} kWh, got ${bigMKwh}`, 'bigMKwh');
  const r = l.pAboveKw / l.pBelowKw, eb = l.breakpointKwh, eb2 = eb + l.pAboveKw * dtH, M = bigMKwh;
  const usesZ2 = eb2 < l.capacityKwh;
  const rows = [
    row('capacity', 0, 1, l.capacityKwh),
    row('regionLowEnd', 1, 0, eb, -M), //                  E <= Eb + M z1
    row('regionMidStart', -1, 0, M - eb, M), //             E >= Eb - M (1 - z1)
    row('lowChargeBelow', -1, 1, l.pBelowKw * dtH, -M),
    row('lowChargeAcross', -r, 1, (1 - r) * eb + l.pAboveKw * dtH, -M),
    row('lowDischarge', 1, -1, l.pBelowKw * dtH, -M),
    row('highCharge', -1, 1, l.pAboveKw * dtH + M, M),
    row('midDischargeAcross', 1 / r, -1, (1 / r - 1) * eb + l.pBelowKw * dtH + M, M, -M),
  ];
  if (usesZ2) {
    rows.push(
      row('regionMidEnd', 1, 0, eb2, 0, -M), //               E <= Eb2 + M z2
      row('regionHighStart', -1, 0, M - eb2, 0, M), //         E >= Eb2 - M (1 - z2)
      row('regionOrder', 0, 0, 0, -1, 1), //                   z2 <= z1
      row('highDischarge', 1, -1, l.pAboveKw * dtH + M, 0, M),
    );
  }
  return { rows, usesZ2 };
}
