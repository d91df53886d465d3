import { ZonalError } from '@zonal/core';
import { checkSchedules, disaggregateGroups, gridLoadKw, prepareGroupDisaggregation, type Disaggregation, type EvSchedules } from '@zonal/ev';
import { ModelBuilder, solve, type Solution } from '@zonal/solver';
import { busGroupsOf, type BusGroups } from './bus-groups';
import { addEnvelopeGroups, type EnvelopeGroup, type EnvelopeVars } from './envelope-model';
import type { DsoSignal, PolicyContext, ZoneAnswer, ZoneBid, ZoneDeliveryFigures, ZoneProblem } from './policy';

/**
 * The zone's own model in the negotiation, shared by the policies: its fleet envelope, its net load
 * per period, its peak tie-break (SPEC §7) and the DSO's signal terms (SPEC §8). A policy adds its
 * objective terms through `objective` and solves with `solveZone`.
 */
export interface ZoneModel {
  model: ModelBuilder;
  env: EnvelopeVars;
  /**
   * evKw[t] = grid-side power of the zone's flexible resources (its EVs, and whatever `flex` adds),
   * an explicit column so coordination terms stay diagonal.
   */
  evKw: number[];
  peakKw: number;
  /** What `ZoneModelOptions.flex` added, in that order. */
  flex: Flexibility[];
  /** The envelope groups the model holds (`env.groups` in this order): the zone's, or split by bus under the DSO's caps. */
  groups: readonly EnvelopeGroup[];
}

/**
 * Flexibility a policy models beside the envelope groups (per-EV rows, stationary storage): its
 * grid-side power per period as model terms, and how far it can move evKw (for finite bounds).
 */
export interface Flexibility {
  /** Grid-side power of period t = Σ coefs · cols (charging positive). */
  gridTerms(t: number): { cols: number[]; coefs: number[] };
  /** The most it can draw and give back per period, grid side (kW, both >= 0). */
  drawMaxKw: ArrayLike<number>;
  giveMaxKw: ArrayLike<number>;
}

export interface ZoneModelOptions {
  /**
   * Grid-side power of EVs whose schedules are fixed before the solve (users who do not take part,
   * charging uncoordinated), kW per period: part of evKw, so targets and coordination terms see the
   * zone's whole EV power, but nothing to decide.
   */
  fixedKw?: ArrayLike<number>;
  /** Builders of flexibility beside the envelope groups, each called once on the model. */
  flex?: ReadonlyArray<(m: ModelBuilder) => Flexibility>;
  /**
   * The zone whose own fleet `zone.envelopeGroups` are the groups of (not a part of it): given, the
   * model keeps the DSO's caps on the EVs at some of its buses (DsoSignal.evCaps), its groups split
   * by those buses (bus-groups.ts) and `solveZone` disaggregating them. A policy that models a part
   * of its fleet, or disaggregates `env.groups` itself, leaves it out and the caps aside.
   */
  evCapsFor?: ZoneProblem;
}

