import { createRng } from '@zonal/core';
import { loadScenario } from '@zonal/scenario';
import { checkSchedules } from './checkSchedules';
import { disaggregate } from './disaggregate';
import { aggregateEnvelope, type AggregateEnvelope } from './region';
import { sampleDefaultFleet, type DefaultFleetParams } from './sampling';
import type { TimeGrid } from './types';
import { uncoordinatedProfile } from './uncoordinated';

/**
 * `npm run bench` rows for the EV lib (goal: 100 000 EVs, 24 periods, envelope + disaggregation well
 * under 5 s with every EV proven feasible). The fleet is the default scenario's (SPEC §6) at each
 * size. Two aggregates are disaggregated:
 * - uncoordinated: the fleet's own uncoordinated charging (deliverable by construction, charge only);
 * - peak-shave: the same, but 17:00-21:00 asks the fleet to discharge at 30% of the envelope's discharge
 *   limit and the energy moved is charged back evenly over 00:00-06:00 (V2G chains needed).
 * Peak RSS is the process's, so it only grows down the table.
 */
export interface EvBenchRow {
  evs: number;
  periods: number;
  aggregate: string;
  sampleMs: number;
  envelopeMs: number;
  disaggregateMs: number;
  checkMs: number;
  exact: boolean;
  shortfallKwh: number;
  feasible: boolean;
  peakRssMb: number;
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, performance.now() - t0];
}

function peakShave(uncoordinatedKw: Float64Array, env: AggregateEnvelope, grid: TimeGrid): Float64Array {
  const p = Float64Array.from(uncoordinatedKw);
  let movedKwh = 0;
  const valley: number[] = [];
  for (let t = 0; t < grid.periods; t++) {
    const h = t * grid.dtH;
    if (h >= 17 && h < 21) {
      movedKwh += (p[t] - 0.3 * env.pMinKw[t]) * grid.dtH;
      p[t] = 0.3 * env.pMinKw[t];
    } else if (h < 6) valley.push(t);
  }
  for (const t of valley) p[t] += movedKwh / (valley.length * grid.dtH);
  return p;
}

export function benchEv(sizes: readonly number[] = [1_000, 10_000, 100_000], periods: readonly number[] = [24]): EvBenchRow[] {
  const scenario = loadScenario('default');
  const rows: EvBenchRow[] = [];
  for (const T of periods) {
    const grid: TimeGrid = { periods: T, dtH: 24 / T };
    for (const evs of sizes) {
      const params: DefaultFleetParams = { ...scenario.evFleet, count: evs };
      const [fleet, sampleMs] = timed(() => sampleDefaultFleet(params, createRng(scenario.seed)));
      const [env, envelopeMs] = timed(() => aggregateEnvelope(fleet, grid));
      const uncoordinated = uncoordinatedProfile(fleet, grid).batteryKw;
      for (const [aggregate, kw] of [['uncoordinated', uncoordinated], ['peak-shave', peakShave(uncoordinated, env, grid)]] as const) {
        const [result, disaggregateMs] = timed(() => disaggregate(fleet, grid, kw));
        const [check, checkMs] = timed(() => checkSchedules(fleet, grid, result.schedules));
        rows.push({
          evs, periods: T, aggregate, sampleMs, envelopeMs, disaggregateMs, checkMs, exact: result.exact,
          shortfallKwh: result.underKwh + result.overKwh, feasible: check.ok,
          peakRssMb: process.resourceUsage().maxRSS / 1024,
        });
      }
    }
  }
  return rows;
}
