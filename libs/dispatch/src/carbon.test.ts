import { describe, expect, it } from 'vitest';
import { assertConvexLadder, carbonCostYuan, ladderPieces, type CarbonLadder } from './carbon';

const seed001: CarbonLadder = { basePriceYuanPerT: 200, intervalT: 50, growth: 0.25, salePriceYuanPerT: 200 };

describe('carbon ladder (seed 001 eq 4, corrected)', () => {
  it('matches hand values on every step', () => {
    // below quota: 10 t sold at 200 → −2000 yuan
    expect(carbonCostYuan(-10, seed001)).toBeCloseTo(-2000, 9);
    // first step: 30 t × 200
    expect(carbonCostYuan(30, seed001)).toBeCloseTo(6000, 9);
    // second step: 50×200 + 20×250 = 10000 + 5000
    expect(carbonCostYuan(70, seed001)).toBeCloseTo(15000, 9);
    // third step: 2.25×200×50 + 1.5×200×(130−100) = 22500 + 9000
    expect(carbonCostYuan(130, seed001)).toBeCloseTo(31500, 9);
  });

  it('is continuous at each kink', () => {
    for (const x of [0, 50, 100]) {
      expect(carbonCostYuan(x - 1e-9, seed001)).toBeCloseTo(carbonCostYuan(x, seed001), 5);
    }
  });

  it('equals the maximum of its affine pieces everywhere (so the epigraph is exact)', () => {
    const ladders: CarbonLadder[] = [seed001, { basePriceYuanPerT: 200, intervalT: 2, growth: 0.25, salePriceYuanPerT: 150 }];
    for (const l of ladders) {
      const pieces = ladderPieces(l);
      for (let x = -3 * l.intervalT; x <= 4 * l.intervalT; x += l.intervalT / 7) {
        const max = Math.max(...pieces.map((p) => p.slopeYuanPerT * x + p.interceptYuan));
        expect(max).toBeCloseTo(carbonCostYuan(x, l), 6);
      }
    }
  });

  it('refuses a non-convex ladder by field name', () => {
    expect(() => assertConvexLadder({ ...seed001, salePriceYuanPerT: 300 })).toThrow(/carbon\.salePriceYuanPerT/);
    expect(() => assertConvexLadder({ ...seed001, growth: -0.5 })).toThrow(/carbon\.growth/);
    expect(() => assertConvexLadder({ ...seed001, intervalT: 0 })).toThrow(/carbon\.intervalT/);
    expect(() => assertConvexLadder(seed001)).not.toThrow();
  });
});
