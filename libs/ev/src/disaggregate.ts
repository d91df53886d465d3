import { InputError, ZonalError } from '@zonal/core';
import type { Fleet } from './fleet';
import { FlowNetwork } from './maxflow';
import { splitOneWindow } from './balanced-split';
import { allocateSchedules, type EvSchedules } from './schedules';
import { f64, fleetScratch, i32, Scratch, u8 } from './scratch';
import { chargeableKwh, neededKwh, problems, sessions, subsetSessions, type Sessions } from './session';
import type { EvProblem, TimeGrid } from './types';

/**
 * Disaggregation of an aggregate schedule to every EV (SPEC §6): (a) never breaks an EV's power,
 * energy or departure target, (b) tracks the aggregate as closely as it can, (c) reports the
 * shortfall per period. EVs that cannot be scheduled are left out and reported.
 *
 * Everything is one flow network in battery-side kWh (no losses on that side, so energy is conserved
 * and a flow is a schedule):
 *   source -> period t            the aggregate's charging energy P[t]*dt (P > 0)
 *   period t -> sink              the aggregate's discharging energy -P[t]*dt (P < 0)
 *   period t -> EV                charging, at most pChargeMax*dt per plugged period
 *   charge-only EV -> sink        its need (target - arrival energy), then optional room up to socMax
 *   V2G EV: a chain of one node per plugged period, storage edges carrying (stored - socMin) energy
 *   to the next period, discharge edges back to the period nodes, and the need/room edges at the end
 *   of the chain; energy above its target at arrival enters as a supply at the chain's start.
 * An exact disaggregation is a flow that saturates every source and sink edge.
 *
 * Goals, in order, by running max flow in stages (augmenting never lowers flow on source or sink
 * edges, so a goal met stays met): 1) aggregate energy to EV needs and to discharge requests;
 * 2) then to EVs' optional room; 3) an EV's surplus arrival energy that found no use is stored or, if
 * even that fails, spilled (reported as shortfall); 4) a need still unmet gets energy beyond the
 * aggregate (reported as negative shortfall). The first stage's first phase visits periods in time
 * order and each period's EVs earliest departure first: an EDF greedy; the later phases are the exact
 * max-flow completion (the max-flow check of SPEC §6, which also repairs what the greedy missed).
 *
 * Tracking is exact whenever an exact disaggregation exists. For a charge-only fleet the result also
 * minimises sum |shortfall| * dt (the in-aggregate flow is a maximum flow and the extra energy is the
 * least the targets force); for V2G fleets it matched the LP optimum in every random test so far, but
 * that is not proven. When nothing asks for discharge, V2G EVs are first tried as charge-only (small
 * network); if that is not exact, the full network with V2G chains decides. With `oneWayFirst`, a
 * network in which each period's EVs may only move energy in the aggregate's direction is tried
 * before the full one (an EV discharging into another's charging tracks as well, but loses energy
 * both ways on the grid side).
 *
 * Two shortcuts give the network's own answer, bit for bit, without building it, where they can
 * vouch for it (the tests hold them to the network): `flowByPhaseOne` replays the flow's first phase
 * when no augmenting path can be left after it (charge only), and `disaggregateGroups` takes the
 * groups of one plug-in window (a window grouping's: a million EVs in a few thousand groups) all at
 * once in fleet order. Where they cannot vouch, the network decides, except for a group of one
 * window that splitOneWindow (balanced-split.ts) splits exactly without it: another exact answer,
 * checked as it is built. At 1 000 000 EVs in 8 629 window-energy groups, 84% of the EVs go the
 * fleet-order way and 15% the split; the network only sees the groups with no EV to schedule (each
 * EV's target out of reach: 1% of the EVs).
 */
export interface Disaggregation {
  /** Battery-side charge and discharge per EV and plugged period; never both in one period. */
  schedules: EvSchedules;
  requestedKw: Float64Array;
  deliveredKw: Float64Array;
  /** requested - delivered: positive means the EVs took less than asked, negative more. */
  shortfallKw: Float64Array;
  /** Energy asked for and not delivered, and energy delivered beyond the request (kWh). */
  underKwh: number;
  overKwh: number;
  /** Every period tracked to within 1e-6 of the request. */
  exact: boolean;
  excluded: EvProblem[];
}

const FLOW_EPS_KWH = 1e-9;

export interface DisaggregateOptions {
  /**
   * Try first with every EV moving energy only in its period's aggregate direction (see the header).
   * Worth it for an aggregate from one envelope group's LP, which never charges and discharges in one
   * period; for a zone's total it usually fails and costs a second flow (twice the time measured at 100 000 EVs).
   */
  oneWayFirst?: boolean;
}

export function disaggregate(fleet: Fleet, grid: TimeGrid, aggregateKw: ArrayLike<number>, opts: DisaggregateOptions = {}): Disaggregation {
  const s = sessions(fleet, grid);
  return { ...disaggregateSessions(s, aggregateKw, opts), excluded: problems(fleet, s) };
}

/**
 * `disaggregate` always through the flow network, never flowByPhaseOne's shortcut (nor
 * disaggregateGroups' fleet-order pass): the straightforward reference the tests hold them to.
 */
export function disaggregateByNetwork(fleet: Fleet, grid: TimeGrid, aggregateKw: ArrayLike<number>, opts: DisaggregateOptions = {}): Disaggregation {
  const s = sessions(fleet, grid);
  return { ...disaggregateSessions(s, aggregateKw, { ...opts, phaseOne: false }), excluded: problems(fleet, s) };
}

