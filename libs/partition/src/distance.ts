/**
 * Electrical distance between buses (SPEC §5; seed 001 eq 12, after Lagonotte):
 *   d_in = −log10(X_in / X_nn),   s_ij = sqrt( Σ_{n ∈ N_Q} (d_in − d_jn)² ),
 * N_Q = every non-slack bus (SPEC's declared reading), X_in = reactance of the path that buses i and n
 * share on their way to the substation (the voltage–reactive sensitivity ∂V_i/∂Q_n of a radial feeder).
 *
 * Buses below different branches of the substation share no reactance: X_in = 0 and d_in = +∞. Two
 * such d's that are both infinite are equally decoupled and add nothing to s_ij; a pair of buses below
 * different substation branches has s_ij = +∞ (weight 1/s_ij = 0: no edge).
 *
 * Note d_in − d_jn = log10(X_jn / X_in): the normalisation by X_nn cancels in s_ij, so only the
 * shared-path reactances matter (and their ohm scale does not).
 *
 * Nodes (rows and columns) are the non-slack buses in the tree's canonical preorder.
 * Cost: O(N²) memory and O(N³) time for N non-slack buses.
 */
import { InputError } from '@zonal/core';
import type { FeederTree } from './tree';

export interface ElectricalDistance {
  /** Number of nodes N = non-slack buses. */
  n: number;
  /** Bus position of each node. */
  nodePos: Int32Array;
  /** d[k·N + c] = d_in for node k (bus i) and column c (bus n); +∞ across substation branches. */
  d: Float64Array;
  /** s[k·N + l] = s_ij, symmetric, 0 on the diagonal, +∞ across substation branches. */
  s: Float64Array;
}

export function electricalDistance(tree: FeederTree): ElectricalDistance {
  const n = tree.nBus - 1;
  const nodePos = tree.preorder.slice(1);
  // Node k is preorder index k + 1; its subtree is the node range [k, end − 1).
  const subtreeEnd = (k: number) => tree.end[k + 1] - 1;
  const parentNode = (k: number) => tree.rank[tree.parentPos[nodePos[k]]] - 1; // -1: the substation
  // The first node of the substation branch each node hangs from.
  const branchHead = new Int32Array(n);
  for (let k = 0; k < n; k++) branchHead[k] = parentNode(k) < 0 ? k : branchHead[parentNode(k)];

  // X row of node k = its parent's row, overwritten on k's own subtree by k's path reactance:
  // the common path of k and c is k's whole path exactly when c lies below k.
  const x = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const p = parentNode(k);
    if (p >= 0) x.copyWithin(k * n, p * n, p * n + n);
    x.fill(tree.pathXPu[nodePos[k]], k * n + k, k * n + subtreeEnd(k));
  }
  const d = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < n; c++) {
      const xkc = x[k * n + c];
      d[k * n + c] = xkc > 0 ? -Math.log10(xkc / x[c * n + c]) : Infinity;
    }
  }

  const s = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let l = k + 1; l < n; l++) {
      let v = Infinity;
      if (branchHead[k] === branchHead[l]) {
        const head = branchHead[k], last = subtreeEnd(head);
        let sum = 0;
        for (let c = head; c < last; c++) {
          const diff = d[k * n + c] - d[l * n + c];
          sum += diff * diff;
        }
        v = Math.sqrt(sum);
        if (v === 0) throw coincident(tree, nodePos[k], nodePos[l]);
      }
      s[k * n + l] = v;
      s[l * n + k] = v;
    }
  }
  return { n, nodePos, d, s };
}

/** Only a reactance negligible against its path's (below 1e-16 relative) makes two buses coincide. */
function coincident(tree: FeederTree, a: number, b: number): InputError {
  return new InputError(
    'electrical distance is 0: the branch between them has a reactance negligible against the path to the substation',
    `buses ${tree.busId[a]} and ${tree.busId[b]}`,
  );
}
