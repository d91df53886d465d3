/**
 * One area's subproblem: the DSO's own dispatch model (libs/dispatch `buildDispatchModel`: LinDistFlow
 * on squared voltages with the fixed branch-current loss estimate, soft voltage band, rating polygons,
 * PV / wind / diesel, the carbon rows) built on the area's feeder, with its zones' envelopes and
 * private terms as the centralised oracle adds them (libs/coordination `addZoneTerms`), patched at its
 * ghost buses (areas.ts) and given the consensus term on its boundary copies:
 *
 *   x_a ← argmin f_a(x) + Σ_i ρ/2·h_i·κ_i²·(x_i − z_i + u_i)²      (Boyd et al. 2011 §7.1, scaled form)
 *
 * with κ_i the kW per unit of copy i and h_i its period length, so ρ is in yuan per kWh per kW as in
 * the zones' ADMM (SPEC §8); the square is taken as the envelope of its tangents (an LP, see
 * `AreaSignal.term`). `solveArea` is a pure function of the area's data and the coordinator's
 * signal: what a zone agent owning its part of the feeder would run each round.
 */
import type { ZoneSetup } from '@zonal/coordination';
import { addZoneTerms } from '@zonal/coordination';
import { branchVars, buildDispatchModel, carbonCostYuan, ladderPieces, type BuiltDispatch, type ConstraintMode } from '@zonal/dispatch';
import { basisWithRows, solve, type ModelBuilder, type SimplexBasis, type Solution } from '@zonal/solver';
import type { AreaData } from './areas';
import { copyOrder } from './boundary';

/** What the coordinator sends an area each round (its copies only, in its copy order). */
export interface AreaSignal {
  round: number;
  /** Penalty parameter, yuan per kWh per kW (per kW-equivalent² and hour). */
  rho: number;
  /** Per copy: the coordinator's consensus value and the scaled dual u = λ/ρ, in the copy's own unit. */
  z: Float64Array;
  u: Float64Array;
  /** Per copy: kW per unit (κ) and hours (h) of its proximal weight. */
  scale: Float64Array;
  weightH: Float64Array;
  /**
   * 'consensus': the consensus term above, taken as the convex piecewise-linear envelope of its
   * tangents spaced `tangentScaleKw` apart near z − u (an LP, exact at the tangent points; HiGHS's QP
   * solver did not solve the exact square on an 11-bus, 24-period area within 300 s, as the zones'
   * ADMM found for the DSO's step). 'price': no consensus term; each copy priced linearly at
   * `price[i]` yuan per unit (the coordinator's opening sweep).
   */
  term: 'consensus' | 'price';
  price?: Float64Array;
  /** Copies held at z (where 1) instead: the sweeps' way of passing a boundary on (`AreaAnswer.holdDuals` prices each). */
  hold?: Uint8Array;
  tangentScaleKw?: number;
}

/** Cost categories of an area's objective (yuan), as the dispatch's cost table and the zones' terms name them. */
export interface AreaCosts {
  purchaseYuan: number;
  dieselYuan: number;
  curtailmentYuan: number;
  carbonYuan: number;
  demandChargeYuan: number;
  penaltyYuan: number;
  degradationYuan: number;
  tieBreakYuan: number;
}

export interface AreaAnswer {
  areaId: number;
  round: number;
  /** Per copy: the area's value, in the copy's own unit (kW, kvar, pu², t). */
  x: Float64Array;
  /** f_a: the area's share of the centralised objective at its point (no consensus term). */
  costYuan: number;
  costs: AreaCosts;
  /** Grid-side EV power of each of its zones per period (kW), in `area.zones` order. */
  zoneEvKw: Float64Array[];
  /** Per period and own bus (area positions of `ownPos`): net active and reactive load, kW / kvar (load + EVs − DERs). */
  netLoadKw: Float64Array[];
  netLoadKvar: Float64Array[];
  /** Squared voltages of the area feeder's buses per period (pu²). */
  wSqPu: Float64Array[];
  solveMs: number;
  /**
   * Per copy held (`AreaSignal.hold`): d(f_a)/d(z), what one more unit of the held value is worth to
   * the area in yuan (negative: it lowers the area's cost); NaN where not held.
   */
  holdDuals: Float64Array;
  /** What the area keeps for its next round (`solveArea`'s `memory`). */
  memory: AreaMemory;
  /** LP solves this answer took (more than one when limit rows were generated). */
  solves: number;
}

/**
 * An area's own state between rounds: the last LP's basis and the voltage and rating rows its
 * generation found (libs/dispatch limits.ts keys, in the order added). Its model keeps its shape from
 * round to round (the consensus term has as many tangents every round), so the basis fits the next
 * model's first rows.
 */
