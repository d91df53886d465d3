/**
 * What the coordinator sees of an area (SPEC §8 step 0: the DSO knows a party only by what it
 * declares): its boundary and two calls, each answered from the area's own data and state. A
 * `LocalArea` is the area itself — what a zone agent owning its part of the feeder holds — and
 * area-service.ts serves one over a transport and reaches one as a port, so the coordinator runs the
 * same whether its areas are in its process or on other machines.
 */
import type { ConstraintMode } from '@zonal/dispatch';
import { runPowerFlow } from '@zonal/feeder';
import { ownPositions, solveArea, type AreaAnswer, type AreaMemory, type AreaSignal } from './area-model';
import type { AreaBoundary, AreaData } from './areas';
import { LINE_QUANTITIES } from './boundary';

/** An area's answer as it leaves the area: its boundary copies, costs and zones' EV totals, never its buses. */
export type AreaReply = Omit<AreaAnswer, 'memory' | 'netLoadKw' | 'netLoadKvar' | 'wSqPu'>;

export interface AreaPort {
  readonly id: number;
  readonly isRoot: boolean;
  readonly boundary: AreaBoundary;
  /** One solve of the area's subproblem for `signal`, on the area's own loss estimate. */
  solve(signal: AreaSignal): Promise<AreaReply>;
  /**
   * One step of SPEC §3's loss correction, area by area (dispatch-split.ts runs the steps as a
   * backward/forward sweep over the area tree): the AC sweep of the area's own part at its last
   * answer, given what its neighbours' sweeps found of their cut lines with it (`feed`). Its branch
   * currents become its loss estimate for its next solves. Returns the largest |V_LP − V_AC| over its
   * own buses and what its neighbours need of it.
   */
  correctLosses(agreed: Float64Array, feed: SweepFeed): Promise<LossCorrection>;
}

/** What an area's sweep takes from its neighbours' (per period; `agreed` is its copies of the boundary, in its copy order). */
export interface SweepFeed {
  /** The sending-end voltage of its incoming cut line as its parent's sweep found it (pu); null: the agreed w_from's root, or the root area. */
  incomingVmPu: Float64Array | null;
  /** Per outgoing cut line (its `boundary.cutLines` order): the sending-end flow and |I|² its child's sweep found. */
  outgoing: readonly LineFlow[];
}

export interface LineFlow {
  pKw: Float64Array;
  qKvar: Float64Array;
  currentSqPu: Float64Array;
}

export interface LossCorrection {
  vGapPu: number;
  /** Its incoming cut line's sending-end flow and |I|² (null in the root area). */
  incoming: LineFlow | null;
  /** Per outgoing cut line: the voltage at its sending end (pu). */
  outgoingVmPu: Float64Array[];
}

export class LocalArea implements AreaPort {
  private memory: AreaMemory | null = null;
  /** The loss estimate `[t][area position]` its next solves hold fixed; null: lossless. */
  private lossSqPu: Float64Array[] | null = null;
  /** The estimate its last solve held fixed (the harness solves the whole feeder with the areas' estimates). */
  lossUsed: Float64Array[] | null = null;
  /** Its last full answer (net loads and voltages of its own buses): its own, and the harness's. */
  last: AreaAnswer | null = null;

  constructor(readonly area: AreaData, private readonly constraints: ConstraintMode = 'lazy') {}

  get id(): number { return this.area.id; }
  get isRoot(): boolean { return this.area.isRoot; }
  get boundary(): AreaBoundary { return this.area.boundary; }

  async solve(signal: AreaSignal): Promise<AreaReply> {
    const ans = await solveArea(this.area, signal, this.memory, this.constraints, this.lossSqPu);
    this.memory = ans.memory;
    this.lossUsed = this.lossSqPu;
    this.last = ans;
    const { memory: _m, netLoadKw: _p, netLoadKvar: _q, wSqPu: _w, ...reply } = ans;
    return reply;
  }

  async correctLosses(agreed: Float64Array, feed: SweepFeed): Promise<LossCorrection> {
    if (!this.last) throw new Error(`area ${this.id}: asked to correct its losses before it solved`);
    const { lossSqPu, ...out } = areaSweep(this.area, this.last, agreed, feed);
    this.lossSqPu = lossSqPu;
    // A new loss estimate opens a new coordination: it starts cold, as the first did (a basis kept
    // across it lands the rounds on other optimal points of the EVs' many, 5 loss rounds against 3 on the default scenario).
    this.memory = null;
    return out;
  }
}

