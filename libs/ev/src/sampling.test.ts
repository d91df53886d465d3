import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { largestRemainder, sampleDefaultFleet, sampleSeed002Fleet, stayFromClocks, truncatedExponential } from './sampling';
import { uncoordinatedProfile } from './uncoordinated';
import { DEFAULT_FLEET_PARAMS, IEEE33_LOADS_KW, SEED002_FLEET_PARAMS } from './testing/fixtures';

const SEED = 20251123;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): an independent reference. */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2, t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Energy each EV needs at arrival (to its target), battery side. */
function arrivalNeedsKwh(f: ReturnType<typeof sampleDefaultFleet>): Float64Array {
  return f.socTarget.map((t, i) => (t - f.socArrival[i]) * f.capacityKwh[i]);
}

describe('seed 001 default fleet (SPEC §6)', () => {
  const fleet = sampleDefaultFleet(DEFAULT_FLEET_PARAMS, createRng(SEED));

  it('is reproducible from its seed and changes with it', () => {
    const again = sampleDefaultFleet(DEFAULT_FLEET_PARAMS, createRng(SEED));
    expect(Array.from(again.arrivalH)).toEqual(Array.from(fleet.arrivalH));
    const other = sampleDefaultFleet(DEFAULT_FLEET_PARAMS, createRng(SEED + 1));
    expect(Array.from(other.arrivalH)).not.toEqual(Array.from(fleet.arrivalH));
  });

  it('matches the SPEC figures: about 5.4 kWh per EV at arrival and 16.8 MWh a day in all (±5%)', () => {
    expect(fleet.size).toBe(3000);
    expect(mean(arrivalNeedsKwh(fleet))).toBeGreaterThan(5.4 * 0.95);
    expect(mean(arrivalNeedsKwh(fleet))).toBeLessThan(5.4 * 1.05);
    const u = uncoordinatedProfile(fleet, { periods: 24, dtH: 1 });
    const gridMwh = u.gridKw.reduce((a, b) => a + b, 0) / 1000;
    expect(gridMwh).toBeGreaterThan(16.8 * 0.95);
    expect(gridMwh).toBeLessThan(16.8 * 1.05);
  });

  it('draws the arrival need from the lognormal distance law: sample mean = closed form within 4 sigma (200 000 EVs)', () => {
    const big = sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 200_000 }, createRng(7));
    const needs = arrivalNeedsKwh(big);
    // need = min(k d, c): k = 0.15 kWh/km, c = (0.9 - 0.2) * 60 = 42 kWh, d ~ LogNormal(3.2, 0.88).
    const k = 0.15, c = 42, mu = 3.2, sigma = 0.88, lnD = Math.log(c / k);
    const exact = k * Math.exp(mu + sigma ** 2 / 2) * phi((lnD - mu - sigma ** 2) / sigma) + c * (1 - phi((lnD - mu) / sigma));
    let sq = 0;
    for (const x of needs) sq += (x - exact) ** 2;
    const se = Math.sqrt(sq / needs.length / needs.length);
    expect(Math.abs(mean(needs) - exact)).toBeLessThan(4 * se);
    // Hand check by numerical integration over the normal exponent (Python, h = 1e-3): 5.378399.
    expect(exact).toBeCloseTo(5.378399, 4);
  });

  it('has 60% residential EVs wrapping past midnight, 40% at work, 30% V2G (4-sigma bands)', () => {
    const n = fleet.size;
    const band = (p: number) => 4 * Math.sqrt((p * (1 - p)) / n);
    let overnight = 0, v2g = 0;
    for (let i = 0; i < n; i++) {
      if (fleet.departureH[i] > 24) overnight++;
      v2g += fleet.v2g[i];
      expect(fleet.departureH[i] - fleet.arrivalH[i]).toBeLessThan(24);
      expect(fleet.pDischargeMaxKw[i]).toBe(fleet.v2g[i] ? 7 : 0);
    }
    expect(Math.abs(v2g / n - 0.3)).toBeLessThan(band(0.3));
    // Residential stays wrap unless the departure draw falls after the arrival draw the same day:
    // P(dep > arr) = P(N(-8.7, 4.67) > 0) = 3.1%, so about 0.6 * 0.969 of the fleet wraps.
    expect(Math.abs(overnight / n - 0.6 * (1 - phi(-8.7 / Math.hypot(3.4, 3.2))))).toBeLessThan(band(0.58));
  });

  it('places EVs on IEEE-33 buses in proportion to load, none on the substation', () => {
    const busLoads = IEEE33_LOADS_KW.map((pKw, k) => ({ bus: k + 1, pKw }));
    const placed = sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, busLoads }, createRng(SEED));
    const perBus = new Map<number, number>();
    for (const b of placed.bus) perBus.set(b, (perBus.get(b) ?? 0) + 1);
    expect(perBus.get(1)).toBeUndefined();
    let total = 0;
    for (const [bus, count] of perBus) {
      total += count;
      expect(Math.abs(count - (3000 * IEEE33_LOADS_KW[bus - 1]) / 3715)).toBeLessThan(1);
    }
    expect(total).toBe(3000);
    // Placement draws from its own fork: the EVs themselves are the unplaced fleet's.
    expect(Array.from(placed.arrivalH)).toEqual(Array.from(fleet.arrivalH));
  });

  it('names a bad parameter by its scenario field', () => {
    expect(() => sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, capacityKwh: -60 }, createRng(1))).toThrow(/evFleet.capacityKwh: must be > 0/);
    expect(() => sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, residential: { ...DEFAULT_FLEET_PARAMS.residential, arrivalH: { mean: 17.6, sd: -1 } } }, createRng(1)))
      .toThrow(/evFleet.residential.arrivalH.sd: must be >= 0/);
    expect(() => sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, busLoads: [{ bus: 1, pKw: 0 }] }, createRng(1)))
      .toThrow(/evFleet.busLoads: the bus loads sum to 0 kW/);
  });
});

