import { ModelBuilder, type Solution, type VarBlock } from '@zonal/solver';
import { ladderPieces } from './carbon';
import type { DispatchInputs } from './inputs';
import { LimitRows, type ConstraintMode } from './limits';
import { branchTerms, InjectionTerms, type Injection, type NetworkFormulation, type NetworkTerms } from './network-terms';

/**
 * The DSO's low-carbon economic dispatch as one LP (a MILP only with capacitor banks):
 * seed 001 eq 1–5 on SPEC §3–4, with LinDistFlow (Baran–Wu linearised DistFlow on squared voltages)
 * and a fixed branch-current estimate for losses (successive LP, SPEC §3).
 *
 * Units: powers in kW / kvar, squared voltages w in pu². Branch j is the branch feeding bus position j
 * from its parent; P[j], Q[j] are its sending-end flows.
 */
export interface DispatchVars {
  pGrid: VarBlock; // [T]   purchase at the substation, kW (no export)
  qGrid: VarBlock; // [T]   reactive supply at the substation, kvar
  renewable: VarBlock; // [unit, T] PV and wind output, kW
  diesel: VarBlock; // [unit, T]
  capSteps: VarBlock | null; // [bank, T] integer steps switched in
  /** The branch formulation's flow and voltage columns; null in 'injection' (read `BuiltDispatch.network`). */
  pFlow: VarBlock | null; // [bus, T]  (the slack's entries are unused and fixed at 0)
  qFlow: VarBlock | null;
  wSq: VarBlock | null; // [bus, T]
  /** The branch formulation's limit slacks, every bus and period; null in 'injection' (read `BuiltDispatch.slacks`). */
  vOver: VarBlock | null; // [bus, T] pu² above vmax²
  vUnder: VarBlock | null; // [bus, T] pu² below vmin²
  sOver: VarBlock | null; // [bus, T] kVA over the rating
  subOver: VarBlock | null; // [T] kVA over the substation transformer's rating
  excessT: number; // day's emission minus quota, t CO2
  carbonYuan: number; // epigraph of the carbon ladder
  peakKva: number | null; // day's maximum purchase (demand charge)
  flexKw: VarBlock[]; // [T] per flexible load: its grid-side power, kW
}

/**
 * A load the dispatch decides (a zone's EVs, SPEC §8): grid-side power per period within bounds,
 * spread over buses by fixed shares. Callers add its own constraints and costs (an envelope, a
 * degradation cost, coordination terms) through the returned `flexKw` columns.
 */
export interface FlexibleLoad {
  name: string;
  lbKw: Float64Array;
  ubKw: Float64Array;
  /** Per bus position: the share of the load there, per period (shares sum to 1 every period). */
  busShares: Array<{ busPos: number; share: Float64Array }>;
}

/**
 * The soft limits' slack columns (SPEC §3: priced per pu² per bus-hour, per kVA-hour): every bus and
 * period's in the branch formulation, created with their limit rows in the injection one.
 */
export interface LimitSlacks {
  column(kind: SlackKind, j: number, t: number): number;
  /** The slack's value at an LP point (0 where the model has none). */
  value(kind: SlackKind, j: number, t: number, x: Float64Array): number;
}

export type SlackKind = 'vOver' | 'vUnder' | 'sOver';

export interface BuiltDispatch {
  model: ModelBuilder;
  vars: DispatchVars;
  formulation: NetworkFormulation;
  /** The network's flows and voltages in the model's columns. */
  network: NetworkTerms;
  slacks: LimitSlacks;
  /** Row of bus position j's active balance at period t (branch formulation only). */
  pbalRow(j: number, t: number): number;
  /**
   * Sets the loss estimate's constants in place: the model is then the one buildDispatchModel gives
   * for `lossSqPu`, with every row added since where it was (so a basis of it still fits). In the
   * branch formulation the estimate is only in the balance and voltage-drop rows' sides; in the
   * injection one it moves every flow and voltage expression's constant, so the balance rows' and
   * every limit row's bound.
   */
  setLosses(lossSqPu: Float64Array[]): void;
  /** The marginal cost of active demand at each bus, [t][j] (yuan per kW per period): the pbal duals, in either formulation. */
  demandDuals(sol: Solution): Float64Array[];
  /** 'full': every voltage and rating-polygon row is in the model; 'lazy': none yet (`limits` adds them). */
  constraints: ConstraintMode;
  limits: LimitRows;
}

