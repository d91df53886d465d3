import { runDispatch, type BuiltDispatch, type DispatchResult, type LimitWorkingSet } from '@zonal/dispatch';
import { cheapestGroupSchedule, envelopeGroupFamilies } from '@zonal/policies';
import type { ModelBuilder, SimplexBasis, Solution } from '@zonal/solver';
import { addZoneTerms, zoneGroupsPrefix } from './centralised';
import { coarserGroups } from './clearing-groups';
import type { NegotiationSetup, ZoneSetup } from './setup';

/**
 * A model holding every announced group — the harness's oracle (centralised.ts) — started from the
 * clearing over coarser sums of them. Cold, dual simplex starts from the slack basis, where every
 * group's energy is short of its need and each must be pivoted in: on the synthetic 1 000-bus,
 * 20-zone, 100 000-EV case 149 953 iterations (20–24 s) for the first LP and 11 009 (4.8 s) for the
 * limit rows its point came near. Instead:
 *  1. the clearing over the zones' `arrival` sums (933 groups instead of 26 541: 20 343 iterations,
 *     1.3 s, 3.2 s with its limit rows and loss rounds) gives the network's basis, its limit rows,
 *     its losses, and each zone's price of battery-side charge per period (the duals of its charge sums);
 *  2. each announced group is set where those prices put it: a charge-only group's cheapest periods
 *     at their limit up to its need, the period that completes it basic, its energy row at that bound;
 *     a V2G group's energy columns basic and its charge and discharge at the bound nearest its
 *     cheapest schedule (policies group-response.ts);
 *  3. the full model starts from that basis, loss-aware from the sums' losses, by steepest edge:
 *     37 804 iterations (9.6 s) for its first LP and no second pass for limit rows.
 * The basis is a start, not an answer: HiGHS takes it as it is (an "alien" basis, completed or trimmed
 * where its count of basic columns is off) and simplex goes to the same LP's optimum. The successive
 * LP then goes on from another optimal vertex than a cold start's, so the point may differ by what
 * its loss rounds do (2–5e-5 of the cost on three seeds of that case, cheaper on two, dearer on one).
 *
 * The DSO's own first clearing (methods/admm.ts) starts the same way. Tried in session 18 and not
 * kept then (from the other vertex the rounds took longer on two seeds of four); taken in session 22,
 * with the zones re-solving by primal simplex and their caps joining only near an answer: on four
 * seeds of that case the negotiation 39.1, 41.2, 34.5 and 35.1 s against 55.8, 49.0, 46.7 and 39.8 s
 * cold (rounds 6, 7, 6, 4 against 6, 8, 6, 4; no delivery check either way; the gap to the oracle
 * 0.014, 0.018, -0.005 and 0.0003% against 0.010, 0.021, -0.004 and -0.006%).
 */
export const COARSE_START_MIN_GROUPS = 10_000;

/** A coarse clearing's answer, to start a model of every group from. */
export interface CoarseStart {
  /** Branch |I|² (pu) at the coarse clearing's AC point: the full model's first round starts from them. */
  lossSqPu: Float64Array[];
  /** A basis for the full model's first round (runDispatch `warmStartFor`); null when the coarse one had none. */
  basisFor(built: BuiltDispatch): SimplexBasis | null;
  /** The coarse clearing's LP solves (ms) and their simplex iterations. */
  solveMs: number[];
  solveIterations: number[];
}

/** True when a model holding these zones' groups is large enough to start from coarser sums of them. */
export function startsFromCoarse(zones: readonly ZoneSetup[], minGroups = COARSE_START_MIN_GROUPS): boolean {
  return zones.reduce((a, z) => a + z.bid.envelopeGroups.length, 0) >= minGroups;
}

/**
 * Clears the zones' bids over their `arrival` sums and returns what a model over their own groups
 * starts from. `extend` adds what every model of the DSO holds beside the zones (a rolling
 * window's fixed past); `workingSet` is the limit rows the full model will grow (the coarse one's
 * near-binding rows go in, so its first LP needs no second pass for them).
 */
