import { describe, expect, it } from 'vitest';
import { zoneGroups } from './sim';

describe('zonal sim groups zones into processes', () => {
  it('runs one process per zone up to 8 zones, and ceil(zones / 8) even runs of consecutive zones beyond', () => {
    expect(zoneGroups([1, 2, 3, 4])).toEqual([[1], [2], [3], [4]]);
    expect(zoneGroups([1, 2, 3, 4, 5, 6, 7, 8])).toHaveLength(8);
    expect(zoneGroups([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([[1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    const hundred = zoneGroups(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(hundred).toHaveLength(13);
    expect(hundred.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(Math.max(...hundred.map((g) => g.length))).toBeLessThanOrEqual(8);
    expect(Math.min(...hundred.map((g) => g.length))).toBeGreaterThanOrEqual(7);
  });
});