/**
 * `lossSqPu[t][j]`: |I_j|² (pu) of branch j at period t from the previous AC flow; zeros on the first
 * round. `constraints: 'lazy'` leaves out the voltage and line-rating rows (limits.ts), for
 * `runDispatch` to add where the flows come near them.
 */
export function buildDispatchModel(
  inp: DispatchInputs, lossSqPu: Float64Array[] | null, flexible: readonly FlexibleLoad[] = [],
  opts: { constraints?: ConstraintMode; formulation?: NetworkFormulation } = {},
): BuiltDispatch {
  if (opts.formulation === 'injection') return buildInjectionModel(inp, lossSqPu, flexible, opts.constraints ?? 'full');
  const constraints = opts.constraints ?? 'full';
  const { net, grid } = inp;
  const T = grid.periods, n = net.nBus;
  const sBaseKw = net.feeder.baseMva * 1000;
  const slack = net.slackPos;
  const vSlackSq = net.feeder.buses[slack].vmSetPu ** 2;
  const m = new ModelBuilder('dso');
  const children = childrenOf(net.parentPos);
  const limits = new LimitRows(inp);

  // Columns in this order (the devices', then the network's, then the flexible loads), as every earlier release built them.
  const { pGrid, qGrid, renewable, diesel, capSteps } = addDeviceColumns(m, inp);
  const pFlow = m.addVars('P', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: -Infinity }));
  const qFlow = m.addVars('Q', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: -Infinity }));
  const wSq = m.addVars('W', [n, T], ([j]) => (j === slack ? { lb: vSlackSq, ub: vSlackSq } : { lb: 0 }));
  const vOver = m.addVars('Vover', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: 0 }));
  const vUnder = m.addVars('Vunder', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: 0 }));
  const sOver = m.addVars('Sover', [n, T], ([j]) => (Number.isFinite(inp.sMaxKva[j]) ? { lb: 0 } : { lb: 0, ub: 0 }));

  const flexKw = addFlexibleColumns(m, inp, flexible);
  const flexAt = new Map<number, Array<{ k: number; share: Float64Array }>>();
  flexible.forEach((f, k) => f.busShares.forEach((b) => flexAt.set(b.busPos, [...(flexAt.get(b.busPos) ?? []), { k, share: b.share }])));

  const network = branchTerms(inp, pFlow, qFlow, wSq);
  const slacks = blockSlacks({ vOver, vUnder, sOver });
  const limitModel = { network, slacks };
  const pbalRows = new Int32Array(n * T), qbalRows = new Int32Array(n * T), vdropRows = new Int32Array(n * T).fill(-1);
  // The loss estimate's constants, one function for the build and for setLosses: the same sides to the bit.
  const lossKw = (j: number, lossPu: number) => (j === slack ? 0 : net.rPu[j] * lossPu * sBaseKw);
  const lossKvar = (j: number, lossPu: number) => (j === slack ? 0 : net.xPu[j] * lossPu * sBaseKw);
  const dropSqPu = (j: number, lossPu: number) => (net.rPu[j] * net.rPu[j] + net.xPu[j] * net.xPu[j]) * lossPu;
  const unitsAt = groupBy(inp.renewables.map((u, i) => [u.busPos, i] as const));
  const dieselsAt = groupBy(inp.diesels.map((d, i) => [d.busPos, i] as const));
  const capsAt = groupBy(inp.capacitors.map((c, i) => [c.busPos, i] as const));

  for (let t = 0; t < T; t++) {
    const loss = lossSqPu?.[t];
    for (let j = 0; j < n; j++) {
      const lossPu = loss ? loss[j] : 0;
      // Active balance at bus j: inflow − outflows + local generation = demand (+ the branch's own loss).
      const cols: number[] = [], coefs: number[] = [];
      if (j === slack) { cols.push(pGrid.at(t)); coefs.push(1); } else { cols.push(pFlow.at(j, t)); coefs.push(1); }
      for (const k of children[j]) { cols.push(pFlow.at(k, t)); coefs.push(-1); }
      for (const u of unitsAt.get(j) ?? []) { cols.push(renewable.at(u, t)); coefs.push(1); }
      for (const g of dieselsAt.get(j) ?? []) { cols.push(diesel.at(g, t)); coefs.push(1); }
      // A flexible load at this bus is demand: on the supply side with a minus sign.
      for (const { k, share } of flexAt.get(j) ?? []) {
        if (share[t] !== 0) { cols.push(flexKw[k].at(t)); coefs.push(-share[t]); }
      }
      pbalRows[t * n + j] = m.addConstraint('pbal', [j, t], cols, coefs, '=', inp.loadPKw[t][j] + lossKw(j, lossPu));

      const qc: number[] = [], qk: number[] = [];
      if (j === slack) { qc.push(qGrid.at(t)); qk.push(1); } else { qc.push(qFlow.at(j, t)); qk.push(1); }
      for (const k of children[j]) { qc.push(qFlow.at(k, t)); qk.push(-1); }
      for (const c of capsAt.get(j) ?? []) { qc.push(capSteps!.at(c, t)); qk.push(inp.capacitors[c].stepKvar); }
      qbalRows[t * n + j] = m.addConstraint('qbal', [j, t], qc, qk, '=', inp.loadQKvar[t][j] + lossKvar(j, lossPu));

      if (j === slack) continue;
      const r = net.rPu[j], x = net.xPu[j], i = net.parentPos[j];
      // DistFlow voltage drop: w_j = w_i − 2(r·P + x·Q)/S_base + (r² + x²)·|I|².
      vdropRows[t * n + j] = m.addConstraint('vdrop', [j, t],
        [wSq.at(j, t), wSq.at(i, t), pFlow.at(j, t), qFlow.at(j, t)],
        [1, -1, (2 * r) / sBaseKw, (2 * x) / sBaseKw], '=', dropSqPu(j, lossPu));
      if (constraints === 'full') limits.addAllAt(m, limitModel, j, t);
    }
  }

  const { subOver, excessT, carbonYuan, peakKva } = addFeederTerms(m, inp, pGrid, qGrid, renewable, diesel);
  const { vPen, sPen } = penalties(inp);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) {
      if (j === slack) continue;
      m.setObjectiveCoef(vOver.at(j, t), vPen);
      m.setObjectiveCoef(vUnder.at(j, t), vPen);
      if (Number.isFinite(inp.sMaxKva[j])) m.setObjectiveCoef(sOver.at(j, t), sPen);
    }
  }

  return {
    model: m,
    vars: { pGrid, qGrid, renewable, diesel, capSteps, pFlow, qFlow, wSq, vOver, vUnder, sOver, subOver, excessT, carbonYuan, peakKva, flexKw },
    formulation: 'branch',
    network,
    slacks,
    setLosses: (lossSqPu) => {
      for (let t = 0; t < T; t++) {
        const loss = lossSqPu[t];
        for (let j = 0; j < n; j++) {
          const p = inp.loadPKw[t][j] + lossKw(j, loss[j]), q = inp.loadQKvar[t][j] + lossKvar(j, loss[j]);
          m.setRowBounds(pbalRows[t * n + j], p, p);
          m.setRowBounds(qbalRows[t * n + j], q, q);
          if (j !== slack) m.setRowBounds(vdropRows[t * n + j], dropSqPu(j, loss[j]), dropSqPu(j, loss[j]));
        }
      }
    },
    pbalRow: (j, t) => pbalRows[t * n + j],
    demandDuals: (sol) => Array.from({ length: T }, (_, t) => Float64Array.from({ length: n }, (_x, j) => sol.dual(pbalRows[t * n + j]))),
    constraints,
    limits,
  };
}

