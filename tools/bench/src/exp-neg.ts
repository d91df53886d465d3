import { buildNegotiationSetup, solveCentralised } from '@zonal/coordination';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
for (const g of ['arrival', 'window'] as const) {
  const sc = loadScenario('default');
  const t0 = performance.now();
  const setup = await buildNegotiationSetup({ ...sc, zones: { ...sc.zones, envelopeGrouping: g } });
  const t1 = performance.now();
  const c = await solveCentralised(setup);
  console.log(g, 'setup', (t1 - t0).toFixed(0), 'centralised', (performance.now() - t1).toFixed(0), c.dispatch.solveMs.map((x: number) => x.toFixed(0)).join('+'));
}
await shutdownSolver();
