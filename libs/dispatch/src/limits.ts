import type { ModelBuilder, Solution, VarBlock } from '@zonal/solver';
import type { DispatchInputs } from './inputs';
import type { FlexibleLoad, LimitSlacks } from './model';
import type { LinearTerms, NetworkPoint, NetworkTerms } from './network-terms';

/**
 * The dispatch's soft network limits as rows, and constraint generation over them (issue 11).
 *
 * Every non-slack bus j and period t has two voltage rows (SPEC §3: w − v⁺ ≤ vmax², w + v⁻ ≥ vmin²)
 * and, on a rated branch, N rating-polygon rows (cosθ_k·P + sinθ_k·Q − s⁺ ≤ S_max·cos(π/N)): on a
 * 1 000-bus feeder over 24 periods 48 000 voltage and 364 000 polygon rows, 85% of the LP, of which
 * about 2 000 come near binding with the default scenario's EVs uncoordinated. `constraints: 'full'`
 * builds them all; `'lazy'` builds those the expected flows come near, solves, adds the rows the LP
 * point breaks or comes near (`nearBinding`, and `acrossPeriods`) and solves again, until it breaks
 * and nears none. The rows found are kept in a working set (`LimitWorkingSet`), so the next solve of
 * the same network (the next loss-correction round, the next negotiation round) starts with them.
 *
 * Why the lazy optimum is the full model's: the lazy LP has the full LP's columns and objective and
 * a subset of its rows, so it is a relaxation, z_lazy ≤ z_full. Its last point satisfies every row it
 * left out (each sits at least a margin inside its limit), so that point is feasible in the full LP
 * and z_full ≤ z_lazy: they are equal, and the point is a full-model optimum. Its duals, with 0 on the
 * rows left out, are feasible and complementary in the full LP, so the prices (`pbal` duals) are the
 * full model's too. The rows only grow (each pass adds at least one new row of a finite set), so it
 * ends. The same holds for a MIP (capacitor banks), up to its gap.
 */
export type ConstraintMode = 'full' | 'lazy';

/** A polygon side is added when the LP flow's projection on it reaches this share of the side's distance from the origin. */
export const NEAR_RATING_SHARE = 0.9;
/** A voltage row is added when the LP voltage comes this close (pu) to its edge of the band. */
export const NEAR_VOLTAGE_PU = 0.005;

/**
 * The limit rows a lazy dispatch carries: rows that bound or came near binding in an earlier solve
 * of the same network and time grid, in the order they were found (the order they are appended, so
 * a simplex basis carries over from one solve to the next). `DispatchInputs.workingSet` holds one
 * per network, shared by every copy of those inputs; it only grows.
 */
export class LimitWorkingSet {
  private readonly keys = new Set<number>();
  private readonly order: number[] = [];
  private shape = '';

  /** Rows held: polygon sides and voltage rows. */
  get size(): number {
    return this.order.length;
  }

  /** The rows, in the order they were added (keys of `LimitRows`). */
  rows(): readonly number[] {
    return this.order;
  }

  has(key: number): boolean {
    return this.keys.has(key);
  }

  add(key: number): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.order.push(key);
    return true;
  }

  /** The rows held and the shape they are of, to save (a DSO's checkpoint) and restore (`LimitWorkingSet.from`). */
  saved(): SavedLimitRows {
    return { shape: this.shape, rows: [...this.order] };
  }

  /** A set holding `saved`'s rows in its order: a copy of another set (the two then grow apart), or a restored one. */
  static from(saved: SavedLimitRows): LimitWorkingSet {
    const set = new LimitWorkingSet();
    set.restore(saved);
    return set;
  }

  /** Holds `saved`'s rows in its order, and nothing else. */
  restore(saved: SavedLimitRows): void {
    this.shape = saved.shape;
    this.keys.clear();
    this.order.length = 0;
    for (const key of saved.rows) this.add(key);
  }

  /** Starts over when asked for another shape of network and time grid: its keys would mean other rows. */
  bind(shape: string): void {
    if (shape === this.shape) return;
    this.shape = shape;
    this.keys.clear();
    this.order.length = 0;
  }
}

/** A working set's rows in the order they were found, and the shape of network and time grid their keys are of. */
export interface SavedLimitRows {
  shape: string;
  rows: number[];
}

/** How near a limit a flow must come for its row to be wanted: a share of the polygon side's distance, pu of the band's edge. */
interface Margin {
  ratingShare: number;
  voltagePu: number;
}

const NEAR: Margin = { ratingShare: NEAR_RATING_SHARE, voltagePu: NEAR_VOLTAGE_PU };

/** An AC flow of one period: sending-end flow into each bus position, and its voltage. */
export interface AcPoint {
  branchPKw: Float64Array;
  branchQKvar: Float64Array;
  vmPu: Float64Array;
}

