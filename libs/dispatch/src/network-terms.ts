import type { VarBlock } from '@zonal/solver';
import type { DispatchInputs } from './inputs';

/**
 * How the DSO's model holds the network (issue 11 item 3: a model that grows with what binds).
 *
 * - 'branch': LinDistFlow as written (SPEC §3): a P, Q and squared-voltage column for every bus and
 *   period, tied by a balance row at every bus and a voltage-drop row on every branch. Every flow is a
 *   column, which the network split's areas need (their boundary is a few of them).
 * - 'injection': the same LinDistFlow with the flows and voltages eliminated. On a radial feeder with a
 *   fixed loss estimate, branch j's flow is the sum of the demand below it and bus j's squared voltage
 *   the slack's less the drops along its path, so both are linear in what the dispatch decides (DER
 *   output, capacitor steps, flexible loads): the model keeps only those columns, one balance row per
 *   period, and — as rows of them — the voltage and rating limits that come near binding. It is the
 *   projection of the branch model onto those columns: the same feasible set, the same optimum.
 *   A 5 000-bus feeder over 24 periods is 720 000 columns in 'branch' and a few hundred in 'injection'.
 */
export type NetworkFormulation = 'branch' | 'injection';

/** A linear expression Σ coefs·cols + constant. */
export interface LinearTerms {
  cols: number[];
  coefs: number[];
  constant: number;
}

/** The network at an LP point, per period and bus position: branch flows into the bus, squared voltage. */
export interface NetworkPoint {
  pKw: Float64Array[];
  qKvar: Float64Array[];
  wSq: Float64Array[];
}

/** A flow or voltage of the network in the model's columns, whichever the formulation. */
export interface NetworkTerms {
  readonly formulation: NetworkFormulation;
  /** Sending-end active (kW) and reactive (kvar) flow of the branch into bus position j, period t. */
  p(j: number, t: number): LinearTerms;
  q(j: number, t: number): LinearTerms;
  /** Squared voltage (pu²) of bus position j, period t. */
  w(j: number, t: number): LinearTerms;
  /** Every flow and voltage at an LP point (the model's column values). */
  point(x: Float64Array): NetworkPoint;
}

/** The branch formulation's flows and voltages: its own columns. */
export function branchTerms(inp: DispatchInputs, pFlow: VarBlock, qFlow: VarBlock, wSq: VarBlock): NetworkTerms {
  const T = inp.grid.periods, n = inp.net.nBus;
  const one = (col: number): LinearTerms => ({ cols: [col], coefs: [1], constant: 0 });
  return {
    formulation: 'branch',
    p: (j, t) => one(pFlow.at(j, t)),
    q: (j, t) => one(qFlow.at(j, t)),
    w: (j, t) => one(wSq.at(j, t)),
    point: (x) => {
      const read = (b: VarBlock) => Array.from({ length: T }, (_, t) => Float64Array.from({ length: n }, (_x, j) => x[b.at(j, t)]));
      return { pKw: read(pFlow), qKvar: read(qFlow), wSq: read(wSq) };
    },
  };
}

/** A column the dispatch decides, as demand at a bus: `p` kW and `q` kvar of demand per unit of the column. */
export interface Injection {
  busPos: number;
  col: number;
  p: number;
  q: number;
}

/**
 * The injection formulation's flows and voltages at a fixed loss estimate (`lossSqPu[t][j]`, branch
 * |I|² in pu; null: lossless), over the decided columns `injections[t]`.
 *
 * With d_k the demand at bus k (fixed load + Σ decided columns there) and l_k the loss estimate:
 *   P_j = Σ_{k below j, j included} (d_k + r_k·l_k·S_base)       (the branch model's balance rows, summed)
 *   w_j = w_parent − 2(r_j·P_j + x_j·Q_j)/S_base + (r_j² + x_j²)·l_j  (its voltage-drop row)
 * so a column's coefficient in P_j is its demand share below j, and in w_j −2/S_base Σ over the
 * branches on j's path of r·(its share below that branch) (x· for reactive).
 */