export async function coarseStart(
  setup: NegotiationSetup, opts: { extend?: (built: BuiltDispatch) => void; workingSet?: LimitWorkingSet } = {},
): Promise<CoarseStart> {
  const zones = setup.zones;
  let optimum: CoarseOptimum | null = null;
  const result = await clearArrivalSums(setup, opts, (built, sol) => { optimum = readOptimum(built.model, sol, zones); });
  const at = optimum as CoarseOptimum | null;
  return {
    lossSqPu: result.lossSqPu,
    basisFor: (built) => (at ? startingBasis(built.model, zones, at) : null),
    solveMs: result.solveMs,
    solveIterations: result.solveIterations,
  };
}

/** The DSO's dispatch with each zone held in the `arrival` sums of its groups (growing `workingSet`, default the inputs'). */
function clearArrivalSums(
  setup: NegotiationSetup, opts: { extend?: (built: BuiltDispatch) => void; workingSet?: LimitWorkingSet },
  onSolved?: (built: BuiltDispatch, sol: Solution) => void,
): Promise<DispatchResult> {
  const coarse = setup.zones.map((z) => ({ ...z, bid: { ...z.bid, envelopeGroups: coarserGroups('arrival', z.bid.envelopeGroups, z.bid.grid) } }));
  return runDispatch(setup.inputs, {
    flexible: setup.zones.map((z) => z.flexible), workingSet: opts.workingSet,
    extend: (built) => { opts.extend?.(built); coarse.forEach((z, k) => addZoneTerms(built, z, k)); },
    ...(onSolved ? { onSolved } : {}),
  });
}

/** HiGHS's basis statuses (solver protocol.ts SimplexBasis). */
const LOWER = 0, BASIC = 1, UPPER = 2;

/** What the full model's basis is built from: the statuses outside the groups, by name, and the zones' charge prices. */
interface CoarseOptimum {
  colStatus: Map<string, number>;
  rowStatus: Map<string, number>;
  /** Per zone and day period, the cost of one more kW of battery-side charge (the dual of its charge sum). */
  chargePrice: Float64Array[];
}

/** A column or row of one of a zone's groups (policies envelopeGroupFamilies). */
type Role = { zone: number; part: 'charge' | 'discharge' | 'energy' | 'soc' | 'total' };

/** The group families of each zone, and the zone of each charge-sum family (whose duals price its charge). */
function familiesOf(zones: readonly ZoneSetup[]): { roles: Map<string, Role>; chargeSums: Map<string, number> } {
  const roles = new Map<string, Role>(), chargeSums = new Map<string, number>();
  zones.forEach((z, zone) => {
    const { chargeSum, dischargeSum: _sum, ...group } = envelopeGroupFamilies(zoneGroupsPrefix(z));
    for (const [part, family] of Object.entries(group)) roles.set(family, { zone, part: part as Role['part'] });
    chargeSums.set(chargeSum, zone);
  });
  return { roles, chargeSums };
}

function readOptimum(m: ModelBuilder, sol: Solution, zones: readonly ZoneSetup[]): CoarseOptimum | null {
  if (!sol.basis) return null;
  const { roles, chargeSums } = familiesOf(zones);
  const T = zones[0]?.bid.grid.periods ?? 0;
  const out: CoarseOptimum = { colStatus: new Map(), rowStatus: new Map(), chargePrice: zones.map(() => new Float64Array(T)) };
  for (let j = 0; j < m.numCols; j++) if (!roles.has(m.colFamily(j))) out.colStatus.set(m.colName(j), sol.basis.colStatus[j]);
  for (let i = 0; i < m.numRows; i++) {
    const family = m.rowFamily(i);
    if (roles.has(family)) continue;
    const zone = chargeSums.get(family);
    if (zone !== undefined) out.chargePrice[zone][m.rowIndexAt(i, 0)] = sol.dual(i);
    out.rowStatus.set(m.rowName(i), sol.basis.rowStatus[i]);
  }
  return out;
}

/** One announced group's columns and rows in the full model. */
interface GroupEntries {
  cols: number[];
  total: number;
  socRows: number[];
}

/**
 * The full model's starting basis: the network's and the links' statuses carried over by name (a row
 * the coarse model did not hold starts basic, a column at its lower bound), each group's set from its
 * zone's charge prices.
 */