/**
 * The same dispatch in the injection formulation (network-terms.ts): the decided columns, a balance
 * row per period, and the limit rows over the flows and voltages as expressions in those columns.
 */
function buildInjectionModel(inp: DispatchInputs, lossSqPu: Float64Array[] | null, flexible: readonly FlexibleLoad[], constraints: ConstraintMode): BuiltDispatch {
  const { net, grid } = inp;
  const T = grid.periods, n = net.nBus;
  const m = new ModelBuilder('dso');
  const limits = new LimitRows(inp);
  const { pGrid, qGrid, renewable, diesel, capSteps } = addDeviceColumns(m, inp);
  const flexKw = addFlexibleColumns(m, inp, flexible);

  // What the dispatch decides, as demand at its buses (generation is negative demand); a column's terms together.
  const injections: Injection[][] = Array.from({ length: T }, (_, t) => {
    const out: Injection[] = [];
    flexible.forEach((f, k) => { for (const b of f.busShares) out.push({ busPos: b.busPos, col: flexKw[k].at(t), p: b.share[t], q: 0 }); });
    inp.renewables.forEach((u, k) => out.push({ busPos: u.busPos, col: renewable.at(k, t), p: -1, q: 0 }));
    inp.diesels.forEach((d, g) => out.push({ busPos: d.busPos, col: diesel.at(g, t), p: -1, q: 0 }));
    inp.capacitors.forEach((c, k) => out.push({ busPos: c.busPos, col: capSteps!.at(k, t), p: 0, q: -c.stepKvar }));
    return out;
  });
  const network = new InjectionTerms(inp, lossSqPu, injections);
  const slacks = new CreatedSlacks(m, inp);
  const limitModel = { network, slacks };

  // Balance per period: the purchase is the feeder's demand, decided and fixed, and its losses.
  const pbalRows = new Int32Array(T), qbalRows = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    const { p, q } = network.balance(t);
    pbalRows[t] = m.addConstraint('pbal', [t], [pGrid.at(t), ...p.cols], [1, ...p.coefs.map((c) => -c)], '=', p.constant);
    qbalRows[t] = m.addConstraint('qbal', [t], [qGrid.at(t), ...q.cols], [1, ...q.coefs.map((c) => -c)], '=', q.constant);
    if (constraints === 'full') for (let j = 0; j < n; j++) if (j !== net.slackPos) limits.addAllAt(m, limitModel, j, t);
  }
  const { subOver, excessT, carbonYuan, peakKva } = addFeederTerms(m, inp, pGrid, qGrid, renewable, diesel);

  return {
    model: m,
    vars: { pGrid, qGrid, renewable, diesel, capSteps, pFlow: null, qFlow: null, wSq: null, vOver: null, vUnder: null, sOver: null, subOver, excessT, carbonYuan, peakKva, flexKw },
    formulation: 'injection',
    network,
    slacks,
    setLosses: (lossSqPu) => {
      network.setLosses(lossSqPu);
      for (let t = 0; t < T; t++) {
        const { p, q } = network.balance(t);
        m.setRowBounds(pbalRows[t], p.constant, p.constant);
        m.setRowBounds(qbalRows[t], q.constant, q.constant);
      }
      limits.resetBounds(m, limitModel);
    },
    pbalRow: () => { throw new Error('pbalRow: the injection formulation has one balance row per period, not one per bus (use demandDuals)'); },
    demandDuals: (sol) => {
      // The balance row prices demand anywhere; each limit row adds its dual times how its bound moves with demand at each bus.
      const out = Array.from({ length: T }, (_, t) => new Float64Array(n).fill(sol.dual(pbalRows[t])));
      limits.forEachRow((key, row) => {
        const y = sol.dual(row);
        if (y === 0) return;
        const { j, t, side } = limits.decode(key);
        const sens = side === 'upper' || side === 'lower' ? network.demandSensitivity('w', j) : network.demandSensitivity('p', j);
        // The row's bound is (limit − its terms' constant): demand raises the constant by `sens` (× cos for a polygon side).
        const scale = typeof side === 'number' ? -limits.sideCos(side) : -1;
        for (let k = 0; k < n; k++) out[t][k] += y * scale * sens[k];
      });
      return out;
    },
    constraints,
    limits,
  };
}

