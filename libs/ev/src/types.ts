/**
 * EV data as plain records (SPEC §2, §6).
 *
 * Energy and power reference, used everywhere in this lib:
 * - Energies are the energy *stored in the battery*, in kWh, at period boundaries.
 * - Powers are *battery side*: `chargeKw` is the rate at which stored energy rises, `dischargeKw` the
 *   rate at which it falls. So `E[k+1] = E[k] + (chargeKw - dischargeKw) * dtH`, and the charger limits
 *   of SPEC §6 ("7 kW each way, battery side") bound these numbers directly.
 * - SPEC §2 writes the same dynamics with grid-side powers `pc`, `pd`:
 *   `E[t+1] = E[t] + (eta*pc - pd/eta) * dt`, i.e. `pc = chargeKw / eta` (grid draws more than is
 *   stored) and `pd = dischargeKw * eta` (grid receives less than leaves the battery). Use
 *   `gridKw()` to convert.
 */

/** One EV as a scenario or a user describes it. */
export interface EvSpec {
  id: string;
  /** Bus the EV is plugged in at (feeder bus id), if placed. */
  bus?: number;
  /** Clock hours; any real number, taken modulo 24 h. */
  arrivalH: number;
  /** On the same axis as `arrivalH` and after it by less than 24 h (31 means 07:00 the next day). */
  departureH: number;
  capacityKwh: number;
  /** Battery-side charging limit. */
  pChargeMaxKw: number;
  /** Battery-side discharging limit; 0 if not V2G (ignored unless `v2g`). */
  pDischargeMaxKw: number;
  /** Charge and discharge efficiency, applied on both sides (SPEC §2). */
  eta: number;
  socMin: number;
  socMax: number;
  socArrival: number;
  /** SOC the EV must hold at departure. */
  socTarget: number;
  v2g: boolean;
  /**
   * SOC-dependent charging limit (seed 000 §4, SPEC §6): `pChargeMaxKw` while stored energy is below
   * `breakpointKwh`, `pAboveKw` (<= pChargeMaxKw) above it; discharging above the breakpoint is scaled
   * by the same ratio (see socDependent.ts). Absent: the charger limit holds at every SOC.
   */
  socDependent?: { breakpointKwh: number; pAboveKw: number };
}

/**
 * Period `t` covers `[startH + t*dtH, startH + (t+1)*dtH)` clock hours. A grid of exactly 24 h is a
 * periodic day (parking windows wrap past its end); a shorter one is a horizon of its own (the
 * profit case of SPEC §7.3: 24 x 0.5 h from 20:00), and an EV parked outside it is dropped.
 */
export interface TimeGrid {
  periods: number;
  dtH: number;
  /** Clock hour at which period 0 starts; 0 (midnight) when absent. */
  startH?: number;
}

/** Why an EV is left out of the envelope and of any schedule. */
export type EvProblemKind = 'short-dwell' | 'outside-horizon' | 'target-unreachable';

/** An EV that is reported and left out, while the rest of the fleet is scheduled. */
export interface EvProblem {
  /** Position in the fleet. */
  index: number;
  id: string;
  kind: EvProblemKind;
  /** e.g. "EV 1234 cannot reach 90% SOC by 07:15: needs 38 kWh, can charge 31 kWh". */
  message: string;
}

/** Grid-side power of a battery-side power of one EV (see the header). */
export function gridKw(batteryKw: number, eta: number): number {
  return batteryKw >= 0 ? batteryKw / eta : batteryKw * eta;
}
