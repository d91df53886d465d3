import { ZonalError } from '@zonal/core';
import type { DsoSignal, ZoneAnswer, ZoneReport } from '@zonal/policies';
import { LimitWorkingSet, type Violation } from '@zonal/dispatch';
import type { LpExporter } from '@zonal/solver';
import { checkCheckpoint, CHECKPOINT_VERSION, type NegotiationCheckpoint } from './checkpoint';
import { evaluateSchedules, type Evaluation } from './evaluate';
import { createMethod } from './methods';
import type { CoordinationMethod } from './methods/method';
import type { NegotiationSetup, ZoneSetup } from './setup';

/** How the DSO reaches one zone: in process, or over NATS (the agents lib). */
export interface ZoneClient {
  zoneId: number;
  solve(signal: DsoSignal, timeoutMs: number): Promise<ZoneReply>;
}

export type ZoneReply =
  | { status: 'replied'; answer: ZoneReport }
  | { status: 'timeout' | 'error'; detail: string };

/** One round as reported and kept on JetStream (SPEC §8 step 5). */
export interface RoundRecord {
  round: number;
  method: string;
  rho: number;
  primalResidualKw: number;
  dualResidualKw: number;
  totalCostYuan: number;
  relCostChange: number | null;
  converged: boolean;
  zones: Array<{ zoneId: number; status: 'replied' | 'timeout' | 'error'; costYuan: number | null; evKw: number[]; detail?: string }>;
}

export interface NegotiationResult {
  method: string;
  rounds: RoundRecord[];
  converged: boolean;
  /** True when the round limit stopped the negotiation (SPEC §8: reported, never silent). */
  roundLimitHit: boolean;
  /** True when it stopped for making no progress (`negotiation.stallRounds`), also reported. */
  stalled: boolean;
  /**
   * True when it stopped because the zones kept agreeing on points their EVs deliver past a limit,
   * after the DSO had tightened its model MAX_DELIVERY_CHECKS times: not converged, reported.
   */
  deliveryUnmet: boolean;
  /** Each zone's last schedule (grid-side EV kW per period) and what it reported of its answer. */
  zoneEvKw: Float64Array[];
  answers: Array<ZoneReport | null>;
  /** What the DSO last asked of each zone's EVs (kW): its copy under ADMM, PZ less the base load under target-penalty. */
  targetKw: Float64Array[];
  /**
   * Rounds at which the method agreed but the point the EVs deliver (per bus) broke a limit: the DSO
   * then tightened those limits in its own model and went on.
   */
  deliveryChecks: Array<{ round: number; violations: number; tightened: string[]; deliveredCostYuan?: number }>;
  /**
   * Set when the method agreed on a point whose delivery still breaks soft limits, accepted because
   * the re-plans had stopped lowering the delivered point's cost (eq 1 + degradation + penalties):
   * within `admm.relCostTol` of the cheapest delivered point of the checks before. Converged, the
   * violations kept and priced in the result's penalties; null otherwise.
   */
  deliveryKept: { round: number; violations: number; penaltyYuan: number; deliveredCostYuan: number; bestCostYuan: number } | null;
  /**
   * The DSO's caps at the end (ev-caps.ts): per cap, the zone, its buses below the capped branch, the
   * periods it bounds and its lowest value there (kW, grid side). Empty without caps.
   */
  evCaps: Array<{ zoneId: number; buses: number[]; periods: number; minKw: number }>;
  /**
   * Zones that never gave an acceptable answer when the method agreed: the run stopped there, not
   * converged (the DSO agreeing with its own copy of a silent zone is no agreement).
   */
  unanswered: number[];
  /**
   * Zones that timed out, failed, or whose reply the DSO refused (`refuseReply`), at some round, with
   * what happened; and each time a zone became stalled (its answer unmoved for `stallRounds` rounds
   * while it stayed off what the DSO asked).
   */
  incidents: Array<{ round: number; zoneId: number; status: 'timeout' | 'error' | 'refused' | 'stalled'; detail: string }>;
  /** Zones stalled at the end: their accepted answer has not moved since `sinceRound`, `mismatchKw` (RMS) off the DSO's ask. */
  stalledZones: Array<{ zoneId: number; sinceRound: number; mismatchKw: number }>;
  /**
   * Why the negotiation stopped early when something other than its own rules did: the wall-clock
   * budget (`negotiation.budgetS`), or the caller's reason (the DSO's server unreachable). Not converged.
   */
  stoppedBy: string | null;
  /** The AC-checked dispatch of what the zones' EVs draw, per bus where the zones said (the result). */
  evaluation: Evaluation;
  /** The DSO's model of the agreed aggregates (totals by the announced shares), when its figures differ from the delivered point's. */
  agreedEvaluation: Evaluation | null;
}