/** The substation's purchase, and the DERs' and capacitor banks' columns. */
function addDeviceColumns(m: ModelBuilder, inp: DispatchInputs) {
  const T = inp.grid.periods;
  const pGrid = m.addVars('Pgrid', [T], { lb: 0 });
  const qGrid = m.addVars('Qgrid', [T], { lb: -Infinity });
  const renewable = m.addVars('Pren', [inp.renewables.length, T], ([u, t]) => ({ lb: 0, ub: inp.renewables[u].availableKw[t] }));
  const diesel = m.addVars('Pdiesel', [inp.diesels.length, T], ([g]) => dieselBounds(inp, g));
  const capSteps = inp.capacitors.length
    ? m.addVars('Ncap', [inp.capacitors.length, T], ([c]) => ({ lb: 0, ub: inp.capacitors[c].steps, integer: true }))
    : null;
  return { pGrid, qGrid, renewable, diesel, capSteps };
}

/** Each flexible load's grid-side power per period, within its bounds. */
function addFlexibleColumns(m: ModelBuilder, inp: DispatchInputs, flexible: readonly FlexibleLoad[]): VarBlock[] {
  return flexible.map((f) => m.addVars(`X${sanitise(f.name)}`, [inp.grid.periods], ([t]) => ({ lb: f.lbKw[t], ub: f.ubKw[t] })));
}

