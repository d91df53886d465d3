import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { fleetSchedulingCase, envelopeSchedule } from './fleet-scheduling';
import { solvePerEv } from './per-ev';
const n = 200;
const variants: Record<string, (s: any) => void> = {
  default: () => {},
  noV2g: (s) => { s.evFleet.v2gShare = 0; },
  workOnly: (s) => { s.evFleet.residentialShare = 0; },
  workOnlyNoV2g: (s) => { s.evFleet.residentialShare = 0; s.evFleet.v2gShare = 0; },
  homeOnly: (s) => { s.evFleet.residentialShare = 1; },
  homeOnlyNoV2g: (s) => { s.evFleet.residentialShare = 1; s.evFleet.v2gShare = 0; },
  allV2g: (s) => { s.evFleet.v2gShare = 1; },
};
for (const [name, f] of Object.entries(variants)) {
  const s = structuredClone(loadScenario('default')); f(s);
  const { fleet, zone } = fleetSchedulingCase(n, s);
  const c = await envelopeSchedule(fleet, zone);
  const a = await solvePerEv(fleet, zone, { solver: 'ipm', timeLimitS: 300 });
  const ev = a.sol.objective - c.baseBillYuan;
  console.log(name.padEnd(15), 'perEv', a.sol.objective.toFixed(2), 'envLP', c.answer.objective.toFixed(2), 'disagg', c.costYuan.toFixed(2),
    'gap%', (100*(c.costYuan - a.sol.objective)/a.sol.objective).toFixed(3), 'evPart', ev.toFixed(1), 'under', c.disaggregation.underKwh.toFixed(1), 'over', c.disaggregation.overKwh.toFixed(1), 'ok', c.check.ok);
}
await shutdownSolver();