export interface NegotiationOptions {
  /** Every model the DSO solves, in order (its clearing, each round's step, the final evaluation). */
  exporter?: LpExporter;
  onRound?: (record: RoundRecord) => void | Promise<void>;
  /** Called after every round (after `onRound`) with the state to resume from: the DSO keeps it. */
  onCheckpoint?: (checkpoint: NegotiationCheckpoint, record: RoundRecord) => void | Promise<void>;
  /** Go on from a checkpoint and the rounds before it (a restarted DSO), instead of starting afresh. */
  resume?: { checkpoint: NegotiationCheckpoint; rounds: RoundRecord[] };
  /** Checked after every round: a reason to stop now (e.g. the server unreachable for too long), or null. */
  stopReason?: () => string | null;
}

/** The wall-clock budget when the scenario declares none (s). */
export const DEFAULT_BUDGET_S = 600;

/**
 * The generic negotiation loop (SPEC §8 steps 2–4): the method's DSO step, then every zone in
 * parallel, then the method's update, until converged or the round limit. When the method agrees,
 * the point the zones' EVs deliver (per bus) is AC-checked; where it breaks a limit the DSO tightens
 * its own model there and the method starts again. A zone that times out or fails keeps its last
 * answer for the round; nothing already agreed is lost.
 */
