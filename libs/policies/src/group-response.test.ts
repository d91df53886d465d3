import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { anchoredEnvelopeGroups, sampleDefaultFleet, type EnvelopeGrouping, type TimeGrid } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { addEnvelopeGroups, type EnvelopeGroup } from './envelope-model';
import { cheapestGroupSchedule, cheapestGroupSchedules } from './group-response';

const hourly: TimeGrid = { periods: 24, dtH: 1 };
const quarterHourly: TimeGrid = { periods: 96, dtH: 0.25 };
const DEGRADATION = 0.05;

/** The same groups and prices as the LP addEnvelopeGroups writes, solved by HiGHS: the independent reference. */
async function lpOptimum(groups: readonly EnvelopeGroup[], eta: number, grid: TimeGrid, price: Float64Array): Promise<number> {
  const m = new ModelBuilder('groups');
  const env = addEnvelopeGroups(m, groups, eta, grid);
  for (let t = 0; t < grid.periods; t++) {
    const g = env.gridTerms(t);
    g.cols.forEach((c, i) => m.setObjectiveCoef(c, price[t] * g.coefs[i]));
    m.setObjectiveCoef(env.dischargeKw.at(t), DEGRADATION * grid.dtH); // adds to the price term above
  }
  const sol = await solve(m);
  expect(sol.status).toBe('optimal');
  return sol.objective;
}

/** Prices of every kind the clearing's duals take: positive, negative, and flat stretches (ties). */
function pricesOf(seed: number, grid: TimeGrid): Float64Array {
  const rng = createRng(seed);
  const kind = seed % 3;
  return Float64Array.from({ length: grid.periods }, (_, t) => {
    if (kind === 0) return 0.3 + rng.next() * 0.9;
    if (kind === 1) return -0.5 + rng.next() * 1.5;
    return [0.4, 0.4, 1.1, -0.2][Math.floor(t / (grid.periods / 4))];
  });
}

/** Energy after each boundary of the group's own (shifted) day, from a schedule by day period. */
function energyPath(group: EnvelopeGroup, grid: TimeGrid, chargeKw: Float64Array, dischargeKw: Float64Array): Float64Array {
  const T = grid.periods, e = new Float64Array(T + 1);
  for (let tau = 0; tau < T; tau++) {
    const t = (tau + group.shiftPeriods) % T;
    e[tau + 1] = e[tau] + (chargeKw[t] - dischargeKw[t]) * grid.dtH;
  }
  return e;
}

afterAll(() => shutdownSolver());

describe('cheapestGroupSchedules', () => {
  const cases: Array<[EnvelopeGrouping, TimeGrid]> = [['window-energy', hourly], ['anchor', hourly], ['window', quarterHourly]];
  it.each(cases)('%s groups (%o): the schedules keep every bound and cost what HiGHS finds optimal, to 1e-9', async (grouping, grid) => {
    const params = loadScenario('default').evFleet;
    const fleet = sampleDefaultFleet({ ...params, count: 400 }, createRng(11));
    const groups = anchoredEnvelopeGroups(fleet, grid, grouping);
    const eta = fleet.eta[0];
    expect(groups.some((g) => g.envelope.pMinKw.some((p) => p < 0))).toBe(true); // V2G groups among them
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const price = pricesOf(seed, grid);
      const response = cheapestGroupSchedules(groups, eta, grid, price, DEGRADATION);
      const reference = await lpOptimum(groups, eta, grid, price);
      expect(Math.abs(response.costYuan - reference)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(reference)));
      const gridKw = new Float64Array(grid.periods);
      let powerBeyond = 0, energyBeyond = 0;
      for (const group of groups) {
        const { chargeKw, dischargeKw } = cheapestGroupSchedule(group, eta, grid, price, DEGRADATION);
        const env = group.envelope, e = energyPath(group, grid, chargeKw, dischargeKw);
        for (let tau = 0; tau < grid.periods; tau++) {
          const t = (tau + group.shiftPeriods) % grid.periods;
          powerBeyond = Math.max(powerBeyond, -chargeKw[t], -dischargeKw[t], chargeKw[t] - Math.max(0, env.pMaxKw[tau]), dischargeKw[t] - Math.max(0, -env.pMinKw[tau]));
          energyBeyond = Math.max(energyBeyond, env.eMinKwh[tau + 1] - e[tau + 1], e[tau + 1] - env.eMaxKwh[tau + 1]);
          gridKw[t] += chargeKw[t] / eta - eta * dischargeKw[t];
        }
      }
      expect(powerBeyond).toBeLessThanOrEqual(1e-9);
      expect(energyBeyond).toBeLessThanOrEqual(1e-8);
      gridKw.forEach((kw, t) => expect(kw).toBeCloseTo(response.gridKw[t], 9));
    }
  });

  it('charges while it discharges where giving up discharge is dearer than charging (a negative price), as the LP may', async () => {
    const group: EnvelopeGroup = {
      shiftPeriods: 0,
      envelope: {
        pMinKw: Float64Array.of(-7, -7), pMaxKw: Float64Array.of(7, 7), pChargeMaxGridKw: new Float64Array(2), pDischargeMaxGridKw: new Float64Array(2),
        eMinKwh: Float64Array.of(0, -20, 0), eMaxKwh: Float64Array.of(0, 0, 5), evCount: 1, leftOut: [],
      } as unknown as EnvelopeGroup['envelope'],
    };
    const grid: TimeGrid = { periods: 2, dtH: 1 };
    const price = Float64Array.of(-3, 0.5);
    const { chargeKw, dischargeKw } = cheapestGroupSchedule(group, 0.9, grid, price, DEGRADATION);
    expect(chargeKw[0]).toBeCloseTo(7, 12);
    expect(dischargeKw[0]).toBeCloseTo(7, 12);
    const cost = cheapestGroupSchedules([group], 0.9, grid, price, DEGRADATION).costYuan;
    expect(cost).toBeCloseTo(await lpOptimum([group], 0.9, grid, price), 9);
  });

  it('names the group and the boundary when a group has no schedule', () => {
    const group: EnvelopeGroup = {
      shiftPeriods: 0,
      envelope: {
        pMinKw: Float64Array.of(0, 0), pMaxKw: Float64Array.of(7, 7), pChargeMaxGridKw: new Float64Array(2), pDischargeMaxGridKw: new Float64Array(2),
        eMinKwh: Float64Array.of(0, 0, 20), eMaxKwh: Float64Array.of(0, 7, 30), evCount: 1, leftOut: [],
      } as unknown as EnvelopeGroup['envelope'],
    };
    expect(() => cheapestGroupSchedules([group], 0.9, { periods: 2, dtH: 1 }, Float64Array.of(1, 1), 0.05)).toThrow(/envelope group 0: no schedule .* boundary/);
  });
});
