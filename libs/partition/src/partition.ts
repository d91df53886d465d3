/**
 * Zone partitioning of a radial feeder (SPEC §5; seed 001 eq 12–21): electrical distance, seeded
 * Louvain over every (resolution, seed) candidate, connected zones, the composite index F, lowest F wins.
 */
import type { RadialNetwork } from '@zonal/feeder';
import { compositeIndex, lowestIndex } from './composite';
import { electricalDistance } from './distance';
import { modularity, partitionIndices, zoneFlexIndices } from './indices';
import { distanceGraph, louvainCommunities, type DistanceGraph } from './louvain';
import { feederTree, type FeederTree } from './tree';
import type { CandidateScore, PartitionInputs, PartitionParams, PartitionResult, Zone, ZoneIndices } from './types';
import { checkFeeder, checkInputs, checkParams } from './validate';
import { connectedZones, zoneMembers, zoneTieLines, type ZoneAssignment } from './zones';

/** louvainCandidates' answer: the feeder's tree and distance graph, and each candidate's zones. */
export interface PartitionCandidates {
  net: RadialNetwork;
  tree: FeederTree;
  graph: DistanceGraph;
  assignments: Array<{ resolution: number; rngSeed: number; assignment: ZoneAssignment }>;
}

interface ScoredCandidate {
  resolution: number;
  rngSeed: number;
  assignment: ZoneAssignment;
  zones: ZoneIndices[];
  Q: number;
  f2: number;
  f3: number;
  fc: number;
}

export function partitionFeeder(inp: PartitionInputs, params: PartitionParams): PartitionResult {
  return choosePartition(louvainCandidates(inp.net, params), inp, params);
}

/**
 * The first half of partitionFeeder: every (resolution, seed) candidate's connected zones. It reads
 * the feeder alone (its electrical distances), not the loads or the flexibility, so a caller can
 * compute it while those are still being computed (the split's no-EV dispatch).
 */
export function louvainCandidates(net: RadialNetwork, params: PartitionParams): PartitionCandidates {
  checkParams(params);
  checkFeeder(net);
  const tree = feederTree(net);
  const graph = distanceGraph(electricalDistance(tree));
  const assignments = params.resolutions.flatMap((resolution) => params.rngSeeds.map((rngSeed) => ({
    resolution, rngSeed, assignment: connectedZones(tree, louvainCommunities(graph, resolution, rngSeed)),
  })));
  return { net, tree, graph, assignments };
}

/** The second half: each candidate scored on the inputs (seed 001 eq 12–21), the lowest composite index F chosen. */
export function choosePartition(c: PartitionCandidates, inp: PartitionInputs, params: PartitionParams): PartitionResult {
  if (inp.net !== c.net) throw new Error('choosePartition: the inputs are for another feeder than the candidates');
  checkInputs(inp);
  const { tree, graph } = c;
  const candidates: ScoredCandidate[] = c.assignments.map((a) => ({ ...a, ...scoreZones(tree, graph, a.assignment, inp, params) }));
  const F = compositeIndex(candidates, params.weights);
  const best = candidates[lowestIndex(F)];

  const members = zoneMembers(tree, best.assignment);
  const zones: Zone[] = members.map((m, i) => ({
    id: i + 1,
    buses: m.map((p) => tree.busId[p]),
    indices: roundAll(best.zones[i]),
  }));
  const busZone: Record<number, number> = {};
  for (const z of zones) for (const id of z.buses) busZone[id] = z.id;
  const score = (sc: ScoredCandidate, i: number): CandidateScore => roundAll({
    resolution: sc.resolution, rngSeed: sc.rngSeed, zones: sc.assignment.nZones, F: F[i], Q: sc.Q, f2: sc.f2, f3: sc.f3, fc: sc.fc,
  });
  const { zones: _nZones, ...chosen } = score(best, candidates.indexOf(best));
  return {
    zones,
    tieLines: zoneTieLines(tree, best.assignment),
    busZone,
    chosen,
    candidates: candidates.map(score),
  };
}

function scoreZones(tree: FeederTree, graph: DistanceGraph, z: ZoneAssignment, inp: PartitionInputs, params: PartitionParams) {
  const zoneOfNode = Int32Array.from({ length: graph.n }, (_, k) => z.zoneOfPos[tree.preorder[k + 1]]);
  const mod = modularity(graph, zoneOfNode, z.nZones);
  const flex = zoneMembers(tree, z).map((m) => zoneFlexIndices(m, inp.flexKw, inp.netLoadKw, params));
  const zones: ZoneIndices[] = flex.map((f, i) => ({ ...f, q: mod.perZone[i] }));
  return { zones, Q: mod.Q, ...partitionIndices(flex, params) };
}

/**
 * Ten significant digits: far below any physical meaning, far above round-off, so that the JSON of
 * a result is the same bytes on every run (and -0 prints as 0).
 */
function stable(v: number): number {
  const r = Number(v.toPrecision(10));
  return r === 0 ? 0 : r;
}

function roundAll<T extends object>(o: T): T {
  const out = { ...o } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (typeof v === 'number') out[k] = stable(v);
  return out as T;
}
