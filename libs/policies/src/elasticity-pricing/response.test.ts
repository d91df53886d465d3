import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classEnergyAffine, elasticResponse, multiplicativeClassEnergy, renormalisedClassEnergy } from './response';

const E = [[-0.21, 0.04, 0.07], [0.02, -0.16, 0.06], [0.01, 0.01, -0.11]];
const x3 = fc.tuple(...[0, 1, 2].map(() => fc.double({ min: -0.5, max: 0.5, noNaN: true })));
const shares3 = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).filter(([a, b, c]) => a + b + c > 0).map(([a, b, c]) => [a, b, c].map((v) => v / (a + b + c)));

describe('TOU price-elasticity response (seed 001 eq 25, SPEC §7.1)', () => {
  it('dE/E = E (dP/P) by hand: +10% on peak cuts peak 2.1% and lifts off-peak 0.2%, valley 0.1%', () => {
    const a = elasticResponse(E, [0.1, 0, 0]);
    expect(a[0]).toBeCloseTo(-0.021, 12);
    expect(a[1]).toBeCloseTo(0.002, 12);
    expect(a[2]).toBeCloseTo(0.001, 12);
  });

  it('keeps every user\'s total energy exactly, for any shares and price change in [-0.5, 0.5]', () => {
    fc.assert(fc.property(shares3, x3, fc.double({ min: 0, max: 100, noNaN: true }), (s, x, need) => {
      const e = renormalisedClassEnergy(need, s, E, x);
      expect(e.reduce((a, b) => a + b, 0)).toBeCloseTo(need, 9);
      e.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
    }));
  });

  it('leaves a one-class user untouched and a zero price change changes nothing', () => {
    expect(renormalisedClassEnergy(12, [0, 0, 1], E, [0.5, -0.5, 0.3])).toEqual([0, 0, 12]);
    const e = renormalisedClassEnergy(12, [0.25, 0.25, 0.5], E, [0, 0, 0]);
    [3, 3, 6].forEach((v, c) => expect(e[c]).toBeCloseTo(v, 12));
  });

  it('the affine form the LP uses is the same function', () => {
    fc.assert(fc.property(shares3, x3, (s, x) => {
      const { constant, slope } = classEnergyAffine(7, s, E);
      const e = renormalisedClassEnergy(7, s, E, x);
      for (let c = 0; c < 3; c++) expect(constant[c] + slope[c].reduce((a, k, j) => a + k * x[j], 0)).toBeCloseTo(e[c], 10);
    }));
  });

  it('agrees with the multiplicative renormalisation to first order, and within 0.5% of the need over the range', () => {
    fc.assert(fc.property(shares3, x3, (s, x) => {
      const lin = renormalisedClassEnergy(1, s, E, x), mul = multiplicativeClassEnergy(1, s, E, x);
      lin.forEach((v, c) => expect(Math.abs(v - mul[c])).toBeLessThan(0.005));
      const small = x.map((v) => v / 100);
      const linS = renormalisedClassEnergy(1, s, E, small), mulS = multiplicativeClassEnergy(1, s, E, small);
      linS.forEach((v, c) => expect(Math.abs(v - mulS[c])).toBeLessThan(1e-5)); // second order: ~(0.0016)^2 scale
    }));
  });
});
