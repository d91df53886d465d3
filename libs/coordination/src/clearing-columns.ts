import { runDispatch, type BuiltDispatch, type DispatchBasis, type DispatchResult, LimitWorkingSet } from '@zonal/dispatch';
import { cheapestGroupSchedules, type EnvelopeGroup } from '@zonal/policies';
import type { LpExporter } from '@zonal/solver';
import { fixDsoPast } from './rolling/dso-past';
import type { NegotiationSetup, ZoneSetup } from './setup';

/**
 * The DSO's clearing of the zones' bids (SPEC §8 step 2) by column generation (Dantzig–Wolfe): the
 * same optimum as the dispatch with every announced envelope group inside it (centralised.ts
 * addZoneTerms), without one LP holding the groups.
 *
 * The master LP is the network's dispatch with each zone's EV power a convex combination of
 * schedules its groups can draw (columns). Its link duals price each zone's power per period; at
 * those prices each group's cheapest schedule is exact and cheap to find (policies
 * cheapestGroupSchedules: a dynamic programme, no LP), and their sum is the zone's next column when
 * it costs less than the master's convexity dual says. When no block has one, the master's optimum
 * is the full model's, and no LP ever held the groups (a city's ≈ 200 000 groups are past HiGHS's
 * 2 GiB as one LP). Chosen by `negotiation.admm.clearing: columns`; not the default: measured no
 * faster than the one LP (1 000 buses, 20 000 EVs: 13.0 s against 8.8 s; each master is a warm
 * re-solve of thousands of simplex iterations for the hundreds of columns an iteration brings), and
 * on the city's 10 001 buses one of its solves passed the solver's 300 s limit.
 *
 * The peak tie-break of each zone's net load stays a master row on the zone's power (it is a term of
 * the zone's total, not of a group), and degradation is each column's cost.
 */
export interface ColumnClearing {
  /** Each zone's EV grid power at the optimum (kW per period). */
  flexKw: Float64Array[];
  /** Dual of each zone's link row per period (yuan per kW per period): the marginal cost of its power. */
  linkDuals: Float64Array[];
  /** The master's final dispatch (its losses start the next dispatch). */
  dispatch: DispatchResult;
  /** Master solves (each a dispatch of the network with the columns so far). */
  iterations: number;
}

/**
 * The columns found so far, kept across clearings of the same zones (a re-clearing after a delivery
 * check starts from them). Each zone's groups are cut into `blocksPerZone` blocks of consecutive
 * groups (by default MASTER_BLOCKS over all zones), each block a convex combination of its own
 * columns: a master that mixes blocks' schedules independently reaches the optimum in fewer
 * iterations than one that mixes whole-zone schedules
 * (1 000-bus feeder, 20 000 EVs: 43 iterations with one block a zone, 19 with 26), while the master's
 * size grows with the blocks, not the groups (blocks of 20 groups at 100 000 EVs, 1 334 columns an
 * iteration: warm re-solves of 20 000 simplex iterations).
 */
export class ColumnPool {
  /** The last master's basis and where its columns sat: the next clearing starts from them. */
  basis: DispatchBasis | null = null;
  layout: MasterLayout | null = null;
  readonly blocks: Array<{ zone: number; groups: readonly EnvelopeGroup[] }> = [];
  readonly gridKw: Float64Array[][] = [];
  readonly costYuan: number[][] = [];
  constructor(zones: readonly ZoneSetup[], blocksPerZone = Math.max(1, Math.round(MASTER_BLOCKS / zones.length))) {
    zones.forEach((z, k) => {
      const groups = z.bid.envelopeGroups;
      const size = Math.max(1, Math.ceil(groups.length / blocksPerZone));
      for (let i = 0; i < Math.max(1, groups.length); i += size) {
        this.blocks.push({ zone: k, groups: groups.slice(i, i + size) });
        this.gridKw.push([]);
        this.costYuan.push([]);
      }
    });
  }
  add(block: number, gridKw: Float64Array, costYuan: number): void {
    this.gridKw[block].push(gridKw);
    this.costYuan[block].push(costYuan);
  }
  /** Columns in all. */
  get size(): number {
    return this.gridKw.reduce((a, c) => a + c.length, 0);
  }
}

/** Blocks over all zones (ColumnPool): each master iteration brings in at most one column per block. */
export const MASTER_BLOCKS = 500;