/** `disaggregate` of EVs given by their sessions, without the report of those left out. */
function disaggregateSessions(
  s: Sessions, aggregateKw: ArrayLike<number>, opts: DisaggregateOptions & { phaseOne?: boolean }, scratch?: Scratch,
): Omit<Disaggregation, 'excluded'> {
  const T = s.grid.periods;
  if (aggregateKw.length !== T) throw new InputError(`has ${aggregateKw.length} values; the grid has ${T} periods`, 'aggregateKw');
  for (let t = 0; t < T; t++) {
    if (!Number.isFinite(aggregateKw[t])) throw new InputError(`value for period ${t} is ${aggregateKw[t]}`, 'aggregateKw');
  }
  // V2G EVs need a chain of nodes each (their energy bounds bind between periods), which makes the
  // flow much slower. When nothing asks for discharge, first try with every EV charging only: if
  // that tracks exactly, it is an answer; otherwise V2G may do better, so solve with chains.
  let hasV2g = false, asksDischarge = false;
  for (let i = 0; i < s.size; i++) hasV2g ||= s.problem[i] === 0 && s.dischargeMaxKw[i] > 0;
  for (let t = 0; t < T; t++) asksDischarge ||= aggregateKw[t] < 0;
  if (hasV2g && !asksDischarge) {
    const chargeOnly = solve(s, aggregateKw, false, false, scratch, opts.phaseOne);
    if (chargeOnly.exact) return chargeOnly;
  }
  // (With nothing asking for discharge, one way is charge-only: tried above.)
  if (opts.oneWayFirst && hasV2g && asksDischarge) {
    const oneWay = solve(s, aggregateKw, true, true, scratch);
    if (oneWay?.exact) return oneWay;
  }
  return solve(s, aggregateKw, hasV2g, false, scratch, opts.phaseOne);
}

/**
 * Disaggregation group by group: each group's own aggregate schedule (net battery-side kW per day
 * period, e.g. one envelope group's share of a zone's LP answer) to that group's EVs alone. Given
 * only the zone's total, the flow may meet it by one EV discharging into another's charging in the
 * same period, which tracks the total exactly but pays the round-trip losses twice; per group, the
 * split between groups is the optimiser's own. `groups` must partition the fleet. `requestedKw`,
 * `deliveredKw` and `shortfallKw` are the fleet's sums; `underKwh` and `overKwh` add up each group's
 * own (one group's shortfall is not netted against another's excess), `exact` holds for every group.
 * Each group's result is `disaggregate` of the group's EVs alone (the fleet's sessions computed once),
 * or, for a group of one plug-in window that the fleet-order pass cannot vouch for, splitOneWindow's
 * exact split of it where that vouches for one (balanced-split.ts): another exact answer than the
 * network's, found without one.
 */
export function disaggregateGroups(
  fleet: Fleet, grid: TimeGrid, groups: ReadonlyArray<{ evs: ArrayLike<number> }>, groupBatteryKw: ReadonlyArray<ArrayLike<number>>,
): Disaggregation {
  return prepareGroupDisaggregation(fleet, grid, groups, { scratch: fleetScratch }).disaggregate(groupBatteryKw);
}

/** disaggregateGroups with the part that needs no schedules done first (prepareGroupDisaggregation). */
export interface PreparedGroupDisaggregation {
  /** The groups' schedules (`groupBatteryKw[k]` for group k) to their EVs: disaggregateGroups' answer. Once. */
  disaggregate(groupBatteryKw: ReadonlyArray<ArrayLike<number>>): Disaggregation;
}

export interface PrepareOptions {
  /**
   * Where the fleet-size work arrays live (the fleet's sessions, the EVs' groups). `fleetScratch`
   * only when `disaggregate` follows in the same synchronous call (its arrays are shared by every
   * zone of a process). By default the preparation's own, and the answer's schedule arrays are
   * written with zeros at once: a disaggregation prepared while a solver thread works then finds its
   * memory already mapped (first touching fresh memory costs 3-6 ms a MB here, 0.4 s for a million
   * EVs' schedules, measured: disaggregation and check 0.79 + 0.31 s against 0.99 + 0.55 s).
   */
  scratch?: Scratch;
}

/**
 * What disaggregateGroups does before it needs the groups' schedules: the groups checked to
 * partition the fleet, the fleet's sessions, the answer's schedule arrays. A zone prepares it while
 * HiGHS solves its LP (zone-model.ts solveZone), then disaggregates once the LP answers: the same
 * answer, bit for bit, as disaggregateGroups.
 */
export function prepareGroupDisaggregation(
  fleet: Fleet, grid: TimeGrid, groups: ReadonlyArray<{ evs: ArrayLike<number> }>, opts: PrepareOptions = {},
): PreparedGroupDisaggregation {
  const ownScratch = opts.scratch === undefined, scratch = opts.scratch ?? new Scratch();
  const owner = scratch.i32('disaggregateGroups.owner', fleet.size).fill(-1);
  for (let k = 0; k < groups.length; k++) {
    const evs = groups[k].evs;
    for (let j = 0; j < evs.length; j++) {
      const i = evs[j];
      if (!(i >= 0 && i < fleet.size)) throw new InputError(`group ${k} names EV index ${i}, outside a fleet of ${fleet.size}`, 'groups');
      if (owner[i] >= 0) throw new InputError(`EV ${fleet.id[i]} is in groups ${owner[i]} and ${k}`, 'groups');
      owner[i] = k;
    }
  }
  const stray = owner.indexOf(-1);
  if (stray >= 0) throw new InputError(`EV ${fleet.id[stray]} is in no group`, 'groups');
  const s = sessions(fleet, grid, undefined, scratch);
  const schedules = allocateSchedules(s, (i) => s.problem[i] === 0);
  if (ownScratch) {
    schedules.chargeKw.fill(0);
    schedules.dischargeKw.fill(0);
  }
  let used = false;
  return {
    disaggregate(groupBatteryKw) {
      if (used) throw new ZonalError('a prepared disaggregation runs once', 'prepareGroupDisaggregation');
      used = true;
      if (groupBatteryKw.length !== groups.length) throw new InputError(`has ${groupBatteryKw.length} schedules for ${groups.length} groups`, 'groupBatteryKw');
      return disaggregatePrepared(fleet, s, owner, groups, groupBatteryKw, schedules);
    },
  };
}

