import { InputError, ZonalError } from '@zonal/core';
import { Fleet } from './fleet';
import { FlowNetwork } from './maxflow';
import { allocateSchedules, type EvSchedules } from './schedules';
import { chargeableKwh, neededKwh, problems, sessions, type Sessions } from './session';
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
    const chargeOnly = solve(fleet, s, aggregateKw, false);
    if (chargeOnly.exact) return chargeOnly;
  }
  // (With nothing asking for discharge, one way is charge-only: tried above.)
  if (opts.oneWayFirst && hasV2g && asksDischarge) {
    const oneWay = solve(fleet, s, aggregateKw, true, true);
    if (oneWay?.exact) return oneWay;
  }
  return solve(fleet, s, aggregateKw, hasV2g);
}

/**
 * Disaggregation group by group: each group's own aggregate schedule (net battery-side kW per day
 * period, e.g. one envelope group's share of a zone's LP answer) to that group's EVs alone. Given
 * only the zone's total, the flow may meet it by one EV discharging into another's charging in the
 * same period, which tracks the total exactly but pays the round-trip losses twice; per group, the
 * split between groups is the optimiser's own. `groups` must partition the fleet. `requestedKw`,
 * `deliveredKw` and `shortfallKw` are the fleet's sums; `underKwh` and `overKwh` add up each group's
 * own (one group's shortfall is not netted against another's excess), `exact` holds for every group.
 */
export function disaggregateGroups(
  fleet: Fleet, grid: TimeGrid, groups: ReadonlyArray<{ evs: ArrayLike<number> }>, groupBatteryKw: ReadonlyArray<ArrayLike<number>>,
): Disaggregation {
  if (groupBatteryKw.length !== groups.length) throw new InputError(`has ${groupBatteryKw.length} schedules for ${groups.length} groups`, 'groupBatteryKw');
  const owner = new Int32Array(fleet.size).fill(-1);
  groups.forEach((g, k) => {
    for (let j = 0; j < g.evs.length; j++) {
      const i = g.evs[j];
      if (!(i >= 0 && i < fleet.size)) throw new InputError(`group ${k} names EV index ${i}, outside a fleet of ${fleet.size}`, 'groups');
      if (owner[i] >= 0) throw new InputError(`EV ${fleet.id[i]} is in groups ${owner[i]} and ${k}`, 'groups');
      owner[i] = k;
    }
  });
  const stray = owner.indexOf(-1);
  if (stray >= 0) throw new InputError(`EV ${fleet.id[stray]} is in no group`, 'groups');

  const s = sessions(fleet, grid);
  const T = s.grid.periods;
  const schedules = allocateSchedules(s, (i) => s.problem[i] === 0);
  const requestedKw = new Float64Array(T), deliveredKw = new Float64Array(T);
  let underKwh = 0, overKwh = 0, exact = true;
  groups.forEach((g, k) => {
    const part = disaggregate(Fleet.subset(fleet, g.evs), grid, groupBatteryKw[k], { oneWayFirst: true });
    for (let j = 0; j < g.evs.length; j++) {
      const i = g.evs[j], from = part.schedules.offset[j], len = part.schedules.offset[j + 1] - from;
      if (len === 0) continue;
      schedules.chargeKw.set(part.schedules.chargeKw.subarray(from, from + len), schedules.offset[i]);
      schedules.dischargeKw.set(part.schedules.dischargeKw.subarray(from, from + len), schedules.offset[i]);
    }
    for (let t = 0; t < T; t++) {
      requestedKw[t] += part.requestedKw[t];
      deliveredKw[t] += part.deliveredKw[t];
    }
    underKwh += part.underKwh;
    overKwh += part.overKwh;
    exact &&= part.exact;
  });
  const shortfallKw = requestedKw.map((r, t) => r - deliveredKw[t]);
  return { schedules, requestedKw, deliveredKw, shortfallKw, underKwh, overKwh, exact, excluded: problems(fleet, s) };
}