export interface AreaMemory {
  basis: SimplexBasis | null;
  limitKeys: readonly number[];
}

export interface AreaModel {
  built: BuiltDispatch;
  /** Column of each copy, in the area's copy order. */
  copyCols: Int32Array;
  zoneTerms: Array<{ cols: number[]; coef: number; linkRows: number[] }>;
  /** The model's objective coefficients and constant before any consensus term: f_a. */
  baseCost: Float64Array;
  baseOffset: number;
  /** The root area's ladder on the feeder's total excess (null elsewhere). */
  carbonTotal: number | null;
}

/**
 * The area's subproblem without its consensus term (see the file's header). `constraints`: 'lazy'
 * leaves the voltage and rating rows out for `solveArea` to generate where the point comes near them
 * (the DSO's constraint generation, libs/dispatch limits.ts: the same optimum); 'full' builds them all.
 */
export function buildAreaModel(area: AreaData, lossSqPu: Float64Array[] | null, constraints: ConstraintMode = 'full'): AreaModel {
  const inp = area.inputs;
  const T = inp.grid.periods;
  const built = buildDispatchModel(inp, lossSqPu, area.zones.map((z) => z.flexible), { constraints });
  const zoneTerms = area.zones.map((z: ZoneSetup, k) => addZoneTerms(built, z, k));
  const m = built.model, v = { ...built.vars, ...branchVars(built) };
  const clearCost = (col: number) => m.setObjectiveCoef(col, -m.objectiveCoef(col));

  if (!area.isRoot) {
    // The slack is the incoming cut line's sending end: its flow goes either way at no price, its
    // voltage is the parent area's (a copy), its band is priced there.
    const s = area.ghostParentPos;
    for (let t = 0; t < T; t++) {
      m.setColBounds(v.pGrid.at(t), -area.bigKw, area.bigKw);
      m.setColBounds(v.wSq.at(s, t), 0, 4);
    }
  }
  for (const g of area.ghostChildPos) {
    for (let t = 0; t < T; t++) {
      // The ghost child's balance belongs to the child area: here its rows only bound the copy of
      // the cut line's flow (a range no optimum reaches), and its band and the line's rating are priced there.
      const p = built.pbalRow(g, t), q = p + 1;
      if (m.rowFamily(p) !== 'pbal' || m.rowFamily(q) !== 'qbal') throw new Error(`area ${area.id}: the dispatch model's balance rows of bus position ${g} are not where expected`);
      m.setRowBounds(p, -area.bigKw, area.bigKw);
      m.setRowBounds(q, -area.bigKw, area.bigKw);
      clearCost(v.vOver.at(g, t));
      clearCost(v.vUnder.at(g, t));
      clearCost(v.sOver.at(g, t));
    }
  }

  // Carbon (areas.ts): every area's own excess is its model's `carbonExcess`; only the root prices the
  // ladder, on its own excess plus its copies of the others'.
  clearCost(v.carbonYuan);
  let carbonTotal: number | null = null;
  const carbonCopies = new Map<number, number>();
  if (area.isRoot) {
    for (const a of area.boundary.carbonContributors) carbonCopies.set(a, m.addVar('carbonCopy', [a], { lb: -Infinity }));
    carbonTotal = m.addVar('carbonTotal', [], { lb: -Infinity });
    m.addConstraint('carbonTotalDef', [], [carbonTotal, v.excessT, ...carbonCopies.values()], [1, -1, ...Array.from(carbonCopies, () => -1)], '=', 0);
    const ladder = m.addVar('carbonLadder', [], { lb: -Infinity });
    ladderPieces(inp.scenario.carbon).forEach((piece, i) => {
      m.addConstraint('carbonLadderStep', [i], [ladder, carbonTotal!], [1, -piece.slopeYuanPerT], '>=', piece.interceptYuan);
    });
    m.setObjectiveCoef(ladder, 1);
  }

  const posOf = new Map(inp.net.feeder.buses.map((b, i) => [b.id, i]));
  const copyCols = Int32Array.from(copyOrder(area.boundary), (c) => {
    if ('carbonOf' in c) return c.carbonOf === area.id ? v.excessT : carbonCopies.get(c.carbonOf)!;
    const l = area.boundary.cutLines[c.line];
    const from = posOf.get(l.from)!, to = posOf.get(l.to)!;
    // The line feeds bus `to` (own root or ghost child) from bus `from` (ghost parent or own bus).
    switch (c.q) {
      case 'P': return v.pFlow.at(to, c.t);
      case 'Q': return v.qFlow.at(to, c.t);
      case 'Wfrom': return v.wSq.at(from, c.t);
      case 'Wto': return v.wSq.at(to, c.t);
    }
  });
  const baseCost = Float64Array.from({ length: m.numCols }, (_x, col) => m.objectiveCoef(col));
  return { built, copyCols, zoneTerms, baseCost, baseOffset: m.objectiveOffset, carbonTotal };
}