export interface ColumnClearingOptions {
  /** The columns and basis of an earlier clearing of the same zones (a re-clearing). */
  pool?: ColumnPool;
  /** The losses to start from (the last point's); lossless otherwise. */
  initialLossSqPu?: Float64Array[];
  exporter?: LpExporter;
  /** Stop when the Lagrangian bound is within this of the master's objective, relative (default 1e-5). */
  relGap?: number;
}

/** At most this many master solves. */
const MAX_ITERATIONS = 500;

/**
 * The clearing stops when its Lagrangian bound is this close to the master's objective: it only starts
 * the rounds, which settle the rest (1 000-bus, 20 000-EV case: 2e-4 at iteration 12, 1.2e-5 at 14,
 * 6e-6 at 15 of 19 to 1e-7, the duals then within 4e-4 yuan/kW of the full LP's).
 */
const DEFAULT_REL_GAP = 1e-5;

/** Below this a column's reduced cost (yuan) is no improvement: the master's own rounding. */
const REDUCED_COST_TOL = 1e-7;

export async function clearByColumns(setup: NegotiationSetup, opts: ColumnClearingOptions = {}): Promise<ColumnClearing> {
  const zones = setup.zones;
  const pool = opts.pool ?? new ColumnPool(zones);
  // The masters' limit rows are the network's (those of the dispatches after the clearing too).
  const workingSet = setup.inputs.workingSet ?? new LimitWorkingSet();
  const relGap = opts.relGap ?? DEFAULT_REL_GAP;
  const flexible = zones.map((z) => z.flexible);
  let lossSqPu = opts.initialLossSqPu;
  // Each master takes the losses of the last one's point (a successive LP, as runDispatch's rounds),
  // unless the scenario corrects no losses: then every master is the one LP the dispatch would solve.
  const correctLosses = setup.inputs.scenario.network.lossCorrection.maxRounds > 0;
  if (pool.gridKw.some((c) => !c.length)) {
    // The first columns: each block's groups at the energy tariff. (At the duals of a dispatch over
    // the zones' aggregate envelopes instead, the 1 000-bus case took 16 iterations, but on a city's
    // 10 001 buses that dispatch's limit rows ran HiGHS out of memory.)
    const tariff = setup.inputs.priceYuanPerKwh.map((p) => p * setup.inputs.grid.dtH);
    pool.blocks.forEach((b, i) => { if (!pool.gridKw[i].length) addColumn(pool, zones[b.zone], i, tariff); });
  }
  let exactLosses = false;
  for (let iteration = 1; ; iteration++) {
    let links: MasterRows[] = [];
    let duals: { link: Float64Array[]; convexity: number[] } = { link: [], convexity: [] };
    const before = pool.layout, basis = pool.basis;
    // Until no column prices out, each master is one LP at the last point's losses; then the
    // dispatch corrects its losses in full, and columns are priced again at its duals.
    const dispatch = await runDispatch(setup.inputs, {
      flexible, exporter: opts.exporter, workingSet, initialLossSqPu: lossSqPu, limitsAcrossPeriods: false, warmPricing: 'devex',
      maxLossRounds: exactLosses ? undefined : 0,
      warmStart: basis && before && withNewColumns(basis, before, pool),
      extend: (built) => {
        fixDsoPast(built, setup.past);
        const networkCols = built.model.numCols;
        links = zones.map((z, k) => addColumnMaster(built, z, k, pool));
        pool.layout = { networkCols, columns: pool.gridKw.map((c) => c.length) };
      },
      onSolved: (_built, sol) => {
        const convexity: number[] = [];
        for (const l of links) l.convexityRows.forEach((row, j) => { convexity[l.blocks[j]] = sol.dual(row); });
        duals = { link: links.map((l) => Float64Array.from(l.linkRows, (r) => sol.dual(r))), convexity };
      },
    });
    if (correctLosses) lossSqPu = dispatch.lossSqPu;
    pool.basis = dispatch.basis;
    let improvement = 0;
    pool.blocks.forEach((b, i) => {
      const reduced = addColumn(pool, zones[b.zone], i, duals.link[b.zone], duals.convexity[i]);
      if (reduced < -REDUCED_COST_TOL) improvement -= reduced;
    });
    const done = improvement <= relGap * Math.max(1, Math.abs(dispatch.objective));
    if ((done && exactLosses) || iteration >= MAX_ITERATIONS) {
      return { flexKw: dispatch.flexKw, linkDuals: duals.link, dispatch, iterations: iteration };
    }
    if (done) exactLosses = true;
  }
}

