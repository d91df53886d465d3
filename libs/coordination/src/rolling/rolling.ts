import { createRng, InputError, ZonalError } from '@zonal/core';
import { busPosition, runDispatch, type DispatchInputs } from '@zonal/dispatch';
import type { EvSchedules } from '@zonal/ev';
import { LpExporter } from '@zonal/solver';
import { addZoneTerms } from '../centralised';
import { evaluateSchedules, type Evaluation } from '../evaluate';
import type { SimSetup } from '../harness';
import { CHECKPOINT_VERSION, type NegotiationCheckpoint } from '../checkpoint';
import { createMethod } from '../methods';
import { negotiate, zoneReportOf, type NegotiationResult, type RoundRecord, type ZoneClient } from '../negotiate';
import { negotiationSetup, type DsoNetwork, type NegotiationSetup } from '../setup';
import { announceOf, type ZoneParty } from '../zone-party';
import { checkDsoPast, fixDsoPast, type DsoPast } from './dso-past';
import type { RealisedDay } from './realised';
import { RollingZone, type Shortfall, type ZoneWindow } from './zone-state';
import { RollingZoneSide, type RealisedZoneDay, type WindowAnnounce, type WindowPlan } from './zone-side';

/** A negotiation's outcome with each zone's per-EV schedules of its accepted answer (which stay in the zone). */
export interface NegotiatedPlan {
  negotiation: NegotiationResult;
  /** Per zone (the setup's order): the per-EV schedules of its last accepted answer, over its party's fleet. */
  schedules: EvSchedules[];
  /** The DSO's state after the last round (its method's, and the limits it tightened): what the next window starts from. */
  checkpoint: NegotiationCheckpoint | null;
}

/**
 * A negotiation with every zone answering in process from its party (as `inProcessZoneClients`),
 * each zone keeping the per-EV schedules of its answers: the plan its EVs then follow.
 */
export async function negotiateInProcess(
  setup: NegotiationSetup, parties: readonly ZoneParty[], opts: { onRound?: (r: RoundRecord) => void; /** The DSO's state to begin from instead of a cold start (`windowStart`). */ startFrom?: NegotiationCheckpoint } = {},
): Promise<NegotiatedPlan> {
  const kept = parties.map(() => new WeakMap<Float64Array, EvSchedules>());
  const clients: ZoneClient[] = parties.map((party, k) => {
    const ctx = { exporter: new LpExporter(undefined), rng: createRng(party.config.seed).fork(`zone${party.config.id}`) };
    return {
      zoneId: party.config.id,
      async solve(signal) {
        try {
          const answer = await party.policy.respond(party.problem, signal, ctx);
          kept[k].set(answer.evKw, answer.schedules);
          return { status: 'replied', answer: zoneReportOf(answer) };
        } catch (e) {
          return { status: 'error', detail: (e as Error).message };
        }
      },
    };
  });
  let checkpoint: NegotiationCheckpoint | null = null;
  const negotiation = await negotiate(setup, clients, {
    onRound: opts.onRound,
    onCheckpoint: (cp) => { checkpoint = cp; },
    ...(opts.startFrom ? { resume: { checkpoint: opts.startFrom, rounds: [] } } : {}),
  });
  const schedules = negotiation.answers.map((a, k) => {
    const s = a && kept[k].get(a.evKw);
    if (!s) throw new ZonalError(`zone ${parties[k].config.id} has no accepted answer to schedule its EVs by`, 'rolling');
    return s;
  });
  return { negotiation, schedules, checkpoint };
}

/**
 * How a window's negotiation starts (issue 12 item 5). `clearing` (the default): ADMM's own start —
 * the DSO's clearing of the zones' window bids, y⁰ and u⁰ = λ⁰/ρ from it — with the clearing's cost
 * as round 0's, so a window whose zones answer the clearing as they bid agrees in one round instead
 * of two (the first round's cost change is measured from the clearing, not from nothing).
 * `carried`: the last negotiation's y, u and ρ themselves, the past held (`carryMethodState`);
 * measured on `default` (README, "Rolling horizon") it took more rounds and more delivery re-plans
 * than a fresh clearing, since each window's bids move under it (new EVs, the forecast replaced by
 * what came), and is kept to be measured against. Starting the clearing's successive LP from the
 * last window's loss estimate was measured too: a slightly different fixed point, whose delivered
 * points broke the lateral's rating in three more windows. `cold`: the method initialised as any
 * negotiation starts. Every start keeps the ratings the DSO tightened.
 */
