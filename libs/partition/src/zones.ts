/**
 * From Louvain communities to zones: connected subgraphs of the feeder (SPEC §5), the substation
 * included, numbered in a fixed order; and the tie lines between them.
 */
import type { FeederTree } from './tree';
import type { ZoneTieLine } from './types';

export interface ZoneAssignment {
  nZones: number;
  /** Zone id (1..nZones) of each bus position. */
  zoneOfPos: Int32Array;
}

/**
 * Louvain on the complete graph knows nothing of the feeder's branches, so a community can be two
 * pieces of the feeder: each connected piece becomes its own zone. On a tree, the pieces are found in
 * one preorder pass: a bus continues its parent's zone when both are in the same community.
 *
 * The substation (slack) bus is not a node of the distance graph (N_Q excludes it, and its X is 0):
 * it joins the zone of the child it is electrically nearest (smallest branch reactance, then smallest
 * bus id), which keeps that zone connected.
 *
 * Buses below different branches of the substation are never in one zone (their X_in is 0: no edge
 * joins them, and the zone would be connected only through the substation).
 *
 * Zones are numbered 1, 2, … by their smallest bus id.
 * @param communityOfNode community label of each distance-graph node (tree preorder minus the slack)
 */
export function connectedZones(tree: FeederTree, communityOfNode: Int32Array): ZoneAssignment {
  const { nBus, preorder, parentPos, slackPos, busId } = tree;
  const communityOfPos = new Int32Array(nBus);
  for (let a = 1; a < nBus; a++) communityOfPos[preorder[a]] = communityOfNode[a - 1];

  const piece = new Int32Array(nBus).fill(-1);
  let nPieces = 0;
  let nearestChild = -1;
  for (let a = 1; a < nBus; a++) {
    const p = preorder[a], parent = parentPos[p];
    if (parent === slackPos) {
      piece[p] = nPieces++;
      // The path reactance of a substation child is its branch's; children come by ascending id.
      if (nearestChild < 0 || tree.pathXPu[p] < tree.pathXPu[nearestChild]) nearestChild = p;
    } else {
      piece[p] = communityOfPos[p] === communityOfPos[parent] ? piece[parent] : nPieces++;
    }
  }
  if (nearestChild >= 0) piece[slackPos] = piece[nearestChild];
  else piece[slackPos] = nPieces++; // a feeder of one bus

  const smallestId = new Array<number>(nPieces).fill(Infinity);
  for (let p = 0; p < nBus; p++) smallestId[piece[p]] = Math.min(smallestId[piece[p]], busId[p]);
  const byId = Array.from({ length: nPieces }, (_, i) => i).sort((i, j) => smallestId[i] - smallestId[j]);
  const zoneOfPiece = new Int32Array(nPieces);
  byId.forEach((pc, i) => { zoneOfPiece[pc] = i + 1; });
  const zoneOfPos = Int32Array.from(piece, (pc) => zoneOfPiece[pc]);
  return { nZones: nPieces, zoneOfPos };
}

/** Bus positions of each zone (index zone id − 1), by ascending bus id. */
export function zoneMembers(tree: FeederTree, z: ZoneAssignment): number[][] {
  const members: number[][] = Array.from({ length: z.nZones }, () => []);
  for (let p = 0; p < tree.nBus; p++) members[z.zoneOfPos[p] - 1].push(p);
  for (const m of members) m.sort((a, b) => tree.busId[a] - tree.busId[b]);
  return members;
}

/**
 * Tie lines: the in-service branches (the radial tree) whose ends lie in different zones, written
 * from the end nearer the substation, sorted by (from, to). The feeder's open switches (its own
 * "tie lines" in the reconfiguration sense) carry nothing and are not zone tie lines.
 */
export function zoneTieLines(tree: FeederTree, z: ZoneAssignment): ZoneTieLine[] {
  const ties: ZoneTieLine[] = [];
  for (let p = 0; p < tree.nBus; p++) {
    const parent = tree.parentPos[p];
    if (parent < 0 || z.zoneOfPos[parent] === z.zoneOfPos[p]) continue;
    ties.push({ from: tree.busId[parent], to: tree.busId[p], fromZone: z.zoneOfPos[parent], toZone: z.zoneOfPos[p] });
  }
  return ties.sort((a, b) => a.from - b.from || a.to - b.to);
}
