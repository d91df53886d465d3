/**
 * The split dispatch with loss correction by successive LP, as `runDispatch` does it whole (SPEC §3),
 * but area by area: a lossless split first; then each area sweeps its own part at the point the areas
 * agreed (area-port.ts `areaSweep`) and holds its branches' |I|² fixed at their AC values; the split
 * again (from its own opening sweep), until every area's LP voltages are within
 * `lossCorrection.tolPu` of its sweep's or `maxRounds` re-solves are done. `coordinateSplit` is the
 * DSO's loop, over ports; `runSplitDispatch` the harness's, which also sweeps the whole feeder at the
 * end (it alone may see every area's buses) as an independent check.
 */
import { InputError } from '@zonal/core';
import type { DispatchInputs } from '@zonal/dispatch';
import { runPowerFlow, type PowerFlowResult } from '@zonal/feeder';
import type { Transport } from '@zonal/protocol';
import { ownPositions, type AreaAnswer } from './area-model';
import { LocalArea, type AreaPort, type LineFlow, type LossCorrection } from './area-port';
import { remoteArea, serveArea } from './area-service';
import type { NetworkSplit } from './areas';
import { areaLevels, coordinate, type SplitOptions, type SplitResult } from './coordinator';
import { coordinatorTerms, type CoordinatorTerms } from './terms';

export interface SplitDispatchOptions extends Omit<SplitOptions, 'warmStart'> {
  /** Most loss-correction re-solves (default: the DSO's `lossCorrection.maxRounds`). */
  maxLossRounds?: number;
  onLossRound?: (round: number, r: SplitResult, vGapPu: number) => void;
}

/**
 * Where `runSplitDispatch` runs its areas as parties: each served on a connection of its own
 * (`area-<id>`), the coordinator on another (`dso`), every exchange a request with `timeoutMs`.
 */
export interface SplitTransport {
  connect(name: string): Promise<Transport>;
  timeoutMs: number;
}

/** What the DSO's loop knows at its end. */
export interface SplitCoordination {
  /** The last split. */
  final: SplitResult;
  lossRounds: number;
  /** ADMM rounds over every loss round, and of each. */
  admmRounds: number;
  roundsPerLossRound: number[];
  converged: boolean;
  /** The areas' largest |V_LP − V_AC| at the last split, each over its own part (pu). */
  maxAbsVDiffPu: number;
  wallMs: number;
  areaSolveMs: number;
  /** LP solves of all areas over every loss round (sweeps and limit-row generation included). */
  areaSolves: number;
}

export interface SplitDispatchResult extends SplitCoordination {
  /** The loss estimate the last split held fixed, gathered from the areas (`[t][bus position]`): the same LP, solved whole, is the oracle. */
  lossSqPu: Float64Array[] | null;
  /** The whole feeder's AC sweep at the areas' last point, per period. */
  flows: PowerFlowResult[];
  /** max |V_LP − V_AC| of the whole feeder's sweep (pu): the areas' own sweeps, checked. */
  wholeVDiffPu: number;
}

export async function coordinateSplit(ports: readonly AreaPort[], terms: CoordinatorTerms, opts: SplitDispatchOptions = {}): Promise<SplitCoordination> {
  const maxRounds = opts.maxLossRounds ?? terms.lossCorrection.maxRounds;
  const t0 = performance.now();
  const rounds: number[] = [];
  let areaSolveMs = 0, areaSolves = 0, converged = true;
  for (let round = 0; ; round++) {
    // Each loss round opens afresh: the last round's duals, carried over, cost more rounds than the
    // opening sweep (IEEE-33: 115 rounds against 9 after the first loss correction).
    const r = await coordinate(ports, terms, opts);
    rounds.push(r.rounds);
    areaSolveMs += r.areaSolveMs;
    areaSolves += r.areaSolves;
    converged &&= r.converged;
    const vGap = await correctLosses(ports, r);
    opts.onLossRound?.(round, r, vGap);
    if (round >= maxRounds || (round > 0 && vGap <= terms.lossCorrection.tolPu)) {
      return {
        final: r, lossRounds: round + 1, admmRounds: rounds.reduce((a, b) => a + b, 0), roundsPerLossRound: rounds,
        converged: converged && r.converged, maxAbsVDiffPu: vGap, wallMs: performance.now() - t0, areaSolveMs, areaSolves,
      };
    }
  }
}