function startingBasis(m: ModelBuilder, zones: readonly ZoneSetup[], at: CoarseOptimum): SimplexBasis {
  const { roles } = familiesOf(zones);
  const colStatus = new Int32Array(m.numCols).fill(LOWER), rowStatus = new Int32Array(m.numRows).fill(BASIC);
  const groups = zones.map((z) => Array.from({ length: z.bid.envelopeGroups.length }, (): GroupEntries => ({ cols: [], total: -1, socRows: [] })));
  for (let j = 0; j < m.numCols; j++) {
    const role = roles.get(m.colFamily(j));
    if (role) groups[role.zone][m.colIndexAt(j, 0)].cols.push(j);
    else colStatus[j] = at.colStatus.get(m.colName(j)) ?? LOWER;
  }
  for (let i = 0; i < m.numRows; i++) {
    const role = roles.get(m.rowFamily(i));
    if (role?.part === 'total') groups[role.zone][m.rowIndexAt(i, 0)].total = i;
    else if (role?.part === 'soc') groups[role.zone][m.rowIndexAt(i, 0)].socRows.push(i);
    else rowStatus[i] = at.rowStatus.get(m.rowName(i)) ?? BASIC;
  }
  zones.forEach((z, zone) => groups[zone].forEach((entries, k) => {
    if (entries.total >= 0) setTotalGroup(m, z, k, entries, at.chargePrice[zone], colStatus, rowStatus);
    else setSocGroup(m, z, k, entries, at.chargePrice[zone], colStatus, rowStatus, roles);
  }));
  return { colStatus, rowStatus };
}

/**
 * A charge-only group held by its total energy (envelope-model.ts boundsOnlyAtEnd): its periods in
 * order of price, each at its limit while the group is short of its need (or of its room while
 * charging pays), the one that completes it basic with the energy row at that bound; a group with
 * nothing to take keeps its row basic.
 */
function setTotalGroup(m: ModelBuilder, z: ZoneSetup, k: number, g: GroupEntries, price: Float64Array, colStatus: Int32Array, rowStatus: Int32Array): void {
  const env = z.bid.envelopeGroups[k].envelope, T = z.bid.grid.periods, dt = z.bid.grid.dtH;
  const eMin = env.eMinKwh[T], eMax = env.eMaxKwh[T];
  const periodOf = (col: number) => m.colIndexAt(col, 1);
  const cols = [...g.cols].sort((a, b) => price[periodOf(a)] - price[periodOf(b)]);
  let energy = 0, marginal = -1;
  for (const col of cols) {
    const goal = price[periodOf(col)] < 0 ? eMax : eMin;
    if (energy >= goal) continue; // at its lower bound: the fill above
    const room = m.colUpperBound(col) * dt;
    if (energy + room < goal) {
      colStatus[col] = UPPER;
      energy += room;
      continue;
    }
    colStatus[col] = BASIC;
    marginal = col;
    rowStatus[g.total] = goal === eMax ? UPPER : LOWER;
    energy = goal;
  }
  if (marginal < 0) rowStatus[g.total] = BASIC;
}

/**
 * A group with an energy column per period (V2G, or bounds before its end): the energy columns basic,
 * charge and discharge at the bound nearest the group's cheapest schedule at the zone's prices, the
 * energy rows nonbasic. Where that schedule breaks an energy bound, simplex repairs it.
 */
function setSocGroup(m: ModelBuilder, z: ZoneSetup, k: number, g: GroupEntries, price: Float64Array, colStatus: Int32Array, rowStatus: Int32Array, roles: Map<string, Role>): void {
  // The charge price is per battery-side kW; the schedule's is per grid-side kW (charging costs it / η).
  const gridPrice = Array.from(price, (p) => p * z.bid.eta);
  let schedule: { chargeKw: Float64Array; dischargeKw: Float64Array } | null = null;
  try {
    schedule = cheapestGroupSchedule(z.bid.envelopeGroups[k], z.bid.eta, z.bid.grid, gridPrice, z.bid.degradationYuanPerKwh);
  } catch {
    // A group with no schedule at all: the clearing names it; the start leaves it at rest.
  }
  for (const col of g.cols) {
    const part = roles.get(m.colFamily(col))?.part;
    if (part === 'energy') { colStatus[col] = BASIC; continue; }
    const kw = schedule ? (part === 'charge' ? schedule.chargeKw : schedule.dischargeKw)[m.colIndexAt(col, 1)] : 0;
    colStatus[col] = kw > m.colUpperBound(col) / 2 ? UPPER : LOWER;
  }
  for (const row of g.socRows) rowStatus[row] = LOWER;
}
