import { describe, expect, it } from 'vitest';
import { createRng } from './rng';

describe('createRng', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    const a = createRng(20251123), b = createRng(20251123), c = createRng(1);
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(sa);
  });

  it('draws uniforms in [0,1) with mean 1/2 and normals with mean 0, sd 1 (n = 200 000, 4-sigma bands)', () => {
    const r = createRng(7);
    const n = 200_000;
    let su = 0, sn = 0, sn2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      su += u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sn / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
  });

  it('forks independent, reproducible child streams', () => {
    const x = createRng(3).fork('fleet').next();
    expect(createRng(3).fork('fleet').next()).toBe(x);
    expect(createRng(3).fork('other').next()).not.toBe(x);
  });

  it('refuses a seed that is not a 32-bit unsigned integer', () => {
    expect(() => createRng(-1)).toThrow(/seed/);
    expect(() => createRng(1.5)).toThrow(/seed/);
  });
});