/**
 * The areas' AC sweeps of the agreed point, iterated until they are one sweep of the whole feeder.
 * Each iteration passes up the area tree (leaves first: every area fed its children's flows of this
 * pass and its parent's voltage of the last, the agreed voltage at first) and back down (root first:
 * every area fed its parent's voltage of this pass), so the voltage at the substation reaches the
 * deepest area in one iteration whatever the tree's depth; areas of one depth sweep side by side.
 * Done when no cut line's sending voltage moved more than `SWEEP_TOL_PU`. Returns the areas' largest
 * voltage gap at the last pass down; every area holds that pass's loss estimate.
 */
async function correctLosses(ports: readonly AreaPort[], r: SplitResult): Promise<number> {
  const key = (l: { from: number; to: number }) => `${l.from}-${l.to}`;
  const up = areaLevels(ports, r.index).map((ks) => ks.map((k) => ports[k])), down = [...up].reverse();
  const agreed = new Map(ports.map((p) => [p.id, Float64Array.from(r.index.copies.get(p.id)!, (g) => r.agreed[g])]));
  const flows = new Map<string, LineFlow>(), voltages = new Map<string, Float64Array>();
  let vGap = 0;
  const sweep = async (p: AreaPort) => {
    const incoming = p.boundary.cutLines.find((l) => l.ownEnd === 'to');
    const out = p.boundary.cutLines.filter((l) => l.ownEnd === 'from');
    const c = await p.correctLosses(agreed.get(p.id)!, { incomingVmPu: incoming ? voltages.get(key(incoming)) ?? null : null, outgoing: out.map((l) => flows.get(key(l))!) });
    checkCorrection(p, c, out.length, r.index.periods, !!incoming);
    if (incoming) flows.set(key(incoming), c.incoming!);
    let moved = 0;
    out.forEach((l, k) => {
      const old = voltages.get(key(l));
      c.outgoingVmPu[k].forEach((v, t) => { moved = Math.max(moved, old ? Math.abs(v - old[t]) : Infinity); });
      voltages.set(key(l), c.outgoingVmPu[k]);
    });
    vGap = Math.max(vGap, c.vGapPu);
    return moved;
  };
  for (let pass = 1; ; pass++) {
    for (const level of up) await Promise.all(level.map(sweep));
    vGap = 0;
    let moved = 0;
    for (const level of down) moved = Math.max(moved, ...(await Promise.all(level.map(sweep))));
    if (moved <= SWEEP_TOL_PU || pass >= MAX_SWEEP_PASSES) return vGap;
  }
}

/** The whole-feeder sweep's own tolerance (libs/feeder DEFAULT_TOL_PU), on the cut lines' voltages. */
const SWEEP_TOL_PU = 1e-10;
/** Up-and-down passes at most: the coupling through a cut line is weak (a few passes measured). */
const MAX_SWEEP_PASSES = 30;

function checkCorrection(p: AreaPort, c: LossCorrection, outgoing: number, periods: number, hasIncoming: boolean): void {
  const where = `area ${p.id}`;
  if (!(c.vGapPu >= 0) || !Number.isFinite(c.vGapPu)) throw new InputError(`reported a voltage gap of ${c.vGapPu}`, where);
  if (hasIncoming && (!c.incoming || [c.incoming.pKw, c.incoming.qKvar, c.incoming.currentSqPu].some((a) => a.length !== periods || !a.every(Number.isFinite)))) {
    throw new InputError(`sent no finite flow per period for its incoming cut line`, where);
  }
  if (c.outgoingVmPu.length !== outgoing || c.outgoingVmPu.some((a) => a.length !== periods || !a.every((v) => v > 0 && Number.isFinite(v)))) {
    throw new InputError(`sent no positive voltage per period for each of its ${outgoing} outgoing cut lines`, where);
  }
}