export type WindowStartMode = 'clearing' | 'carried' | 'cold';

/**
 * The DSO's start for the window from boundary `k`, from its state after the last negotiation
 * (`last`, that negotiation's last checkpoint), on its model with the ratings it tightened there
 * where a delivered point broke them (`last`'s ratingScale; cleared for the periods before `k`,
 * which are history). The DSO keeps what it learned of where the zones' EVs draw: started cold,
 * every window re-learned it, and on the default scenario the lateral 19–22 then took more re-plans
 * than a negotiation allows (measured: windows from 03:00 and 05:00 stopped with their delivered
 * point still over its rating). Undefined, a cold start, before any window negotiated.
 */
export async function windowStart(setup: NegotiationSetup, last: NegotiationCheckpoint | null, k: number, mode: WindowStartMode = 'clearing'): Promise<NegotiationCheckpoint | undefined> {
  if (!last) return undefined;
  const scale = last.ratingScale;
  const ratingScale = {
    branch: scale.branch.map((b, t) => (t < k ? b.map(() => 1) : Float64Array.from(b))),
    substation: scale.substation.map((v, t) => (t < k ? 1 : v)),
    voltageMarginPu: scale.voltageMarginPu.map((v, t) => (t < k ? v.map(() => 0) : Float64Array.from(v))),
  };
  const model: NegotiationSetup = { ...setup, inputs: { ...setup.inputs, ratingScale } };
  const zoneIds = setup.zones.map((z) => z.id), T = setup.inputs.grid.periods;
  let methodState: unknown = mode === 'carried' ? carryMethodState(setup, last, k) : mode === 'clearing' ? await warmClearing(model) : null;
  if (!methodState) {
    const method = createMethod(setup.scenario.negotiation.method, model);
    await method.initialise();
    methodState = method.snapshot();
  }
  const y = (methodState as Partial<AdmmState>).y;
  return {
    version: CHECKPOINT_VERSION, method: setup.scenario.negotiation.method, round: 0, zoneIds, methodState,
    answers: zoneIds.map(() => null), targetKw: zoneIds.map(() => new Float64Array(T)),
    incidents: [], deliveryChecks: [], unmovedSince: zoneIds.map(() => 1),
    dsoEvKw: y?.length === zoneIds.length ? y.map((v) => Float64Array.from(v)) : zoneIds.map(() => new Float64Array(T)),
    converged: false, stalled: false, deliveryUnmet: false, unanswered: [], ratingScale, elapsedMs: 0,
  };
}

/** ADMM's state as `createAdmm`'s snapshot holds it (methods/admm.ts). */
interface AdmmState { rho: number; y: Float64Array[]; u: Float64Array[]; lossSqPu: Float64Array[] | null; lastCost: number | null; tangentScaleKw: number }

/**
 * ADMM's start as its `initialise` makes it (the DSO's clearing of the zones' bids at their declared
 * marginal costs: y⁰ their power, u⁰ = λ⁰/ρ from the duals of the envelope links) on `model`, with
 * the clearing's cost (eq 1 + the bids' degradation) as the last cost the first round's change is
 * measured from. Null for another method (it starts cold).
 */
async function warmClearing(model: NegotiationSetup): Promise<AdmmState | null> {
  if (model.scenario.negotiation.method !== 'admm') return null;
  const fresh = createMethod('admm', model).snapshot() as AdmmState;
  const dt = model.inputs.grid.dtH, rho = fresh.rho;
  let terms: Array<ReturnType<typeof addZoneTerms>> = [];
  let u: Float64Array[] = [], degradationYuan = 0;
  const d = await runDispatch(model.inputs, {
    flexible: model.zones.map((z) => z.flexible),
    extend: (built) => { fixDsoPast(built, model.past); terms = model.zones.map((z, i) => addZoneTerms(built, z, i)); },
    onSolved: (_built, sol) => {
      u = terms.map((x) => Float64Array.from(x.linkRows, (r) => sol.dual(r) / dt / rho));
      degradationYuan = terms.reduce((a, x) => a + x.cols.reduce((b, c) => b + x.coef * sol.value(c), 0), 0);
    },
  });
  return { ...fresh, y: d.flexKw.map((a) => Float64Array.from(a)), u, lossSqPu: d.lossSqPu, lastCost: d.costs.totalYuan + degradationYuan };
}