function acReader(flows: readonly AcPoint[]): Record<'pKw' | 'qKvar' | 'overKva' | 'vHiPu' | 'vLoPu', (j: number, t: number) => number> {
  const vm = (j: number, t: number) => flows[t].vmPu[j];
  return { pKw: (j, t) => flows[t].branchPKw[j], qKvar: (j, t) => flows[t].branchQKvar[j], overKva: () => 0, vHiPu: vm, vLoPu: vm };
}

/** Limit rows by kind. */
export interface LimitRowCounts {
  polygon: number;
  voltage: number;
}

/** What the limit rows are written over: the network's flows and voltages, and the slacks that price breaking them. */
export interface LimitModel {
  network: NetworkTerms;
  slacks: LimitSlacks;
}

/** A limit row's place: bus position, period, and a polygon side (its index) or the voltage band's edge. */
export interface LimitRowKey {
  j: number;
  t: number;
  side: number | 'upper' | 'lower';
}

/**
 * The limit rows of one dispatch model. A row is a key: ((t·n + j)·(N + 2) + s), s < N a side of
 * branch j's polygon, s = N its upper voltage row, s = N + 1 its lower one.
 */
export class LimitRows {
  readonly n: number;
  readonly periods: number;
  readonly sides: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly cosHalf: number;
  /** The limit rows in this model, in the order added, and their row indices. */
  readonly added: number[] = [];
  private readonly rowIndex: number[] = [];
  private readonly inModel = new Set<number>();

  constructor(private readonly inp: DispatchInputs) {
    this.n = inp.net.nBus;
    this.periods = inp.grid.periods;
    this.sides = inp.scenario.network.lineRating.polygonSides;
    this.cos = Float64Array.from({ length: this.sides }, (_, k) => Math.cos(((2 * k + 1) * Math.PI) / this.sides));
    this.sin = Float64Array.from({ length: this.sides }, (_, k) => Math.sin(((2 * k + 1) * Math.PI) / this.sides));
    this.cosHalf = Math.cos(Math.PI / this.sides);
  }

  /** What a working set's keys are relative to. */
  get shape(): string {
    return `${this.periods}x${this.n}x${this.sides}`;
  }

  polygonKey(j: number, t: number, k: number): number {
    return (t * this.n + j) * (this.sides + 2) + k;
  }

  /** Position of the bus with this id (the `j` of the keys); -1 when the feeder has none. */
  busPosition(busId: number): number {
    return this.inp.net.feeder.buses.findIndex((b) => b.id === busId);
  }

  voltageKey(j: number, t: number, upper: boolean): number {
    return (t * this.n + j) * (this.sides + 2) + this.sides + (upper ? 0 : 1);
  }

  /** Distance of branch j's polygon sides from the origin at period t (kVA); Infinity when unrated. */
  apothemKva(j: number, t: number): number {
    return this.inp.sMaxKva[j] * (this.inp.ratingScale?.branch[t][j] ?? 1) * this.cosHalf;
  }

  /** The band edges at bus j, period t, as squared voltages (pu²), narrowed by the planner's margin. */
  bandSq(j: number, t: number): [number, number] {
    const [vMin, vMax] = this.inp.scenario.network.voltageBandPu;
    const band = this.inp.ratingScale?.voltageMarginPu?.[t][j] ?? 0;
    return [(vMin + band) ** 2, (vMax - band) ** 2];
  }

  /**
   * Appends the row `key` to the model; returns its row index. A rating is |S| ≤ S_max as an
   * inscribed regular polygon (SPEC §3): its sides lie at S_max·cos(π/N) from the origin, so the LP
   * is at most 1 − cos(π/N) conservative (1.9% for N = 16), never optimistic. The flows and voltages
   * are the network's terms (a column each in the branch formulation, expressions in the injection
   * one: their constants go to the bound).
   */
  add(m: ModelBuilder, lm: LimitModel, key: number): number {
    this.inModel.add(key);
    this.added.push(key);
    const r = this.rowOf(lm, key);
    const row = m.addConstraint(r.family, r.index, r.cols, r.coefs, r.sense, r.rhs);
    this.rowIndex.push(row);
    return row;
  }

  /**
   * Every row in the model given its bound again from the network's terms as they are now (the
   * injection formulation's constants move with the loss estimate: InjectionTerms.setLosses).
   */
  resetBounds(m: ModelBuilder, lm: LimitModel): void {
    this.forEachRow((key, row) => {
      const { sense, rhs } = this.rowOf(lm, key);
      m.setRowBounds(row, sense === '<=' ? -Infinity : rhs, sense === '>=' ? Infinity : rhs);
    });
  }

