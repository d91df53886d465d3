/**
 * The radial index a sweep walks: BFS order from the slack, each bus's parent and the branch that
 * feeds it. Built from the in-service branches alone, in any bus-id order and any branch direction.
 */
import { InputError } from '@zonal/core';
import type { Feeder } from './types';
import { checkFeederTables, tableLocator, type RowLocator } from './validate';

export interface RadialNetwork {
  feeder: Feeder;
  nBus: number;
  slackPos: number;
  /** BFS order of bus positions (positions index feeder.buses); order[0] is the slack. */
  order: Int32Array;
  /** -1 for the slack. */
  parentPos: Int32Array;
  /** Index into feeder.branches of the branch to the parent, -1 for the slack. */
  parentBranch: Int32Array;
  zBaseOhm: number;
  /** Per bus position: the branch to its parent, per-unit on (baseKv, baseMva); 0 for the slack. */
  rPu: Float64Array;
  xPu: Float64Array;
}

interface RadialTree {
  slackPos: number;
  order: Int32Array;
  parentPos: Int32Array;
  parentBranch: Int32Array;
}

function findRoot(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/** Union–find in table order, so the branch named is the first one (in the file) that closes a loop. */
function rejectLoops(feeder: Feeder, posOfId: Map<number, number>, locate: RowLocator): void {
  const parent = Int32Array.from({ length: feeder.buses.length }, (_, i) => i);
  feeder.branches.forEach((br, k) => {
    if (!br.inService) return;
    const a = findRoot(parent, posOfId.get(br.from)!);
    const b = findRoot(parent, posOfId.get(br.to)!);
    if (a === b) {
      throw new InputError(
        `meshed network: in-service branch ${br.from}-${br.to} closes a loop`,
        locate.branch(k),
        'a radial feeder needs the loop opened: set that branch (or another in the loop) out of service',
      );
    }
    parent[a] = b;
  });
}

function bfsFromSlack(feeder: Feeder, posOfId: Map<number, number>, locate: RowLocator): RadialTree {
  const n = feeder.buses.length;
  const slackPos = feeder.buses.findIndex((b) => b.isSlack);
  // Adjacency in CSR form: (neighbour position, branch index) pairs per bus.
  const degree = new Int32Array(n + 1);
  feeder.branches.forEach((br) => {
    if (!br.inService) return;
    degree[posOfId.get(br.from)! + 1]++;
    degree[posOfId.get(br.to)! + 1]++;
  });
  for (let i = 0; i < n; i++) degree[i + 1] += degree[i];
  const fill = degree.slice(0, n);
  const nbrPos = new Int32Array(degree[n]);
  const nbrBranch = new Int32Array(degree[n]);
  feeder.branches.forEach((br, k) => {
    if (!br.inService) return;
    const a = posOfId.get(br.from)!, b = posOfId.get(br.to)!;
    nbrPos[fill[a]] = b;
    nbrBranch[fill[a]++] = k;
    nbrPos[fill[b]] = a;
    nbrBranch[fill[b]++] = k;
  });

  const order = new Int32Array(n);
  const parentPos = new Int32Array(n).fill(-2);
  const parentBranch = new Int32Array(n).fill(-1);
  order[0] = slackPos;
  parentPos[slackPos] = -1;
  let head = 0, tail = 1;
  while (head < tail) {
    const p = order[head++];
    for (let e = degree[p]; e < degree[p + 1]; e++) {
      const q = nbrPos[e];
      if (parentPos[q] !== -2) continue;
      parentPos[q] = p;
      parentBranch[q] = nbrBranch[e];
      order[tail++] = q;
    }
  }
  if (tail < n) {
    const cut = feeder.buses.filter((_, pos) => parentPos[pos] === -2).map((b) => b.id);
    const first = parentPos.findIndex((v) => v === -2);
    const listed = cut.slice(0, 10).join(', ') + (cut.length > 10 ? `, … (${cut.length} in all)` : '');
    throw new InputError(
      `disconnected network: bus${cut.length > 1 ? 'es' : ''} ${listed} not connected to the slack bus ${feeder.buses[slackPos].id}`,
      locate.bus(first),
    );
  }
  return { slackPos, order, parentPos, parentBranch };
}

/** Checks tables and topology (radial and connected); the loaders call it with file-line locators. */
export function validateFeeder(feeder: Feeder, locate: RowLocator = tableLocator(feeder)): RadialTree {
  const posOfId = checkFeederTables(feeder, locate);
  rejectLoops(feeder, posOfId, locate);
  return bfsFromSlack(feeder, posOfId, locate);
}

export function buildRadialNetwork(feeder: Feeder): RadialNetwork {
  const tree = validateFeeder(feeder);
  const n = feeder.buses.length;
  const zBaseOhm = (feeder.baseKv * feeder.baseKv) / feeder.baseMva;
  const rPu = new Float64Array(n), xPu = new Float64Array(n);
  for (let pos = 0; pos < n; pos++) {
    const k = tree.parentBranch[pos];
    if (k < 0) continue;
    rPu[pos] = feeder.branches[k].rOhm / zBaseOhm;
    xPu[pos] = feeder.branches[k].xOhm / zBaseOhm;
  }
  return { feeder, nBus: n, ...tree, zBaseOhm, rPu, xPu };
}
