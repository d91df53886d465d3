import { InputError } from '@zonal/core';
import { checkSchedules, disaggregate, Fleet, gridLoadKw, type EvSchedules, type ScheduleViolation, type TimeGrid } from '@zonal/ev';
import type { SimSetup } from './harness';

/**
 * Can each zone's EVs deliver the aggregate schedule the negotiation agreed (SPEC §6)? The zones
 * agree over their aggregate envelopes, an *outer* approximation of what the fleet can do, so an
 * agreed schedule may be undeliverable. Each zone's schedule is disaggregated to its EVs
 * (`disaggregate` of @zonal/ev: never breaks an EV, tracks as closely as it can), every EV schedule
 * is proven feasible from the EV's own data (`checkSchedules`), and the tracking shortfall is
 * reported per period and in total. The SPEC's re-offer of a tightened envelope is not done here.
 *
 * Grid side to battery side. The agreed schedule is grid-side kW, which the envelope model
 * (@zonal/policies envelope-model.ts) defines as g = c/eta − d·eta over battery-side charge c ≥ 0
 * and discharge d ≥ 0 with the zone's one eta. A net g does not fix c and d (any pair on that line
 * gives it); we read it as the lossless split — charge only when g ≥ 0 (battery = g·eta), discharge
 * only when g < 0 (battery = g/eta). That is the smallest battery-side energy change that draws g
 * from the grid, and the only split with no simultaneous charge and discharge, which no single EV
 * may do (SPEC §2). The EVs' delivered grid power is then summed EV by EV with each EV's own eta
 * (`gridLoadKw`), so a fleet whose EVs differ from the zone's eta, or where one EV charges from
 * another in the same period (lossless battery side, eta² lossy grid side), shows up as a grid-side
 * deviation even when the battery-side tracking is exact.
 */
export interface ZoneDelivery {
  zoneId: number;
  /** EVs in the zone, EVs given a schedule, and those of them proven feasible by `checkSchedules`. */
  evs: number;
  evsScheduled: number;
  evsFeasible: number;
  /** EVs left out (short dwell, outside the horizon, target unreachable): counted, never scheduled. */
  evsLeftOut: number;
  /** Up to 50 violations found by `checkSchedules` (empty when every EV is feasible). */
  violations: ScheduleViolation[];
  /** Battery-side request (the agreed grid-side schedule converted as above), delivery and requested − delivered (kW). */
  requestedBatteryKw: Float64Array;
  deliveredBatteryKw: Float64Array;
  shortfallKw: Float64Array;
  /** Battery-side energy asked for and not delivered, and delivered beyond the request (kWh): the disaggregation's tracking. */
  shortfallKwh: number;
  overKwh: number;
  /** The battery-side charging energy requested over the day (kWh): the scale for the shortfall. */
  requestedChargeKwh: number;
  /** Grid side: the agreed schedule, what the EVs' schedules actually draw, and agreed − delivered (kW). */
  agreedGridKw: Float64Array;
  deliveredGridKw: Float64Array;
  gridShortfallKw: Float64Array;
  gridShortfallKwh: number;
  gridOverKwh: number;
  /** Every period tracked battery side to within 1e-6 of the request (the disaggregation's test). */
  exact: boolean;
  /** The per-EV schedules (battery side) that realise the delivery. */
  schedules: EvSchedules;
}

/** Battery-side net power for a grid-side net power (see the header): charge-only if ≥ 0, discharge-only if < 0. */
export function batteryKwOfGridKw(gridKw: number, eta: number): number {
  return gridKw >= 0 ? gridKw * eta : gridKw / eta;
}

/**
 * The harness's independent check (it sees every zone's EVs): every zone's agreed grid-side EV
 * schedule (`zoneEvKw[k]` for `sim.zones[k]`) disaggregated afresh to its EVs as one total.
 */
export function deliverZoneSchedules(sim: SimSetup, zoneEvKw: ReadonlyArray<ArrayLike<number>>): ZoneDelivery[] {
  if (zoneEvKw.length !== sim.zones.length) {
    throw new InputError(`has schedules for ${zoneEvKw.length} zones; the setup has ${sim.zones.length}`, 'zoneEvKw');
  }
  return sim.parties.map((party, k) => deliverZone(party.config.id, party.problem.fleet, sim.inputs.grid, party.problem.eta, zoneEvKw[k], `zoneEvKw[${k}] (zone ${party.config.id})`));
}

/** One zone: `agreedGridKw` per period, grid side, over the zone's one `eta` (see the header). */
export function deliverZone(zoneId: number, fleet: Fleet, grid: TimeGrid, eta: number, agreedGridKw: ArrayLike<number>, where = `zone ${zoneId}`): ZoneDelivery {
  const T = grid.periods, dt = grid.dtH;
  if (agreedGridKw.length !== T) throw new InputError(`has ${agreedGridKw.length} values; the grid has ${T} periods`, where);
  for (let t = 0; t < T; t++) {
    if (!Number.isFinite(agreedGridKw[t])) throw new InputError(`value for period ${t} is ${agreedGridKw[t]}`, where);
  }
  if (!(eta > 0 && eta <= 1)) throw new InputError(`eta must be in (0, 1], got ${eta}`, where);
  const agreed = Float64Array.from(agreedGridKw);
  const requestedBatteryKw = agreed.map((g) => batteryKwOfGridKw(g, eta));
  const d = disaggregate(fleet, grid, requestedBatteryKw);
  const check = checkSchedules(fleet, grid, d.schedules);
  const deliveredGridKw = gridLoadKw(fleet, d.schedules).totalKw;
  const gridShortfallKw = agreed.map((g, t) => g - deliveredGridKw[t]);
  let gridShortfallKwh = 0, gridOverKwh = 0, requestedChargeKwh = 0;
  for (let t = 0; t < T; t++) {
    if (gridShortfallKw[t] > 0) gridShortfallKwh += gridShortfallKw[t] * dt;
    else gridOverKwh -= gridShortfallKw[t] * dt;
    requestedChargeKwh += Math.max(0, requestedBatteryKw[t]) * dt;
  }
  return {
    zoneId, evs: fleet.size, evsScheduled: check.scheduledEvs,
    evsFeasible: check.ok ? check.scheduledEvs : feasibleEvCount(fleet, grid, d.schedules),
    evsLeftOut: d.excluded.length, violations: check.violations,
    requestedBatteryKw, deliveredBatteryKw: d.deliveredKw, shortfallKw: d.shortfallKw,
    shortfallKwh: d.underKwh, overKwh: d.overKwh, requestedChargeKwh,
    agreedGridKw: agreed, deliveredGridKw, gridShortfallKw, gridShortfallKwh, gridOverKwh,
    exact: d.exact, schedules: d.schedules,
  };
}

/**
 * Scheduled EVs whose own schedule passes `checkSchedules` on its own. `checkSchedules` counts
 * violations, not EVs (and lists only the first 50), so when it fails each EV is checked alone.
 */
export function feasibleEvCount(fleet: Fleet, grid: TimeGrid, schedules: EvSchedules): number {
  let feasible = 0;
  for (let i = 0; i < fleet.size; i++) {
    const from = schedules.offset[i], to = schedules.offset[i + 1];
    if (to === from) continue;
    const one: EvSchedules = {
      periods: schedules.periods, start: schedules.start.slice(i, i + 1), offset: Int32Array.of(0, to - from),
      chargeKw: schedules.chargeKw.slice(from, to), dischargeKw: schedules.dischargeKw.slice(from, to),
    };
    if (checkSchedules(Fleet.subset(fleet, [i]), grid, one).ok) feasible++;
  }
  return feasible;
}
