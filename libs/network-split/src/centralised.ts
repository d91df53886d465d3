/**
 * The oracle (STYLE lesson 6): the same feeder, the same data, the same loss estimate, solved as one LP
 * by the DSO's own model (`buildDispatchModel`) with every zone's envelope and terms as the
 * centralised negotiation oracle adds them (`addZoneTerms`). Also reads the boundary off the
 * centralised point, so a split's consensus can be compared with it quantity by quantity.
 */
import { addZoneTerms, type ZoneSetup } from '@zonal/coordination';
import { branchVars, buildDispatchModel, type DispatchInputs } from '@zonal/dispatch';
import { solve, type Solution } from '@zonal/solver';
import type { NetworkSplit } from './areas';
import { LINE_QUANTITIES, type BoundaryIndex } from './boundary';

export interface CentralisedReference {
  objective: number;
  /** The centralised point's value of every consensus variable of `index`. */
  z: Float64Array;
  /** Grid-side EV power of each zone per period (kW), in the zones' order. */
  zoneEvKw: Float64Array[];
  solveMs: number;
  rows: number;
  cols: number;
  /** The full solution, for tests that look deeper. */
  solution: Solution;
}

export async function solveCentralisedReference(
  inputs: DispatchInputs, zones: readonly ZoneSetup[], lossSqPu: Float64Array[] | null, split: NetworkSplit, index: BoundaryIndex,
): Promise<CentralisedReference> {
  const built = buildDispatchModel(inputs, lossSqPu, zones.map((z) => z.flexible));
  zones.forEach((z, k) => addZoneTerms(built, z, k));
  const sol = await solve(built.model, { solver: 'choose' });
  const v = { ...built.vars, ...branchVars(built) }, m = built.model;
  const posOf = new Map(inputs.net.feeder.buses.map((b, i) => [b.id, i]));
  const z = new Float64Array(index.size);
  index.lines.forEach((l, li) => {
    const from = posOf.get(l.from)!, to = posOf.get(l.to)!;
    for (let t = 0; t < index.periods; t++) {
      const vals = { P: sol.value(v.pFlow.at(to, t)), Q: sol.value(v.qFlow.at(to, t)), Wfrom: sol.value(v.wSq.at(from, t)), Wto: sol.value(v.wSq.at(to, t)) };
      LINE_QUANTITIES.forEach((q, qi) => { z[(li * index.periods + t) * LINE_QUANTITIES.length + qi] = vals[q]; });
    }
  });
  // An area's excess: its diesels' emissions less the quota its diesels, PV and wind earn (areas.ts).
  const s = inputs.scenario, dt = inputs.grid.dtH;
  const areaOfPos = new Map<number, number>();
  for (const a of split.areas) a.fullPos.forEach((p, i) => { if (i !== a.ghostParentPos && !a.ghostChildPos.includes(i)) areaOfPos.set(p, a.id); });
  index.carbonContributors.forEach((areaId, i) => {
    let excess = 0;
    for (let t = 0; t < index.periods; t++) {
      inputs.diesels.forEach((d, g) => { if (areaOfPos.get(d.busPos) === areaId) excess += ((d.emissionTPerMwh - s.carbon.quotaTPerMwh) * sol.value(v.diesel.at(g, t)) * dt) / 1000; });
      inputs.renewables.forEach((u, k) => { if (areaOfPos.get(u.busPos) === areaId) excess -= (s.carbon.quotaTPerMwh * sol.value(v.renewable.at(k, t)) * dt) / 1000; });
    }
    z[index.size - index.carbonContributors.length + i] = excess;
  });
  return {
    objective: sol.objective, z, zoneEvKw: v.flexKw.map((b) => sol.values(b)), solveMs: sol.solveTimeMs,
    rows: m.numRows, cols: m.numCols, solution: sol,
  };
}