/** disaggregateGroups once prepared: `owner[i]` is EV i's group, `schedules` fresh zeros for the fleet's sessions `s`. */
function disaggregatePrepared(
  fleet: Fleet, s: Sessions, owner: Int32Array, groups: ReadonlyArray<{ evs: ArrayLike<number> }>, groupBatteryKw: ReadonlyArray<ArrayLike<number>>, schedules: EvSchedules,
): Disaggregation {
  const T = s.grid.periods;
  const { chargeKw, dischargeKw, offset } = schedules;
  // Groups of one plug-in window asking for no discharge, all at once in fleet order; the rest (and
  // any of those the fast way cannot vouch for) one group at a time, in reused arrays, copied out.
  const { figures, phaseOneFails } = windowGroupsInFleetOrder(s, owner, groupBatteryKw, schedules);
  let scratch: Scratch | null = null;
  for (let k = 0; k < groups.length; k++) {
    if (figures[k]) continue;
    scratch ??= new Scratch();
    const evs = groups[k].evs;
    // A group of one window the fleet-order pass could not vouch for is mostly split there at once
    // (balanced-split.ts); the network decides the rest.
    const options = { oneWayFirst: true, phaseOne: !phaseOneFails[k] };
    const own = subsetSessions(s, evs, scratch);
    const part = oneWindowSplit(own, groupBatteryKw[k], scratch) ?? disaggregateSessions(own, groupBatteryKw[k], options, scratch);
    const p = part.schedules;
    for (let j = 0; j < evs.length; j++) {
      for (let from = p.offset[j], to = offset[evs[j]]; from < p.offset[j + 1]; from++, to++) {
        chargeKw[to] = p.chargeKw[from];
        dischargeKw[to] = p.dischargeKw[from];
      }
    }
    figures[k] = part;
  }
  const requestedKw = new Float64Array(T), deliveredKw = new Float64Array(T);
  let underKwh = 0, overKwh = 0, exact = true;
  for (let k = 0; k < groups.length; k++) {
    const part = figures[k]!;
    for (let t = 0; t < T; t++) {
      requestedKw[t] += part.requestedKw[t];
      deliveredKw[t] += part.deliveredKw[t];
    }
    underKwh += part.underKwh;
    overKwh += part.overKwh;
    exact &&= part.exact;
  }
  const shortfallKw = requestedKw.map((r, t) => r - deliveredKw[t]);
  return { schedules, requestedKw, deliveredKw, shortfallKw, underKwh, overKwh, exact, excluded: problems(fleet, s) };
}

type GroupFigures = Omit<Disaggregation, 'excluded' | 'schedules'>;

/**
 * disaggregateSessions of many groups at once, for the common case of a window grouping ('window',
 * 'window-energy'): a group whose EVs that can be scheduled share one plug-in window, and whose
 * schedule asks for no discharge. For such a group the first solve is charge-only (no V2G chains);
 * each period's charge arcs then come in EV order (one EDF key), and the flow's answer is
 * flowByPhaseOne's when that can vouch for it. That phase, period by period and EV by EV, is also
 * EV by EV and period by period: an EV's step in period t sees the period's energy left by the EVs
 * before it and its own need left by its earlier periods either way, and an EV is a dead end exactly
 * when its arc to the sink is full (so no dead-end flags). Done EV by EV in fleet order, all groups
 * interleaved, every array is read and written in order: no gather of a group's EVs, no scatter of
 * their schedules. A group's answer is taken when flowByPhaseOne would vouch for it and, with a V2G
 * EV in the group, it tracks exactly (else the chains decide); its figures are then those of
 * disaggregateSessions bit for bit, its EVs' schedules are in `out` (fresh zeros before), and the
 * group's entry is set. The other entries are null: the caller disaggregates those groups the
 * general way, overwriting whatever this left in their EVs' schedules.
 */
