import { afterAll, describe, expect, it } from 'vitest';
import { buildDispatchInputs, runDispatch, type DispatchResult } from '@zonal/dispatch';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup, solveCentralised, uncoordinatedBusLoadKw } from '../src';

afterAll(() => shutdownSolver());

/** Available-but-unused PV and wind over the day (kWh). */
const curtailedKwh = (d: DispatchResult, dtH: number) =>
  d.schedule.curtailedKw.reduce((a, unit) => a + unit.reduce((x, y) => x + y, 0), 0) * dtH;

describe('the high-renewables study scenario (seed 001\'s PV doubled): coordination absorbs what charging on arrival curtails', async () => {
  const scenario = loadScenario('high-renewables');
  const setup = await buildSimSetup(scenario);
  const dt = setup.inputs.grid.dtH;
  const before = await runDispatch(buildDispatchInputs(setup.scenario, setup.feeder, uncoordinatedBusLoadKw(setup)), {});
  const central = await solveCentralised(setup);

  it('loads by its built-in name', () => {
    expect(scenario.name).toBe('high-renewables');
    expect(scenario.sources?.['ders.pv'], 'the PV choice is declared with its reason').toMatch(/curtail/);
  });

  it('curtails before coordination (measured 5376 kWh) and not at the centralised optimum (measured 0)', () => {
    expect(curtailedKwh(before, dt), 'curtailment with every EV charging on arrival').toBeGreaterThan(100);
    expect(curtailedKwh(central.dispatch, dt), 'curtailment at the centralised optimum').toBeLessThan(1);
  });

  it('costs less coordinated, penalties included (measured 60 458 → 31 984 yuan)', () => {
    const beforeTotal = before.costs.totalYuan + before.costs.penaltyYuan;
    const afterTotal = central.totalCostYuan + central.dispatch.costs.penaltyYuan;
    expect(afterTotal, 'centralised total + degradation + penalties against before coordination').toBeLessThan(beforeTotal);
  });
});