export async function negotiate(setup: NegotiationSetup, clients: ZoneClient[], opts: NegotiationOptions = {}): Promise<NegotiationResult> {
  const { maxRounds, zoneTimeoutMs, stallRounds, method: methodName } = setup.scenario.negotiation;
  const budgetMs = (setup.scenario.negotiation.budgetS ?? DEFAULT_BUDGET_S) * 1000;
  const { primalTolKw, relCostTol } = setup.scenario.negotiation.admm;
  // The DSO's working model: its limits tighten where a delivered point broke them.
  const model = workingModel(setup);
  const method = createMethod(methodName, model, opts.exporter);
  checkClients(setup, clients);
  const zoneIds = setup.zones.map((z) => z.id);
  let answers: Array<ZoneReport | null> = setup.zones.map(() => null);
  let targetKw: Float64Array[] = setup.zones.map((z) => new Float64Array(z.flexible.lbKw.length));
  let rounds: RoundRecord[] = [];
  let incidents: NegotiationResult['incidents'] = [];
  let deliveryChecks: NegotiationResult['deliveryChecks'] = [];
  let deliveryKept: NegotiationResult['deliveryKept'] = null;
  let unmovedSince = setup.zones.map(() => 1);
  let converged = false, stalled = false, deliveryUnmet = false;
  let unanswered: number[] = [];
  let dsoEvKw: Float64Array[] = setup.zones.map((z) => Float64Array.from(z.flexible.lbKw, () => 0));
  let elapsedBefore = 0, stoppedBy: string | null = null;
  if (opts.resume) {
    const { checkpoint: cp } = opts.resume;
    checkCheckpoint(cp, method.name, zoneIds, opts.resume.rounds);
    method.restore(cp.methodState);
    ({ answers, targetKw, incidents, deliveryChecks, unmovedSince, dsoEvKw, converged, stalled, deliveryUnmet, unanswered } = cp);
    deliveryKept = cp.deliveryKept ?? null;
    rounds = [...opts.resume.rounds];
    restoreRatingScale(model, cp.ratingScale);
    if (cp.limitRows) model.inputs.workingSet!.restore(cp.limitRows);
    elapsedBefore = cp.elapsedMs;
  } else {
    await method.initialise();
  }
  const started = Date.now();
  const elapsedMs = () => elapsedBefore + Date.now() - started;
  for (let round = rounds.length + 1; round <= maxRounds && !converged && !stalled && !deliveryUnmet && !unanswered.length && !stoppedBy; round++) {
    const signals = setup.zones.map((zone) => method.signal(zone, round));
    // The EV part of what the DSO asked: its copy (ADMM), or PZ less the zone's base load (target-penalty).
    signals.forEach((sig, k) => {
      const base = setup.zones[k].bid.baseNetLoadKw;
      if (sig.consensus) targetKw[k] = Float64Array.from(sig.consensus.referenceKw);
      else if (sig.targetKw) targetKw[k] = sig.targetKw.map((v, t) => v - base[t]);
    });
    const replies = await Promise.all(setup.zones.map((_zone, k) => askZone(clients[k], signals[k], zoneTimeoutMs)));
    // A reply is checked against what the zone announced, not trusted: a refused one is an incident
    // and the zone keeps its last accepted answer.
    const refusals = replies.map((r, k) => (r.status === 'replied' ? refuseReply(setup.zones[k], r.answer) : null));
    replies.forEach((r, k) => {
      if (r.status === 'replied' && !refusals[k]) {
        if (!answers[k] || movedKw(answers[k]!.evKw, r.answer.evKw) > ZONE_MOVE_KW) unmovedSince[k] = round;
        answers[k] = r.answer;
      } else if (r.status === 'replied') incidents.push({ round, zoneId: setup.zones[k].id, status: 'refused', detail: refusals[k]! });
      else incidents.push({ round, zoneId: setup.zones[k].id, status: r.status, detail: r.detail });
    });
    // A zone whose answer has not moved for stallRounds rounds while it stays off what the DSO asks is
    // marked stalled (an incident when it becomes so): it holds the negotiation where it is.
    setup.zones.forEach((z, k) => {
      if (round - unmovedSince[k] + 1 !== stallRounds) return;
      const mismatch = rmsKw(answers[k]?.evKw, targetKw[k]);
      if (mismatch > primalTolKw) incidents.push({ round, zoneId: z.id, status: 'stalled', detail: `zone ${z.id}: its answer has not moved since round ${unmovedSince[k]}, ${mismatch.toFixed(3)} kW (RMS) off what the DSO asks` });
    });
    const update = await method.update(answers, round);
    dsoEvKw = update.dsoEvKw;
    const previous = rounds.at(-1)?.totalCostYuan;
    converged = update.converged;
    if (converged && answers.some((a) => a === null)) {
      // The DSO agreeing with its own copy of a zone that never gave an acceptable answer is no agreement.
      converged = false;
      unanswered = setup.zones.filter((_z, k) => answers[k] === null).map((z) => z.id);
    }
    if (converged) {
      // SPEC §8 step 4 on the combined schedule: agreed only when what the EVs draw, bus by bus, passes the AC check.
      const degradationYuan = answers.reduce((a, x) => a + (x?.degradationYuan ?? 0), 0);
      const delivered = await evaluateSchedules(setup, answers.map((a, k) => a?.evKw ?? dsoEvKw[k]), degradationYuan, { busEvKw: answers.map((a) => a?.busEvKw) });
      const broken = delivered.dispatch.acCheck.violations;
      // What the point costs as delivered (SPEC §8's total), penalties included: the re-plans are worth going on with while they lower it.
      const deliveredCostYuan = delivered.totalCostYuan + delivered.dispatch.costs.penaltyYuan;
      const bestCostYuan = Math.min(...deliveryChecks.map((c) => c.deliveredCostYuan ?? Infinity));
      if (broken.length && Number.isFinite(bestCostYuan) && Math.abs(deliveredCostYuan - bestCostYuan) <= relCostTol * Math.abs(bestCostYuan)) {
        // The DSO moves its model of where a zone's EVs draw; the zone's EVs draw where its own schedule
        // puts them. When re-planning no longer changes what the delivered point costs, it is the answer.
        deliveryKept = { round, violations: broken.length, penaltyYuan: delivered.dispatch.costs.penaltyYuan, deliveredCostYuan, bestCostYuan };
      } else if (broken.length && deliveryChecks.length >= MAX_DELIVERY_CHECKS) {
        converged = false;
        deliveryUnmet = true;
      } else if (broken.length) {
        deliveryChecks.push({ round, violations: broken.length, tightened: tightenWhereBroken(model, broken, tightenMargin(deliveryChecks.length)), deliveredCostYuan });
        converged = false;
        // The method starts again from the DSO's clearing of the bids on its tightened model: agreement
        // from there takes a few rounds, where continuing from the old point took tens.
        await method.initialise();
      }
    }
    const record: RoundRecord = {
      round, method: method.name, rho: update.rho,
      primalResidualKw: update.primalResidualKw, dualResidualKw: update.dualResidualKw,
      totalCostYuan: update.totalCostYuan,
      relCostChange: previous === undefined ? null : Math.abs(update.totalCostYuan - previous) / Math.max(1, Math.abs(previous)),
      converged,
      zones: replies.map((r, k) => (r.status === 'replied' && !refusals[k]
        ? { zoneId: setup.zones[k].id, status: r.status, costYuan: r.answer.costYuan, evKw: Array.from(r.answer.evKw) }
        : {
          zoneId: setup.zones[k].id, status: r.status === 'replied' ? 'error' as const : r.status, costYuan: null,
          evKw: Array.from(answers[k]?.evKw ?? dsoEvKw[k]),
          detail: r.status === 'replied' ? `refused: ${refusals[k]}` : r.detail,
        })),
    };
    rounds.push(record);
    // A re-modelled zone starts a new descent: progress is measured from the last delivery check.
    stalled = !converged && isStalled(rounds.slice(deliveryChecks.at(-1)?.round ?? 0), stallRounds);
    if (!converged && !stalled && !deliveryUnmet && !unanswered.length) {
      stoppedBy = elapsedMs() > budgetMs ? `the wall-clock budget of ${budgetMs / 1000} s (negotiation.budgetS) ran out after round ${round}` : opts.stopReason?.() ?? null;
    }
    await opts.onRound?.(record);
    await opts.onCheckpoint?.({
      version: CHECKPOINT_VERSION, method: method.name, round, zoneIds, methodState: method.snapshot(),
      answers, targetKw, incidents, deliveryChecks, deliveryKept, unmovedSince, dsoEvKw, converged, stalled, deliveryUnmet, unanswered,
      ratingScale: model.inputs.ratingScale as NegotiationCheckpoint['ratingScale'], limitRows: model.inputs.workingSet!.saved(), elapsedMs: elapsedMs(),
    }, record);
  }
  const lastRound = rounds.length;
  const stalledZones = setup.zones.flatMap((z, k) => {
    const mismatchKw = rmsKw(answers[k]?.evKw, targetKw[k]);
    return !converged && lastRound - unmovedSince[k] + 1 >= stallRounds && mismatchKw > primalTolKw ? [{ zoneId: z.id, sinceRound: unmovedSince[k], mismatchKw }] : [];
  });
  // A zone that never answered is held to the DSO's copy of its schedule (envelope-feasible), not to zero.
  const zoneEvKw = answers.map((a, k) => a?.evKw ?? dsoEvKw[k]);
  const degradation = answers.reduce((a, ans, k) => a + (ans?.degradationYuan ?? impliedDegradationYuan(setup.zones[k], zoneEvKw[k])), 0);
  // The result is the operating point the EVs produce: each zone's schedules summed per bus. The DSO's
  // model of the agreed aggregates (totals spread by the announced shares) is kept when it differs.
  const busEvKw = answers.map((a) => a?.busEvKw);
  const evaluation = await evaluateSchedules(setup, zoneEvKw, degradation, { exporter: opts.exporter, busEvKw });
  const agreed = busEvKw.some((b) => b !== undefined) ? await evaluateSchedules(setup, zoneEvKw, degradation) : null;
  const agreedEvaluation = agreed && differs(agreed, evaluation) ? agreed : null;
  return {
    method: method.name, rounds, converged, roundLimitHit: !converged && !stalled && !deliveryUnmet && !unanswered.length && !stoppedBy,
    stalled, deliveryUnmet, unanswered, stalledZones, stoppedBy, zoneEvKw, answers, targetKw, incidents, deliveryChecks, deliveryKept, evaluation, agreedEvaluation,
    evCaps: capsOf(setup, method),
  };
}

