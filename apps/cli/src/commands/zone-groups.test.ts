import { describe, expect, it } from 'vitest';
import { zoneGroups } from './sim';

describe('zonal sim groups zones into processes', () => {
  it('runs the asked number of processes, each an even run of consecutive zones, at most 8 zones a process', () => {
    expect(zoneGroups([1, 2, 3, 4], 4)).toEqual([[1], [2], [3], [4]]);
    expect(zoneGroups([1, 2, 3, 4], 1)).toEqual([[1, 2, 3, 4]]);
    expect(zoneGroups([1, 2, 3, 4], 2)).toEqual([[1, 2], [3, 4]]);
    expect(zoneGroups([1, 2, 3, 4], 9)).toHaveLength(4);
    expect(zoneGroups([1, 2, 3, 4, 5, 6, 7, 8, 9], 1)).toEqual([[1, 2, 3, 4], [5, 6, 7, 8, 9]]);
    const hundred = zoneGroups(Array.from({ length: 100 }, (_, i) => i + 1), 1);
    expect(hundred).toHaveLength(13);
    expect(hundred.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(Math.max(...hundred.map((g) => g.length))).toBeLessThanOrEqual(8);
    expect(Math.min(...hundred.map((g) => g.length))).toBeGreaterThanOrEqual(7);
  });

  it('defaults to one process per core beside the DSO\'s, never more than the zones', () => {
    const groups = zoneGroups([1, 2, 3, 4]);
    expect(groups.length).toBeGreaterThanOrEqual(1);
    expect(groups.length).toBeLessThanOrEqual(4);
    expect(groups.flat()).toEqual([1, 2, 3, 4]);
  });
});