function windowGroupsInFleetOrder(
  s: Sessions, owner: Int32Array, groupBatteryKw: ReadonlyArray<ArrayLike<number>>, out: EvSchedules,
): { figures: Array<GroupFigures | null>; phaseOneFails: Uint8Array } {
  const T = s.grid.periods, dt = s.grid.dtH, n = s.size, G = groupBatteryKw.length, eps = FLOW_EPS_KWH;
  const figures: Array<GroupFigures | null> = new Array<GroupFigures | null>(G).fill(null);
  // Per group: 1 taken, 0 not, NOT_PHASE_ONE not and its phase one fails; its window, whether it holds a V2G EV, and then its flow state.
  const taken = new Uint8Array(G), start = new Int32Array(G).fill(-1), length = new Int32Array(G), v2g = new Uint8Array(G);
  for (let k = 0; k < G; k++) {
    const kw = groupBatteryKw[k];
    let ok = kw.length === T;
    for (let t = 0; t < T && ok; t++) ok = kw[t] >= 0 && Number.isFinite(kw[t]);
    taken[k] = ok ? 1 : 0;
  }
  for (let i = 0; i < n; i++) {
    const k = owner[i];
    if (taken[k] !== 1 || s.problem[i] !== 0) continue;
    if (start[k] < 0) {
      start[k] = s.start[i];
      length[k] = s.length[i];
    } else if (s.start[i] !== start[k] || s.length[i] !== length[k]) taken[k] = 0;
    if (s.dischargeMaxKw[i] > 0) v2g[k] = 1;
  }
  for (let k = 0; k < G; k++) if (start[k] < 0) taken[k] = 0; // no EV to schedule: the general way
  const supplyRes = new Float64Array(G * T);
  for (let k = 0; k < G; k++) {
    if (taken[k] !== 1) continue;
    for (let t = 0; t < T; t++) supplyRes[k * T + t] = Math.max(0, groupBatteryKw[k][t]) * dt;
  }
  const { offset, chargeKw: flow } = out;
  // 1) Aggregate energy to needs. The flow on each charge arc is kept in `out` until the end.
  const needsMet = new Uint8Array(G).fill(1), needCapSum = new Float64Array(G), unmet = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    const k = owner[i];
    if (taken[k] !== 1 || s.problem[i] !== 0) continue;
    const eArr = s.eArrivalKwh[i], eDep = s.eDepartureKwh[i], c = s.chargeMaxKw[i], L = s.length[i], a = s.start[i];
    // neededKwh and chargeableKwh (buildNetwork's need edge); the charge edges carry c·dt.
    const cap = Math.min(Math.max(0, eDep - eArr), L * c * dt);
    const stepKwh = c * dt;
    let sinkRes = cap, sinkFlow = 0;
    // The window's periods in day order (the phase goes period by period): a wrapped window's tail
    // [0, a + L - T) comes first, session periods T - a onwards.
    for (let part = 0, base = k * T; part < 2; part++) {
      const from = part === 0 ? 0 : a, to = part === 0 ? Math.max(0, a + L - T) : Math.min(T, a + L);
      for (let t = from, e = offset[i] + (part === 0 ? T - a : 0); t < to; t++, e++) {
        if (!(supplyRes[base + t] > eps) || stepKwh <= eps || sinkRes <= eps) continue;
        const f = Math.min(Math.min(Math.min(Infinity, supplyRes[base + t]), stepKwh), sinkRes);
        supplyRes[base + t] -= f;
        flow[e] += f;
        sinkRes -= f;
        sinkFlow += f;
      }
    }
    if (sinkRes > eps) needsMet[k] = 0;
    needCapSum[k] += cap;
    unmet[k] += Math.max(0, cap - sinkFlow);
  }
  // Energy left in a period means the stage ended because every need is full (else the flow would
  // search on: not ours to answer); energy left then goes to room (2).
  const toRoom = new Uint8Array(G);
  for (let k = 0; k < G; k++) {
    if (taken[k] !== 1) continue;
    const suppliedAll = allAtMost(supplyRes, k * T, T);
    if (!suppliedAll && !needsMet[k]) taken[k] = NOT_PHASE_ONE;
    else if (!suppliedAll) toRoom[k] = 1;
  }
  const roomsFull = new Uint8Array(G).fill(1);
  for (let i = 0; i < n; i++) {
    const k = owner[i];
    if (!toRoom[k] || s.problem[i] !== 0) continue;
    const L = s.length[i], a = s.start[i], stepKwh = s.chargeMaxKw[i] * dt;
    let sinkRes = Math.max(0, s.eCeilKwh[i] - Math.max(s.eArrivalKwh[i], s.eDepartureKwh[i]));
    for (let part = 0, base = k * T; part < 2; part++) {
      const from = part === 0 ? 0 : a, to = part === 0 ? Math.max(0, a + L - T) : Math.min(T, a + L);
      for (let t = from, e = offset[i] + (part === 0 ? T - a : 0); t < to; t++, e++) {
        if (!(supplyRes[base + t] > eps) || sinkRes <= eps) continue;
        // The arc's residual after the first stage's one push: the network's own `res -= f`.
        const res = stepKwh - flow[e];
        if (res <= eps) continue;
        const f = Math.min(Math.min(Math.min(Infinity, supplyRes[base + t]), res), sinkRes);
        supplyRes[base + t] -= f;
        flow[e] += f;
        sinkRes -= f;
      }
    }
    if (sinkRes > eps) roomsFull[k] = 0;
  }
  for (let k = 0; k < G; k++) {
    if (toRoom[k] && !allAtMost(supplyRes, k * T, T) && !roomsFull[k]) taken[k] = NOT_PHASE_ONE;
    // 4) Needs unmet beyond the tolerance call for energy beyond the aggregate: the network's job.
    // (In all three the first solve's flowByPhaseOne fails too: the general way goes to the network.)
    if (taken[k] === 1 && unmet[k] > 1e-9 * (1 + needCapSum[k])) taken[k] = NOT_PHASE_ONE;
  }
  // Flows to kW (readSchedules) and the figures of solve(), with its arithmetic.
  const delivered = new Float64Array(G * T);
  for (let i = 0; i < n; i++) {
    const k = owner[i];
    if (taken[k] !== 1 || s.problem[i] !== 0) continue;
    const L = s.length[i], base = k * T;
    for (let j = 0, e = offset[i], t = s.start[i]; j < L; j++, e++, t = t + 1 === T ? 0 : t + 1) {
      const kw = (flow[e] - 0) / dt;
      flow[e] = kw > 0 ? kw : 0;
      delivered[base + t] += flow[e] - 0;
    }
  }
  for (let k = 0; k < G; k++) {
    if (taken[k] !== 1) continue;
    const requestedKw = Float64Array.from(groupBatteryKw[k]), deliveredKw = delivered.slice(k * T, k * T + T), shortfallKw = new Float64Array(T);
    let underKwh = 0, overKwh = 0, worstKw = 0, scaleKw = 1;
    for (let t = 0; t < T; t++) {
      shortfallKw[t] = requestedKw[t] - deliveredKw[t];
      if (shortfallKw[t] > 0) underKwh += shortfallKw[t] * dt;
      else overKwh -= shortfallKw[t] * dt;
      worstKw = Math.max(worstKw, Math.abs(shortfallKw[t]));
      scaleKw = Math.max(scaleKw, Math.abs(requestedKw[t]));
    }
    const exact = worstKw <= 1e-6 * scaleKw;
    // With a V2G EV in the group an inexact charge-only answer is not the last word: the chains decide.
    if (v2g[k] && !exact) continue;
    figures[k] = { requestedKw, deliveredKw, shortfallKw, underKwh, overKwh, exact };
  }
  return { figures, phaseOneFails: Uint8Array.from(taken, (x) => (x === NOT_PHASE_ONE ? 1 : 0)) };
}

