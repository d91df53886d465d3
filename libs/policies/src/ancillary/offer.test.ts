import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestOffer } from './offer';

/** g(q) = a q - pen mean max(0, q - r), evaluated directly. */
function g(q: number, r: number[], a: number, pen: number): number {
  return a * q - (pen * r.reduce((s, x) => s + Math.max(0, q - x), 0)) / r.length;
}

describe('best capacity offer per planned kW (newsvendor)', () => {
  it('hand case: ratios (4, 3, 2, 4)/3.25, capacity 0.3, penalty 1: offer 3/3.25, shortfall 0.25/3.25', () => {
    const r = [4, 3, 2, 4].map((m) => m / 3.25);
    const rule = bestOffer(r, 0.3, 1);
    expect(rule.offerPerPlannedKw).toBeCloseTo(3 / 3.25, 12);
    expect(rule.shortfallPerPlannedKw).toBeCloseTo(0.25 / 3.25, 12);
    expect(rule.valueYuanPerPlannedKwh).toBeCloseTo(0.3 * 3 / 3.25 - 0.25 / 3.25, 12);
  });

  it('no sure delivery (all ratios equal 1): offer the plan, no shortfall', () => {
    expect(bestOffer([1, 1, 1], 0.2, 1)).toEqual({ offerPerPlannedKw: 1, shortfallPerPlannedKw: 0, valueYuanPerPlannedKwh: 0.2 });
  });

  it('is the maximum of g over a fine grid of offers (brute force)', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: 1, maxLength: 12 }),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 1, max: 3, noNaN: true }),
      (r, a, pen) => {
        const rule = bestOffer(r, a, pen);
        expect(g(rule.offerPerPlannedKw, r, a, pen)).toBeCloseTo(rule.valueYuanPerPlannedKwh, 9);
        for (let q = 0; q <= 2.5; q += 0.01) expect(g(q, r, a, pen)).toBeLessThanOrEqual(rule.valueYuanPerPlannedKwh + 1e-9);
      },
    ), { numRuns: 200 });
  });
});