/**
 * The last negotiation's ADMM state as the start of the window from `k` (`carried`), or null when it
 * cannot carry (another method, other zones: those start cold): each zone's DSO copy y within its
 * window flexibility (zero before `k`, where its EV power is metered fixed load), its scaled
 * multiplier u (zero before `k`: nothing to price), ρ, the loss estimate and the last round's cost.
 */
export function carryMethodState(setup: NegotiationSetup, last: NegotiationCheckpoint, k: number): AdmmState | null {
  if (setup.scenario.negotiation.method !== 'admm' || last.method !== 'admm') return null;
  if (last.zoneIds.join(',') !== setup.zones.map((z) => z.id).join(',')) return null;
  const s = last.methodState as AdmmState;
  const T = setup.inputs.grid.periods;
  if (!(s.rho > 0) || s.y?.length !== setup.zones.length || s.u?.length !== setup.zones.length) return null;
  const y = setup.zones.map((z, i) => Float64Array.from({ length: T }, (_, t) => (t < k ? 0 : Math.min(z.flexible.ubKw[t], Math.max(z.flexible.lbKw[t], s.y[i][t])))));
  const u = setup.zones.map((_z, i) => Float64Array.from({ length: T }, (_, t) => (t < k ? 0 : s.u[i][t])));
  return { ...s, y, u };
}

/** One window of the rolling negotiation, as the report lists it. */
export interface WindowRecord {
  /** First period of the window, and how many periods it commits. */
  startPeriod: number;
  periods: number;
  /** Whether it negotiated; it keeps the standing agreement when every zone's window is what that agreement expected. */
  replanned: boolean;
  /** Zones whose window was not what the standing agreement expected (why it negotiated). */
  offPlanZones: number[];
  method: string | null;
  rounds: number;
  converged: boolean;
  stoppedBy: string | null;
  /** What went wrong in its negotiation, when something did: stalled, a delivered point that kept breaking a limit, zones that never gave an acceptable answer, and the incidents (round, zone, what). */
  stalled: boolean;
  deliveryUnmet: boolean;
  unanswered: number[];
  incidents: string[];
  /** Rounds at which the zones agreed on a point their EVs deliver past a limit, and what the DSO tightened (NegotiationResult.deliveryChecks). */
  deliveryChecks: NegotiationResult['deliveryChecks'];
  /** Agreed keeping the delivered point's soft-limit violations once re-planning stopped lowering its cost (NegotiationResult.deliveryKept). */
  deliveryKept: NegotiationResult['deliveryKept'];
  /** The window's estimate of the whole day's cost: its AC-checked dispatch (realised past, planned rest) + its EV degradation + penalties (yuan). */
  dayCostYuan: number;
  /** EVs in the window's fleets: realised ones present (or known: parked across 00:00), forecast sessions still to come. */
  realisedEvs: number;
  forecastEvs: number;
  /** Energy short of their targets that EVs which waited for the window can no longer get (kWh). */
  cappedKwh: number;
  /** Wall-clock time of the window, from building the zones' windows to committing its periods (s). */
  seconds: number;
}

export interface RollingOptions {
  /** Negotiate at every `everyPeriods`-th boundary. */
  everyPeriods: number;
  /** Negotiate at every window even when no zone deviated from the standing agreement (the tests' check of the window model). */
  replanAlways?: boolean;
  /** Start every window's negotiation on the DSO's untightened model, forgetting the ratings it tightened in the last one (`windowStart`). */
  coldStart?: boolean;
  /** How each window's method starts (`WindowStartMode`; default `clearing`, warm from the last negotiation). */
  start?: WindowStartMode;
  /** Keep each zone's window records and each window's negotiation (tests, audits). */
  keepRecords?: boolean;
  onRound?: (window: number, r: RoundRecord) => void;
  onWindow?: (w: WindowRecord) => void;
}

export interface RollingResult {
  zones: RollingZone[];
  windows: WindowRecord[];
  /** With keepRecords: each window's negotiation (null where the standing agreement was kept), and the agreement's AC-checked dispatch. */
  negotiations: Array<{ startPeriod: number; negotiation: NegotiationResult | null; agreement: Evaluation }>;
  /** What the DSO dispatched, per unit and period: its diesel and PV / wind outputs over the day. */
  dispatched: DsoPast;
  /** The realised day: the feeder dispatched with the zones' realised EV power per bus and the DERs as dispatched, AC-checked. */
  evaluation: Evaluation;
  /** The realised cost: eq 1 + EV degradation + soft-limit penalties (yuan). */
  costYuan: number;
  shortfalls: Shortfall[];
  /** Every window that negotiated converged. */
  converged: boolean;
}