/** A group whose first solve's flowByPhaseOne cannot vouch for the answer (windowGroupsInFleetOrder). */
const NOT_PHASE_ONE = 2;

/** Every residual in res[from .. from+count) is saturated (at most the flow's eps). */
function allAtMost(res: Float64Array, from = 0, count = res.length): boolean {
  for (let k = from; k < from + count; k++) if (res[k] > FLOW_EPS_KWH) return false;
  return true;
}

/**
 * One disaggregation of the EVs of `s` (see the header). With `scratch` the schedules and the work
 * arrays are its views (valid until the next solve with it): the caller copies what it keeps.
 * flowByPhaseOne's shortcut is the network's own answer, so `phaseOne` false changes only the time.
 */
function solve(s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean, oneWay: true, scratch?: Scratch): Omit<Disaggregation, 'excluded'> | null;
function solve(s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean, oneWay?: false, scratch?: Scratch, phaseOne?: boolean): Omit<Disaggregation, 'excluded'>;
function solve(s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean, oneWay = false, scratch?: Scratch, phaseOne = true): Omit<Disaggregation, 'excluded'> | null {
  const T = s.grid.periods;
  const schedules = scratch ? scheduleSpace(s, scratch) : allocateSchedules(s, (i) => s.problem[i] === 0);
  const order = edfOrder(s, schedules, scratch);
  // flowByPhaseOne only where it may vouch (`phaseOne` false: the caller knows it cannot).
  let chargeOnly = phaseOne && !v2gChains && !oneWay;
  for (let t = 0; t < T && chargeOnly; t++) chargeOnly = aggregateKw[t] >= 0;
  if (!(chargeOnly && flowByPhaseOne(s, schedules, aggregateKw, order, scratch))) {
    const net = buildNetwork(s, schedules, aggregateKw, v2gChains, order, scratch);
    if (oneWay) closeCounterFlow(net, s, schedules, aggregateKw);
    // Without counter-flow some EV may have no way to its target (it is plugged in only where the
    // aggregate goes the other way): no answer, the caller solves the full network.
    const unrouted = runStages(net);
    if (unrouted) {
      if (oneWay) return null;
      throw new ZonalError(`internal: disaggregation left ${unrouted[0]} kWh of EV needs and ${unrouted[1]} kWh of surplus unrouted`, 'disaggregate');
    }
    readSchedules(net, s, schedules);
  }
  return withFigures(s, aggregateKw, schedules);
}

/**
 * splitOneWindow (balanced-split.ts) of the EVs of `s` in `scratch`'s arrays, with its figures; null
 * when it cannot vouch for an exact split (the flow network decides then).
 */
function oneWindowSplit(s: Sessions, aggregateKw: ArrayLike<number>, scratch: Scratch): Omit<Disaggregation, 'excluded'> | null {
  const schedules = scheduleSpace(s, scratch);
  return splitOneWindow(s, aggregateKw, schedules.offset, schedules.chargeKw, scratch) ? withFigures(s, aggregateKw, schedules) : null;
}

/** A disaggregation's figures: what was asked and delivered per period, the energy short and beyond, and whether it tracks. */
function withFigures(s: Sessions, aggregateKw: ArrayLike<number>, schedules: EvSchedules): Omit<Disaggregation, 'excluded'> {
  const T = s.grid.periods, dt = s.grid.dtH;
  const requestedKw = Float64Array.from(aggregateKw), deliveredKw = new Float64Array(T), shortfallKw = new Float64Array(T);
  for (let i = 0; i < s.size; i++) {
    for (let e = schedules.offset[i], t = s.start[i]; e < schedules.offset[i + 1]; e++, t = t + 1 === T ? 0 : t + 1) {
      deliveredKw[t] += schedules.chargeKw[e] - schedules.dischargeKw[e];
    }
  }
  let underKwh = 0, overKwh = 0, worstKw = 0, scaleKw = 1;
  for (let t = 0; t < T; t++) {
    shortfallKw[t] = requestedKw[t] - deliveredKw[t];
    if (shortfallKw[t] > 0) underKwh += shortfallKw[t] * dt;
    else overKwh -= shortfallKw[t] * dt;
    worstKw = Math.max(worstKw, Math.abs(shortfallKw[t]));
    scaleKw = Math.max(scaleKw, Math.abs(requestedKw[t]));
  }
  return { schedules, requestedKw, deliveredKw, shortfallKw, underKwh, overKwh, exact: worstKw <= 1e-6 * scaleKw };
}

/** `allocateSchedules(s, schedulable)` in `scratch`'s arrays. */
function scheduleSpace(s: Sessions, scratch: Scratch): EvSchedules {
  const n = s.size;
  const offset = scratch.i32('sched.offset', n + 1), start = scratch.i32('sched.start', n).fill(-1);
  for (let i = 0; i < n; i++) {
    const on = s.problem[i] === 0 && s.length[i] > 0;
    if (on) start[i] = s.start[i];
    offset[i + 1] = offset[i] + (on ? s.length[i] : 0);
  }
  const entries = offset[n];
  return { periods: s.grid.periods, start, offset, chargeKw: scratch.f64('sched.charge', entries), dischargeKw: scratch.f64('sched.discharge', entries) };
}

