import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FlowNetwork } from './maxflow';

describe('Dinic max flow', () => {
  it('finds 23 on the CLRS textbook network (Cormen et al., fig. 26.1)', () => {
    const f = new FlowNetwork(6, 10);
    for (const [u, v, c] of [[0, 1, 16], [0, 2, 13], [1, 3, 12], [2, 1, 4], [2, 4, 14], [3, 2, 9], [3, 5, 20], [4, 3, 7], [4, 5, 4]]) f.addEdge(u, v, c);
    f.build();
    expect(f.maxFlow(0, 5, 1e-12)).toBe(23);
  });

  it('equals the minimum cut over all 2^(n-2) cuts of random small networks, with and without free (zero-level) edges', () => {
    const arb = fc.record({
      n: fc.integer({ min: 2, max: 8 }),
      edges: fc.array(fc.tuple(fc.nat(7), fc.nat(7), fc.double({ min: 0, max: 10, noNaN: true }), fc.boolean()), { maxLength: 24 }),
    });
    fc.assert(fc.property(arb, ({ n, edges }) => {
      const es = edges.map(([u, v, c, free]) => [u % n, v % n, c, free] as const).filter(([u, v]) => u !== v);
      const f = new FlowNetwork(n, es.length);
      for (const [u, v, c, free] of es) f.addEdge(u, v, c, 0, free);
      f.build();
      const flow = f.maxFlow(0, n - 1, 1e-12);
      let minCut = Infinity;
      for (let mask = 0; mask < 1 << Math.max(0, n - 2); mask++) {
        const inS = (v: number) => v === 0 || (v !== n - 1 && ((mask >> (v - 1)) & 1) === 1);
        let cut = 0;
        for (const [u, v, c] of es) if (inS(u) && !inS(v)) cut += c;
        minCut = Math.min(minCut, cut);
      }
      expect(flow).toBeCloseTo(minCut, 9);
      // Flow conservation at every inner node.
      const balance = new Float64Array(n);
      es.forEach(([u, v], e) => {
        balance[u] -= f.flow(e);
        balance[v] += f.flow(e);
      });
      for (let v = 1; v < n - 1; v++) expect(Math.abs(balance[v])).toBeLessThan(1e-9);
    }), { numRuns: 1000 });
  });

  it('resumes after a capacity change and never lowers flow out of the source', () => {
    const f = new FlowNetwork(3, 2);
    const a = f.addEdge(0, 1, 5), b = f.addEdge(1, 2, 3);
    f.build();
    expect(f.maxFlow(0, 2, 1e-12)).toBe(3);
    f.setCapacity(b, 10);
    expect(f.maxFlow(0, 2, 1e-12)).toBe(2);
    expect([f.flow(a), f.flow(b)]).toEqual([5, 5]);
    f.close(b);
    f.setCapacity(a, 9);
    expect(f.maxFlow(0, 2, 1e-12)).toBe(0);
  });
});
