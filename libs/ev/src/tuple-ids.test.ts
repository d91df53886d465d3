import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { TupleIds } from './tuple-ids';

describe('TupleIds', () => {
  it('numbers tuples as a Map keyed by their joined strings does: same groups, in order of first appearance', () => {
    const rng = createRng(4);
    const pool = [0, -0, 1, 2, 3.5, -7, 1e-12, 1e12, 2 ** 40, Number.NaN, 0.1 + 0.2, 0.3];
    const ids = new TupleIds(3, 4), byString = new Map<string, number>();
    for (let k = 0; k < 20000; k++) {
      const tuple = [pool[rng.int(pool.length)], pool[rng.int(pool.length)], rng.int(40)];
      const key = tuple.join('/');
      if (!byString.has(key)) byString.set(key, byString.size);
      expect(ids.id(tuple)).toBe(byString.get(key));
    }
    expect(ids.count).toBe(byString.size);
  });
});