function solve(fleet: Fleet, s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean, oneWay: true): Disaggregation | null;
function solve(fleet: Fleet, s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean): Disaggregation;
function solve(fleet: Fleet, s: Sessions, aggregateKw: ArrayLike<number>, v2gChains: boolean, oneWay = false): Disaggregation | null {
  const T = s.grid.periods, dt = s.grid.dtH;
  const schedules = allocateSchedules(s, (i) => s.problem[i] === 0);
  const net = buildNetwork(s, schedules, aggregateKw, v2gChains);
  if (oneWay) closeCounterFlow(net, s, schedules, aggregateKw);
  // Without counter-flow some EV may have no way to its target (it is plugged in only where the
  // aggregate goes the other way): no answer, the caller solves the full network.
  const unrouted = runStages(net);
  if (unrouted) {
    if (oneWay) return null;
    throw new ZonalError(`internal: disaggregation left ${unrouted[0]} kWh of EV needs and ${unrouted[1]} kWh of surplus unrouted`, 'disaggregate');
  }
  readSchedules(net, s, schedules);

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
  return {
    schedules, requestedKw, deliveredKw, shortfallKw, underKwh, overKwh,
    exact: worstKw <= 1e-6 * scaleKw, excluded: problems(fleet, s),
  };
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

function buildNetwork(s: Sessions, sched: EvSchedules, aggregateKw: ArrayLike<number>, v2gChains: boolean): Network {
  const T = s.grid.periods, dt = s.grid.dtH, n = s.size, entries = sched.offset[n];
  const isChain = (_: Sessions, i: number): boolean => v2gChains && s.dischargeMaxKw[i] > 0;
  const firstNode = new Int32Array(n);
  let nodes = FIRST_PERIOD + T, edges = 4 * T;
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0) continue;
    const L = s.length[i];
    firstNode[i] = nodes;
    nodes += isChain(s, i) ? L : 1;
    edges += 2 + L + (isChain(s, i) ? 1 + (L - 1) + L : 0);
  }
  const flow = new FlowNetwork(nodes, edges);
  const net: Network = {
    flow, supply: new Int32Array(T), over: new Int32Array(T), exportTo: new Int32Array(T), spill: new Int32Array(T),
    supplyCapKwh: new Float64Array(T), overCapKwh: new Float64Array(T), spillCapKwh: new Float64Array(T),
    need: new Int32Array(n).fill(-1), room: new Int32Array(n).fill(-1), surplus: new Int32Array(n).fill(-1),
    needCapKwh: new Float64Array(n), roomCapKwh: new Float64Array(n), surplusCapKwh: new Float64Array(n),
    chargeEdge: new Int32Array(entries), dischargeEdge: new Int32Array(entries).fill(-1),
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
    const L = s.length[i], last = firstNode[i] + (isChain(s, i) ? L - 1 : 0);
    const eFloor = s.eFloorKwh[i], eArr = s.eArrivalKwh[i], eDep = s.eDepartureKwh[i];
    // Never ask for more than full power can give: the feasibility test allows 1e-9 relative slack.
    net.needCapKwh[i] = Math.min(neededKwh(s, i), chargeableKwh(s, i));
    if (isChain(s, i)) {
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
  addChargeEdgesEarliestDeparture(s, sched, firstNode, net, isChain);
  for (let i = 0; i < n; i++) {
    if (sched.start[i] < 0 || !isChain(s, i)) continue;
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

/** Charge edges grouped by period, and within a period by periods left before departure (EDF). */
function addChargeEdgesEarliestDeparture(
  s: Sessions, sched: EvSchedules, firstNode: Int32Array, net: Network, isChain: (s: Sessions, i: number) => boolean,
): void {
  const T = s.grid.periods, dt = s.grid.dtH, keys = T * (T + 1);
  const count = new Int32Array(keys + 1);
  const keyOf = (i: number, j: number): number => ((s.start[i] + j) % T) * (T + 1) + (s.length[i] - j);
  for (let i = 0; i < s.size; i++) if (sched.start[i] >= 0) for (let j = 0; j < s.length[i]; j++) count[keyOf(i, j) + 1]++;
  for (let k = 0; k < keys; k++) count[k + 1] += count[k];
  const order = new Int32Array(sched.offset[s.size]);
  for (let i = 0; i < s.size; i++) if (sched.start[i] >= 0) for (let j = 0; j < s.length[i]; j++) order[count[keyOf(i, j)]++] = sched.offset[i] + j;
  const evOfEntry = new Int32Array(order.length);
  for (let i = 0; i < s.size; i++) for (let e = sched.offset[i]; e < sched.offset[i + 1]; e++) evOfEntry[e] = i;
  for (const entry of order) {
    const i = evOfEntry[entry], j = entry - sched.offset[i];
    const node = firstNode[i] + (isChain(s, i) ? j : 0);
    const t = (s.start[i] + j) % T;
    net.chargeEdge[entry] = net.flow.addEdge(FIRST_PERIOD + t, node, s.chargeMaxKw[i] * dt);
    net.overCapKwh[t] += s.chargeMaxKw[i] * dt;
  }
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

function unmetKwh(net: Network, edges: Int32Array, caps: Float64Array): number {
  let unmet = 0;
  for (let k = 0; k < edges.length; k++) if (edges[k] >= 0) unmet += Math.max(0, caps[k] - net.flow.flow(edges[k]));
  return unmet;
}

/** Runs the stages; returns the kWh of needs and surplus it could not route, or null when all went. */
function runStages(net: Network): [number, number] | null {
  const { flow } = net;
  const tolKwh = (caps: Float64Array): number => 1e-9 * (1 + caps.reduce((a, b) => a + b, 0));
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
