import type { Highs } from 'highs';
import type { Fleet } from '../fleet';
import type { TimeGrid } from '../types';

/**
 * Test reference: the least total tracking deviation sum_t |P[t] - y[t]| * dt over every feasible set
 * of per-EV schedules, as an LP solved by HiGHS (an external solver, independent of the flow code).
 * Plugged periods come from `periodsOf` (the checker's own window logic is not needed: tests pass a
 * simple whole-hour fleet). EVs with `skip(i)` are left out, as the library leaves them out.
 */
export function minimumDeviationKwh(
  highs: Highs, fleet: Fleet, grid: TimeGrid, aggregateKw: ArrayLike<number>,
  periodsOf: (i: number) => number[], skip: (i: number) => boolean,
): number {
  const dt = grid.dtH, rows: string[] = [], bounds: string[] = [], perPeriod: string[][] = Array.from({ length: grid.periods }, () => []);
  for (let i = 0; i < fleet.size; i++) {
    if (skip(i)) continue;
    const cap = fleet.capacityKwh[i], periods = periodsOf(i);
    const eArr = fleet.socArrival[i] * cap, eMin = fleet.socMin[i] * cap, eMax = fleet.socMax[i] * cap;
    const eDep = Math.max(fleet.socTarget[i], fleet.socMin[i]) * cap;
    const dMax = fleet.v2g[i] ? fleet.pDischargeMaxKw[i] : 0;
    let stored = '';
    periods.forEach((t, k) => {
      const c = `c_${i}_${k}`, d = `d_${i}_${k}`;
      bounds.push(`0 <= ${c} <= ${fleet.pChargeMaxKw[i]}`, `0 <= ${d} <= ${dMax}`);
      perPeriod[t].push(`+ ${c} - ${d}`);
      stored += ` + ${dt} ${c} - ${dt} ${d}`;
      rows.push(`e_${i}_${k}: ${stored} >= ${eMin - eArr}`, `f_${i}_${k}: ${stored} <= ${eMax - eArr}`);
    });
    if (periods.length) rows.push(`g_${i}: ${stored} >= ${eDep - eArr}`);
  }
  const objective: string[] = [];
  for (let t = 0; t < grid.periods; t++) {
    rows.push(`p_${t}: ${perPeriod[t].join(' ')} + u_${t} - o_${t} = ${aggregateKw[t]}`);
    objective.push(`+ ${dt} u_${t} + ${dt} o_${t}`);
  }
  const lp = `Minimize\n obj: ${objective.join(' ')}\nSubject To\n ${rows.join('\n ')}\nBounds\n ${bounds.join('\n ')}\nEnd\n`;
  const r = highs.solve(lp, { output_flag: false });
  if (r.Status !== 'Optimal') throw new Error(`reference LP: ${r.Status}`);
  return r.ObjectiveValue;
}
