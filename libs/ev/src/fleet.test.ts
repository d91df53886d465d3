import { describe, expect, it } from 'vitest';
import { isZonalError } from '@zonal/core';
import { Fleet } from './fleet';
import { ev } from './testing/fixtures';

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isZonalError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('Fleet columns', () => {
  it('round-trips specs through typed columns', () => {
    const specs = [ev({ id: 'a', bus: 7 }), ev({ id: 'b', v2g: true, pDischargeMaxKw: 7, socArrival: 0.5 })];
    const fleet = Fleet.fromSpecs(specs);
    expect(fleet.size).toBe(2);
    expect(fleet.bus[0]).toBe(7);
    expect(fleet.bus[1]).toBe(-1);
    expect(fleet.v2g[1]).toBe(1);
    expect(Fleet.toSpecs(fleet)).toEqual(specs);
  });

  it('takes a subset in the given order', () => {
    const fleet = Fleet.fromSpecs([ev({ id: 'a' }), ev({ id: 'b', capacityKwh: 40 }), ev({ id: 'c' })]);
    const sub = Fleet.subset(fleet, [1, 0]);
    expect(sub.id).toEqual(['b', 'a']);
    expect(Array.from(sub.capacityKwh)).toEqual([40, 60]);
  });
});

describe('bad EV data gets an InputError naming the EV', () => {
  it.each([
    [{ capacityKwh: -60 }, /EV A: capacityKwh must be > 0, got -60/],
    [{ departureH: 17 }, /EV A: departure \(17 h\) is before arrival \(18 h\)/],
    [{ departureH: 42 }, /EV A: parked 24 h; a periodic day holds a stay of less than 24 h/],
    [{ socArrival: 0.1 }, /EV A: socArrival \(0.1\) is outside \[socMin, socMax\]/],
    [{ socTarget: 1.2 }, /EV A: socTarget must be in \[0, 1\], got 1.2/],
    [{ eta: 0 }, /EV A: eta must be in \(0, 1\], got 0/],
    [{ pChargeMaxKw: Number.NaN }, /EV A: pChargeMaxKw must be a finite number, got NaN/],
    [{ bus: 2.5 }, /EV A: bus must be a bus id/],
  ])('%o', (override, message) => {
    expect(inputError(() => Fleet.fromSpecs([ev(override)]))).toMatch(message);
  });

  it('refuses a duplicate id and an EV without one', () => {
    expect(inputError(() => Fleet.fromSpecs([ev(), ev()]))).toMatch(/EV A: the id is used by another EV too/);
    expect(inputError(() => Fleet.fromSpecs([ev({ id: '' })]))).toMatch(/EV at position 0: id must be a non-empty string/);
  });
});