/**
 * Solves the area's subproblem for one round's signal. `memory`: what the area kept from its last
 * round (its basis, its generated limit rows), or null to start cold with none. With lazy
 * constraints (the default) it re-solves until its point keeps every limit row left out by a margin,
 * as `runDispatch` does, so its answer is the full model's. `lossSqPu` (`[t][area position]`): the
 * branch |I|² (pu) its LinDistFlow loss terms hold fixed, the area's own estimate (area-port.ts); null
 * for a lossless solve.
 */
export async function solveArea(
  area: AreaData, signal: AreaSignal, memory: AreaMemory | null = null, constraints: ConstraintMode = 'lazy', lossSqPu: Float64Array[] | null = null,
): Promise<AreaAnswer> {
  const am = buildAreaModel(area, lossSqPu, constraints);
  const m = am.built.model, limits = am.built.limits;
  const n = am.copyCols.length;
  if (signal.z.length !== n || signal.u.length !== n || signal.scale.length !== n || signal.weightH.length !== n) {
    throw new Error(`area ${area.id}: a signal of ${signal.z.length} values for ${n} boundary copies`);
  }
  if (signal.hold && signal.hold.length !== n) throw new Error(`area ${area.id}: ${signal.hold.length} hold flags for ${n} boundary copies`);
  if (signal.term === 'price' && signal.price?.length !== n) throw new Error(`area ${area.id}: a price signal needs a price per copy`);
  const step = signal.tangentScaleKw ?? 8;
  const holdRows = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const col = am.copyCols[i];
    // A row, not fixed bounds, so its dual prices the held value.
    if (signal.hold?.[i]) holdRows[i] = m.addConstraint('hold', [i], [col], [1], '=', signal.z[i]);
    else if (signal.term === 'price') { if (signal.price![i] !== 0) m.setObjectiveCoef(col, signal.price![i]); }
    else addProximalTangents(m, col, signal.z[i], signal.u[i], signal.scale[i], signal.rho * signal.weightH[i], step, i);
  }
  if (constraints === 'lazy') for (const key of memory?.limitKeys ?? []) limits.add(m, am.built, key);
  const flexible = area.zones.map((z) => z.flexible);
  let basis = memory?.basis ?? null, solves = 0, solveMs = 0;
  for (;;) {
    const sol = await solve(m, { solver: 'choose', warmStart: basis && basisWithRows(basis, m.numRows) });
    solves++;
    solveMs += sol.solveTimeMs;
    basis = sol.basis ?? basis;
    let add: number[] = [];
    if (constraints === 'lazy') {
      const point = am.built.network.point(sol.colValues);
      add = limits.nearBinding(sol, am.built, point);
      if (add.length) add.push(...limits.acrossPeriods(add, sol, point, am.built.vars.flexKw, flexible));
    }
    if (!add.length) {
      const holdDuals = Float64Array.from(holdRows, (r) => (r >= 0 && sol.hasDuals ? sol.dual(r) : NaN));
      return { ...answerOf(area, am, sol, signal.round), holdDuals, solveMs, solves, memory: { basis: sol.basis, limitKeys: [...limits.added] } };
    }
    for (const key of add) limits.add(m, am.built, key);
  }
}

