import { describe, expect, it } from 'vitest';
import {
  socDependentExactFromDtH, socDependentLpRows, socDependentMilpRows, socDependentReachKwh, type EnergyStepRow, type SocDependentLimit,
} from './socDependent';

/** Seed 000 §4: 120 kWh, 160 kW below 100 kWh, 40 kW above. */
const SEED000: SocDependentLimit = { capacityKwh: 120, breakpointKwh: 100, pBelowKw: 160, pAboveKw: 40 };

const reachable = socDependentReachKwh;

/** [lowest, highest] next energy the rows allow from `e` with the binaries fixed; null if the region rows refuse. */
function interval(rows: EnergyStepRow[], e: number, z1 = 0, z2 = 0): [number, number] | null {
  let lo = 0, hi = Infinity;
  for (const r of rows) {
    const fixed = r.coefE * e + r.coefZ1 * z1 + r.coefZ2 * z2;
    if (r.coefENext === 1) hi = Math.min(hi, r.rhsKwh - fixed);
    else if (r.coefENext === -1) lo = Math.max(lo, fixed - r.rhsKwh);
    else if (fixed > r.rhsKwh + 1e-9) return null;
  }
  return [lo, hi];
}

const energies = Array.from({ length: 481 }, (_, k) => k * 0.25);

describe('SOC-dependent charging limit (seed 000 §4, SPEC §6)', () => {
  it('has a physics reference that agrees with fine time stepping (10^5 steps, 1e-3 kWh)', () => {
    for (const [e, dt] of [[90, 0.5], [99, 0.25], [110, 0.25], [101, 1]]) {
      for (const charging of [true, false]) {
        let x = e;
        const h = dt / 1e5;
        for (let k = 0; k < 1e5; k++) {
          const limit = (charging ? x < 100 : x <= 100) ? 160 : 40;
          x = charging ? Math.min(120, x + limit * h) : Math.max(0, x - limit * h);
        }
        expect(Math.abs(x - reachable(SEED000, e, dt, charging))).toBeLessThan(1e-3);
      }
    }
  });

  it('writes the SPEC rows: E+ <= min(E + 160dt, 75 + 40dt + 0.25E, 120), E+ >= max(E - 160dt, 4E - 300 - 160dt)', () => {
    const { rows } = socDependentLpRows(SEED000, 0.5);
    const byName = Object.fromEntries(rows.map((r) => [r.name, [r.coefE, r.coefENext, r.rhsKwh]]));
    expect(byName).toEqual({
      chargeBelow: [-1, 1, 80], chargeAcross: [-0.25, 1, 95], capacity: [0, 1, 120], dischargeBelow: [1, -1, 80], dischargeAcross: [4, -1, 380],
    });
    expect(socDependentExactFromDtH(SEED000)).toBe(0.5);
  });

  it('LP rows give exactly the physical reach for dt >= 0.5 h, from every energy 0..120 kWh', () => {
    for (const dt of [0.5, 0.75, 1, 2]) {
      const { rows, exact } = socDependentLpRows(SEED000, dt);
      expect(exact).toBe(true);
      for (const e of energies) {
        const [lo, hi] = interval(rows, e)!;
        expect(lo).toBeCloseTo(reachable(SEED000, e, dt, false), 9);
        expect(hi).toBeCloseTo(reachable(SEED000, e, dt, true), 9);
      }
    }
  });

  it('LP rows are wrong below 0.5 h: from 115 kWh at 0.25 h they force E+ >= 120 and cap it at 113.75 (true reach 105..120)', () => {
    const { rows, exact } = socDependentLpRows(SEED000, 0.25);
    expect(exact).toBe(false);
    // 4 * 115 - 300 - 40 = 120 from below; 75 + 10 + 0.25 * 115 = 113.75 from above: no next energy at all.
    expect(interval(rows, 115)).toEqual([120, 113.75]);
    expect([reachable(SEED000, 115, 0.25, false), reachable(SEED000, 115, 0.25, true)]).toEqual([105, 120]);
  });

  it('MILP rows give the physical reach for any step, and no other region choice reaches further', () => {
    for (const dt of [0.05, 0.25, 0.5, 1]) {
      const { rows, usesZ2 } = socDependentMilpRows(SEED000, dt, 480);
      expect(usesZ2).toBe(dt < 0.5);
      for (const e of energies) {
        const truth: [number, number] = [reachable(SEED000, e, dt, false), reachable(SEED000, e, dt, true)];
        let union: [number, number] = [Infinity, -Infinity];
        for (const [z1, z2] of [[0, 0], [1, 0], [1, 1], [0, 1]]) {
          if (!usesZ2 && z2 === 1) continue;
          const iv = interval(rows, e, z1, z2);
          if (!iv || iv[0] > iv[1] + 1e-9) continue;
          expect(iv[0]).toBeGreaterThanOrEqual(truth[0] - 1e-9);
          expect(iv[1]).toBeLessThanOrEqual(truth[1] + 1e-9);
          union = [Math.min(union[0], iv[0]), Math.max(union[1], iv[1])];
        }
        expect(union[0]).toBeCloseTo(truth[0], 9);
        expect(union[1]).toBeCloseTo(truth[1], 9);
      }
    }
  });

  it('LP and MILP rows agree at 0.5 h from every energy (the solver-based LP = MILP test waits for @zonal/solver)', () => {
    const lp = socDependentLpRows(SEED000, 0.5).rows, milp = socDependentMilpRows(SEED000, 0.5, 480).rows;
    for (const e of energies) {
      const z1 = e >= 100 ? 1 : 0;
      expect(interval(milp, e, z1)).toEqual(interval(lp, e)!.map((x) => expect.closeTo(x, 9)));
    }
  });

  it('refuses limits the rows cannot describe, by field', () => {
    expect(() => socDependentLpRows({ ...SEED000, pAboveKw: 200 }, 0.5)).toThrow(/socDependent.pAboveKw: \(200\) must not exceed pBelowKw/);
    expect(() => socDependentLpRows({ ...SEED000, breakpointKwh: 130 }, 0.5)).toThrow(/socDependent.breakpointKwh: \(130\) must be below capacityKwh/);
    expect(() => socDependentLpRows(SEED000, 0)).toThrow(/dtH: must be a positive number of hours/);
    expect(() => socDependentMilpRows(SEED000, 0.5, 200)).toThrow(/bigMKwh: must be at least capacity \* pBelow \/ pAbove = 480 kWh/);
  });
});
