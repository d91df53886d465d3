import { checkSchedules } from '@zonal/ev';
import { shutdownSolver } from '@zonal/solver';
import { fleetSchedulingCase, envelopeSchedule } from './fleet-scheduling';
import { solvePerEv, scheduleCostYuan } from './per-ev';
const n = Number(process.argv[2] ?? 200);
const { fleet, zone } = fleetSchedulingCase(n);
let t = performance.now();
const c = await envelopeSchedule(fleet, zone);
console.log('env', (performance.now()-t).toFixed(0), 'ms; lp', c.answer.objective, 'cost', c.costYuan, 'base', c.baseBillYuan, 'under', c.disaggregation.underKwh, 'over', c.disaggregation.overKwh, 'ok', c.check.ok, c.check.violationCount, 'excluded', c.disaggregation.excluded.length);
t = performance.now();
const a = await solvePerEv(fleet, zone, { solver: 'ipm', timeLimitS: 300 });
const ac = scheduleCostYuan(zone, fleet, a.schedules);
console.log('perEv', (performance.now()-t).toFixed(0), 'ms; obj', a.sol.objective, 'recomputed', ac.costYuan, 'cols', a.columns, 'check', checkSchedules(fleet, zone.grid, a.schedules).ok, a.sol.status);
console.log('gap total %', 100*(c.costYuan - a.sol.objective)/a.sol.objective, 'ev part %', 100*(c.costYuan - a.sol.objective)/(a.sol.objective - c.baseBillYuan), 'envLP below a %', 100*(a.sol.objective - c.answer.objective)/(a.sol.objective - c.baseBillYuan));
if (n <= 1000 && !process.env.NOMILP) {
  t = performance.now();
  const b = await solvePerEv(fleet, zone, { integer: true, timeLimitS: 60 });
  console.log('milp', (performance.now()-t).toFixed(0), 'ms; obj', b.sol.objective, 'gap', b.sol.mipGap, b.sol.status, 'bins', b.binaries);
}
await shutdownSolver();
