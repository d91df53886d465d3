import { createRng } from '@zonal/core';
import {
  aggregateEnvelope, anchoredEnvelopeGroups, type EnvelopeGrouping, checkSchedules, disaggregate, disaggregateGroups, sampleDefaultFleet, type Disaggregation, type Fleet, type ScheduleCheck, type TimeGrid,
} from '@zonal/ev';
import { loadFeeder } from '@zonal/feeder';
import { loadScenario, tariffAtPeriods, timeGrid, type Scenario } from '@zonal/scenario';
import { LpExporter } from '@zonal/solver';
import { atPeriods } from '../common';
import type { ZoneAnswer } from '../policy';
import { directControl } from './direct-control';
import { scheduleCostYuan, type ZoneData } from './per-ev';

export type { ZoneData };

/**
 * One zone's direct-control problem at any fleet size, from the default scenario (SPEC §3, §6,
 * §7.0): the default fleet's parameters with `evs` vehicles, the TOU tariff, the zones' degradation
 * and peak tie-break, and a base load of the feeder's bus loads summed × the load profile, scaled by
 * evs / evFleet.count so the EVs stay the scenario's share of the load (16.8 of 73.7 MWh a day).
 */
export interface FleetSchedulingCase {
  fleet: Fleet;
  zone: ZoneData;
}

export function fleetSchedulingCase(evs: number, scenario: Scenario = loadScenario('default')): FleetSchedulingCase {
  const grid: TimeGrid = timeGrid(scenario);
  const busLoadKw = loadFeeder(scenario.network.case).buses.reduce((a, b) => a + b.pdKw, 0) * scenario.network.loadScale;
  const scale = scenario.evFleet.count > 0 ? evs / scenario.evFleet.count : 1;
  const fleet = sampleDefaultFleet({ ...scenario.evFleet, count: evs }, createRng(scenario.seed).fork('evFleet'));
  const zone: ZoneData = {
    zoneId: 1, grid, eta: scenario.evFleet.eta,
    baseNetLoadKw: atPeriods(scenario.profiles.load, grid, busLoadKw * scale),
    tariffYuanPerKwh: Float64Array.from(tariffAtPeriods(scenario.tariff.blocks, grid), (b) => b.priceYuanPerKwh),
    degradationYuanPerKwh: scenario.zones.degradationYuanPerKwh,
    peakTieBreakYuanPerKw: scenario.zones.peakTieBreakYuanPerKw,
  };
  return { fleet, zone };
}

export interface EnvelopeSchedule {
  answer: ZoneAnswer;
  disaggregation: Disaggregation;
  check: ScheduleCheck;
  /** The zone's bill recomputed from the disaggregated per-EV schedules. */
  costYuan: number;
  baseBillYuan: number;
  /** Envelopes the zone's LP scheduled over (1 without a grouping). */
  envelopes: number;
}

/**
 * Method (c): the zone's envelopes (one per group of `grouping`, or one for the fleet), direct-control's
 * envelope LP against the tariff, each group's schedule disaggregated to its EVs, the schedules
 * proven feasible by the independent checker and priced from the schedules themselves. `probe` is called between the steps (the
 * benchmark samples memory there: the steps are synchronous, so a timer cannot).
 */
export async function envelopeSchedule(fleet: Fleet, zone: ZoneData, probe: () => void = () => undefined, grouping?: EnvelopeGrouping): Promise<EnvelopeSchedule> {
  const envelope = aggregateEnvelope(fleet, zone.grid);
  // With a grouping, the zone schedules over several envelopes (libs/ev groups.ts), as in zonal sim.
  const envelopeGroups = grouping ? anchoredEnvelopeGroups(fleet, zone.grid, grouping) : undefined;
  probe();
  const answer = await directControl.respond({ ...zone, envelope, ...(envelopeGroups ? { envelopeGroups } : {}) }, { round: 0 }, { exporter: new LpExporter(undefined), rng: createRng(0) });
  probe();
  // The answer is grid side (c/eta − d·eta). At positive prices the LP never charges and discharges
  // in one period (it would pay for the losses), so each period's battery-side power is one of the two.
  const batteryKw = answer.evKw.map((kw) => (kw >= 0 ? kw * zone.eta : kw / zone.eta));
  // With groups, each group's own schedule goes to its own EVs (no EV discharging into another's charging).
  const disaggregation = envelopeGroups && answer.groupBatteryKw
    ? disaggregateGroups(fleet, zone.grid, envelopeGroups.map((g) => ({ evs: g.evs! })), answer.groupBatteryKw)
    : disaggregate(fleet, zone.grid, batteryKw);
  probe();
  const check = checkSchedules(fleet, zone.grid, disaggregation.schedules);
  const { costYuan, baseBillYuan } = scheduleCostYuan(zone, fleet, disaggregation.schedules);
  probe();
  return { answer, disaggregation, check, costYuan, baseBillYuan, envelopes: envelopeGroups?.length ?? 1 };
}