export function buildZoneModel(zone: ZoneBid, signal: DsoSignal, name = `zone${zone.zoneId}`, opts: ZoneModelOptions = {}): ZoneModel {
  const { grid, envelope, eta } = zone;
  const T = grid.periods, dt = grid.dtH;
  const m = new ModelBuilder(name);
  // Under the DSO's caps on the EVs at some buses, the groups are split by bus so the model knows
  // where each draws (each part exact for its EVs, as the whole group is for its).
  const byBus = signal.evCaps?.length && opts.evCapsFor ? busGroupsOf(opts.evCapsFor, signal.evCaps.flatMap((c) => c.buses)) : null;
  const groups = byBus ? byBus.groups : zone.envelopeGroups;
  const env = addEnvelopeGroups(m, groups, eta, grid);
  const flex = (opts.flex ?? []).map((build) => build(m));
  // Every variable gets finite bounds: HiGHS's QP solver needs them (SPEC §8) when ADMM adds ρ/2‖·‖².
  const evKw: number[] = [];
  const loKw = new Float64Array(T), hiKw = new Float64Array(T);
  let peakHi = 0, peakLo = Infinity;
  for (let t = 0; t < T; t++) {
    const fixed = opts.fixedKw?.[t] ?? 0;
    loKw[t] = fixed - envelope.pDischargeMaxGridKw[t] - flex.reduce((a, f) => a + f.giveMaxKw[t], 0);
    hiKw[t] = fixed + envelope.pChargeMaxGridKw[t] + flex.reduce((a, f) => a + f.drawMaxKw[t], 0);
    const x = m.addVar('evGrid', [t], { lb: loKw[t], ub: hiKw[t] });
    const terms = [env.gridTerms(t), ...flex.map((f) => f.gridTerms(t))];
    const cols = terms.flatMap((g) => g.cols), coefs = terms.flatMap((g) => g.coefs);
    m.addConstraint('evGridDef', [t], [x, ...cols], [1, ...coefs.map((c) => -c)], '=', fixed);
    evKw.push(x);
    peakHi = Math.max(peakHi, zone.baseNetLoadKw[t] + hiKw[t]);
    peakLo = Math.min(peakLo, zone.baseNetLoadKw[t] + loKw[t]);
  }
  const peakKw = m.addVar('peak', [], { lb: Math.min(peakLo, 0), ub: Math.max(peakHi, 0) });
  for (let t = 0; t < T; t++) m.addConstraint('peakDef', [t], [peakKw, evKw[t]], [1, -1], '>=', zone.baseNetLoadKw[t]);
  m.setObjectiveCoef(peakKw, zone.peakTieBreakYuanPerKw);
  for (let t = 0; t < T; t++) m.setObjectiveCoef(env.dischargeKw.at(t), zone.degradationYuanPerKwh * dt);
  addSignalTerms(m, zone, signal, evKw, loKw, hiKw);
  if (byBus) addEvCaps(m, signal.evCaps!, byBus, env, eta, T, dt);
  return { model: m, env, evKw, peakKw, flex, groups };
}

/** Each cap as one row per period: the grid-side power of the groups at its buses within maxKw. */
function addEvCaps(m: ModelBuilder, caps: NonNullable<DsoSignal['evCaps']>, byBus: BusGroups, env: EnvelopeVars, eta: number, T: number, dtH: number): void {
  caps.forEach((cap, c) => {
    const at = new Set(cap.buses);
    const parts = env.groups.filter((_g, k) => at.has(byBus.busOf[k]));
    for (let t = 0; t < T; t++) {
      if (!Number.isFinite(cap.maxKw[t])) continue;
      const cols: number[] = [], coefs: number[] = [];
      for (const g of parts) {
        if (g.chargeCols[t] >= 0) { cols.push(g.chargeCols[t]); coefs.push(1 / eta); }
        if (g.dischargeCols[t] >= 0) { cols.push(g.dischargeCols[t]); coefs.push(-eta); }
      }
      if (cols.length === 0) continue;
      // Soft, at a price above any energy price: a cap the EVs' needs cannot meet is exceeded where
      // it must be (the DSO's delivery check then sees it), not an infeasible zone.
      const over = m.addVar('evCapOver', [c, t], { lb: 0, ub: cols.length * 1e6 });
      m.setObjectiveCoef(over, EV_CAP_PENALTY_YUAN_PER_KWH * dtH);
      m.addConstraint('evCap', [c, t], [...cols, over], [...coefs, -1], '<=', cap.maxKw[t]);
    }
  });
}

/** What a zone pays in its own model per kWh its EVs draw beyond a cap of the DSO's. */
const EV_CAP_PENALTY_YUAN_PER_KWH = 50;

/**
 * The DSO's signal terms (SPEC §8) on a zone's evKw columns, whose bounds per period are loKw..hiKw
 * (for the finite bounds of the penalty and proximal columns).
 */