export class InjectionTerms implements NetworkTerms {
  readonly formulation = 'injection' as const;
  private readonly n: number;
  private readonly periods: number;
  private readonly sBaseKw: number;
  /** Constant parts per period and bus: the fixed loads' and the losses' flows, and the squared voltage they leave. */
  private readonly p0: Float64Array[] = [];
  private readonly q0: Float64Array[] = [];
  private readonly w0: Float64Array[] = [];
  /**
   * Per period and bus: the decided columns with demand at or below the bus, as flat triples
   * (col, P share, Q share). A column's entries exist only on the paths from its buses to the slack.
   */
  private readonly below: Array<Array<number[] | undefined>> = [];

  constructor(private readonly inp: DispatchInputs, lossSqPu: Float64Array[] | null, private readonly injections: Injection[][]) {
    const { net, grid } = inp;
    this.n = net.nBus;
    this.periods = grid.periods;
    this.sBaseKw = net.feeder.baseMva * 1000;
    this.setLosses(lossSqPu);
    for (let t = 0; t < this.periods; t++) this.below.push(this.sharesBelow(injections[t] ?? []));
  }

  /** The constant parts at another loss estimate (the columns' coefficients do not depend on it). */
  setLosses(lossSqPu: Float64Array[] | null): void {
    const { inp } = this, net = inp.net;
    const vSlackSq = net.feeder.buses[net.slackPos].vmSetPu ** 2;
    this.p0.length = this.q0.length = this.w0.length = 0;
    for (let t = 0; t < this.periods; t++) {
      const loss = lossSqPu?.[t];
      const p = Float64Array.from(inp.loadPKw[t]), q = Float64Array.from(inp.loadQKvar[t]);
      if (loss) {
        for (let j = 0; j < this.n; j++) {
          if (j === net.slackPos) continue;
          p[j] += net.rPu[j] * loss[j] * this.sBaseKw;
          q[j] += net.xPu[j] * loss[j] * this.sBaseKw;
        }
      }
      for (let o = this.n - 1; o > 0; o--) {
        const j = net.order[o], i = net.parentPos[j];
        p[i] += p[j];
        q[i] += q[j];
      }
      const w = new Float64Array(this.n);
      w[net.slackPos] = vSlackSq;
      for (let o = 1; o < this.n; o++) {
        const j = net.order[o], i = net.parentPos[j];
        const r = net.rPu[j], x = net.xPu[j];
        w[j] = w[i] - (2 * (r * p[j] + x * q[j])) / this.sBaseKw + (r * r + x * x) * (loss ? loss[j] : 0);
      }
      this.p0.push(p);
      this.q0.push(q);
      this.w0.push(w);
    }
  }

  /** Each column's demand shares summed up every path from its buses to the slack (a column's terms must come together). */
  private sharesBelow(terms: readonly Injection[]): Array<number[] | undefined> {
    const parent = this.inp.net.parentPos;
    const at: Array<number[] | undefined> = new Array(this.n);
    for (const term of terms) {
      if (term.p === 0 && term.q === 0) continue;
      for (let a = term.busPos; a >= 0; a = parent[a]) {
        let list = at[a];
        if (!list) { list = []; at[a] = list; }
        // Terms of one column come together, so its entry at a bus, when there is one, is the last.
        const last = list.length - 3;
        if (last >= 0 && list[last] === term.col) { list[last + 1] += term.p; list[last + 2] += term.q; }
        else list.push(term.col, term.p, term.q);
      }
    }
    return at;
  }

  p(j: number, t: number): LinearTerms {
    return this.flow(j, t, 1, this.p0[t][j]);
  }

  q(j: number, t: number): LinearTerms {
    return this.flow(j, t, 2, this.q0[t][j]);
  }

  private flow(j: number, t: number, part: 1 | 2, constant: number): LinearTerms {
    const cols: number[] = [], coefs: number[] = [];
    const list = this.below[t][j] ?? [];
    for (let e = 0; e < list.length; e += 3) if (list[e + part] !== 0) { cols.push(list[e]); coefs.push(list[e + part]); }
    return { cols, coefs, constant };
  }