function dieselBounds(inp: DispatchInputs, g: number): { lb: number; ub: number } {
  const d = inp.diesels[g];
  return d.mustRun ? { lb: d.pMaxKw, ub: d.pMaxKw } : { lb: d.pMinKw, ub: d.pMaxKw };
}

/** Both formulations' substation rating, carbon, demand charge and the objective's cost terms (seed 001 eq 1). */
function addFeederTerms(m: ModelBuilder, inp: DispatchInputs, pGrid: VarBlock, qGrid: VarBlock, renewable: VarBlock, diesel: VarBlock) {
  const s = inp.scenario, dt = inp.grid.dtH;
  const subOver = addSubstationRating(m, inp, pGrid, qGrid);
  const { excessT, carbonYuan } = addCarbon(m, inp, pGrid, renewable, diesel);
  const peakKva = addDemandCharge(m, inp, pGrid, qGrid);

  // Objective, seed 001 eq 1: purchase + generation + curtailment + carbon, then the soft-limit penalties.
  const curt = s.curtailment.costYuanPerKwh * dt;
  for (let t = 0; t < inp.grid.periods; t++) {
    m.setObjectiveCoef(pGrid.at(t), inp.priceYuanPerKwh[t] * dt);
    inp.diesels.forEach((d, g) => m.setObjectiveCoef(diesel.at(g, t), d.costYuanPerKwh * dt));
    inp.renewables.forEach((u, k) => {
      // Curtailment cost on (available − used): the constant part goes to the objective constant.
      m.addObjectiveConstant(curt * u.availableKw[t]);
      m.setObjectiveCoef(renewable.at(k, t), -curt);
    });
    if (subOver) m.setObjectiveCoef(subOver.at(t), s.network.substation!.overloadPenaltyYuanPerKvaH * dt);
  }
  m.setObjectiveCoef(carbonYuan, 1);
  if (peakKva !== null) {
    const dc = s.tariff.demandCharge;
    m.setObjectiveCoef(peakKva, dc.yuanPerKvaMonth / dc.daysPerMonth);
  }
  return { subOver, excessT, carbonYuan, peakKva };
}

/** The soft limits' prices per unit of slack and period: voltage (pu²), rating (kVA). */
function penalties(inp: DispatchInputs): { vPen: number; sPen: number } {
  const s = inp.scenario, dt = inp.grid.dtH;
  return { vPen: s.network.voltagePenaltyYuanPerPuBusH * dt, sPen: s.network.lineRating.overloadPenaltyYuanPerKvaH * dt };
}

function blockSlacks(blocks: Record<SlackKind, VarBlock>): LimitSlacks {
  return {
    column: (kind, j, t) => blocks[kind].at(j, t),
    value: (kind, j, t, x) => x[blocks[kind].at(j, t)],
  };
}

/** The injection formulation's slacks: one per bus, period and kind, made with the first row that needs it. */
class CreatedSlacks implements LimitSlacks {
  private readonly cols = new Map<number, number>();
  private readonly price: Record<SlackKind, number>;

  constructor(private readonly m: ModelBuilder, private readonly inp: DispatchInputs) {
    const { vPen, sPen } = penalties(inp);
    this.price = { vOver: vPen, vUnder: vPen, sOver: sPen };
  }

