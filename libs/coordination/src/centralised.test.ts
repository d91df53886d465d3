import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@zonal/scenario';
import { externalSolverAvailable, LpExporter, shutdownSolver, solveLpFile } from '@zonal/solver';
import { runDispatch } from '@zonal/dispatch';
import { solveCentralised } from './centralised';
import { buildSimSetup } from './harness';

afterAll(() => shutdownSolver());

describe('the centralised oracle on the small-test scenario', async () => {
  const scenario = loadScenario('small-test');
  const setup = await buildSimSetup(scenario);
  const dir = mkdtempSync(join(tmpdir(), 'zonal-central-'));
  const exporter = new LpExporter(dir, 'central');
  const r = await solveCentralised(setup, { exporter });
  const T = scenario.time.periods;

  it('reports the objective of its last exported LP, which GLPK and CBC re-solve to the same optimum', () => {
    // One file per successive-LP round (SPEC §2): the report's objective is the last file's.
    expect(readdirSync(dir).sort()).toEqual(Array.from({ length: r.dispatch.rounds }, (_, i) => `${String(i + 1).padStart(4, '0')}-central.lp`));
    for (const solver of ['glpsol', 'cbc'] as const) {
      if (!externalSolverAvailable(solver)) throw new Error(`${solver} is not installed: run tools/scripts/install-system-deps.sh`);
      const ext = solveLpFile(exporter.files.at(-1)!, solver);
      expect(ext.status, `${solver} on ${exporter.files.at(-1)}`).toBe('optimal');
      // GLPK prints 10 significant digits, CBC 8 decimals: 1e-7 relative.
      expect(Math.abs(ext.objective! - r.dispatch.objective) / Math.abs(r.dispatch.objective), `${solver} objective vs HiGHS`).toBeLessThan(1e-7);
    }
  });

  it('totals eq 1 plus EV degradation, and its objective adds only the penalties and the zones\' peak tie-break', () => {
    expect(r.totalCostYuan).toBe(r.dispatch.costs.totalYuan + r.degradationYuan);
    expect(r.degradationYuan).toBeGreaterThan(0); // V2G is used, so the degradation term is exercised
    // Tie-break: each zone's peak net load (base + EVs) times its declared price, recomputed from the schedule.
    const tieBreakYuan = setup.zones.reduce((a, z, k) => a + z.bid.peakTieBreakYuanPerKw * Math.max(...Array.from(z.bid.baseNetLoadKw, (b, t) => b + r.zoneEvKw[k][t])), 0);
    const objective = r.totalCostYuan + r.dispatch.costs.penaltyYuan + tieBreakYuan;
    expect(Math.abs(objective - r.dispatch.objective) / r.dispatch.objective).toBeLessThan(1e-9);
  });

  it('keeps every zone\'s EV schedule within its envelope\'s grid-side bounds', () => {
    setup.zones.forEach((z, k) => {
      expect(r.zoneEvKw[k]).toHaveLength(T);
      for (let t = 0; t < T; t++) {
        expect(r.zoneEvKw[k][t], `zone ${z.id} period ${t}`).toBeLessThanOrEqual(z.envelope.pChargeMaxGridKw[t] + 1e-6);
        expect(r.zoneEvKw[k][t], `zone ${z.id} period ${t}`).toBeGreaterThanOrEqual(-z.envelope.pDischargeMaxGridKw[t] - 1e-6);
      }
      // The EVs get at least the energy they must (each kWh drawn stores at most eta kWh).
      const drawnKwh = r.zoneEvKw[k].reduce((a, v) => a + (v > 0 ? v * z.bid.eta : v / z.bid.eta), 0) * scenario.time.dtH;
      expect(drawnKwh, `zone ${z.id} stored energy`).toBeGreaterThanOrEqual(z.envelope.eMinKwh[T] - 1e-6);
    });
    // The schedule is also what the dispatch put on the feeder.
    for (let t = 0; t < T; t++) {
      expect(Math.abs(r.zoneEvKw.reduce((a, x) => a + x[t], 0) - r.dispatch.schedule.evKw[t])).toBeLessThan(1e-9);
    }
  });

  it('is verified by AC power flow: converged, |V_LP − V_AC| ≤ 1e-5 pu, no violations', () => {
    const ac = r.dispatch.acCheck;
    expect(ac.converged).toBe(true);
    expect(ac.maxAbsVDiffPu).toBeLessThanOrEqual(1e-5);
    expect(ac.violations).toEqual([]);
  });
});

describe('the centralised oracle on the default scenario', () => {
  it('does not depend on what was solved before it on the same network (its limit rows start empty)', async () => {
    const setup = await buildSimSetup(loadScenario('default'));
    const first = await solveCentralised(setup);
    // Another dispatch of the same inputs grows their limit rows. An oracle that started from those
    // rows reached another of the LP's optimal points, and after the loss rounds a cost 5.9e-5 apart.
    await runDispatch(setup.inputs, { flexible: setup.zones.map((z) => z.flexible) });
    const again = await solveCentralised(setup);
    expect(again.totalCostYuan).toBe(first.totalCostYuan);
    expect(Array.from(again.zoneEvKw.flatMap((z) => Array.from(z)))).toEqual(Array.from(first.zoneEvKw.flatMap((z) => Array.from(z))));
  });
});