/**
 * Why the DSO refuses a zone's reply, naming the zone and the field, or null: a period count other
 * than the run's, a value that is not finite, EV power outside the zone's announced flexibility (its
 * envelope's grid-side bounds, with 1e-6 relative slack), EV power at a bus that is not the zone's, or
 * a degradation below what its own discharge costs at its declared price. What the DSO can compute
 * itself it computes (the EV degradation in the total is at least the implied one).
 */
export function refuseReply(zone: ZoneSetup, a: ZoneReport): string | null {
  const T = zone.flexible.lbKw.length, name = `zone ${zone.id}`;
  if (a.evKw.length !== T) return `${name}: evKw has ${a.evKw.length} periods, the run ${T}`;
  const bad = a.evKw.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return `${name}: evKw[${bad}] is ${a.evKw[bad]}`;
  if (!Number.isFinite(a.degradationYuan) || !Number.isFinite(a.costYuan)) return `${name}: degradationYuan / costYuan must be finite numbers`;
  // The EVs' part: per bus where the zone says where they draw (the rest is its storage, not announced).
  let evPart = a.evKw;
  if (a.busEvKw) {
    const stray = a.busEvKw.find((b) => !zone.buses.includes(b.bus));
    if (stray) return `${name}: busEvKw names bus ${stray.bus}, which is not one of its buses`;
    const short = a.busEvKw.find((b) => b.kw.length !== T || Array.from(b.kw).some((v) => !Number.isFinite(v)));
    if (short) return `${name}: busEvKw at bus ${short.bus} must be ${T} finite values`;
    evPart = Float64Array.from({ length: T }, (_, t) => a.busEvKw!.reduce((x, b) => x + b.kw[t], 0));
  }
  const env = zone.envelope;
  for (let t = 0; t < T; t++) {
    const hi = env.pChargeMaxGridKw[t], lo = -env.pDischargeMaxGridKw[t];
    const slack = 1e-6 * Math.max(1, Math.abs(hi), Math.abs(lo));
    if (evPart[t] > hi + slack || evPart[t] < lo - slack) {
      return `${name}: EV power ${evPart[t].toFixed(3)} kW at period ${t} is outside its announced flexibility [${lo.toFixed(3)}, ${hi.toFixed(3)}] kW`;
    }
  }
  const energy = energyOutsideEnvelope(zone, evPart);
  if (energy) return `${name}: ${energy}`;
  const implied = impliedDegradationYuan(zone, evPart);
  if (a.degradationYuan < implied - 1e-6 * Math.max(1, implied)) {
    return `${name}: degradationYuan ${a.degradationYuan.toFixed(2)} is below what its own discharge costs at its declared ${zone.bid.degradationYuanPerKwh} yuan/kWh (${implied.toFixed(2)})`;
  }
  // And at most what its EVs could discharge in the day at full announced power, at that price.
  const most = impliedDegradationYuan(zone, env.pDischargeMaxGridKw.map((v) => -v));
  if (a.degradationYuan > most + 1e-6 * Math.max(1, most)) {
    return `${name}: degradationYuan ${a.degradationYuan.toFixed(2)} is more than its EVs' whole announced discharge would cost at its declared ${zone.bid.degradationYuanPerKwh} yuan/kWh (${most.toFixed(2)})`;
  }
  return null;
}