const SOURCE = 0, SINK = 1, FIRST_PERIOD = 2;

interface Network {
  flow: FlowNetwork;
  supply: Int32Array;
  over: Int32Array;
  exportTo: Int32Array;
  spill: Int32Array;
  supplyCapKwh: Float64Array;
  overCapKwh: Float64Array;
  spillCapKwh: Float64Array;
  need: Int32Array;
  room: Int32Array;
  surplus: Int32Array;
  needCapKwh: Float64Array;
  roomCapKwh: Float64Array;
  surplusCapKwh: Float64Array;
  /** Per schedule entry: the charge edge, and the discharge edge (-1 for charge-only EVs). */
  chargeEdge: Int32Array;
  dischargeEdge: Int32Array;
}

function buildNetwork(s: Sessions, sched: EvSchedules, aggregateKw: ArrayLike<number>, v2gChains: boolean, order: EdfOrder, scratch?: Scratch): Network {
  const T = s.grid.periods, dt = s.grid.dtH, n = s.size, entries = sched.offset[n];
  // A V2G EV is a chain of one node per plugged period (with `v2gChains`); any other EV one node.
  const chain = u8(scratch, 'net.chain', n);
  const firstNode = i32(scratch, 'net.firstNode', n);
  let nodes = FIRST_PERIOD + T, edges = 4 * T;
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0) continue;
    const L = s.length[i];
    chain[i] = v2gChains && s.dischargeMaxKw[i] > 0 ? 1 : 0;
    firstNode[i] = nodes;
    nodes += chain[i] ? L : 1;
    edges += 2 + L + (chain[i] ? 1 + (L - 1) + L : 0);
  }
  const flow = new FlowNetwork(nodes, edges);
  const net: Network = {
    flow, supply: new Int32Array(T), over: new Int32Array(T), exportTo: new Int32Array(T), spill: new Int32Array(T),
    supplyCapKwh: new Float64Array(T), overCapKwh: new Float64Array(T), spillCapKwh: new Float64Array(T),
    need: i32(scratch, 'net.need', n).fill(-1), room: i32(scratch, 'net.room', n).fill(-1), surplus: i32(scratch, 'net.surplus', n).fill(-1),
    needCapKwh: f64(scratch, 'net.needCap', n), roomCapKwh: f64(scratch, 'net.roomCap', n), surplusCapKwh: f64(scratch, 'net.surplusCap', n),
    chargeEdge: i32(scratch, 'net.chargeEdge', entries), dischargeEdge: i32(scratch, 'net.dischargeEdge', entries).fill(-1),
  };
  // Source edges first: the DFS from the source then walks the periods in time order.
  for (let t = 0; t < T; t++) {
    net.supplyCapKwh[t] = Math.max(0, aggregateKw[t]) * dt;
    net.supply[t] = flow.addEdge(SOURCE, FIRST_PERIOD + t, net.supplyCapKwh[t]);
  }
  for (let t = 0; t < T; t++) net.over[t] = flow.addEdge(SOURCE, FIRST_PERIOD + t, 0);
  // Sink and storage edges before charge edges: an EV node tries its way to the sink first.
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0) continue;
    const L = s.length[i], last = firstNode[i] + (chain[i] ? L - 1 : 0);
    const eFloor = s.eFloorKwh[i], eArr = s.eArrivalKwh[i], eDep = s.eDepartureKwh[i];
    // Never ask for more than full power can give: the feasibility test allows 1e-9 relative slack.
    net.needCapKwh[i] = Math.min(neededKwh(s, i), chargeableKwh(s, i));
    if (chain[i]) {
      // Stored energy at departure above the target (arrival surplus or extra charge) rides this edge.
      net.roomCapKwh[i] = s.eCeilKwh[i] - eDep;
      // Energy kept above socMin rides the storage edges; the chain starts holding min(arrival, target).
      const kept = Math.min(eArr, eDep) - eFloor;
      net.need[i] = flow.addEdge(last, SINK, kept + net.needCapKwh[i], kept);
      net.needCapKwh[i] += kept;
      net.room[i] = flow.addEdge(last, SINK, 0);
      net.surplusCapKwh[i] = Math.max(0, eArr - eDep);
      net.surplus[i] = flow.addEdge(SOURCE, firstNode[i], net.surplusCapKwh[i]);
      for (let j = 0; j + 1 < L; j++) flow.addEdge(firstNode[i] + j, firstNode[i] + j + 1, s.eCeilKwh[i] - eFloor, kept, true);
    } else {
      net.roomCapKwh[i] = Math.max(0, s.eCeilKwh[i] - Math.max(eArr, eDep));
      net.need[i] = flow.addEdge(last, SINK, net.needCapKwh[i]);
      net.room[i] = flow.addEdge(last, SINK, 0);
    }
  }
  addChargeEdgesEarliestDeparture(s, sched, firstNode, net, chain, order);
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0 || !chain[i]) continue;
    const dStep = s.dischargeMaxKw[i] * dt;
    for (let j = 0, t = s.start[i]; j < s.length[i]; j++, t = t + 1 === T ? 0 : t + 1) {
      net.dischargeEdge[sched.offset[i] + j] = flow.addEdge(firstNode[i] + j, FIRST_PERIOD + t, dStep);
      net.spillCapKwh[t] += dStep;
    }
  }
  for (let t = 0; t < T; t++) {
    net.exportTo[t] = flow.addEdge(FIRST_PERIOD + t, SINK, Math.max(0, -aggregateKw[t]) * dt);
    net.spill[t] = flow.addEdge(FIRST_PERIOD + t, SINK, 0);
  }
  flow.build();
  return net;
}

