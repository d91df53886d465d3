/**
 * The feeder as a rooted tree in a canonical order: depth-first from the substation with children
 * taken by ascending bus id. Every loop of the partitioner runs in this order, so the result (down to
 * the last bit of every float) does not depend on how the case file orders or orients its branches.
 */
import { InputError } from '@zonal/core';
import type { RadialNetwork } from '@zonal/feeder';

export interface FeederTree {
  nBus: number;
  /** By bus position (positions index net.feeder.buses). */
  busId: Int32Array;
  slackPos: number;
  /** -1 for the substation. */
  parentPos: Int32Array;
  /** Bus positions in canonical depth-first preorder; preorder[0] is the substation. */
  preorder: Int32Array;
  /** Inverse of preorder: the preorder index of each bus position. */
  rank: Int32Array;
  /** The subtree of the bus at preorder index a is the preorder range [a, end[a]). */
  end: Int32Array;
  /** Reactance of the path from the substation to each bus position (per-unit). */
  pathXPu: Float64Array;
}

export function feederTree(net: RadialNetwork): FeederTree {
  const n = net.nBus;
  const busId = Int32Array.from(net.feeder.buses, (b) => b.id);
  const children: number[][] = Array.from({ length: n }, () => []);
  for (let p = 0; p < n; p++) {
    if (p === net.slackPos) continue;
    requirePositiveReactance(net, p);
    children[net.parentPos[p]].push(p);
  }
  for (const c of children) c.sort((a, b) => busId[a] - busId[b]);

  const preorder = new Int32Array(n);
  const rank = new Int32Array(n);
  const end = new Int32Array(n);
  const pathXPu = new Float64Array(n);
  // Iterative DFS (deep feeders would overflow the call stack): on exit of a bus, its subtree is done.
  const stack: Array<{ pos: number; next: number }> = [{ pos: net.slackPos, next: 0 }];
  let visited = 0;
  preorder[visited] = net.slackPos;
  rank[net.slackPos] = visited++;
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next === children[top.pos].length) {
      end[rank[top.pos]] = visited;
      stack.pop();
      continue;
    }
    const child = children[top.pos][top.next++];
    pathXPu[child] = pathXPu[top.pos] + net.xPu[child];
    preorder[visited] = child;
    rank[child] = visited++;
    stack.push({ pos: child, next: 0 });
  }
  return { nBus: n, busId, slackPos: net.slackPos, parentPos: net.parentPos, preorder, rank, end, pathXPu };
}

/** The voltage–reactive sensitivity X_in is a sum of branch reactances: each must be positive. */
function requirePositiveReactance(net: RadialNetwork, pos: number): void {
  const x = net.xPu[pos];
  if (x > 0 && Number.isFinite(x)) return;
  const br = net.feeder.branches[net.parentBranch[pos]];
  throw new InputError(
    `reactance ${x * net.zBaseOhm} ohm: electrical distance (SPEC §5) needs every in-service branch reactance > 0`,
    `branch ${br.from}-${br.to}`,
  );
}
