import { describe, expect, it } from 'vitest';
import { isZonalError } from '@zonal/core';
import { Fleet, socDependentLimitOf, validateFleet } from './fleet';
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

describe('SOC-dependent charging limit as optional fleet columns (seed 000 §4)', () => {
  const curved = ev({ id: 'c', socDependent: { breakpointKwh: 48, pAboveKw: 3.5 } });

  it('round-trips through the columns and subsets, NaN where an EV has no curve', () => {
    const fleet = Fleet.fromSpecs([ev({ id: 'a' }), curved]);
    expect(Array.from(fleet.socBreakpointKwh)).toEqual([Number.NaN, 48]);
    expect(Array.from(fleet.pChargeAboveKw)).toEqual([Number.NaN, 3.5]);
    expect(Fleet.toSpecs(fleet)).toEqual([ev({ id: 'a' }), curved]);
    expect(Fleet.toSpecs(Fleet.subset(fleet, [1]))).toEqual([curved]);
    expect(socDependentLimitOf(fleet, 0)).toBeNull();
    expect(socDependentLimitOf(fleet, 1)).toEqual({ capacityKwh: 60, breakpointKwh: 48, pBelowKw: 7, pAboveKw: 3.5 });
    expect(Array.from(Fleet.allocate(2).socBreakpointKwh)).toEqual([Number.NaN, Number.NaN]);
  });

  it.each([
    [{ breakpointKwh: 60, pAboveKw: 3.5 }, /EV A: socBreakpointKwh must be in \(0, capacityKwh = 60\), got 60/],
    [{ breakpointKwh: 0, pAboveKw: 3.5 }, /EV A: socBreakpointKwh must be in \(0, capacityKwh = 60\), got 0/],
    [{ breakpointKwh: 48, pAboveKw: 8 }, /EV A: pChargeAboveKw must be in \[0, pChargeMaxKw = 7\], got 8/],
    [{ breakpointKwh: 48, pAboveKw: -1 }, /EV A: pChargeAboveKw must be in \[0, pChargeMaxKw = 7\], got -1/],
    [{ breakpointKwh: Number.NaN, pAboveKw: 3.5 }, /EV A: socDependent.breakpointKwh must be a finite number, got NaN/],
  ])('refuses the curve %o', (socDependent, message) => {
    expect(inputError(() => Fleet.fromSpecs([ev({ socDependent })]))).toMatch(message);
  });

  it('refuses half a curve and a curve on a charger of 0 kW', () => {
    const half = { ...Fleet.fromSpecs([ev()]), socBreakpointKwh: Float64Array.of(48) };
    expect(inputError(() => validateFleet(half))).toMatch(/EV A: socBreakpointKwh \(48\) and pChargeAboveKw \(NaN\) go together/);
    expect(inputError(() => Fleet.fromSpecs([ev({ pChargeMaxKw: 0, socDependent: { breakpointKwh: 48, pAboveKw: 0 } })])))
      .toMatch(/EV A: a SOC-dependent limit needs pChargeMaxKw > 0, got 0/);
  });
});