/**
 * Schedule entries grouped by period, and within a period by periods left before departure (EDF);
 * ties in EV order: a counting sort on (period, periods left), linear in the entries. Sorted
 * position `at` holds entry `entryAt[at]` of EV `evAt[at]` in period `periodAt[at]`; period t's
 * entries are positions periodBegin[t] .. periodBegin[t+1]-1.
 */
interface EdfOrder {
  entryAt: Int32Array;
  evAt: Int32Array;
  periodAt: Int32Array;
  periodBegin: Int32Array;
}

function edfOrder(s: Sessions, sched: EvSchedules, scratch?: Scratch): EdfOrder {
  const T = s.grid.periods, T1 = T + 1, keys = T * T1;
  const count = i32(scratch, 'edf.count', keys + 1);
  for (let i = 0; i < s.size; i++) {
    if (sched.start[i] < 0) continue;
    for (let j = 0, L = s.length[i], t = s.start[i]; j < L; j++, t = t + 1 === T ? 0 : t + 1) count[t * T1 + (L - j) + 1]++;
  }
  for (let k = 0; k < keys; k++) count[k + 1] += count[k];
  const periodBegin = i32(scratch, 'edf.periodBegin', T + 1);
  for (let t = 0; t <= T; t++) periodBegin[t] = count[t * T1];
  const entries = sched.offset[s.size];
  const entryAt = i32(scratch, 'edf.entryAt', entries), evAt = i32(scratch, 'edf.evAt', entries), periodAt = i32(scratch, 'edf.periodAt', entries);
  for (let i = 0; i < s.size; i++) {
    if (sched.start[i] < 0) continue;
    const base = sched.offset[i];
    for (let j = 0, L = s.length[i], t = s.start[i]; j < L; j++, t = t + 1 === T ? 0 : t + 1) {
      const at = count[t * T1 + (L - j)]++;
      entryAt[at] = base + j;
      evAt[at] = i;
      periodAt[at] = t;
    }
  }
  return { entryAt, evAt, periodAt, periodBegin };
}

/** Charge edges in EDF order (`edfOrder`): a period node's arcs are then tried earliest departure first. */
function addChargeEdgesEarliestDeparture(s: Sessions, sched: EvSchedules, firstNode: Int32Array, net: Network, chain: Uint8Array, order: EdfOrder): void {
  const dt = s.grid.dtH;
  const { entryAt, evAt, periodAt } = order;
  const { flow, chargeEdge, overCapKwh } = net;
  for (let at = 0; at < entryAt.length; at++) {
    const e = entryAt[at], i = evAt[at], t = periodAt[at];
    const stepKwh = s.chargeMaxKw[i] * dt;
    chargeEdge[e] = flow.addEdge(FIRST_PERIOD + t, firstNode[i] + (chain[i] ? e - sched.offset[i] : 0), stepKwh);
    overCapKwh[t] += stepKwh;
  }
}

/**
 * The flow's answer for EVs that only charge (no V2G chains) under an aggregate that asks for no
 * discharge, found without building the network, where it is certain to be the same. In that
 * network every augmenting path of the first phase of each stage's max flow is source → period →
 * EV → sink (levels 0–3), and Dinic's blocking flow takes them in arc order: periods in time order,
 * each period's EVs in EDF order, each path carrying the least residual on it, resuming after the
 * first arc it saturates (an EV whose arc to the sink is full is a dead end for the phase). This
 * replays that phase with the same arithmetic. When afterwards every supply arc or every arc into
 * the sink is saturated, no augmenting path is left and the stage ends there, as the flow's next
 * level graph would find; otherwise (or when the targets would need energy beyond the aggregate,
 * stage 4) it returns false, writes nothing, and the caller runs the network. Stages 1 (needs) and
 * 2 (room) as runStages; stage 3 has nothing to do without chains. O(entries) per stage.
 */
function flowByPhaseOne(s: Sessions, sched: EvSchedules, aggregateKw: ArrayLike<number>, order: EdfOrder, scratch?: Scratch): boolean {
  const T = s.grid.periods, dt = s.grid.dtH, n = s.size, eps = FLOW_EPS_KWH;
  const { entryAt, evAt, periodBegin } = order;
  const supplyRes = f64(scratch, 'g.supplyRes', T);
  for (let t = 0; t < T; t++) supplyRes[t] = Math.max(0, aggregateKw[t]) * dt;
  const entries = sched.offset[n];
  const chargeRes = f64(scratch, 'g.chargeRes', entries), chargeFlow = f64(scratch, 'g.chargeFlow', entries);
  const needCap = f64(scratch, 'g.needCap', n), needRes = f64(scratch, 'g.needRes', n), needFlow = f64(scratch, 'g.needFlow', n);
  const roomRes = f64(scratch, 'g.roomRes', n), roomFlow = f64(scratch, 'g.roomFlow', n);
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0) continue;
    needCap[i] = Math.min(neededKwh(s, i), chargeableKwh(s, i));
    needRes[i] = needCap[i];
    roomRes[i] = Math.max(0, s.eCeilKwh[i] - Math.max(s.eArrivalKwh[i], s.eDepartureKwh[i]));
    const stepKwh = s.chargeMaxKw[i] * dt;
    for (let e = sched.offset[i]; e < sched.offset[i + 1]; e++) chargeRes[e] = stepKwh;
  }
  const dead = u8(scratch, 'g.dead', n);
  const phase = (sinkRes: Float64Array, sinkFlow: Float64Array): void => {
    dead.fill(0);
    for (let t = 0; t < T; t++) {
      if (!(supplyRes[t] > eps)) continue;
      for (let at = periodBegin[t], end = periodBegin[t + 1]; at < end; at++) {
        const e = entryAt[at], i = evAt[at];
        if (chargeRes[e] <= eps || dead[i]) continue;
        if (sinkRes[i] <= eps) {
          dead[i] = 1;
          continue;
        }
        const f = Math.min(Math.min(Math.min(Infinity, supplyRes[t]), chargeRes[e]), sinkRes[i]);
        supplyRes[t] -= f;
        chargeRes[e] -= f;
        chargeFlow[e] += f;
        sinkRes[i] -= f;
        sinkFlow[i] += f;
        if (supplyRes[t] <= eps) break;
        if (chargeRes[e] <= eps) continue;
        dead[i] = 1;
      }
    }
  };
  // EVs without a schedule have no arcs, and residuals of 0.
  const allAtMost = (res: Float64Array): boolean => {
    for (let k = 0; k < res.length; k++) if (res[k] > eps) return false;
    return true;
  };
  // 1) Aggregate energy to needs.
  phase(needRes, needFlow);
  const suppliedAll = allAtMost(supplyRes);
  if (!suppliedAll && !allAtMost(needRes)) return false;
  // 2) Then to room (the needs are full, or no energy is left to give).
  if (!suppliedAll) {
    phase(roomRes, roomFlow);
    if (!allAtMost(supplyRes) && !allAtMost(roomRes)) return false;
  }
  // 4) Needs unmet beyond the tolerance call for energy beyond the aggregate: the network's job.
  let unmet = 0;
  for (let i = 0; i < n; i++) if (sched.start[i] >= 0) unmet += Math.max(0, needCap[i] - needFlow[i]);
  if (unmet > tolKwh(needCap)) return false;
  for (let e = 0; e < entries; e++) {
    const kw = (chargeFlow[e] - 0) / dt;
    sched.chargeKw[e] = kw > 0 ? kw : 0;
    sched.dischargeKw[e] = kw < 0 ? -kw : 0;
  }
  return true;
}

