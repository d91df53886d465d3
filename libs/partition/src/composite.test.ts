import { describe, expect, it } from 'vitest';
import { compositeIndex, lowestIndex, minMaxNormalise } from './composite';
import { SPEC_PARAMS } from './fixtures';

describe('min–max normalisation over the candidate set', () => {
  it('maps the lowest to 0 and the highest to 1', () => {
    expect(minMaxNormalise([2, 4, 3])).toEqual([0, 1, 0.5]);
  });

  it('gives 0 to every candidate when the term is constant or differs only by round-off', () => {
    expect(minMaxNormalise([5, 5, 5])).toEqual([0, 0, 0]);
    expect(minMaxNormalise([0.1 + 0.2, 0.3, 0.3])).toEqual([0, 0, 0]);
    expect(minMaxNormalise([0, 0])).toEqual([0, 0]);
  });
});

describe('composite index F (SPEC §5)', () => {
  // A: best Q, worst f2, best f3. B: worst Q, best f2, worst f3, one zone out of band (f_c 1.25).
  // C: halfway on every term. By hand, with weights 0.5 / 0.9 / 0.4:
  //   F_A = 0.5·0 + 0.9·1 + 0.4·0 = 0.9
  //   F_B = (0.5·1 + 0.9·0 + 0.4·1) · 1.25 = 1.125
  //   F_C = 0.5·0.5 + 0.9·0.5 + 0.4·0.5 = 0.9
  const A = { Q: 0.4, f2: 0.5, f3: 100, fc: 1 };
  const B = { Q: 0.2, f2: 0.7, f3: 300, fc: 1.25 };
  const C = { Q: 0.3, f2: 0.6, f3: 200, fc: 1 };

  it('gives the hand values', () => {
    const F = compositeIndex([A, B, C], SPEC_PARAMS.weights);
    expect(F[0]).toBeCloseTo(0.9, 15);
    expect(F[1]).toBeCloseTo(1.125, 15);
    expect(F[2]).toBeCloseTo(0.9, 15);
  });

  it('picks the lowest F, and the earlier candidate on a tie', () => {
    expect(lowestIndex(compositeIndex([A, B, C], SPEC_PARAMS.weights))).toBe(0);
    expect(lowestIndex(compositeIndex([C, B, A], SPEC_PARAMS.weights))).toBe(0);
    expect(lowestIndex([1.2, 0.7, 0.7 + 1e-13, 0.9])).toBe(1);
    expect(lowestIndex([1.2, 0.7, 0.69, 0.9])).toBe(2);
  });
});
