import { ZonalError } from '@zonal/core';
import type { DsoSignal, ZoneAnswer, ZoneReport } from '@zonal/policies';
import type { Violation } from '@zonal/dispatch';
import type { LpExporter } from '@zonal/solver';
import { evaluateSchedules, type Evaluation } from './evaluate';
import { createMethod } from './methods';
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
  deliveryChecks: Array<{ round: number; violations: number; tightened: string[] }>;
  /**
   * Zones that never gave an acceptable answer when the method agreed: the run stopped there, not
   * converged (the DSO agreeing with its own copy of a silent zone is no agreement).
   */
  unanswered: number[];
  /** Zones that timed out, failed, or whose reply the DSO refused (`refuseReply`), at some round, with what happened. */
  incidents: Array<{ round: number; zoneId: number; status: 'timeout' | 'error' | 'refused'; detail: string }>;
  /** The AC-checked dispatch of what the zones' EVs draw, per bus where the zones said (the result). */
  evaluation: Evaluation;
  /** The DSO's model of the agreed aggregates (totals by the announced shares), when its figures differ from the delivered point's. */
  agreedEvaluation: Evaluation | null;
}

export interface NegotiationOptions {
  /** Every model the DSO solves, in order (its clearing, each round's step, the final evaluation). */
  exporter?: LpExporter;
  onRound?: (record: RoundRecord) => void | Promise<void>;
}

/**
 * The generic negotiation loop (SPEC §8 steps 2–4): the method's DSO step, then every zone in
 * parallel, then the method's update, until converged or the round limit. When the method agrees,
 * the point the zones' EVs deliver (per bus) is AC-checked; where it breaks a limit the DSO tightens
 * its own model there and the method starts again. A zone that times out or fails keeps its last
 * answer for the round; nothing already agreed is lost.
 */
export async function negotiate(setup: NegotiationSetup, clients: ZoneClient[], opts: NegotiationOptions = {}): Promise<NegotiationResult> {
  const { maxRounds, zoneTimeoutMs, stallRounds, method: methodName } = setup.scenario.negotiation;
  // The DSO's working model: its limits tighten where a delivered point broke them.
  const model = workingModel(setup);
  const method = createMethod(methodName, model, opts.exporter);
  checkClients(setup, clients);
  await method.initialise();
  const answers: Array<ZoneReport | null> = setup.zones.map(() => null);
  const targetKw: Float64Array[] = setup.zones.map((z) => new Float64Array(z.flexible.lbKw.length));
  const rounds: RoundRecord[] = [];
  const incidents: NegotiationResult['incidents'] = [];
  const deliveryChecks: NegotiationResult['deliveryChecks'] = [];
  let converged = false, stalled = false, deliveryUnmet = false;
  let unanswered: number[] = [];
  let dsoEvKw: Float64Array[] = [];
  for (let round = 1; round <= maxRounds && !converged && !stalled && !deliveryUnmet && !unanswered.length; round++) {
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
      if (r.status === 'replied' && !refusals[k]) answers[k] = r.answer;
      else if (r.status === 'replied') incidents.push({ round, zoneId: setup.zones[k].id, status: 'refused', detail: refusals[k]! });
      else incidents.push({ round, zoneId: setup.zones[k].id, status: r.status, detail: r.detail });
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
      const delivered = await evaluateSchedules(setup, answers.map((a, k) => a?.evKw ?? dsoEvKw[k]), 0, { busEvKw: answers.map((a) => a?.busEvKw) });
      const broken = delivered.dispatch.acCheck.violations;
      if (broken.length && deliveryChecks.length >= MAX_DELIVERY_CHECKS) {
        converged = false;
        deliveryUnmet = true;
      } else if (broken.length) {
        deliveryChecks.push({ round, violations: broken.length, tightened: tightenWhereBroken(model, broken) });
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
    await opts.onRound?.(record);
  }
  // A zone that never answered is held to the DSO's copy of its schedule (envelope-feasible), not to zero.
  const zoneEvKw = answers.map((a, k) => a?.evKw ?? dsoEvKw[k]);
  const degradation = answers.reduce((a, ans, k) => a + (ans?.degradationYuan ?? impliedDegradationYuan(setup.zones[k], zoneEvKw[k])), 0);
  // The result is the operating point the EVs produce: each zone's schedules summed per bus. The DSO's
  // model of the agreed aggregates (totals spread by the announced shares) is kept when it differs.
  const busEvKw = answers.map((a) => a?.busEvKw);
  const evaluation = await evaluateSchedules(setup, zoneEvKw, degradation, { exporter: opts.exporter, busEvKw });
  const agreed = busEvKw.some((b) => b !== undefined) ? await evaluateSchedules(setup, zoneEvKw, degradation) : null;
  const agreedEvaluation = agreed && differs(agreed, evaluation) ? agreed : null;
  return { method: method.name, rounds, converged, roundLimitHit: !converged && !stalled && !deliveryUnmet && !unanswered.length, stalled, deliveryUnmet, unanswered, zoneEvKw, answers, targetKw, incidents, deliveryChecks, evaluation, agreedEvaluation };
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
  const implied = impliedDegradationYuan(zone, evPart);
  if (a.degradationYuan < implied - 1e-6 * Math.max(1, implied)) {
    return `${name}: degradationYuan ${a.degradationYuan.toFixed(2)} is below what its own discharge costs at its declared ${zone.bid.degradationYuanPerKwh} yuan/kWh (${implied.toFixed(2)})`;
  }
  return null;
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

/** The DSO's working model: the network with its own per-period rating margins, which it may tighten. */
function workingModel(setup: NegotiationSetup): NegotiationSetup {
  const { periods } = setup.inputs.grid, n = setup.feeder.buses.length;
  return {
    ...setup,
    inputs: {
      ...setup.inputs,
      ratingScale: {
        branch: Array.from({ length: periods }, () => new Float64Array(n).fill(1)),
        substation: new Float64Array(periods).fill(1),
        voltageMarginPu: Array.from({ length: periods }, () => new Float64Array(n)),
      },
    },
  };
}

/**
 * The DSO models a zone's EVs at its buses by the shares of the zone's announced flexibility; the
 * zone's EVs may draw the same total elsewhere among its buses. Where the delivered point overloads a
 * branch or the substation in a period, the DSO's model of that limit in that period is scaled by
 * limit / value less a margin, which leaves the zones that room (margins only tighten, so this
 * ends). A voltage outside the band narrows the LP's band there by the excursion. Returns what it
 * tightened.
 */
function tightenWhereBroken(model: NegotiationSetup, violations: readonly Violation[]): string[] {
  const scale = model.inputs.ratingScale!;
  return violations.flatMap((v) => {
    const factor = (v.limit / v.value) * (1 - TIGHTEN_MARGIN);
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

/** A tightened rating sits this far (relative) below what the delivered point reached at the limit. */
const TIGHTEN_MARGIN = 0.01;
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