/** Where a master's columns sit: the network's first, then per zone its blocks' columns and its peak. */
interface MasterLayout {
  networkCols: number;
  /** Columns per block, in the pool's order (a zone's blocks are consecutive). */
  columns: number[];
}

/**
 * The last master's basis for the next, which has the same rows and more columns in each block:
 * the new columns nonbasic at 0 (the last optimum stays feasible; they are what improves it).
 */
function withNewColumns(basis: DispatchBasis, before: MasterLayout, pool: ColumnPool): DispatchBasis {
  const old = basis.colStatus, colStatus: number[] = Array.from(old.subarray(0, before.networkCols));
  let at = before.networkCols;
  pool.blocks.forEach((b, i) => {
    const n = before.columns[i];
    for (let j = 0; j < n; j++) colStatus.push(old[at + j]);
    for (let j = n; j < pool.gridKw[i].length; j++) colStatus.push(NONBASIC_AT_LOWER);
    at += n;
    if (i === pool.blocks.length - 1 || pool.blocks[i + 1].zone !== b.zone) colStatus.push(old[at++]); // the zone's peak
  });
  for (let j = at; j < old.length; j++) colStatus.push(old[j]); // the limit rows' slack columns
  return { ...basis, colStatus: Int32Array.from(colStatus) };
}

/** HiGHS's basis status of a nonbasic column at its lower bound. */
const NONBASIC_AT_LOWER = 0;

interface MasterRows {
  linkRows: number[];
  /** The zone's blocks (pool indices) and each one's convexity row. */
  blocks: number[];
  convexityRows: number[];
}

/**
 * Zone k in the master: its power per period is the sum over its blocks of Σ λ_j·column_j, with
 * Σ λ_j = 1 in each block and each λ_j costing its column's degradation; its net-load peak pays the
 * tie-break (as centralised.ts addZoneTerms).
 */
function addColumnMaster(built: BuiltDispatch, zone: ZoneSetup, k: number, pool: ColumnPool): MasterRows {
  const m = built.model, T = zone.bid.grid.periods;
  const flex = built.vars.flexKw[k];
  const blocks = pool.blocks.flatMap((b, i) => (b.zone === k ? [i] : []));
  const lambda: number[] = [], columns: Float64Array[] = [];
  const convexityRows = blocks.map((i) => {
    const own = pool.gridKw[i].map((c, j) => {
      const col = m.addVar(`z${zone.id}col`, [i, j], { lb: 0, ub: 1 });
      m.setObjectiveCoef(col, pool.costYuan[i][j]);
      lambda.push(col);
      columns.push(c);
      return col;
    });
    return m.addConstraint(`z${zone.id}convex`, [i], own, own.map(() => 1), '=', 1);
  });
  const linkRows: number[] = [];
  for (let t = 0; t < T; t++) {
    linkRows.push(m.addConstraint(`z${zone.id}link`, [t], [flex.at(t), ...lambda], [1, ...columns.map((c) => -c[t])], '=', 0));
  }
  const peak = m.addVar(`z${zone.id}peak`, [], { lb: -1e7, ub: 1e7 });
  for (let t = 0; t < T; t++) m.addConstraint(`z${zone.id}peakDef`, [t], [peak, flex.at(t)], [1, -1], '>=', zone.bid.baseNetLoadKw[t]);
  m.setObjectiveCoef(peak, zone.bid.peakTieBreakYuanPerKw);
  return { linkRows, blocks, convexityRows };
}

/**
 * Prices a block's groups at its zone's link duals (the column's reduced cost is its cost plus
 * Σ dual·power less the convexity dual: the link row holds −power) and adds the cheapest schedule's
 * column when it improves on the master. Returns that reduced cost.
 */
function addColumn(pool: ColumnPool, zone: ZoneSetup, block: number, linkDual: Float64Array, convexityDual = Infinity): number {
  const { eta, grid, degradationYuanPerKwh } = zone.bid;
  const r = cheapestGroupSchedules(pool.blocks[block].groups, eta, grid, linkDual, degradationYuanPerKwh);
  const degradation = degradationYuanPerKwh * grid.dtH * r.dischargeKw.reduce((a, kw) => a + kw, 0);
  const reduced = r.costYuan - convexityDual;
  if (reduced < -REDUCED_COST_TOL) pool.add(block, r.gridKw, degradation);
  return reduced;
}