  /** Row `key` over the network's terms: its family and index, terms, sense and side. */
  private rowOf(lm: LimitModel, key: number): { family: 'srate' | 'vmax' | 'vmin'; index: number[]; cols: number[]; coefs: number[]; sense: '<=' | '>='; rhs: number } {
    const { j, t, side } = this.decode(key);
    if (typeof side === 'number') {
      const p = lm.network.p(j, t), q = lm.network.q(j, t);
      const { cols, coefs, constant } = combine([[this.cos[side], p], [this.sin[side], q]]);
      cols.push(lm.slacks.column('sOver', j, t)); coefs.push(-1);
      return { family: 'srate', index: [j, t, side], cols, coefs, sense: '<=', rhs: this.apothemKva(j, t) - constant };
    }
    const [loSq, hiSq] = this.bandSq(j, t);
    const w = lm.network.w(j, t);
    const cols = [...w.cols], coefs = [...w.coefs];
    // Soft voltage band on squared voltage (SPEC §3: slack priced per pu² per bus-hour).
    if (side === 'upper') {
      cols.push(lm.slacks.column('vOver', j, t)); coefs.push(-1);
      return { family: 'vmax', index: [j, t], cols, coefs, sense: '<=', rhs: hiSq - w.constant };
    }
    cols.push(lm.slacks.column('vUnder', j, t)); coefs.push(1);
    return { family: 'vmin', index: [j, t], cols, coefs, sense: '>=', rhs: loSq - w.constant };
  }

  /** Where a row key sits. */
  decode(key: number): LimitRowKey {
    const s = key % (this.sides + 2), jt = (key - s) / (this.sides + 2);
    const j = jt % this.n, t = (jt - j) / this.n;
    return { j, t, side: s < this.sides ? s : s === this.sides ? 'upper' : 'lower' };
  }

  /** The active-power coefficient of polygon side `side`. */
  sideCos(side: number): number {
    return this.cos[side];
  }

  /** Every limit row in this model with its row index, in the order added. */
  forEachRow(visit: (key: number, row: number) => void): void {
    this.added.forEach((key, i) => visit(key, this.rowIndex[i]));
  }

  /** Every limit row of bus j at period t, in the full model's order: vmax, vmin, then the polygon. */
  addAllAt(m: ModelBuilder, lm: LimitModel, j: number, t: number): void {
    this.add(m, lm, this.voltageKey(j, t, true));
    this.add(m, lm, this.voltageKey(j, t, false));
    if (!Number.isFinite(this.apothemKva(j, t))) return;
    for (let k = 0; k < this.sides; k++) this.add(m, lm, this.polygonKey(j, t, k));
  }

  has(key: number): boolean {
    return this.inModel.has(key);
  }

  /**
   * The rows outside this model that the LP point breaks or comes near: a polygon side where the
   * flow's projection less the overload slack reaches NEAR_RATING_SHARE of its distance, a voltage
   * row where the voltage (less its slack) lies within NEAR_VOLTAGE_PU of the band's edge. An empty
   * answer means the point keeps every row left out, each by a margin. `inModelToo`: the rows in
   * the model that the point binds or nears as well.
   */
  nearBinding(sol: Solution, lm: LimitModel, point: NetworkPoint, inModelToo = false): number[] {
    const x = sol.colValues, s = lm.slacks;
    return this.scan(inModelToo, NEAR, {
      pKw: (j, t) => point.pKw[t][j], qKvar: (j, t) => point.qKvar[t][j], overKva: (j, t) => s.value('sOver', j, t, x),
      vHiPu: (j, t) => Math.sqrt(Math.max(0, point.wSq[t][j] - s.value('vOver', j, t, x))),
      vLoPu: (j, t) => Math.sqrt(Math.max(0, point.wSq[t][j] + s.value('vUnder', j, t, x))),
    });
  }

  /** The same test on AC flows (per period: sending-end flows and voltages), to seed a model before it is solved. */
  nearBindingAc(flows: readonly AcPoint[]): number[] {
    return this.scan(false, NEAR, acReader(flows));
  }

  /**
   * The rows outside this model that the AC flows break (beyond the limit itself, no margin): the
   * check after a solve. Every rating, voltage and polygon limit the AC check reports as violated
   * breaks one of these (a flow over S_max lies beyond at least one side at S_max·cos(π/N)).
   */
  brokenAc(flows: readonly AcPoint[]): number[] {
    return this.scan(false, { ratingShare: 1, voltagePu: 0 }, acReader(flows));
  }

