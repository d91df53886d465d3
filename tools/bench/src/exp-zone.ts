import { buildNegotiationSetup } from '@zonal/coordination';
import { loadScenario } from '@zonal/scenario';
import { anchoredEnvelopeGroups } from '@zonal/ev';
import { directControl } from '../../../libs/policies/src/direct-control/direct-control';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { createRng } from '@zonal/core';
const sc = loadScenario('default');
const setup = await buildNegotiationSetup(sc);
for (const g of ['arrival', 'window'] as const) {
  for (const z of setup.zones) {
    const groups = anchoredEnvelopeGroups(z.fleet, setup.inputs.grid, g);
    const t0 = performance.now();
    const a = await directControl.respond({ ...z.problem, envelopeGroups: groups }, { round: 0 }, { exporter: new LpExporter(undefined), rng: createRng(0) });
    const t1 = performance.now();
    const a2 = await directControl.respond({ ...z.problem, envelopeGroups: groups }, { round: 1, consensus: { referenceKw: a.evKw, lambdaYuanPerKwh: z.problem.tariffYuanPerKwh, rho: 0.01 } }, { exporter: new LpExporter(undefined), rng: createRng(0) });
    console.log(g, z.id, z.fleet.size, groups.length, (t1 - t0).toFixed(0), (performance.now() - t1).toFixed(0));
  }
}
await shutdownSolver();