export function addSignalTerms(m: ModelBuilder, zone: ZoneBid, signal: DsoSignal, evKw: number[], loKw: Float64Array, hiKw: Float64Array): void {
  const T = zone.grid.periods, dt = zone.grid.dtH;
  if (signal.targetKw && signal.excessPenaltyYuanPerKwh !== undefined) {
    // One-sided penalty on consumption above PZ (SPEC §8, seed 001 scheme with w_cg).
    for (let t = 0; t < T; t++) {
      const room = Math.abs(hiKw[t]) + Math.abs(zone.baseNetLoadKw[t]) + Math.abs(signal.targetKw[t]);
      const excess = m.addVar('excess', [t], { lb: 0, ub: room });
      m.addConstraint('excessDef', [t], [excess, evKw[t]], [1, -1], '>=', zone.baseNetLoadKw[t] - signal.targetKw[t]);
      m.setObjectiveCoef(excess, signal.excessPenaltyYuanPerKwh * dt);
    }
  }
  if (signal.consensus) {
    const { referenceKw, lambdaYuanPerKwh, rho } = signal.consensus;
    // Augmented-Lagrangian terms per period, weighted by dt like every energy term:
    // dt·(λ·x + ρ/2 (x − ref)²). The quadratic is the convex piecewise-linear envelope of its
    // tangents at ref ± a: HiGHS's active-set QP took minutes on anchored-envelope zone models
    // (255 s for one 1342-EV zone), the LP takes milliseconds; the tangents are dense near ref,
    // where a converging negotiation's answers lie (error ρ·δ²/8 for tangent spacing δ).
    const limit = hiKw.reduce((a, v) => Math.max(a, Math.abs(v)), 0) + loKw.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    for (let t = 0; t < T; t++) {
      m.setObjectiveCoef(evKw[t], dt * lambdaYuanPerKwh[t]);
      const s = m.addVar('prox', [t], { lb: 0, ub: rho * (limit + Math.abs(referenceKw[t]) + 1) ** 2 });
      m.setObjectiveCoef(s, dt);
      ZONE_TANGENT_OFFSETS_KW.forEach((a, i) => {
        // s ≥ ρ/2·a² + ρ·a·(x − ref − a), the tangent at x = ref + a.
        m.addConstraint('proxTan', [t, i], [s, evKw[t]], [1, -rho * a], '>=', -rho * a * (referenceKw[t] + a) + (rho / 2) * a * a);
      });
    }
  }
}

/** Tangent offsets (kW) around the reference: 0, ±0.01·2^k up to ±10 MW. */
const ZONE_TANGENT_OFFSETS_KW = [0, ...Array.from({ length: 21 }, (_, k) => 0.01 * 2 ** k).flatMap((a) => [a, -a])];

/**
 * The energy prices a zone pays in its answer: under consensus ADMM the DSO's multiplier λ prices
 * the zone's energy (it is in the consensus terms), so no tariff is added on top; otherwise the
 * DSO's prices, or the zone's own tariff.
 */
export function energyPrices(zone: ZoneProblem, signal: DsoSignal): Float64Array {
  if (signal.consensus) return new Float64Array(zone.grid.periods);
  return signal.priceYuanPerKwh ?? zone.tariffYuanPerKwh;
}

/** Energy cost at `prices` of the zone's net load, plus degradation on discharged energy. */
export function zoneCostYuan(zone: ZoneBid, prices: Float64Array, netLoadKw: Float64Array, dischargeKw: Float64Array): number {
  let cost = 0;
  for (let t = 0; t < zone.grid.periods; t++) {
    cost += (prices[t] * netLoadKw[t] + zone.degradationYuanPerKwh * dischargeKw[t]) * zone.grid.dtH;
  }
  return cost;
}

/**
 * Solves a zone model and hands each envelope group's schedule to that group's own EVs
 * (`deliverToEvs`): the answer is what the EVs will draw, not the envelope's aggregate.
 */
