import { describe, expect, it } from 'vitest';
import { clock, gridInfo, mod24, plugWindow, rem24, WINDOW_OK, WINDOW_OUTSIDE, WINDOW_SHORT } from './grid';

const hourly = gridInfo({ periods: 24, dtH: 1 });
const quarter = gridInfo({ periods: 96, dtH: 0.25 });

describe('plugged-in periods (SPEC §2: arrival rounded up, departure down, wrapping the day)', () => {
  it('rounds a residential stay 17:18 -> 07:30 to periods 18..06 (13 periods) on an hourly grid', () => {
    expect(plugWindow(17.3, 31.5, hourly)).toMatchObject({ start: 18, length: 13, status: WINDOW_OK });
  });

  it('rounds the same stay to 17:30 -> 07:30 on a 15-minute grid (56 periods from period 70)', () => {
    expect(plugWindow(17.3, 31.5, quarter)).toMatchObject({ start: 70, length: 56, status: WINDOW_OK });
  });

  it('keeps exact boundaries: 17:00 -> 19:00 is periods 17 and 18', () => {
    expect(plugWindow(17, 19, hourly)).toMatchObject({ start: 17, length: 2 });
    expect(plugWindow(17, 19, quarter)).toMatchObject({ start: 68, length: 8 });
  });

  it('takes arrival clock hours modulo 24 (an arrival at 25:00 is 01:00)', () => {
    expect(plugWindow(25, 27, hourly)).toMatchObject({ start: 1, length: 2 });
    expect(plugWindow(-1, 2, hourly)).toMatchObject({ start: 23, length: 3 });
  });

  it('drops a stay that holds no whole period, even if longer than one period', () => {
    expect(plugWindow(8.5, 9.7, hourly)).toMatchObject({ length: 0, status: WINDOW_SHORT });
    expect(plugWindow(8.5, 9.7, quarter)).toMatchObject({ start: 34, length: 4, status: WINDOW_OK });
  });

  it('fits stays into a 12 h horizon from 20:00 and drops those outside it', () => {
    const night = gridInfo({ periods: 24, dtH: 0.5, startH: 20 });
    expect(night.periodic).toBe(false);
    expect(plugWindow(20, 32, night)).toMatchObject({ start: 0, length: 24, status: WINDOW_OK });
    expect(plugWindow(21.2, 30, night)).toMatchObject({ start: 3, length: 17 });
    expect(plugWindow(19.5, 30, night)).toMatchObject({ length: 0, status: WINDOW_OUTSIDE });
  });

  it('refuses a grid longer than a day or with a bad step', () => {
    expect(() => gridInfo({ periods: 48, dtH: 1 })).toThrow(/grid: periods x dtH = 48 h exceeds one day/);
    expect(() => gridInfo({ periods: 24, dtH: 0 })).toThrow(/grid.dtH: must be a positive number/);
    expect(() => gridInfo({ periods: 2.5, dtH: 1 })).toThrow(/grid.periods: must be a positive integer/);
  });

  it('formats clock times', () => {
    expect(clock(7.25)).toBe('07:15');
    expect(clock(31.5)).toBe('07:30');
    expect(clock(-0.5)).toBe('23:30');
  });
});

describe('rem24 and mod24: the remainder without fmod where it is a subtraction', () => {
  it('equal h % 24 and ((h % 24) + 24) % 24 bit for bit, signed zeros, edges and NaN included', () => {
    const edges = [0, -0, 24, -24, 48, -48, 72, 23.999999999999996, 24.000000000000004, 47.99999999999999, -23.999999999999996, 1e-17, -1e-17, 1e300, -1e300, Number.NaN, Infinity, -Infinity];
    const values = [...edges];
    for (let k = 0; k < 20000; k++) values.push(((k * 7919) % 20000) / 100 - 100, (k % 400) / 4 - 50, k * 1e-13 + 24 - 1e-9);
    for (const h of values) {
      expect(Object.is(rem24(h), h % 24)).toBe(true);
      const m = ((h % 24) + 24) % 24;
      expect(Object.is(mod24(h), m >= 24 ? 0 : m)).toBe(true);
    }
  });
});