describe('largest-remainder placement', () => {
  it('gives 10 EVs over loads 100/90/120/60/60 as 2/2/3 and 2+1 or 1+2, the tie broken by the seed', () => {
    const outcomes = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const counts = largestRemainder([100, 90, 120, 60, 60], 10, createRng(seed));
      expect(counts.slice(0, 3)).toEqual([2, 2, 3]);
      expect(counts[3] + counts[4]).toBe(3);
      outcomes.add(counts.join(','));
      expect(largestRemainder([100, 90, 120, 60, 60], 10, createRng(seed))).toEqual(counts);
    }
    expect(outcomes).toEqual(new Set(['2,2,3,2,1', '2,2,3,1,2']));
  });
});

describe('stays from clock draws', () => {
  it('puts a departure clock before the arrival clock on the next day', () => {
    expect(stayFromClocks(18, 7)).toEqual({ arrivalH: 18, departureH: 31 });
    expect(stayFromClocks(25.5, 30)).toEqual({ arrivalH: 1.5, departureH: 6 });
    expect(stayFromClocks(-2, 5)).toEqual({ arrivalH: 22, departureH: 29 });
  });
});

describe('seed 002 fleet (SPEC §6)', () => {
  it('inverts the truncated exponential CDF: hand values', () => {
    expect(truncatedExponential(0, 0.3, 0.2, 1)).toBe(0.2);
    expect(truncatedExponential(1, 0.3, 0.2, 1)).toBeCloseTo(1, 12);
    // 0.2 - ln(1 - 0.5 (1 - e^-0.24)) / 0.3
    expect(truncatedExponential(0.5, 0.3, 0.2, 1)).toBeCloseTo(0.5760573797783983, 12);
  });

  it('draws arrival SOC with the truncated mean a + 1/l - (b-a) e^-l(b-a) / (1 - e^-l(b-a)) = 0.58402 (4 sigma, 100 000 EVs)', () => {
    const f = sampleSeed002Fleet({ ...SEED002_FLEET_PARAMS, count: 100_000 }, createRng(SEED));
    const m = mean(f.socArrival);
    let sq = 0, lo = Infinity, hi = -Infinity;
    for (const x of f.socArrival) {
      sq += (x - m) ** 2;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(0.2);
    expect(hi).toBeLessThanOrEqual(1);
    expect(Math.abs(m - 0.5840153389651461)).toBeLessThan(4 * Math.sqrt(sq / f.size / f.size));
    expect(Math.abs(mean(f.arrivalH) - 8)).toBeLessThan(4 * 1.5 / Math.sqrt(f.size));
  });

  it('is reproducible and all V2G with the fixture', () => {
    const a = sampleSeed002Fleet(SEED002_FLEET_PARAMS, createRng(3)), b = sampleSeed002Fleet(SEED002_FLEET_PARAMS, createRng(3));
    expect(Array.from(a.socArrival)).toEqual(Array.from(b.socArrival));
    expect(a.v2g.every((v) => v === 1)).toBe(true);
  });
});
