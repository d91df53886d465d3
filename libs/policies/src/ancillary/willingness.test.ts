import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { incentiveLevels, joinLevel, NEVER, willingShare } from './willingness';

const w = { thresholdYuanPerKwh: 0.1, saturationYuanPerKwh: 0.5, shareAtSaturation: 0.9 };

describe('user willingness (SPEC §7.5)', () => {
  it('is 0 up to 0.1 yuan/kWh, linear to 90% at 0.5, flat above (hand values)', () => {
    expect(willingShare(0, w)).toBe(0);
    expect(willingShare(0.1, w)).toBe(0);
    expect(willingShare(0.15, w)).toBeCloseTo(0.1125, 12);
    expect(willingShare(0.3, w)).toBeCloseTo(0.45, 12);
    expect(willingShare(0.5, w)).toBe(0.9);
    expect(willingShare(0.8, w)).toBe(0.9);
  });

  it('discretises 0..0.5 in steps of 0.05 into 11 exact levels', () => {
    const levels = incentiveLevels({ fromYuanPerKwh: 0, toYuanPerKwh: 0.5, stepYuanPerKwh: 0.05 });
    expect(levels).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]);
  });

  it('a user who responds at one level responds at every higher one, and only there', () => {
    const shares = incentiveLevels({ fromYuanPerKwh: 0, toYuanPerKwh: 0.5, stepYuanPerKwh: 0.05 }).map((r) => willingShare(r, w));
    fc.assert(fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (u) => {
      const k = joinLevel(u, shares);
      shares.forEach((s, level) => expect(u < s).toBe(k !== NEVER && level >= k));
    }));
    expect(joinLevel(0.95, shares)).toBe(NEVER);
  });
});