  w(j: number, t: number): LinearTerms {
    const { rPu, xPu, parentPos, slackPos } = this.inp.net;
    const coef = new Map<number, number>();
    for (let a = j; a !== slackPos && a >= 0; a = parentPos[a]) {
      const list = this.below[t][a];
      if (!list) continue;
      const r = (-2 * rPu[a]) / this.sBaseKw, x = (-2 * xPu[a]) / this.sBaseKw;
      for (let e = 0; e < list.length; e += 3) coef.set(list[e], (coef.get(list[e]) ?? 0) + r * list[e + 1] + x * list[e + 2]);
    }
    const cols: number[] = [], coefs: number[] = [];
    for (const [c, k] of coef) if (k !== 0) { cols.push(c); coefs.push(k); }
    return { cols, coefs, constant: this.w0[t][j] };
  }

  point(x: Float64Array): NetworkPoint {
    const { net } = this.inp;
    const pKw: Float64Array[] = [], qKvar: Float64Array[] = [], wSq: Float64Array[] = [];
    for (let t = 0; t < this.periods; t++) {
      // The constants are the fixed loads' flows; the decided columns add theirs, summed up the tree.
      const dp = new Float64Array(this.n), dq = new Float64Array(this.n);
      for (const term of this.injections[t] ?? []) { dp[term.busPos] += term.p * x[term.col]; dq[term.busPos] += term.q * x[term.col]; }
      for (let o = this.n - 1; o > 0; o--) {
        const j = net.order[o], i = net.parentPos[j];
        dp[i] += dp[j];
        dq[i] += dq[j];
      }
      const p = Float64Array.from(this.p0[t], (v, j) => v + dp[j]);
      const q = Float64Array.from(this.q0[t], (v, j) => v + dq[j]);
      const w = Float64Array.from(this.w0[t]);
      // The decided flows' drops, accumulated down from the slack.
      const drop = new Float64Array(this.n);
      for (let o = 1; o < this.n; o++) {
        const j = net.order[o], i = net.parentPos[j];
        drop[j] = drop[i] + (2 * (net.rPu[j] * dp[j] + net.xPu[j] * dq[j])) / this.sBaseKw;
        w[j] -= drop[j];
      }
      p[net.slackPos] = 0;
      q[net.slackPos] = 0;
      pKw.push(p);
      qKvar.push(q);
      wSq.push(w);
    }
    return { pKw, qKvar, wSq };
  }

  /** The substation's purchase as the balance row takes it: the whole feeder's demand and losses (the slack's own flow sums). */
  balance(t: number): { p: LinearTerms; q: LinearTerms } {
    const slack = this.inp.net.slackPos;
    return { p: this.flow(slack, t, 1, this.p0[t][slack]), q: this.flow(slack, t, 2, this.q0[t][slack]) };
  }

  /**
   * ∂(row's bound)/∂(active demand at every bus) at period t for a row over these terms: the
   * constant each term carries moves with the fixed load below it. For the prices of demand
   * (pbal duals in the branch form): dual × this, summed over rows.
   *   P_j: 1 at buses below j.   w_j: −2/S_base·R(j, k), R the resistance j's and k's paths share.
   */
  demandSensitivity(kind: 'p' | 'w', j: number): Float64Array {
    const { order, parentPos, rPu, slackPos } = this.inp.net;
    const out = new Float64Array(this.n);
    if (kind === 'p') {
      const inside = new Uint8Array(this.n);
      inside[j] = 1;
      for (let o = 1; o < this.n; o++) {
        const k = order[o];
        if (inside[parentPos[k]] || k === j) { inside[k] = 1; out[k] = 1; }
      }
      if (j === slackPos) out[slackPos] = 1;
      return out;
    }
    // R(j, k) = the resistance from the slack to the deepest bus on j's path that is above k.
    const onPath = new Float64Array(this.n).fill(NaN);
    let cum = 0;
    const path: number[] = [];
    for (let a = j; a !== slackPos && a >= 0; a = parentPos[a]) path.push(a);
    for (let i = path.length - 1; i >= 0; i--) { cum += rPu[path[i]]; onPath[path[i]] = cum; }
    const shared = new Float64Array(this.n);
    for (let o = 1; o < this.n; o++) {
      const k = order[o];
      shared[k] = Number.isNaN(onPath[k]) ? shared[parentPos[k]] : onPath[k];
      out[k] = (-2 * shared[k]) / this.sBaseKw;
    }
    return out;
  }
}
