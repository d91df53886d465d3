import { describe, expect, it } from 'vitest';
import { loadIeee33, type Feeder } from '@zonal/feeder';
import { electricalDistance } from './distance';
import { feederTree } from './tree';
import { network, thrown, toyFeeder } from './fixtures';

const L2 = Math.log10(2), L3 = Math.log10(3);

/** s_ij of the result, looked up by bus ids. */
function sBetween(feeder: Feeder, a: number, b: number): number {
  const tree = feederTree(network(feeder));
  const dist = electricalDistance(tree);
  const node = (id: number) => Array.from(dist.nodePos).findIndex((p) => tree.busId[p] === id);
  return dist.s[node(a) * dist.n + node(b)];
}

describe('electrical distance (SPEC §5, seed 001 eq 12)', () => {
  // 1 -(x 1)- 2 -(x 1)- 3, and 2 -(x 2)- 4: path reactances X22 = 1, X33 = 2, X44 = 3, and the common
  // paths X23 = X24 = X34 = 1 (all through branch 1-2). d_in = -log10(X_in / X_nn):
  //   d(2,·) = [0, log 2, log 3], d(3,·) = [0, 0, log 3], d(4,·) = [0, log 2, 0] over n = 2, 3, 4.
  const toy = toyFeeder([[1, 2, 1], [2, 3, 1], [2, 4, 2]]);

  it('gives the hand-computed d_in on a 4-bus feeder (1e-15)', () => {
    const tree = feederTree(network(toy));
    const dist = electricalDistance(tree);
    expect(Array.from(dist.nodePos, (p) => tree.busId[p])).toEqual([2, 3, 4]);
    const hand = [0, L2, L3, 0, 0, L3, 0, L2, 0];
    hand.forEach((v, i) => expect(dist.d[i]).toBeCloseTo(v, 15));
  });

  it('gives the hand-computed s_ij on a 4-bus feeder (1e-15)', () => {
    expect(sBetween(toy, 2, 3)).toBeCloseTo(L2, 15);
    expect(sBetween(toy, 2, 4)).toBeCloseTo(L3, 15);
    expect(sBetween(toy, 3, 4)).toBeCloseTo(Math.sqrt(L2 * L2 + L3 * L3), 15);
    expect(sBetween(toy, 4, 3)).toBe(sBetween(toy, 3, 4));
  });

  it('does not depend on the ohm scale (only reactance ratios enter)', () => {
    const scaled = toyFeeder([[1, 2, 7], [2, 3, 7], [2, 4, 14]]);
    expect(sBetween(scaled, 3, 4)).toBeCloseTo(Math.sqrt(L2 * L2 + L3 * L3), 14);
  });

  it('matches a brute force over explicit branch sets on IEEE-33 (1e-12)', () => {
    const feeder = loadIeee33();
    const tree = feederTree(network(feeder));
    const dist = electricalDistance(tree);
    // Independent reference: each bus's path to bus 1 as a set of branch indices, found by walking
    // the in-service branch list; X_in = the summed reactance of the two sets' intersection.
    const live = feeder.branches.filter((b) => b.inService);
    const path = new Map<number, Set<number>>([[1, new Set()]]);
    while (path.size < feeder.buses.length) {
      live.forEach((b, k) => {
        for (const [u, v] of [[b.from, b.to], [b.to, b.from]]) {
          if (path.has(u) && !path.has(v)) path.set(v, new Set([...path.get(u)!, k]));
        }
      });
    }
    const xCommon = (i: number, n: number) =>
      [...path.get(i)!].filter((k) => path.get(n)!.has(k)).reduce((acc, k) => acc + live[k].xOhm, 0);
    const ids = Array.from(dist.nodePos, (p) => tree.busId[p]);
    const dRef = ids.map((i) => ids.map((n) => -Math.log10(xCommon(i, n) / xCommon(n, n))));
    ids.forEach((_, k) => ids.forEach((_, c) => expect(dist.d[k * dist.n + c]).toBeCloseTo(dRef[k][c], 12)));
    for (let k = 0; k < ids.length; k++) {
      for (let l = 0; l < ids.length; l++) {
        const sRef = Math.sqrt(dRef[k].reduce((acc, dkn, c) => acc + (dkn - dRef[l][c]) ** 2, 0));
        expect(Math.abs(dist.s[k * dist.n + l] - sRef)).toBeLessThan(1e-12);
      }
    }
  });

  it('decouples buses below different branches of the substation (X_in = 0: s = ∞)', () => {
    // 1 feeds two branches: 2-3 (x 1, 1) and 4-5 (x 1, 2).
    const twoBranches = toyFeeder([[1, 2, 1], [2, 3, 1], [1, 4, 1], [4, 5, 2]]);
    const tree = feederTree(network(twoBranches));
    const dist = electricalDistance(tree);
    expect(dist.d[0 * dist.n + 2]).toBe(Infinity); // d(2, n = 4)
    expect(sBetween(twoBranches, 2, 3)).toBeCloseTo(L2, 15);
    expect(sBetween(twoBranches, 4, 5)).toBeCloseTo(L3, 15);
    expect(sBetween(twoBranches, 2, 4)).toBe(Infinity);
    expect(sBetween(twoBranches, 3, 5)).toBe(Infinity);
  });

  it('refuses a zero-reactance branch by name', () => {
    const bad = toyFeeder([[1, 2, 1], [2, 3, 0], [2, 4, 2]]);
    const e = thrown(() => feederTree(network(bad)));
    expect(e.name).toBe('InputError');
    expect(e.message).toMatch(/^branch 2-3: reactance 0 ohm/);
  });
});