export async function solveZone(zm: ZoneModel, zone: ZoneProblem, prices: Float64Array, ctx: PolicyContext, probe?: StepProbe): Promise<{ sol: Solution; answer: ZoneAnswer }> {
  const solving = solveZoneModel(zm, ctx);
  // Its failure is thrown by the await below; until then it must not count as unhandled.
  solving.catch(() => undefined);
  // While HiGHS solves on its worker thread, this thread, which would only wait, prepares the
  // disaggregation (the fleet's sessions, the answer's arrays mapped: 0.4 s of a million EVs).
  // One turn of the event loop first, so the job has gone to the worker.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const prepared = prepareGroupDisaggregation(zone.fleet, zone.grid, zm.groups.map((g) => ({ evs: g.evs ?? [] })));
  const { sol, groupBatteryKw } = await solving;
  probe?.('lp-solve');
  return { sol, answer: delivered(zone, prepared.disaggregate(groupBatteryKw), groupBatteryKw, prices, sol.objective, probe) };
}

function groupsOf(zone: ZoneProblem): Array<{ evs: ArrayLike<number> }> {
  return zone.envelopeGroups.map((g) => ({ evs: g.evs ?? [] }));
}

/**
 * Called as each step of a zone's answer ends (a benchmark's stopwatch; the steps are synchronous,
 * so nothing else can time them): the LP solve, the disaggregation, the feasibility check, and the
 * sums of the answer (per bus and in all).
 */
export type StepProbe = (step: 'lp-solve' | 'disaggregation' | 'check' | 'sums') => void;

/**
 * Solves a zone model (exported first, SPEC §2) and reads each envelope group's net battery-side
 * schedule per day period, for a policy that hands them to its EVs itself.
 */
export async function solveZoneModel(zm: ZoneModel, ctx: PolicyContext): Promise<{ sol: Solution; groupBatteryKw: Float64Array[] }> {
  // The zone's basis of the round before (the same negotiation's), carried over when the model's shape changed.
  const start = ctx.memory?.startFor(zm.model, zm.groups);
  const sol = await solve(zm.model, {
    exportLp: ctx.exporter.enabled && !zm.model.isQuadratic ? ctx.exporter : undefined,
    warmStart: start?.basis,
    // From round to round a zone's model changes its objective (the DSO's targets and prices) and
    // little else: its last basis stays primal feasible, and primal simplex goes on from it (the
    // default scenario's round 2: 10-13 iterations a zone against 269-538 by dual simplex; a basis
    // carried to a new shape 711 against 1 827).
    warmSimplex: 'primal',
  });
  ctx.memory?.keep(zm.model, zm.groups, sol.basis);
  const at = (col: number): number => (col >= 0 ? sol.value(col) : 0);
  const groups = zm.env.groups, T = zm.evKw.length;
  // One buffer for every group's schedule (thousands of groups a zone, every round: small arrays of their own cost the collector).
  const flat = new Float64Array(groups.length * T);
  const groupBatteryKw = groups.map((g, k) => {
    const kw = flat.subarray(k * T, (k + 1) * T);
    for (let t = 0; t < T; t++) kw[t] = at(g.chargeCols[t]) - at(g.dischargeCols[t]);
    return kw;
  });
  return { sol, groupBatteryKw };
}

/**
 * What the zone's EVs will do (SPEC §8 step 3): each envelope group's net battery-side schedule
 * (`groupBatteryKw[k]` for `zone.envelopeGroups[k]`) disaggregated to the group's own EVs
 * (`disaggregateGroups`: never breaks an EV, tracks as closely as it can), every EV's schedule proven
 * feasible from its own data (`checkSchedules`), and the answer's aggregate, cost and degradation
 * recomputed from those schedules. So an agreed aggregate is deliverable by construction; where the
 * envelopes promised more than the EVs can do, the answer is what they can (SPEC §6's re-offer), and
 * the gap is in `delivery.overKwh` / `shortfallKwh`. An EV schedule that fails the check is a bug in
 * the disaggregation, not the zone's choice: it is thrown, naming the EV, and the reply says so.
 */