/**
 * The harness's split dispatch: every area a `LocalArea`, reached in process or (with `over`) by
 * messages only, then the whole-feeder check.
 */
export async function runSplitDispatch(inputs: DispatchInputs, split: NetworkSplit, opts: SplitDispatchOptions & { over?: SplitTransport } = {}): Promise<SplitDispatchResult> {
  const areas = split.areas.map((a) => new LocalArea(a));
  const terms = coordinatorTerms(inputs.scenario, inputs.priceYuanPerKwh, inputs.grid.dtH);
  const run = opts.over ? await overTransport(areas, terms, opts, opts.over) : await coordinateSplit(areas, terms, opts);
  return { ...run, ...wholeFeederCheck(inputs, split, areas) };
}

async function overTransport(areas: readonly LocalArea[], terms: CoordinatorTerms, opts: SplitDispatchOptions, over: SplitTransport): Promise<SplitCoordination> {
  const open: Transport[] = [];
  try {
    for (const a of areas) {
      const t = await over.connect(`area-${a.id}`);
      open.push(t);
      serveArea(t, a);
      await t.flush();
    }
    const dso = await over.connect('dso');
    open.push(dso);
    const ports = await Promise.all(areas.map((a) => remoteArea(dso, a.id, over.timeoutMs)));
    return await coordinateSplit(ports, terms, opts);
  } finally {
    await Promise.all(open.map((t) => t.close()));
  }
}

/** The harness's view of the areas' last point: their loss estimates on the whole feeder, its AC sweep and voltage gap. */
export function wholeFeederCheck(inputs: DispatchInputs, split: NetworkSplit, areas: readonly LocalArea[]): Pick<SplitDispatchResult, 'lossSqPu' | 'flows' | 'wholeVDiffPu'> {
  const answers = areas.map((a) => a.last!);
  let lossSqPu: Float64Array[] | null = null;
  if (areas.every((a) => a.lossUsed)) {
    lossSqPu = Array.from({ length: inputs.grid.periods }, () => new Float64Array(inputs.net.nBus));
    split.areas.forEach((area, k) => {
      for (const i of ownPositions(area)) lossSqPu!.forEach((l, t) => { l[area.fullPos[i]] = areas[k].lossUsed![t][i]; });
    });
  }
  const flows = acFlows(inputs, split, answers);
  return { lossSqPu, flows, wholeVDiffPu: maxVoltageGapPu(split, answers, flows) };
}

/** The whole feeder's net loads at the areas' points, per period, through the AC sweep. */
export function acFlows(inputs: DispatchInputs, split: NetworkSplit, answers: readonly AreaAnswer[]): PowerFlowResult[] {
  const n = inputs.net.nBus;
  const own = split.areas.map((a) => ownPositions(a).map((i) => a.fullPos[i]));
  return Array.from({ length: inputs.grid.periods }, (_x, t) => {
    const p = new Float64Array(n), q = new Float64Array(n);
    answers.forEach((ans, k) => own[k].forEach((pos, i) => { p[pos] = ans.netLoadKw[t][i]; q[pos] = ans.netLoadKvar[t][i]; }));
    return runPowerFlow(inputs.net, p, q);
  });
}

function maxVoltageGapPu(split: NetworkSplit, answers: readonly AreaAnswer[], flows: PowerFlowResult[]): number {
  let gap = 0;
  answers.forEach((ans, k) => {
    const area = split.areas[k];
    for (const i of ownPositions(area)) {
      const pos = area.fullPos[i];
      flows.forEach((pf, t) => { gap = Math.max(gap, Math.abs(Math.sqrt(Math.max(0, ans.wSqPu[t][i])) - pf.vmPu[pos])); });
    }
  });
  return gap;
}