/**
 * The zones of a rolling run as the DSO reaches them (issue 12 item 5): in process (`inProcessRollingZones`)
 * or over a transport (libs/agents). Each call goes to every zone, in the DSO's zone order.
 */
export interface RollingZones {
  /** Every zone opens its window from boundary `k`: its window announce and metered past. */
  open(k: number): Promise<WindowAnnounce[]>;
  /** The window's zone clients, for the DSO's model of the window (`setup`). */
  clients(setup: NegotiationSetup): ZoneClient[];
  /** Periods k .. k + periods − 1 happen, each zone under its plan; the degradation each zone's EVs have cost so far (yuan). */
  commit(k: number, periods: number, plans: readonly WindowPlan[]): Promise<number[]>;
  /** The day is over: each zone's realised day. */
  finish(): Promise<RealisedZoneDay[]>;
}

/** The zones of a rolling run in process: each a `RollingZoneSide` over its own `RollingZone`. */
export function inProcessRollingZones(sides: readonly RollingZoneSide[]): RollingZones {
  return {
    async open(k) { return sides.map((z) => z.open(k)); },
    clients(setup) {
      return sides.map((z, i) => ({
        zoneId: setup.zones[i].id,
        async solve(signal) {
          try {
            return { status: 'replied', answer: zoneReportOf(await z.solve(signal)) };
          } catch (e) {
            return { status: 'error', detail: (e as Error).message };
          }
        },
      }));
    },
    async commit(k, periods, plans) { return Promise.all(sides.map((z, i) => z.commit(k, periods, plans[i]))); },
    async finish() { return sides.map((z) => z.finish()); },
  };
}

/**
 * The rolling-horizon negotiation (issue 12 item 1), the DSO as coordinator and the zones as parties
 * with their own state (`RollingZone`), in process. It starts from the day-ahead agreement
 * (`dayAhead`, negotiated on the zones' forecasts). At boundary k = 0, K, 2K, … every zone builds its
 * window (realised EVs present with the energy they hold, forecast sessions still to come, its
 * realised past as fixed load) and the DSO negotiates the whole day again with every period before k
 * held at what was realised (its DER outputs: `DsoPast`; the zones' EV power: fixed load per bus), so
 * the carbon ladder on the day's total, the capacity charge on the day's peak and the energy bought
 * so far stay in one model. When no zone's window departs from what the standing agreement expected,
 * that agreement stands (the window's problem is the last one with more of its own point fixed, so
 * negotiating again could only find that point within the method's tolerance). Periods k .. k+K−1
 * are then realised: the DSO dispatches its DERs as agreed, each zone applies its plan to its
 * realised EVs. The DSO's side is `runRollingDso`, the same over NATS.
 */
export async function runRolling(sim: SimSetup, dayAhead: NegotiatedPlan, realised: readonly RealisedDay[], opts: RollingOptions): Promise<RollingResult> {
  const zones = sim.parties.map((p, k) => {
    const day = realised.find((r) => r.zoneId === p.config.id);
    if (!day) throw new ZonalError(`no realised day for zone ${p.config.id}`, 'rolling');
    const z = new RollingZone(p, day, { keepRecords: opts.keepRecords });
    z.adoptDayAhead(dayAhead.schedules[k]);
    return z;
  });
  const dso = await runRollingDso(sim, dayAhead.negotiation.evaluation, inProcessRollingZones(zones.map((z) => new RollingZoneSide(z))), opts);
  return { ...dso, zones, shortfalls: zones.flatMap((z) => z.shortfalls()) };
}

/** What the DSO's side of a rolling run ends with (`runRollingDso`). */
export type RollingDsoResult = Omit<RollingResult, 'zones' | 'shortfalls'> & { zoneDays: RealisedZoneDay[] };

/**
 * The DSO's side of the rolling run (issue 12 items 1 and 5), over any `RollingZones`: at each
 * boundary the zones' window announces, the negotiation of the window (or the standing agreement,
 * when every zone is on plan), the commit of its periods (the DSO's DERs as agreed, each zone under
 * the answer of its the DSO accepted), and at the end the realised day, AC-checked with every zone's
 * reported EV power at its buses. `network`: the DSO's own network and its day-ahead model of the
 * zones (`dayAhead`: the day-ahead agreement's evaluation, the plan until the first window).
 */
