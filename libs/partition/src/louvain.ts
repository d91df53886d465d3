/**
 * Louvain community detection on the complete graph of non-slack buses weighted by 1/s_ij (SPEC §5).
 * graphology-communities-louvain walks the nodes in random order and is not deterministic by default
 * (STACK.md: 6 partitions in 500 runs): every call gets a freshly seeded generator, and the graph is
 * built in the canonical node order, so one (resolution, seed) always gives one partition.
 */
import { UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
import { createRng } from '@zonal/core';
import type { ElectricalDistance } from './distance';

export interface DistanceGraph {
  graph: UndirectedGraph;
  /** w[k·N + l] = 1/s_ij (0 where s_ij = ∞ and on the diagonal): the modularity reads the same weights. */
  w: Float64Array;
  n: number;
}

export function distanceGraph(dist: ElectricalDistance): DistanceGraph {
  const { n, s } = dist;
  const graph = new UndirectedGraph();
  const w = new Float64Array(n * n);
  for (let k = 0; k < n; k++) graph.addNode(String(k));
  for (let k = 0; k < n; k++) {
    for (let l = k + 1; l < n; l++) {
      const skl = s[k * n + l];
      if (!Number.isFinite(skl)) continue;
      const weight = 1 / skl;
      w[k * n + l] = weight;
      w[l * n + k] = weight;
      graph.addUndirectedEdge(String(k), String(l), { weight });
    }
  }
  return { graph, w, n };
}

/** Community of each node (arbitrary labels) for one resolution and one seed of the random walk. */
export function louvainCommunities(g: DistanceGraph, resolution: number, rngSeed: number): Int32Array {
  const mapping = louvain(g.graph, { resolution, rng: createRng(rngSeed).next, getEdgeWeight: 'weight' });
  return Int32Array.from({ length: g.n }, (_, k) => mapping[String(k)]);
}