function answerOf(area: AreaData, am: AreaModel, sol: Solution, round: number): Omit<AreaAnswer, 'memory' | 'solves' | 'solveMs' | 'holdDuals'> {
  const m = am.built.model, v = { ...am.built.vars, ...branchVars(am.built) }, inp = area.inputs;
  const T = inp.grid.periods;
  let cost = am.baseOffset;
  const costs: AreaCosts = { purchaseYuan: 0, dieselYuan: 0, curtailmentYuan: am.baseOffset, carbonYuan: 0, demandChargeYuan: 0, penaltyYuan: 0, degradationYuan: 0, tieBreakYuan: 0 };
  const zoneDegradation = new Set(am.zoneTerms.flatMap((z) => z.cols));
  for (let col = 0; col < am.baseCost.length; col++) {
    const c = am.baseCost[col];
    if (c === 0) continue;
    const yuan = c * sol.value(col);
    cost += yuan;
    costs[category(m, col, zoneDegradation)] += yuan;
  }
  // The ladder's epigraph equals the ladder at an optimum; report the ladder itself, as the dispatch does.
  if (am.carbonTotal !== null) {
    const ladder = carbonCostYuan(sol.value(am.carbonTotal), inp.scenario.carbon);
    cost += ladder - costs.carbonYuan;
    costs.carbonYuan = ladder;
  }
  const own = ownPositions(area);
  const netLoadKw: Float64Array[] = [], netLoadKvar: Float64Array[] = [], wSqPu: Float64Array[] = [];
  const flex = area.zones.map((_z, k) => sol.values(v.flexKw[k]));
  for (let t = 0; t < T; t++) {
    const p = new Float64Array(inp.net.nBus), q = new Float64Array(inp.net.nBus);
    for (let j = 0; j < inp.net.nBus; j++) { p[j] = inp.loadPKw[t][j]; q[j] = inp.loadQKvar[t][j]; }
    area.zones.forEach((z, k) => { for (const b of z.flexible.busShares) p[b.busPos] += b.share[t] * flex[k][t]; });
    inp.renewables.forEach((u, k) => { p[u.busPos] -= sol.value(v.renewable.at(k, t)); });
    inp.diesels.forEach((d, g) => { p[d.busPos] -= sol.value(v.diesel.at(g, t)); });
    netLoadKw.push(Float64Array.from(own, (j) => p[j]));
    netLoadKvar.push(Float64Array.from(own, (j) => q[j]));
    wSqPu.push(Float64Array.from({ length: inp.net.nBus }, (_x, j) => sol.value(v.wSq.at(j, t))));
  }
  return {
    areaId: area.id, round, x: Float64Array.from(am.copyCols, (c) => sol.value(c)), costYuan: cost, costs,
    zoneEvKw: flex, netLoadKw, netLoadKvar, wSqPu,
  };
}

/** Area-feeder positions of the area's own buses (every one but the ghosts), in table order. */
export function ownPositions(area: AreaData): number[] {
  const ghosts = new Set([area.ghostParentPos, ...area.ghostChildPos]);
  return Array.from(area.fullPos.keys()).filter((i) => !ghosts.has(i));
}

function category(m: ModelBuilder, col: number, degradation: Set<number>): keyof AreaCosts {
  if (degradation.has(col)) return 'degradationYuan';
  const f = m.colFamily(col);
  switch (f) {
    case 'Pgrid': return 'purchaseYuan';
    case 'Pdiesel': return 'dieselYuan';
    case 'Pren': return 'curtailmentYuan';
    case 'carbonLadder': case 'carbonCost': return 'carbonYuan';
    case 'peakKva': return 'demandChargeYuan';
    case 'Vover': case 'Vunder': case 'Sover': case 'SubOver': return 'penaltyYuan';
    default: return /^z\d+peak$/.test(f) ? 'tieBreakYuan' : 'penaltyYuan';
  }
}

/** Tangent offsets, in units of the spacing: fine near the target, wide enough for early rounds. */
const TANGENT_OFFSETS = [0, ...[0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096].flatMap((a) => [a, -a])];

/**
 * ρh/2·(y − v)² over y = κ·(x − z), the copy's deviation from z in kW-equivalents, with v = −κ·u:
 * s ≥ its tangents at y = o·step, s ≥ ρh·(c − v)·(y − c) + ρh/2·(c − v)², s priced 1. Exact at each
 * tangent point, below the parabola between them, convex: an LP. In kW-equivalents every coefficient
 * stays near ρ·h·kW whatever the copy's unit (κ reaches 10⁷ kW per pu² next to a substation, where
 * tangents on x itself left HiGHS without an answer on case85). The tangents crowd around y = 0 — the
 * copy at z, where it is expected at agreement — not around v: a copy settles u away from v (u carries
 * its price), and there the spacing bounds the price error.
 */
function addProximalTangents(m: ModelBuilder, x: number, z: number, u: number, kappa: number, weight: number, step: number, i: number): void {
  const y = m.addVar('proxDev', [i], { lb: -Infinity });
  m.addConstraint('proxDevDef', [i], [y, x], [1, -kappa], '=', -kappa * z);
  const s = m.addVar('prox', [i], { lb: 0 });
  m.setObjectiveCoef(s, 1);
  const v = -kappa * u;
  TANGENT_OFFSETS.forEach((o, k) => {
    const c = o * step, slope = weight * (c - v);
    m.addConstraint('proxTan', [i, k], [s, y], [1, -slope], '>=', -slope * c + (weight / 2) * (c - v) ** 2);
  });
}