export async function runRollingDso(network: NegotiationSetup, dayAhead: Evaluation, zones: RollingZones, opts: RollingOptions): Promise<RollingDsoResult> {
  const { inputs } = network;
  const T = inputs.grid.periods, K = opts.everyPeriods;
  checkEveryPeriods(K, T);
  const dispatched: DsoPast = {
    periods: 0,
    dieselKw: inputs.diesels.map(() => new Float64Array(T)),
    renewableKw: inputs.renewables.map(() => new Float64Array(T)),
  };
  let agreement = dayAhead;
  // The day-ahead's learning is of the forecast's EVs: the first window learns its own.
  let dsoState: NegotiationCheckpoint | null = null;
  const windows: WindowRecord[] = [];
  const negotiations: RollingResult['negotiations'] = [];
  for (let k = 0; k < T; k += K) {
    const t0 = performance.now();
    const views = await zones.open(k);
    const offPlan = views.flatMap((v) => (v.onPlan ? [] : [v.zoneId]));
    let n: NegotiationResult | null = null;
    let plans: WindowPlan[] = views.map(() => ({ kind: 'standing' }));
    if (opts.replanAlways || offPlan.length) {
      const setup = dsoWindowSetup(network, views, { ...dispatched, periods: k });
      const resume = opts.coldStart ? undefined : await windowStart(setup, dsoState, k, opts.start);
      let checkpoint: NegotiationCheckpoint | null = null;
      n = await negotiate(setup, zones.clients(setup), {
        onRound: (r) => opts.onRound?.(k, r),
        onCheckpoint: (cp) => { checkpoint = cp; },
        ...(resume ? { resume: { checkpoint: resume, rounds: [] } } : {}),
      });
      dsoState = checkpoint;
      plans = setup.zones.map((_z, i) => acceptedPlan(n!, i));
      agreement = n.evaluation;
    }
    const to = Math.min(k + K, T);
    const s = agreement.dispatch.schedule;
    for (let t = k; t < to; t++) {
      dispatched.dieselKw.forEach((kw, g) => { (kw as Float64Array)[t] = s.dieselKw[g][t]; });
      dispatched.renewableKw.forEach((kw, u) => { (kw as Float64Array)[t] = s.renewableKw[u][t]; });
    }
    dispatched.periods = to;
    const pastDegradation = (await zones.commit(k, K, plans)).reduce((a, x) => a + x, 0);
    const w: WindowRecord = {
      startPeriod: k, periods: to - k, replanned: n !== null, offPlanZones: offPlan,
      method: n?.method ?? null, rounds: n?.rounds.length ?? 0, converged: n ? n.converged : true, stoppedBy: n?.stoppedBy ?? null,
      stalled: n?.stalled ?? false, deliveryUnmet: n?.deliveryUnmet ?? false, deliveryChecks: n?.deliveryChecks ?? [], deliveryKept: n?.deliveryKept ?? null,
      unanswered: n?.unanswered ?? [], incidents: (n?.incidents ?? []).map((i) => `round ${i.round}, zone ${i.zoneId}, ${i.status}: ${i.detail}`),
      dayCostYuan: n ? n.evaluation.totalCostYuan + n.evaluation.dispatch.costs.penaltyYuan + pastDegradation : NaN,
      realisedEvs: views.reduce((a, v) => a + v.realisedEvs, 0),
      forecastEvs: views.reduce((a, v) => a + v.forecastEvs, 0),
      cappedKwh: views.reduce((a, v) => a + v.cappedKwh, 0),
      seconds: (performance.now() - t0) / 1000,
    };
    windows.push(w);
    if (opts.keepRecords) negotiations.push({ startPeriod: k, negotiation: n, agreement });
    opts.onWindow?.(w);
  }
  const zoneDays = await zones.finish();
  const evaluation = await evaluateRealisedDay(network, zoneDays, dispatched);
  return {
    windows, negotiations, dispatched, evaluation, zoneDays,
    costYuan: evaluation.totalCostYuan + evaluation.dispatch.costs.penaltyYuan,
    converged: windows.every((w) => w.converged),
  };
}

