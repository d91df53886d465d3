import { createRng } from '@zonal/core';
import { sampleDefaultFleet, uncoordinatedProfile, type Fleet } from '@zonal/ev';
import type { Feeder } from '@zonal/feeder';
import { timeGrid, type Scenario } from '@zonal/scenario';

/**
 * The scenario's EV fleet (SPEC §6 default fleet), placed on buses in proportion to their load.
 * Drawn from the scenario seed's own "evFleet" stream, so other draws never shift it.
 */
export function scenarioFleet(scenario: Scenario, feeder: Feeder): Fleet {
  const busLoads = feeder.buses.filter((b) => b.pdKw > 0).map((b) => ({ bus: b.id, pKw: b.pdKw }));
  return sampleDefaultFleet({ ...scenario.evFleet, busLoads }, createRng(scenario.seed).fork('evFleet'));
}

export interface EvBaseline {
  count: number;
  /** Messages of the EVs that are dropped or miss their target, one per EV. */
  infeasible: string[];
  /** Grid-side energy the fleet draws over the day. */
  energyKwh: number;
  /** Grid-side charging per period and bus position (the feeder's bus order). */
  busLoadKw: Float64Array[];
}

/** "Before coordination": every EV charges at full power from arrival (SPEC §4, §6). */
export function uncoordinatedEvLoad(scenario: Scenario, feeder: Feeder): EvBaseline {
  const grid = timeGrid(scenario);
  const fleet = scenarioFleet(scenario, feeder);
  const profile = uncoordinatedProfile(fleet, grid);
  const busLoadKw = Array.from({ length: grid.periods }, () => new Float64Array(feeder.buses.length));
  feeder.buses.forEach((b, pos) => {
    const kw = profile.gridKwByBus.get(b.id);
    if (kw) kw.forEach((v, t) => { busLoadKw[t][pos] = v; });
  });
  return {
    count: fleet.size,
    infeasible: [...profile.dropped, ...profile.shortOfTarget].map((p) => p.message),
    energyKwh: profile.gridKw.reduce((a, b) => a + b, 0) * grid.dtH,
    busLoadKw,
  };
}
