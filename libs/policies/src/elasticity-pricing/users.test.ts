import { describe, expect, it } from 'vitest';
import { Fleet, type EvSpec } from '@zonal/ev';
import { touCodes, zoneUsers } from './users';

const grid = { periods: 24, dtH: 1 };
const tariff = [
  { code: 'v' as const, fromH: 0, toH: 8, priceYuanPerKwh: 0.35 },
  { code: 'p' as const, fromH: 8, toH: 12, priceYuanPerKwh: 1.12 },
  { code: 'o' as const, fromH: 12, toH: 17, priceYuanPerKwh: 0.68 },
  { code: 'p' as const, fromH: 17, toH: 22, priceYuanPerKwh: 1.12 },
  { code: 'o' as const, fromH: 22, toH: 24, priceYuanPerKwh: 0.68 },
];

function ev(over: Partial<EvSpec>): EvSpec {
  return {
    id: 'a', arrivalH: 18, departureH: 31, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.9, v2g: false, ...over,
  };
}

describe('zone users for elasticity pricing', () => {
  const fleet = Fleet.fromSpecs([
    ev({ id: 'home' }),
    ev({ id: 'v2g', v2g: true }),
    ev({ id: 'blip', arrivalH: 11.8, departureH: 12.1 }),
    ev({ id: 'dawn', arrivalH: 1, departureH: 6 }),
  ]);
  const users = zoneUsers(fleet, grid, touCodes(tariff, grid));

  it('a home stay 18:00–07:00 is type 3 with plugged-period shares p 4/13, o 2/13, v 7/13 and a 24 kWh need', () => {
    const home = users.priced.find((u) => u.id === 'home')!;
    expect(home.type).toBe(3);
    expect(home.shares[0]).toBeCloseTo(4 / 13, 12);
    expect(home.shares[1]).toBeCloseTo(2 / 13, 12);
    expect(home.shares[2]).toBeCloseTo(7 / 13, 12);
    expect(home.needKwh).toBeCloseTo(24, 9);
    expect(Array.from(home.periods)).toEqual([18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6]);
  });

  it('V2G-enrolled users are dispatched directly; a stay without a whole period is left out with its reason', () => {
    expect(users.direct.map((u) => u.id)).toEqual(['v2g']);
    expect(users.excluded).toHaveLength(1);
    expect(users.excluded[0]).toMatch(/EV blip .*no whole 60-minute period/);
    expect(users.priced.find((u) => u.id === 'dawn')!.type).toBe(1);
  });
});