/** Closes discharging in periods that ask for charge and charging in periods that ask for discharge. */
function closeCounterFlow(net: Network, s: Sessions, sched: EvSchedules, aggregateKw: ArrayLike<number>): void {
  const T = s.grid.periods;
  for (let i = 0; i < s.size; i++) {
    for (let e = sched.offset[i], t = s.start[i]; e < sched.offset[i + 1]; e++, t = t + 1 === T ? 0 : t + 1) {
      if (aggregateKw[t] >= 0 && net.dischargeEdge[e] >= 0) net.flow.close(net.dischargeEdge[e]);
      if (aggregateKw[t] < 0) net.flow.close(net.chargeEdge[e]);
    }
  }
}

function setAll(net: Network, edges: Int32Array, caps: Float64Array | null): void {
  for (let k = 0; k < edges.length; k++) {
    if (edges[k] < 0) continue;
    if (caps) net.flow.setCapacity(edges[k], caps[k]);
    else net.flow.close(edges[k]);
  }
}

function tolKwh(caps: Float64Array): number {
  let sum = 0;
  for (let k = 0; k < caps.length; k++) sum += caps[k];
  return 1e-9 * (1 + sum);
}

function unmetKwh(net: Network, edges: Int32Array, caps: Float64Array): number {
  let unmet = 0;
  for (let k = 0; k < edges.length; k++) if (edges[k] >= 0) unmet += Math.max(0, caps[k] - net.flow.flow(edges[k]));
  return unmet;
}

/** Runs the stages; returns the kWh of needs and surplus it could not route, or null when all went. */
function runStages(net: Network): [number, number] | null {
  const { flow } = net;
  // 1) Aggregate energy (and arrival surplus) to needs and discharge requests.
  flow.maxFlow(SOURCE, SINK, FLOW_EPS_KWH);
  // 2) Then to optional room.
  setAll(net, net.room, net.roomCapKwh);
  flow.maxFlow(SOURCE, SINK, FLOW_EPS_KWH);
  // 3) Surplus arrival energy with nowhere to go yet: store it, or spill it to the grid.
  if (unmetKwh(net, net.surplus, net.surplusCapKwh) > tolKwh(net.surplusCapKwh)) {
    setAll(net, net.supply, null);
    setAll(net, net.spill, net.spillCapKwh);
    flow.maxFlow(SOURCE, SINK, FLOW_EPS_KWH);
    setAll(net, net.supply, net.supplyCapKwh);
  }
  // 4) Needs still unmet: first any path within the aggregate, then energy beyond it.
  if (unmetKwh(net, net.need, net.needCapKwh) > tolKwh(net.needCapKwh)) {
    for (const edges of [net.room, net.exportTo, net.spill]) setAll(net, edges, null);
    flow.maxFlow(SOURCE, SINK, FLOW_EPS_KWH);
    setAll(net, net.over, net.overCapKwh);
    flow.maxFlow(SOURCE, SINK, FLOW_EPS_KWH);
  }
  const left = [unmetKwh(net, net.need, net.needCapKwh), unmetKwh(net, net.surplus, net.surplusCapKwh)];
  return left[0] > tolKwh(net.needCapKwh) || left[1] > tolKwh(net.surplusCapKwh) ? [left[0], left[1]] : null;
}

/** Flows to kW; a charge and a discharge in one period are netted (battery side: no loss, same energy). */
function readSchedules(net: Network, s: Sessions, sched: EvSchedules): void {
  const dt = s.grid.dtH;
  for (let e = 0; e < sched.chargeKw.length; e++) {
    const charged = net.flow.flow(net.chargeEdge[e]);
    const discharged = net.dischargeEdge[e] >= 0 ? net.flow.flow(net.dischargeEdge[e]) : 0;
    const kw = (charged - discharged) / dt;
    sched.chargeKw[e] = kw > 0 ? kw : 0;
    sched.dischargeKw[e] = kw < 0 ? -kw : 0;
  }
}