  private scan(inModelToo: boolean, margin: Margin, at: Record<'pKw' | 'qKvar' | 'overKva' | 'vHiPu' | 'vLoPu', (j: number, t: number) => number>): number[] {
    const out: number[] = [];
    const slack = this.inp.net.slackPos;
    const [vMin, vMax] = this.inp.scenario.network.voltageBandPu;
    const margins = this.inp.ratingScale?.voltageMarginPu;
    const want = (key: number) => { if (inModelToo || !this.inModel.has(key)) out.push(key); };
    for (let t = 0; t < this.periods; t++) {
      for (let j = 0; j < this.n; j++) {
        if (j === slack) continue;
        const apothem = this.apothemKva(j, t);
        if (Number.isFinite(apothem)) {
          const p = at.pKw(j, t), q = at.qKvar(j, t), over = at.overKva(j, t);
          const reach = margin.ratingShare * apothem;
          for (let k = 0; k < this.sides; k++) if (this.cos[k] * p + this.sin[k] * q - over >= reach) want(this.polygonKey(j, t, k));
        }
        // Compared as voltages, so the margin means the same at either edge.
        const band = margins?.[t][j] ?? 0;
        if (at.vHiPu(j, t) >= vMax - band - margin.voltagePu) want(this.voltageKey(j, t, true));
        if (at.vLoPu(j, t) <= vMin + band + margin.voltagePu) want(this.voltageKey(j, t, false));
      }
    }
    return out;
  }

  /**
   * The polygon sides in `near` at the other periods where the flexible loads (moved within their
   * bounds from the LP point) could bring the flow to them: a load the LP moves away from a limit in
   * one period may meet the same limit in another. Measured on the synthetic 1 000-bus feeder with
   * 10 000 EVs: without this, four of every five rows found after the first pass were sides already
   * found at another period, one pass after another (six passes); with it, two.
   */
  acrossPeriods(near: readonly number[], sol: Solution, point: NetworkPoint, flexKw: readonly VarBlock[], flexible: readonly FlexibleLoad[]): number[] {
    if (!flexible.length) return [];
    const x = sol.colValues, net = this.inp.net, n = this.n;
    // Per period and bus: how far the flexible loads at or below the bus could raise or lower its branch's flow.
    const up = Array.from({ length: this.periods }, () => new Float64Array(n));
    const down = Array.from({ length: this.periods }, () => new Float64Array(n));
    for (let t = 0; t < this.periods; t++) {
      flexible.forEach((f, k) => {
        const at = x[flexKw[k].at(t)], more = f.ubKw[t] - at, less = at - f.lbKw[t];
        for (const b of f.busShares) {
          const s = b.share[t];
          up[t][b.busPos] += s >= 0 ? s * more : -s * less;
          down[t][b.busPos] += s >= 0 ? s * less : -s * more;
        }
      });
      for (let o = n - 1; o > 0; o--) {
        const j = net.order[o], i = net.parentPos[j];
        up[t][i] += up[t][j];
        down[t][i] += down[t][j];
      }
    }
    const out: number[] = [], seen = new Set<number>();
    for (const key of near) {
      const s = key % (this.sides + 2);
      if (s >= this.sides) continue;
      const j = ((key - s) / (this.sides + 2)) % n;
      for (let t = 0; t < this.periods; t++) {
        const other = this.polygonKey(j, t, s);
        if (this.inModel.has(other) || seen.has(other)) continue;
        const p = point.pKw[t][j], q = point.qKvar[t][j];
        const pReach = this.cos[s] >= 0 ? p + up[t][j] : p - down[t][j];
        if (this.cos[s] * pReach + this.sin[s] * q >= NEAR_RATING_SHARE * this.apothemKva(j, t)) { seen.add(other); out.push(other); }
      }
    }
    return out;
  }

  /** Rows of the full model: its polygon sides (rated branches) and voltage rows. */
  fullCounts(): LimitRowCounts {
    let rated = 0;
    for (let t = 0; t < this.periods; t++) {
      for (let j = 0; j < this.n; j++) if (j !== this.inp.net.slackPos && Number.isFinite(this.apothemKva(j, t))) rated++;
    }
    return { polygon: rated * this.sides, voltage: 2 * (this.n - 1) * this.periods };
  }

  /** The limit rows in this model, by kind. */
  counts(): LimitRowCounts {
    let polygon = 0, voltage = 0;
    for (const key of this.added) if (key % (this.sides + 2) < this.sides) polygon++; else voltage++;
    return { polygon, voltage };
  }
}

/** Σ scale·terms, each column once (in the branch formulation P and Q are a column each, so the row is as it always was). */
function combine(parts: ReadonlyArray<readonly [number, LinearTerms]>): LinearTerms {
  const at = new Map<number, number>();
  let constant = 0;
  for (const [scale, terms] of parts) {
    constant += scale * terms.constant;
    terms.cols.forEach((c, i) => at.set(c, (at.get(c) ?? 0) + scale * terms.coefs[i]));
  }
  return { cols: [...at.keys()], coefs: [...at.values()], constant };
}