/**
 * The AC sweep of one area's own part (backward/forward, libs/feeder): its own buses at their net
 * loads of `answer`; fed at its incoming cut line's sending voltage (its parent's sweep's, or the
 * agreed one); each outgoing cut line's far end a load of the power its child's sweep draws through
 * it, less the line's own loss. With every area's feed from its neighbours' sweeps at the same point,
 * the sweeps together are the whole feeder's AC sweep (dispatch-split.ts iterates them to it).
 */
export function areaSweep(area: AreaData, answer: AreaAnswer, agreed: Float64Array, feed: SweepFeed): LossCorrection & { lossSqPu: Float64Array[] } {
  const { net, grid } = area.inputs;
  const T = grid.periods, Q = LINE_QUANTITIES.length;
  const sBaseKw = net.feeder.baseMva * 1000;
  const lines = area.boundary.cutLines;
  if (agreed.length < lines.length * T * Q) throw new Error(`area ${area.id}: ${agreed.length} agreed boundary values for ${lines.length} cut lines × ${T} periods`);
  const outLines = lines.flatMap((l, li) => (l.ownEnd === 'from' ? [li] : []));
  const series = [...(feed.incomingVmPu ? [feed.incomingVmPu] : []), ...feed.outgoing.flatMap((f) => [f.pKw, f.qKvar, f.currentSqPu])];
  if (feed.outgoing.length !== outLines.length || series.some((a) => a.length !== T)) {
    throw new Error(`area ${area.id}: flows of ${feed.outgoing.length} outgoing cut lines given for its ${outLines.length}, each ${T} periods`);
  }
  const own = ownPositions(area);
  const posOf = new Map(net.feeder.buses.map((b, i) => [b.id, i]));
  const entry = area.isRoot ? -1 : posOf.get(lines[0].to)!;
  const outTo = outLines.map((li) => posOf.get(lines[li].to)!), outFrom = outLines.map((li) => posOf.get(lines[li].from)!);
  const lossSqPu: Float64Array[] = [];
  const incoming: LineFlow | null = area.isRoot ? null : { pKw: new Float64Array(T), qKvar: new Float64Array(T), currentSqPu: new Float64Array(T) };
  const outgoingVmPu = outLines.map(() => new Float64Array(T));
  let vGapPu = 0;
  for (let t = 0; t < T; t++) {
    const p = new Float64Array(net.nBus), q = new Float64Array(net.nBus);
    own.forEach((j, i) => { p[j] = answer.netLoadKw[t][i]; q[j] = answer.netLoadKvar[t][i]; });
    const loss = new Float64Array(net.nBus);
    feed.outgoing.forEach((f, k) => {
      const to = outTo[k], iSq = f.currentSqPu[t];
      loss[to] = iSq;
      p[to] = f.pKw[t] - net.rPu[to] * iSq * sBaseKw;
      q[to] = f.qKvar[t] - net.xPu[to] * iSq * sBaseKw;
    });
    const slackVmPu = area.isRoot ? undefined : feed.incomingVmPu?.[t] ?? Math.sqrt(Math.max(agreed[t * Q + 2], 1e-6));
    const pf = runPowerFlow(net, p, q, slackVmPu === undefined ? {} : { slackVmPu });
    for (const j of own) {
      loss[j] = pf.branchCurrentSqPu[j];
      vGapPu = Math.max(vGapPu, Math.abs(Math.sqrt(Math.max(0, answer.wSqPu[t][j])) - pf.vmPu[j]));
    }
    if (incoming) {
      incoming.pKw[t] = pf.branchPKw[entry];
      incoming.qKvar[t] = pf.branchQKvar[entry];
      incoming.currentSqPu[t] = pf.branchCurrentSqPu[entry];
    }
    outFrom.forEach((pos, k) => { outgoingVmPu[k][t] = pf.vmPu[pos]; });
    lossSqPu.push(loss);
  }
  return { lossSqPu, vGapPu, incoming, outgoingVmPu };
}
