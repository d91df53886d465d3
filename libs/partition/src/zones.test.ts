import { describe, expect, it } from 'vitest';
import { feederTree } from './tree';
import { network, toyFeeder } from './fixtures';
import { connectedZones, zoneMembers, zoneTieLines } from './zones';

// Substation 1 feeds 2 (x 1) and 7 (x xTo7); 2 feeds 3 (then 4) and 5 (then 6); 7 feeds 8.
const feederWith = (xTo7: number) => toyFeeder([[2, 3, 1], [3, 4, 1], [1, 2, 1], [2, 5, 1], [5, 6, 1], [7, 8, 1], [1, 7, xTo7]]);
// Distance-graph nodes come in canonical preorder: 2, 3, 4, 5, 6, 7, 8. Communities A = 0, B = 1:
// A = {2, 3, 6} is two pieces of the feeder ({2, 3} and {6}), B = {4, 5, 7, 8} is three ({4}, {5}, {7, 8}).
const communities = Int32Array.from([0, 0, 1, 1, 0, 1, 1]);

function zonesOf(xTo7: number) {
  const tree = feederTree(network(feederWith(xTo7)));
  const z = connectedZones(tree, communities);
  const members = zoneMembers(tree, z).map((m) => m.map((p) => tree.busId[p]));
  return { tree, z, members };
}

describe('connected zones', () => {
  it('lists the graph nodes in canonical preorder (children by ascending bus id)', () => {
    const tree = feederTree(network(feederWith(0.5)));
    expect(Array.from(tree.preorder, (p) => tree.busId[p])).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('splits every community into its connected pieces of the feeder, numbered by smallest bus id', () => {
    const { z, members } = zonesOf(0.5);
    expect(z.nZones).toBe(5);
    // The substation joins 7's zone: branch 1-7 (x 0.5) is nearer than 1-2 (x 1).
    expect(members).toEqual([[1, 7, 8], [2, 3], [4], [5], [6]]);
  });

  it('gives the substation to the child with the smallest bus id when the reactances tie', () => {
    const { members } = zonesOf(1);
    expect(members).toEqual([[1, 2, 3], [4], [5], [6], [7, 8]]);
  });

  it('finds the tie lines: branches between zones, from the end nearer the substation', () => {
    const { tree, z } = zonesOf(0.5);
    expect(zoneTieLines(tree, z)).toEqual([
      { from: 1, to: 2, fromZone: 1, toZone: 2 },
      { from: 2, to: 5, fromZone: 2, toZone: 4 },
      { from: 3, to: 4, fromZone: 2, toZone: 3 },
      { from: 5, to: 6, fromZone: 4, toZone: 5 },
    ]);
  });

  it('keeps each substation branch apart even within one community (they meet only at the substation)', () => {
    const tree = feederTree(network(feederWith(0.5)));
    const z = connectedZones(tree, new Int32Array(7));
    expect(zoneMembers(tree, z).map((m) => m.map((p) => tree.busId[p]))).toEqual([[1, 7, 8], [2, 3, 4, 5, 6]]);
    expect(zoneTieLines(tree, z)).toEqual([{ from: 1, to: 2, fromZone: 1, toZone: 2 }]);
  });

  it('makes one zone, the substation included, of a connected community', () => {
    const tree = feederTree(network(toyFeeder([[1, 2, 1], [2, 3, 1], [2, 4, 1]])));
    const z = connectedZones(tree, new Int32Array(3));
    expect(z.nZones).toBe(1);
    expect(Array.from(z.zoneOfPos)).toEqual([1, 1, 1, 1]);
    expect(zoneTieLines(tree, z)).toEqual([]);
  });
});
