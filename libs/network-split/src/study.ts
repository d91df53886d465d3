/**
 * The harness's view (it alone holds every area's data): split a feeder, run the split dispatch, and
 * solve the same feeder whole as the oracle — the same LP (the split's final loss estimate) for the
 * gap, and optionally the DSO's own successive-LP dispatch (`runDispatch`), the gap a user of
 * `zonal dispatch` would see. What `zonal network-split`, the bench and the tests run.
 */
import { addZoneTerms, buildSimSetup, type ZoneSetup } from '@zonal/coordination';
import { runDispatch, type DispatchInputs } from '@zonal/dispatch';
import { buildRadialNetwork, loadFeeder } from '@zonal/feeder';
import { parseScenario, type Scenario } from '@zonal/scenario';
import { radialAreas, splitNetwork, type AreaSpec, type NetworkSplit } from './areas';
import { solveCentralisedReference } from './centralised';
import { runSplitDispatch, type SplitDispatchOptions, type SplitDispatchResult, type SplitTransport } from './dispatch-split';

export interface SplitStudyOptions extends SplitDispatchOptions {
  /** Also run the whole feeder's successive-LP dispatch (its own loss rounds), for the second gap. */
  successive?: boolean;
  /** Run the areas as parties over this transport (dispatch-split.ts `SplitTransport`) instead of in process. */
  over?: SplitTransport;
}

export interface SplitStudy {
  feeder: string;
  buses: number;
  periods: number;
  areas: Array<{ id: number; buses: number; zones: number[] }>;
  cutLines: number;
  split: NetworkSplit;
  run: SplitDispatchResult;
  /** Σ f_a at the last round: the split's cost of the day (yuan). */
  splitCostYuan: number;
  /** The same LP (same data, same loss estimate) solved whole. */
  centralised: { objective: number; solveMs: number; wallMs: number; rows: number; cols: number };
  /** 100 × (split − centralised) / centralised, on the same LP. */
  gapPct: number;
  /** Largest |area copy − centralised value| of any boundary quantity at the end (kW-equivalents). */
  maxBoundaryDiffKw: number;
  /** Largest |copy − consensus| at the end (kW-equivalents): how far the areas still disagree. */
  maxMismatchKw: number;
  successive: { objective: number; lossRounds: number; wallMs: number; gapPct: number } | null;
}

export async function runSplitStudy(inputs: DispatchInputs, zones: readonly ZoneSetup[], areas: readonly AreaSpec[], opts: SplitStudyOptions = {}): Promise<SplitStudy> {
  const split = splitNetwork(inputs, areas, zones);
  const run = await runSplitDispatch(inputs, split, opts);
  const r = run.final;
  const c0 = performance.now();
  const ref = await solveCentralisedReference(inputs, zones, run.lossSqPu, split, r.index);
  const centralWallMs = performance.now() - c0;
  let maxBoundaryDiffKw = 0;
  split.areas.forEach((a, k) => r.index.copies.get(a.id)!.forEach((g, i) => {
    maxBoundaryDiffKw = Math.max(maxBoundaryDiffKw, r.index.scale[g] * Math.abs(r.answers[k].x[i] - ref.z[g]));
  }));
  let successive: SplitStudy['successive'] = null;
  if (opts.successive) {
    const s0 = performance.now();
    const whole = await runDispatch(inputs, { flexible: zones.map((z) => z.flexible), extend: (b) => { zones.forEach((z, k) => addZoneTerms(b, z, k)); } });
    successive = { objective: whole.objective, lossRounds: whole.rounds, wallMs: performance.now() - s0, gapPct: pct(r.costYuan, whole.objective) };
  }
  const zoneArea = new Map(split.areas.flatMap((a) => a.zones.map((z) => [z.id, a.id] as const)));
  return {
    feeder: inputs.net.feeder.name, buses: inputs.net.nBus, periods: inputs.grid.periods,
    areas: split.areas.map((a) => ({ id: a.id, buses: a.fullPos.length - a.ghostChildPos.length - (a.isRoot ? 0 : 1), zones: zones.filter((z) => zoneArea.get(z.id) === a.id).map((z) => z.id) })),
    cutLines: split.cutLines.length, split, run, splitCostYuan: r.costYuan,
    centralised: { objective: ref.objective, solveMs: ref.solveMs, wallMs: centralWallMs, rows: ref.rows, cols: ref.cols },
    gapPct: pct(r.costYuan, ref.objective), maxBoundaryDiffKw, maxMismatchKw: r.roundLog.at(-1)?.maxMismatchKw ?? 0, successive,
  };
}

function pct(x: number, ref: number): number {
  return (100 * (x - ref)) / Math.abs(ref);
}

export interface SplitSetup {
  inputs: DispatchInputs;
  zones: ZoneSetup[];
  areas: AreaSpec[];
  /** 'zones': the scenario's own zones are the areas; 'radial': `areas` equal subtrees, each made a zone. */
  areasFrom: 'zones' | 'radial';
  scenario: Scenario;
}

/**
 * A scenario ready to split: on `caseRef` (`ieee33` or a MATPOWER file) instead of its own feeder
 * when given; with `areas` equal subtrees (`radialAreas`) as its zones when given — so each area holds
 * one zone's EVs — or else with its own zones (computed or listed) as the areas.
 */
export async function splitSetup(base: Scenario, opts: { caseRef?: string; areas?: number } = {}): Promise<SplitSetup> {
  let scenario = base;
  if (opts.caseRef !== undefined || opts.areas !== undefined) {
    const network = { ...base.network, case: opts.caseRef ?? base.network.case };
    const zones = opts.areas === undefined ? base.zones
      : { ...base.zones, buses: radialAreas(buildRadialNetwork(loadFeeder(network.case)), opts.areas).map((a) => a.buses) };
    scenario = parseScenario({ ...base, network, zones }, `scenario "${base.name}" on ${network.case}`);
  }
  const sim = await buildSimSetup(scenario);
  return {
    inputs: sim.inputs, zones: sim.zones, areas: sim.zones.map((z) => ({ id: z.id, buses: z.buses })),
    areasFrom: opts.areas === undefined ? 'zones' : 'radial', scenario,
  };
}