/**
 * Whether the EVs' grid-side power per period can hold the energy the zone announced (its envelope's
 * bounds on battery energy gained since 00:00, outer bounds of every feasible schedule): with one
 * efficiency eta, grid power x = c/eta − eta·d gives battery power b = c − d within
 * [eta·x − (1 − eta²)·D, min(eta·x, x/eta)] (D: the discharge limit), so the energy a reply can have
 * stored by each boundary is bounded both ways; a reply whose bounds miss the envelope's cannot be
 * delivered by any EV schedule. Necessary, not sufficient: the DSO checks what it can from aggregates.
 */
function energyOutsideEnvelope(zone: ZoneSetup, x: ArrayLike<number>): string | null {
  const { eta, grid } = zone.bid, env = zone.envelope, dt = grid.dtH;
  const slack = 1e-6 * Math.max(1, ...Array.from(env.eMaxKwh, Math.abs), ...Array.from(env.eMinKwh, Math.abs));
  let most = 0, least = 0;
  for (let t = 0; t < x.length; t++) {
    most += Math.min(eta * x[t], x[t] / eta) * dt;
    least += (eta * x[t] - (1 - eta * eta) * Math.max(0, -env.pMinKw[t])) * dt;
    if (most < env.eMinKwh[t + 1] - slack * (t + 1)) {
      return `by the end of period ${t} its EV power stores at most ${most.toFixed(3)} kWh, below the ${env.eMinKwh[t + 1].toFixed(3)} kWh its announced flexibility needs`;
    }
    if (least > env.eMaxKwh[t + 1] + slack * (t + 1)) {
      return `by the end of period ${t} its EV power stores at least ${least.toFixed(3)} kWh, above the ${env.eMaxKwh[t + 1].toFixed(3)} kWh its announced flexibility allows`;
    }
  }
  return null;
}

