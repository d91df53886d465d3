/**
 * Partitioning speed on IEEE-33 and on a seeded 1 000-bus synthetic feeder, with SPEC §5's 50
 * candidates (5 resolutions × 10 seeds). The distance matrix is O(N³) and the complete graph has
 * N(N−1)/2 edges, so the phases are timed apart. Load-shaped inputs (flexibility ∝ bus load, net load
 * = bus load × loadProfile) stand in for the base dispatch: speed does not depend on them.
 */
import { buildRadialNetwork, loadIeee33, makeSyntheticFeeder, type Feeder } from '@zonal/feeder';
import { electricalDistance } from './distance';
import { loadShapedInputs, SPEC_PARAMS } from './fixtures';
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

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

function benchCase(feeder: Feeder, params: PartitionParams = SPEC_PARAMS): PartitionBenchRow {
  const net = buildRadialNetwork(feeder);
  const distance = timed(() => electricalDistance(feederTree(net)));
  const graph = timed(() => distanceGraph(distance.value));
  const louvain = timed(() => louvainCommunities(graph.value, 1, 1));
  const total = timed(() => partitionFeeder(loadShapedInputs(net), params));
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
    benchCase(loadIeee33()),
    benchCase(makeSyntheticFeeder({ buses: 1000, seed: BENCH_SEED })),
  ];
}