/**
 * The plan of zone `i` once a window's negotiation ended: the answer of its the DSO accepted last
 * (the last round it replied in and was not refused), or its own when it gave none (it timed out or
 * failed every round: SPEC §9, the window goes on without it, reported in the window's record).
 */
function acceptedPlan(n: NegotiationResult, i: number): WindowPlan {
  for (let r = n.rounds.length - 1; r >= 0; r--) if (n.rounds[r].zones[i].status === 'replied') return { kind: 'agreed', round: n.rounds[r].round };
  return { kind: 'own' };
}

/**
 * The DSO's model for the window from boundary `past.periods`: its network with the zones' metered
 * EV power as fixed load in the past periods, its own DERs held there at what it dispatched, and the
 * zones as their window announces describe them.
 */
export function windowSetup(sim: SimSetup, views: readonly ZoneWindow[], past: DsoPast): NegotiationSetup {
  return dsoWindowSetup(sim, views.map((v) => ({ announce: announceOf(v.party), pastBusEvKw: v.pastBusEvKw })), past);
}

/** `windowSetup` from the zones' window announces, as the DSO holds them (in process or over a transport). */
export function dsoWindowSetup(network: NegotiationSetup, views: ReadonlyArray<Pick<WindowAnnounce, 'announce' | 'pastBusEvKw'>>, past: DsoPast): NegotiationSetup {
  const { zones: _zones, ...rest } = network;
  const { parties: _parties, partition: _partition, ...own } = rest as typeof rest & Partial<Pick<SimSetup, 'parties' | 'partition'>>;
  checkDsoPast(network.inputs, past);
  const windowNetwork: DsoNetwork = { ...own, inputs: withPastLoad(network, views.map((v) => v.pastBusEvKw), past.periods), past };
  return negotiationSetup(windowNetwork, views.map((v) => v.announce));
}

/** The DSO's inputs with EV power per bus (kW, per period) added to the fixed load of the periods before `k`. */
export function withPastLoad(sim: NegotiationSetup, byZone: ReadonlyArray<Map<number, Float64Array>>, k: number): DispatchInputs {
  const { inputs, feeder } = sim;
  const loadPKw = inputs.loadPKw.map((row) => Float64Array.from(row));
  const evPKw = inputs.evPKw.map((row) => Float64Array.from(row));
  for (const byBus of byZone) {
    for (const [bus, kw] of byBus) {
      const j = busPosition(feeder, bus, `EV power at bus ${bus}`);
      for (let t = 0; t < k; t++) { loadPKw[t][j] += kw[t]; evPKw[t][j] += kw[t]; }
    }
  }
  return { ...inputs, loadPKw, evPKw };
}

/**
 * A realised day's cost: the feeder dispatched with every zone's realised EV power at its buses and
 * the DSO's DERs as it dispatched them (`dispatched`, all periods), AC-checked; EV degradation on
 * the energy the realised EVs discharged, at each zone's declared price.
 */
export async function evaluateRealised(sim: NegotiationSetup, zones: readonly RollingZone[], dispatched: DsoPast): Promise<Evaluation> {
  return evaluateRealisedDay(sim, zones.map((z) => ({ busEvKw: z.busEvKw(), degradationYuan: z.dischargedKwh() * z.forecast.problem.degradationYuanPerKwh })), dispatched);
}

/** `evaluateRealised` from what each zone reports of its day (`RealisedZoneDay`), in the setup's zone order. */
export async function evaluateRealisedDay(sim: NegotiationSetup, days: ReadonlyArray<Pick<RealisedZoneDay, 'busEvKw' | 'degradationYuan'>>, dispatched: DsoPast): Promise<Evaluation> {
  const T = sim.inputs.grid.periods;
  const busEvKw = days.map((d) => [...d.busEvKw].map(([bus, kw]) => ({ bus, kw })));
  const zoneEvKw = busEvKw.map((b) => Float64Array.from({ length: T }, (_, t) => b.reduce((a, x) => a + x.kw[t], 0)));
  const degradation = days.reduce((a, d) => a + d.degradationYuan, 0);
  return evaluateSchedules({ ...sim, past: { ...dispatched, periods: T } }, zoneEvKw, degradation, { busEvKw });
}

export function checkEveryPeriods(K: number, T: number): void {
  if (!Number.isInteger(K) || K < 1 || K > T) throw new InputError(`must be an integer in [1, ${T}] (the day's periods), got ${K}`, 'negotiation.horizon.everyPeriods');
}