/** An answer that moved less than this (kW, largest change in any period) has not moved. */
const ZONE_MOVE_KW = 1e-3;

function movedKw(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let t = 0; t < a.length; t++) m = Math.max(m, Math.abs(a[t] - b[t]));
  return m;
}

/** RMS of a zone's answer against the DSO's ask (kW); a zone with no answer is Infinity off. */
function rmsKw(a: ArrayLike<number> | undefined, ask: ArrayLike<number>): number {
  if (!a) return Infinity;
  let sum = 0;
  for (let t = 0; t < ask.length; t++) sum += (a[t] - ask[t]) ** 2;
  return Math.sqrt(sum / Math.max(1, ask.length));
}

/** No progress: the last `window` rounds' best primal residual is not below 0.9 × the best before them. */
function isStalled(rounds: readonly RoundRecord[], window: number): boolean {
  if (rounds.length <= window) return false;
  const best = (rs: readonly RoundRecord[]) => Math.min(...rs.map((r) => r.primalResidualKw));
  return best(rounds.slice(-window)) >= 0.9 * best(rounds.slice(0, -window));
}

/**
 * One zone's reply for the round. The client owns the timeout, but a client that throws or never
 * settles must not stop the round (SPEC §9): a rejection becomes an error reply, and the loop's own
 * timer ends the wait at the zone timeout.
 */
