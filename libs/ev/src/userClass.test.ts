import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { Fleet } from './fleet';
import { sampleDefaultFleet } from './sampling';
import { DEFAULT_FLEET_PARAMS, ev } from './testing/fixtures';
import { classifyFleet, classifyUser, type TouCode, type TouPeriods } from './userClass';

/** SPEC §3 tariff: valley 00-08, peak 08-12 and 17-22, off-peak 12-17 and 22-24. */
function specTou(periods: number): TouPeriods {
  const dtH = 24 / periods;
  const codes = Array.from({ length: periods }, (_, t): TouCode => {
    const h = t * dtH;
    return h < 8 ? 'v' : h < 12 ? 'p' : h < 17 ? 'o' : h < 22 ? 'p' : 'o';
  });
  return { grid: { periods, dtH }, codes };
}

const tou = specTou(24);

describe('user classes (seed 001 §2.8, SPEC §7.1)', () => {
  it('type 1: parked in one price class only (valley 01:00-06:00)', () => {
    expect(classifyUser(ev({ arrivalH: 1, departureH: 6 }), tou)).toBe(1);
  });

  it('type 2: peak and off-peak, no valley (work 08:30-17:30: periods 09..16)', () => {
    expect(classifyUser(ev({ arrivalH: 8.5, departureH: 17.5 }), tou)).toBe(2);
  });

  it('type 3: with valley, off-peak + valley charging covers the need (home 18:00-07:00, 9 cheap hours x 7 kW = 63 kWh >= 36 kWh)', () => {
    expect(classifyUser(ev({ arrivalH: 18, departureH: 31 }), tou)).toBe(3);
  });

  it('type 4: with valley, but the cheap hours cannot cover the need (06:00-10:00: 2 valley hours x 7 kW = 14 < 36 kWh)', () => {
    expect(classifyUser(ev({ arrivalH: 6, departureH: 10 }), tou)).toBe(4);
    // The same stay with a small need is type 3: 14 >= 12.
    expect(classifyUser(ev({ arrivalH: 6, departureH: 10, socArrival: 0.7 }), tou)).toBe(3);
  });

  it('classes on a 15-minute grid follow the plugged quarter hours (07:50-08:10 holds none; 07:45-08:30 is v and p)', () => {
    const q = specTou(96);
    expect(classifyUser(ev({ arrivalH: 7 + 50 / 60, departureH: 8 + 10 / 60 }), q)).toBeNull();
    expect(classifyUser(ev({ arrivalH: 7.75, departureH: 8.5, socArrival: 0.9 }), q)).toBe(3);
  });

  it('classifies a sampled fleet with every EV in 0..4 and residential stays mostly type 3', () => {
    const fleet = sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 2000 }, createRng(4));
    const classes = classifyFleet(fleet, tou);
    const counts = [0, 0, 0, 0, 0];
    classes.forEach((c) => counts[c]++);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2000);
    // Every stay across midnight covers o (22-24) and v (00-08) plus p unless it starts after 22:00.
    for (let i = 0; i < fleet.size; i++) {
      if (fleet.arrivalH[i] <= 21 && fleet.departureH[i] >= 24 + 8.5) expect(classes[i]).toBe(3);
    }
    expect(counts[3]).toBeGreaterThan(counts[4]);
  });

  it('refuses a TOU table that does not fit the grid', () => {
    expect(() => classifyUser(ev(), { grid: { periods: 24, dtH: 1 }, codes: ['v'] })).toThrow(/tou.codes: has 1 codes; the grid has 24 periods/);
    expect(() => classifyFleet(Fleet.fromSpecs([ev()]), { grid: { periods: 1, dtH: 1 }, codes: ['x' as TouCode] })).toThrow(/period 0 has code "x"/);
  });
});
