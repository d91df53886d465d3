import { createRng } from '@zonal/core';
import {
  aggregateEnvelope, anchoredEnvelopeGroups, type EnvelopeGrouping, checkSchedules, sampleDefaultFleet, type Fleet, type ScheduleCheck, type TimeGrid,
} from '@zonal/ev';
import { loadFeeder } from '@zonal/feeder';
import { loadScenario, profileAtPeriods, tariffAtPeriods, timeGrid, type Scenario } from '@zonal/scenario';
import { LpExporter } from '@zonal/solver';
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
  const blocks = tariffAtPeriods(scenario.tariff.blocks, grid);
  const zone: ZoneData = {
    zoneId: 1, grid, eta: scenario.evFleet.eta,
    baseNetLoadKw: profileAtPeriods(scenario.profiles.load, grid).map((f) => busLoadKw * scale * f),
    tariffYuanPerKwh: Float64Array.from(blocks, (b) => b.priceYuanPerKwh),
    tariffCodes: blocks.map((b) => b.code),
    degradationYuanPerKwh: scenario.zones.degradationYuanPerKwh,
    peakTieBreakYuanPerKw: scenario.zones.peakTieBreakYuanPerKw,
  };
  return { fleet, zone };
}

export interface EnvelopeSchedule {
  /** direct-control's answer: the envelope LP, each group's schedule disaggregated to its EVs, every EV checked. */
  answer: ZoneAnswer;
  /** The independent checker's verdict on the answer's per-EV schedules. */
  check: ScheduleCheck;
  /** The zone's bill recomputed from the per-EV schedules. */
  costYuan: number;
  baseBillYuan: number;
  /** Envelopes the zone's LP scheduled over (1 without a grouping). */
  envelopes: number;
}

/**
 * Method (c): the zone's envelopes (one per group of `grouping`, or one for the fleet), direct-control's
 * answer against the tariff — its envelope LP, each group's schedule disaggregated to the group's EVs
 * (zone-model.ts deliverToEvs) — the schedules proven feasible by the independent checker and priced
 * from the schedules themselves. `probe` is called between the steps (the benchmark samples memory
 * there: the steps are synchronous, so a timer cannot).
 */
export async function envelopeSchedule(fleet: Fleet, zone: ZoneData, probe: () => void = () => undefined, grouping?: EnvelopeGrouping): Promise<EnvelopeSchedule> {
  const envelope = aggregateEnvelope(fleet, zone.grid);
  // With a grouping, the zone schedules over several envelopes (libs/ev groups.ts), as in zonal sim;
  // without, over one envelope of the whole fleet (one group of every EV, anchored at 00:00).
  const envelopeGroups = grouping
    ? anchoredEnvelopeGroups(fleet, zone.grid, grouping)
    : [{ envelope, shiftPeriods: 0, evs: Int32Array.from({ length: fleet.size }, (_, i) => i) }];
  probe();
  const answer = await directControl.respond({ ...zone, fleet, envelope, envelopeGroups }, { round: 0 }, { exporter: new LpExporter(undefined), rng: createRng(0) });
  probe();
  const check = checkSchedules(fleet, zone.grid, answer.schedules);
  const { costYuan, baseBillYuan } = scheduleCostYuan(zone, fleet, answer.schedules);
  probe();
  return { answer, check, costYuan, baseBillYuan, envelopes: envelopeGroups.length };
}
