import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { makeSyntheticFeeder } from './synthetic';
import { buildRadialNetwork } from './radial';
import { solveFeeder } from './powerflow';

describe('synthetic radial feeders', () => {
  it('are radial, connected and numbered 1..n with bus 1 the slack', () => {
    const f = makeSyntheticFeeder({ buses: 500, seed: 3 });
    expect(f.buses.map((b) => b.id)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(f.buses.filter((b) => b.isSlack).map((b) => b.id)).toEqual([1]);
    expect(f.branches).toHaveLength(499);
    expect(() => buildRadialNetwork(f)).not.toThrow();
  });

  it('are reproducible from the seed and differ between seeds', () => {
    expect(makeSyntheticFeeder({ buses: 200, seed: 9 })).toEqual(makeSyntheticFeeder({ buses: 200, seed: 9 }));
    expect(makeSyntheticFeeder({ buses: 200, seed: 10 }).branches).not.toEqual(makeSyntheticFeeder({ buses: 200, seed: 9 }).branches);
  });

  it.each([[100, 1], [1000, 2], [5000, 3]])(
    '%i buses (seed %i): at 1.0x the far end sits 6-7.5%% down (6%% LinDistFlow design + losses); 1.5x still converges',
    (buses, seed) => {
      const f = makeSyntheticFeeder({ buses, seed });
      const s = solveFeeder(f);
      expect(s.converged).toBe(true);
      expect(1 - s.vminPu).toBeGreaterThan(0.06);
      expect(1 - s.vminPu).toBeLessThan(0.075);
      expect(solveFeeder(f, { scale: 1.5 }).converged).toBe(true);
    },
  );

  it('honours the design drop', () => {
    const s = solveFeeder(makeSyntheticFeeder({ buses: 300, seed: 4, designDropPu: 0.02 }));
    expect(1 - s.vminPu).toBeGreaterThan(0.02);
    expect(1 - s.vminPu).toBeLessThan(0.021);
  });

  it('refuses a size or design drop that makes no sense', () => {
    for (const buses of [1, 2.5, -3, NaN]) expect(() => makeSyntheticFeeder({ buses, seed: 1 })).toThrow(InputError);
    expect(() => makeSyntheticFeeder({ buses: 10, seed: 1, designDropPu: 0 })).toThrow(/designDropPu/);
  });
});