  private key(kind: SlackKind, j: number, t: number): number {
    return (t * this.inp.net.nBus + j) * 3 + (kind === 'vOver' ? 0 : kind === 'vUnder' ? 1 : 2);
  }

  column(kind: SlackKind, j: number, t: number): number {
    const key = this.key(kind, j, t);
    let col = this.cols.get(key);
    if (col === undefined) {
      col = this.m.addVar(kind === 'vOver' ? 'Vover' : kind === 'vUnder' ? 'Vunder' : 'Sover', [j, t], { lb: 0 });
      this.m.setObjectiveCoef(col, this.price[kind]);
      this.cols.set(key, col);
    }
    return col;
  }

  value(kind: SlackKind, j: number, t: number, x: Float64Array): number {
    const col = this.cols.get(this.key(kind, j, t));
    return col === undefined ? 0 : x[col];
  }
}

/**
 * The substation transformer's rating on the purchase, |S_grid| ≤ rating, as an inscribed polygon
 * (never optimistic, like the line ratings) with a priced overload slack; null when not declared.
 */
function addSubstationRating(m: ModelBuilder, inp: DispatchInputs, pGrid: VarBlock, qGrid: VarBlock): VarBlock | null {
  const sub = inp.scenario.network.substation;
  if (!sub) return null;
  const over = m.addVars('SubOver', [inp.grid.periods], { lb: 0 });
  for (let t = 0; t < inp.grid.periods; t++) {
    const apothem = sub.ratingKva * (inp.ratingScale?.substation[t] ?? 1) * Math.cos(Math.PI / sub.polygonSides);
    for (let k = 0; k < sub.polygonSides; k++) {
      const theta = ((2 * k + 1) * Math.PI) / sub.polygonSides;
      m.addConstraint('subrate', [t, k], [pGrid.at(t), qGrid.at(t), over.at(t)], [Math.cos(theta), Math.sin(theta), -1], '<=', apothem);
    }
  }
  return over;
}

/**
 * Carbon (seed 001 eq 2–5, SPEC §4): M = diesel and grid emissions (grid at its thermal share),
 * Mcq = quota × (diesel + PV + wind energy); the ladder on x = M − Mcq as an exact epigraph.
 */
function addCarbon(m: ModelBuilder, inp: DispatchInputs, pGrid: VarBlock, renewable: VarBlock, diesel: VarBlock) {
  const s = inp.scenario, dt = inp.grid.dtH;
  const quota = s.carbon.quotaTPerMwh;
  const gridEf = s.grid.thermalShare * s.grid.thermalEmissionTPerMwh;
  const excessT = m.addVar('carbonExcess', [], { lb: -Infinity });
  const carbonYuan = m.addVar('carbonCost', [], { lb: -Infinity });
  const cols: number[] = [excessT], coefs: number[] = [1];
  for (let t = 0; t < inp.grid.periods; t++) {
    // kW × h / 1000 = MWh; × t/MWh = tonnes.
    cols.push(pGrid.at(t)); coefs.push((-gridEf * dt) / 1000);
    inp.diesels.forEach((d, g) => { cols.push(diesel.at(g, t)); coefs.push((-(d.emissionTPerMwh - quota) * dt) / 1000); });
    inp.renewables.forEach((_u, k) => { cols.push(renewable.at(k, t)); coefs.push((quota * dt) / 1000); });
  }
  m.addConstraint('carbonExcess', [], cols, coefs, '=', 0);
  ladderPieces(s.carbon).forEach((piece, i) => {
    m.addConstraint('carbonStep', [i], [carbonYuan, excessT], [1, -piece.slopeYuanPerT], '>=', piece.interceptYuan);
  });
  return { excessT, carbonYuan };
}