export function deliverToEvs(zone: ZoneProblem, groupBatteryKw: ReadonlyArray<ArrayLike<number>>, prices: Float64Array, objective: number, probe?: StepProbe): ZoneAnswer {
  return delivered(zone, disaggregateGroups(zone.fleet, zone.grid, groupsOf(zone), groupBatteryKw), groupBatteryKw, prices, objective, probe);
}

/** The answer from a disaggregation `d` of the groups' schedules: deliverToEvs' after its disaggregation. */
function delivered(
  zone: ZoneProblem, d: Disaggregation, groupBatteryKw: ReadonlyArray<ArrayLike<number>>, prices: Float64Array, objective: number, probe?: StepProbe,
): ZoneAnswer {
  probe?.('disaggregation');
  const answer = answerFromSchedules(zone, d.schedules, prices, objective, { overKwh: d.overKwh, shortfallKwh: d.underKwh }, probe);
  return { ...answer, groupBatteryKw: copiedRows(groupBatteryKw) };
}

/** A copy of equal-length rows, as views of one buffer. */
function copiedRows(rows: ReadonlyArray<ArrayLike<number>>): Float64Array[] {
  const T = rows[0]?.length ?? 0;
  const flat = new Float64Array(rows.length * T);
  return rows.map((r, k) => {
    if (r.length !== T) return Float64Array.from(r);
    const row = flat.subarray(k * T, (k + 1) * T);
    row.set(r);
    return row;
  });
}

/**
 * A zone answer from per-EV schedules a policy built itself (battery side, fleet order): checked
 * feasible, summed grid side EV by EV with each EV's own eta, priced at `prices` plus degradation.
 * `tracking` is how far the schedules are from the aggregate the policy solved (0 when it scheduled
 * the EVs directly).
 */
export function answerFromSchedules(
  zone: ZoneProblem, schedules: EvSchedules, prices: Float64Array, objective: number,
  tracking: { overKwh: number; shortfallKwh: number } = { overKwh: 0, shortfallKwh: 0 }, probe?: StepProbe,
): ZoneAnswer {
  const check = checkSchedules(zone.fleet, zone.grid, schedules);
  probe?.('check');
  if (!check.ok) {
    throw new ZonalError(`${check.violationCount} EV schedule(s) of zone ${zone.zoneId} fail the feasibility check, e.g. ${check.violations[0]?.message}`, `zone ${zone.zoneId}`);
  }
  const { totalKw: evKw, byBusKw } = gridLoadKw(zone.fleet, schedules);
  const busEvKw = [...byBusKw].sort(([a], [b]) => a - b).map(([bus, kw]) => ({ bus, kw }));
  const netLoadKw = evKw.map((x, t) => x + zone.baseNetLoadKw[t]);
  let dischargedKwh = 0;
  for (let e = 0; e < schedules.dischargeKw.length; e++) dischargedKwh += schedules.dischargeKw[e] * zone.grid.dtH;
  const degradationYuan = zone.degradationYuanPerKwh * dischargedKwh;
  let energyYuan = 0;
  for (let t = 0; t < zone.grid.periods; t++) energyYuan += prices[t] * netLoadKw[t] * zone.grid.dtH;
  const delivery: ZoneDeliveryFigures = {
    evs: zone.fleet.size, evsScheduled: check.scheduledEvs, evsFeasible: check.scheduledEvs, evsLeftOut: check.leftOutEvs,
    overKwh: tracking.overKwh, shortfallKwh: tracking.shortfallKwh,
  };
  probe?.('sums');
  return { evKw, busEvKw, netLoadKw, costYuan: energyYuan + degradationYuan, degradationYuan, objective, schedules, delivery };
}
