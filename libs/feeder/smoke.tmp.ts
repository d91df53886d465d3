import { loadFeeder, solveFeeder, makeSyntheticFeeder, netLoads } from './src/index';
import { newtonPowerFlow } from './test/newton-reference';
const refs = ['ieee33', ...['case69','case85','case118zh','case136ma','case141'].map(c => `libs/feeder/data/matpower/${c}.m`)];
for (const ref of refs) for (const scale of [0.5, 1, 1.5, 2]) {
  const f = loadFeeder(ref);
  const s = solveFeeder(f, { scale });
  const { pKw, qKvar } = netLoads(f, scale);
  const t0 = performance.now();
  const nr = newtonPowerFlow(f, pKw, qKvar);
  const t1 = performance.now();
  let dv = 0, da = 0; for (let i = 0; i < f.buses.length; i++) { dv = Math.max(dv, Math.abs(nr.vmPu[i]-s.vmPu[i])); da = Math.max(da, Math.abs(nr.vaDeg[i]-s.vaDeg[i])); }
  console.log(f.name, scale, s.converged, s.iterations, s.vminPu.toFixed(5), 'dv', dv.toExponential(2), 'da', da.toExponential(2), 'dloss', (nr.lossKw - s.lossKw).toExponential(2), (nr.pSubKw - s.pSubKw).toExponential(2), 'nr it', nr.iterations, nr.maxMismatchPu.toExponential(1), (t1-t0).toFixed(0)+'ms');
}
for (const n of [300, 1000, 5000]) { const f = makeSyntheticFeeder({ buses: n, seed: 1 }); for (const sc of [1, 1.5]) { const s = solveFeeder(f, {scale: sc}); console.log(f.name, sc, s.converged, s.iterations, s.vminPu, s.lossKw, s.pSubKw); } }