async function askZone(client: ZoneClient, signal: DsoSignal, timeoutMs: number): Promise<ZoneReply> {
  const reply = (async () => client.solve(signal, timeoutMs))()
    .catch((e: unknown): ZoneReply => ({ status: 'error', detail: e instanceof Error ? e.message : String(e) }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<ZoneReply>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'timeout', detail: `no reply within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([reply, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The loop pairs clients with zones by position: a mismatch would mix up the zones' answers. */
function checkClients(setup: NegotiationSetup, clients: readonly ZoneClient[]): void {
  const want = setup.zones.map((z) => z.id), got = clients.map((c) => c.zoneId);
  if (got.length !== want.length || got.some((id, k) => id !== want[k])) {
    throw new ZonalError(`zone clients are for zones [${got.join(', ')}], expected one per zone in order [${want.join(', ')}]`, 'negotiate');
  }
}

/**
 * The EV degradation a silent zone's schedule costs at least (SPEC §8 counts it in the total): its
 * grid-side discharge is eta·d, so d = −x/eta at the least, priced as the zone's own terms price it.
 */
function impliedDegradationYuan(zone: ZoneSetup, evKw: Float64Array): number {
  const { eta, degradationYuanPerKwh, grid } = zone.bid;
  return evKw.reduce((a, x) => a + Math.max(0, -x) / eta, 0) * degradationYuanPerKwh * grid.dtH;
}

/** The part of a zone's answer that leaves the zone (its per-EV schedules stay). */
export function zoneReportOf(answer: ZoneAnswer): ZoneReport {
  const { schedules: _schedules, groupBatteryKw: _groups, ...report } = answer;
  return report;
}

/** The method's caps at the end, cap by cap, as the report gives them. */
function capsOf(setup: NegotiationSetup, method: CoordinationMethod): NegotiationResult['evCaps'] {
  return (method.evCaps?.() ?? []).flatMap((list, k) => list.map((c) => {
    const finite = Array.from(c.maxKw).filter(Number.isFinite);
    return { zoneId: setup.zones[k].id, buses: [...c.buses], periods: finite.length, minKw: finite.length ? Math.min(...finite) : Infinity };
  }));
}

/**
 * The DSO's working model: the network with its own per-period rating margins, which it may tighten,
 * and its own limit rows (a copy of those the setup knows, which this negotiation alone grows). The
 * rows decide which of the clearing LP's optima (equal in cost) the simplex stops at, and so the next
 * round's targets: a negotiation that grew the setup's set would change the next one's rounds, and a
 * resumed DSO must take up the rows of the run it resumes (checkpoint.ts limitRows).
 */
function workingModel(setup: NegotiationSetup): NegotiationSetup {
  const { periods } = setup.inputs.grid, n = setup.feeder.buses.length;
  return {
    ...setup,
    inputs: {
      ...setup.inputs,
      workingSet: setup.inputs.workingSet ? LimitWorkingSet.from(setup.inputs.workingSet.saved()) : new LimitWorkingSet(),
      ratingScale: {
        branch: Array.from({ length: periods }, () => new Float64Array(n).fill(1)),
        substation: new Float64Array(periods).fill(1),
        voltageMarginPu: Array.from({ length: periods }, () => new Float64Array(n)),
      },
    },
  };
}

/** A resumed DSO's working model takes up the limits as they were tightened before the restart. */
function restoreRatingScale(model: NegotiationSetup, saved: NegotiationCheckpoint['ratingScale']): void {
  const scale = model.inputs.ratingScale!;
  if (saved.branch.length !== scale.branch.length || saved.substation.length !== scale.substation.length) {
    throw new ZonalError(`checkpoint ratingScale is of ${saved.branch.length} periods, the run has ${scale.branch.length}`, 'checkpoint');
  }
  saved.branch.forEach((b, t) => scale.branch[t].set(b));
  scale.substation.set(saved.substation);
  saved.voltageMarginPu.forEach((v, t) => scale.voltageMarginPu![t].set(v));
}

/**
 * The DSO models a zone's EVs at its buses by the shares of the zone's announced flexibility; the
 * zone's EVs may draw the same total elsewhere among its buses. Where the delivered point overloads a
 * branch or the substation in a period, the DSO's model of that limit in that period is scaled by
 * limit / value less a margin, which leaves the zones that room (margins only tighten, so this
 * ends). A voltage outside the band narrows the LP's band there by the excursion. Returns what it
 * tightened.
 */
function tightenWhereBroken(model: NegotiationSetup, violations: readonly Violation[], margin: number): string[] {
  const scale = model.inputs.ratingScale!;
  return violations.flatMap((v) => {
    const factor = (v.limit / v.value) * (1 - margin);
    if (v.kind === 'substation') {
      scale.substation[v.period] *= factor;
      return [`the substation rating at period ${v.period} to ${(100 * scale.substation[v.period]).toFixed(1)}%`];
    }
    const j = model.feeder.buses.findIndex((b) => b.id === v.busId);
    if (v.kind === 'vmin' || v.kind === 'vmax') {
      // The LP's band at that bus and period narrows by the excursion, and a little more.
      const margins = scale.voltageMarginPu!;
      margins[v.period][j] += Math.abs(v.value - v.limit) + VOLTAGE_MARGIN_PU;
      return [`the voltage band at bus ${v.busId}, period ${v.period}, by ${(1000 * margins[v.period][j]).toFixed(2)} mpu`];
    }
    scale.branch[v.period][j] *= factor;
    return [`the branch into bus ${v.busId} at period ${v.period} to ${(100 * scale.branch[v.period][j]).toFixed(1)}%`];
  });
}

/**
 * A tightened rating sits this far (relative) below what the delivered point reached at the limit:
 * 1% at the first check, doubling at each later one up to 8%. A zone re-spreads its EVs over its
 * buses after each tightening, so a fixed 1% chased the lateral 19-22 of the default scenario
 * through five checks (97, 94, 88, 86, 79%); growing margins reach it in fewer rounds, at a cost the
 * gap to the centralised optimum shows.
 */
function tightenMargin(checksBefore: number): number {
  return Math.min(0.08, 0.01 * 2 ** checksBefore);
}
/** A narrowed voltage band sits this far (pu) inside the delivered point's excursion. */
const VOLTAGE_MARGIN_PU = 1e-4;
/** At most this many times does the DSO tighten its model after a delivered point broke a limit. */
const MAX_DELIVERY_CHECKS = 10;

/** Two evaluations differ when their costs or AC figures do beyond rounding. */
function differs(a: Evaluation, b: Evaluation): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  return !close(a.totalCostYuan, b.totalCostYuan) || !close(a.dispatch.costs.penaltyYuan, b.dispatch.costs.penaltyYuan)
    || !close(a.dispatch.acCheck.lossKwh, b.dispatch.acCheck.lossKwh) || a.dispatch.acCheck.violations.length !== b.dispatch.acCheck.violations.length;
}
