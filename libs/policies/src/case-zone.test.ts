import { describe, expect, it } from 'vitest';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { defaultCasePath } from './cases';
import { caseZoneOf, placeCaseZone, resample, tariffOnGrid } from './case-zone';
import { getPolicy } from './registry';

const shipped = (name: string) => {
  const policy = getPolicy(name), path = defaultCasePath(name)!;
  return { policy, c: parseWithSchema(policy.caseSchema, readJsonFile(path), path) as Record<string, unknown> };
};

describe('re-sampling a case zone onto the DSO\'s grid', () => {
  it('keeps the day\'s energy: each new period is the mean of what it covers, and a finer grid holds the values', () => {
    const half = Array.from({ length: 48 }, (_, t) => t);
    expect(resample(half, 24)).toEqual(Array.from({ length: 24 }, (_, t) => 2 * t + 0.5));
    expect(resample([1, 2, 3, 4], 8)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    const odd = resample([3, 5, 7], 2);
    expect(odd[0] * 12 + odd[1] * 12).toBeCloseTo((3 + 5 + 7) * 8, 12);
  });

  it('keeps a tariff whose blocks fall on the grid, and prices the others at each period\'s time-weighted mean', () => {
    const tou = { blocks: [{ code: 'v' as const, fromH: 0, toH: 8, priceYuanPerKwh: 0.35 }, { code: 'p' as const, fromH: 8, toH: 24, priceYuanPerKwh: 1.12 }], demandCharge: { enabled: false, yuanPerKvaMonth: 0, daysPerMonth: 30 } };
    expect(tariffOnGrid(tou, 24)).toBe(tou);
    const half = { ...tou, blocks: [{ code: 'v' as const, fromH: 0, toH: 0.5, priceYuanPerKwh: 0.2 }, { code: 'v' as const, fromH: 0.5, toH: 8, priceYuanPerKwh: 0.4 }, tou.blocks[1]] };
    const hourly = tariffOnGrid(half, 24).blocks;
    expect(hourly[0]).toEqual({ code: 'v', fromH: 0, toH: 1, priceYuanPerKwh: 0.3 });
    expect(hourly.slice(1)).toEqual([{ code: 'v', fromH: 1, toH: 8, priceYuanPerKwh: 0.4 }, { code: 'p', fromH: 8, toH: 24, priceYuanPerKwh: 1.12 }]);
  });
});

describe('placing a case zone', () => {
  const { policy, c } = shipped('profit');
  const cz = caseZoneOf(policy, c);

  it('maps the profit night onto the day at its own 0.5 h step: sessions 20:00–08:00, its prices over the night, SPEC\'s TOU by day', () => {
    expect(cz.zone.time).toEqual({ periods: 48, dtH: 0.5 });
    expect(cz.sessions).toHaveLength(80);
    expect(cz.sessions[0]).toMatchObject({ arrivalH: 20, departureH: 32, capacityKwh: 120, socArrival: 0.5, socDependent: { breakpointKwh: 100, pAboveKw: 40 } });
    const priceAt = (h: number) => cz.zone.tariff.blocks.find((b) => h >= b.fromH && h < b.toH)!.priceYuanPerKwh;
    const prices = c.pricesYuanPerKwh as number[];
    prices.forEach((p, k) => expect(priceAt((20 + k * 0.5) % 24), `half hour ${k} of the night`).toBe(p));
    expect(priceAt(9)).toBe(1.12);
    expect(cz.zone.policy).toEqual({ name: 'profit', params: { userFeeYuanPerKwh: 1 } });
  });

  it('spreads the sessions over the buses round-robin and refuses, by the names given, a bad id, bus list or grid', () => {
    const placed = placeCaseZone(policy, cz, { id: 4, buses: [13, 14, 15], periods: 24 });
    expect(placed.sessions.slice(0, 4).map((ev) => ev.bus)).toEqual([13, 14, 15, 13]);
    expect(placed.config.baseNetLoadKw).toHaveLength(24);
    const names = { id: '--zone-id', buses: '--buses', periods: '--time-periods' };
    expect(() => placeCaseZone(policy, cz, { id: 0, buses: [1], names })).toThrow(/--zone-id: must be a zone id/);
    expect(() => placeCaseZone(policy, cz, { id: 1, buses: [2, 2], names })).toThrow(/--buses: lists bus 2 twice/);
    expect(() => placeCaseZone(policy, cz, { id: 1, buses: [2], periods: 96, names })).toThrow(/--time-periods: 96 periods are steps of 0.25 h/);
  });
});

describe('peak-valley\'s city-sized case as a feeder zone', () => {
  const { policy, c } = shipped('peak-valley');
  const cz = caseZoneOf(policy, c);

  it('is scaled by 1/800 (one of its 800 identical EVs on 1/800 of its base load), each on-grid window one session', () => {
    const base = c.baseLoadMw as { valleyMw: number; peakMw: number };
    expect(Math.max(...cz.zone.baseNetLoadKw)).toBeCloseTo((base.peakMw * 1000) / 800, 9);
    expect(Math.min(...cz.zone.baseNetLoadKw)).toBeCloseTo((base.valleyMw * 1000) / 800, 9);
    // Leaving with the 50 kWh reserve, back after a 10 kWh trip; seed 000's grid-side 80 kW as battery side.
    expect(cz.sessions.map((ev) => [ev.id, ev.arrivalH, ev.departureH, ev.socArrival * 100, ev.socTarget * 100])).toEqual([['1-1', 10, 15, 40, 50], ['1-2', 19, 30, 40, 50]]);
    expect(cz.sessions[0].pChargeMaxKw / 0.95).toBeCloseTo(80, 12);
    expect(cz.sessions[0].pDischargeMaxKw * 0.95).toBeCloseTo(80, 12);
    expect(cz.notes[0]).toMatch(/scaled to a feeder's size by 1\/800/);
  });
});
