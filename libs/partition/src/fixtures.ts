/**
 * Feeders, inputs and SPEC §5 parameters shared by the tests and the benchmark (not exported from
 * the barrel; production parameters come from the scenario file).
 */
import { buildRadialNetwork, type Feeder, type RadialNetwork } from '@zonal/feeder';
import type { PartitionInputs, PartitionParams } from './types';

/** SPEC §5's declared values (the scenario file carries them in production). */
export const SPEC_PARAMS: PartitionParams = {
  resolutions: [0.5, 0.75, 1, 1.25, 1.5],
  rngSeeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  weights: { modularity: 0.5, flexibility: 0.9, balance: 0.4 },
  sizePenalty: { minBuses: 3, maxBuses: 12, perZone: 0.25 },
  wA: 0.5,
  wE: 0.5,
  gamma: 0.2,
};

/** SPEC §3 loadProfile. */
export const LOAD_PROFILE = [
  0.62, 0.58, 0.55, 0.54, 0.55, 0.6, 0.68, 0.76, 0.84, 0.9, 0.95, 0.99,
  1.0, 0.98, 0.97, 0.96, 0.92, 0.9, 0.93, 0.98, 1.0, 0.99, 0.9, 0.75,
];

/**
 * A 12.66 kV, 10 MVA feeder from [from, to, xOhm] rows (r = x / 2), bus 1 the substation.
 * Loads default to 10 kW per non-slack bus.
 */
export function toyFeeder(rows: Array<[number, number, number]>, loadsKw: Record<number, number> = {}): Feeder {
  const ids = [...new Set(rows.flatMap(([a, b]) => [a, b]))].sort((a, b) => a - b);
  return {
    name: 'toy',
    baseMva: 10,
    baseKv: 12.66,
    buses: ids.map((id) => ({
      id, baseKv: 12.66, pdKw: id === 1 ? 0 : loadsKw[id] ?? 10, qdKvar: 0, isSlack: id === 1, vmSetPu: 1,
    })),
    branches: rows.map(([from, to, xOhm]) => ({ from, to, rOhm: xOhm / 2, xOhm, inService: true })),
  };
}

/** flexKw = flexShare × bus load all day; netLoadKw = bus load × loadProfile (the brief's synthetic inputs). */
export function loadShapedInputs(net: RadialNetwork, flexShare = 0.3): PartitionInputs {
  return {
    net,
    flexKw: net.feeder.buses.map((b) => new Float64Array(LOAD_PROFILE.length).fill(b.pdKw * flexShare)),
    netLoadKw: net.feeder.buses.map((b) => Float64Array.from(LOAD_PROFILE, (p) => b.pdKw * p)),
  };
}

export function network(feeder: Feeder): RadialNetwork {
  return buildRadialNetwork(feeder);
}

/** The error fn throws; fails the test when it returns normally. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}
