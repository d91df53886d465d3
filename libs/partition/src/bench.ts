/**
 * Partitioning speed on IEEE-33 and on a seeded 1 000-bus synthetic feeder, with SPEC §5's 50
 * candidates (5 resolutions × 10 seeds). The distance matrix is O(N³) and the complete graph has
 * N(N−1)/2 edges, so the phases are timed apart. Load-shaped inputs (flexibility ∝ bus load, net load
 * = bus load × loadProfile) stand in for the base dispatch: speed does not depend on them.
 */
import { buildRadialNetwork, loadIeee33, makeSyntheticFeeder, type Feeder } from '@zonal/feeder';
import { electricalDistance } from './distance';
import { distanceGraph, louvainCommunities } from './louvain';
import { partitionFeeder } from './partition';
import { feederTree } from './tree';
import type { PartitionParams } from './types';

export interface PartitionBenchRow {
  case: string;
  buses: number;
  edges: number;
  candidates: number;
  zones: number;
  msDistance: number;
  msGraph: number;
  msLouvainPerRun: number;
  msTotal: number;
}

const BENCH_SEED = 20251123;
/** SPEC §5's declared candidate set and weights. */
const SPEC_PARAMS: PartitionParams = {
  resolutions: [0.5, 0.75, 1, 1.25, 1.5],
  rngSeeds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  weights: { modularity: 0.5, flexibility: 0.9, balance: 0.4 },
  sizePenalty: { minBuses: 3, maxBuses: 12, perZone: 0.25 },
  wA: 0.5,
  wE: 0.5,
  gamma: 0.2,
};
/** SPEC §3 loadProfile. */
const LOAD_PROFILE = [
  0.62, 0.58, 0.55, 0.54, 0.55, 0.6, 0.68, 0.76, 0.84, 0.9, 0.95, 0.99,
  1.0, 0.98, 0.97, 0.96, 0.92, 0.9, 0.93, 0.98, 1.0, 0.99, 0.9, 0.75,
];
const FLEX_SHARE_OF_LOAD = 0.3;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

function benchCase(feeder: Feeder, params: PartitionParams): PartitionBenchRow {
  const net = buildRadialNetwork(feeder);
  const distance = timed(() => electricalDistance(feederTree(net)));
  const graph = timed(() => distanceGraph(distance.value));
  const louvain = timed(() => louvainCommunities(graph.value, 1, 1));
  const inputs = {
    net,
    flexKw: feeder.buses.map((b) => new Float64Array(LOAD_PROFILE.length).fill(b.pdKw * FLEX_SHARE_OF_LOAD)),
    netLoadKw: feeder.buses.map((b) => Float64Array.from(LOAD_PROFILE, (p) => b.pdKw * p)),
  };
  const total = timed(() => partitionFeeder(inputs, params));
  return {
    case: feeder.name,
    buses: feeder.buses.length,
    edges: graph.value.graph.size,
    candidates: total.value.candidates.length,
    zones: total.value.zones.length,
    msDistance: distance.ms,
    msGraph: graph.ms,
    msLouvainPerRun: louvain.ms,
    msTotal: total.ms,
  };
}

export function benchPartition(): PartitionBenchRow[] {
  return [
    benchCase(loadIeee33(), SPEC_PARAMS),
    benchCase(makeSyntheticFeeder({ buses: 1000, seed: BENCH_SEED }), SPEC_PARAMS),
  ];
}