/** Optional demand charge (seed 001: 32 yuan/kVA-month, prorated per day) on the day's peak purchase. */
function addDemandCharge(m: ModelBuilder, inp: DispatchInputs, pGrid: VarBlock, qGrid: VarBlock): number | null {
  const dc = inp.scenario.tariff.demandCharge;
  if (!dc.enabled) return null;
  const peak = m.addVar('peakKva', [], { lb: 0 });
  // peak ≥ P·cosθ + Q·sinθ for N directions θ: the maximum of these projections lies between
  // |S|·cos(π/N) and |S|, so with N = 32 the charged peak is at most 0.5% below the true kVA.
  const sides = 32;
  for (let t = 0; t < inp.grid.periods; t++) {
    for (let k = 0; k < sides; k++) {
      const theta = (2 * k * Math.PI) / sides;
      m.addConstraint('peak', [t, k], [pGrid.at(t), qGrid.at(t), peak], [Math.cos(theta), Math.sin(theta), -1], '<=', 0);
    }
  }
  return peak;
}

function sanitise(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

function childrenOf(parentPos: Int32Array): number[][] {
  const ch: number[][] = Array.from({ length: parentPos.length }, () => []);
  parentPos.forEach((p, j) => { if (p >= 0) ch[p].push(j); });
  return ch;
}

function groupBy(pairs: ReadonlyArray<readonly [number, number]>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [k, v] of pairs) out.set(k, [...(out.get(k) ?? []), v]);
  return out;
}

/**
 * Gives every unbounded column finite bounds that no optimum reaches, for when the model becomes a
 * QP (ADMM's proximal terms): HiGHS's QP solver needs finite bounds on every variable (SPEC §8).
 * M is ten times everything that could flow: all load, all generation, all flexible load.
 */
export function boundForQp(built: BuiltDispatch, inp: DispatchInputs, flexible: readonly FlexibleLoad[] = []): void {
  const m = built.model;
  const T = inp.grid.periods;
  let total = 0;
  for (let t = 0; t < T; t++) {
    total = Math.max(total, inp.loadPKw[t].reduce((a, b) => a + Math.abs(b), 0) + inp.loadQKvar[t].reduce((a, b) => a + Math.abs(b), 0)
      + inp.renewables.reduce((a, u) => a + u.availableKw[t], 0) + inp.diesels.reduce((a, d) => a + d.pMaxKw, 0)
      + inp.capacitors.reduce((a, c) => a + c.stepKvar * c.steps, 0)
      + flexible.reduce((a, f) => a + Math.max(Math.abs(f.lbKw[t]), Math.abs(f.ubKw[t])), 0));
  }
  const bigKw = 10 * Math.max(total, 1);
  const s = inp.scenario;
  const maxEf = Math.max(s.grid.thermalShare * s.grid.thermalEmissionTPerMwh, ...inp.diesels.map((d) => d.emissionTPerMwh)) + s.carbon.quotaTPerMwh;
  const bigT = (bigKw * 24 * maxEf) / 1000;
  const c = s.carbon;
  const bigYuan = (1 + 2 * Math.max(c.growth, 0)) * Math.max(c.basePriceYuanPerT, c.salePriceYuanPerT) * bigT + (2 + c.growth) * c.basePriceYuanPerT * Math.abs(c.intervalT);
  const clamp = (col: number, big: number) => {
    const lb = m.colLowerBound(col), ub = m.colUpperBound(col);
    m.setColBounds(col, Number.isFinite(lb) ? lb : -big, Number.isFinite(ub) ? ub : big);
  };
  for (let col = 0; col < m.numCols; col++) {
    const family = m.colFamily(col);
    if (family === 'W' || family === 'Vover' || family === 'Vunder') clamp(col, 4); // squared voltages, pu²
    else if (family === 'carbonExcess') clamp(col, bigT);
    else if (family === 'carbonCost') clamp(col, bigYuan);
    else clamp(col, bigKw);
  }
}

/** The branch formulation's flow, voltage and slack columns, for code that reads them as columns (the network split's areas). */
export function branchVars(built: BuiltDispatch): { pFlow: VarBlock; qFlow: VarBlock; wSq: VarBlock; vOver: VarBlock; vUnder: VarBlock; sOver: VarBlock } {
  const { pFlow, qFlow, wSq, vOver, vUnder, sOver } = built.vars;
  if (!pFlow || !qFlow || !wSq || !vOver || !vUnder || !sOver) throw new Error(`this code reads the network's flows as columns: it needs the branch formulation, not '${built.formulation}'`);
  return { pFlow, qFlow, wSq, vOver, vUnder, sOver };
}
