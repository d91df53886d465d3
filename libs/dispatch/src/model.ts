import { ModelBuilder, type VarBlock } from '@zonal/solver';
import { ladderPieces } from './carbon';
import type { DispatchInputs } from './inputs';
import { LimitRows, type ConstraintMode } from './limits';

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
  pFlow: VarBlock; // [bus, T]  (the slack's entries are unused and fixed at 0)
  qFlow: VarBlock;
  wSq: VarBlock; // [bus, T]
  vOver: VarBlock; // [bus, T] pu² above vmax²
  vUnder: VarBlock; // [bus, T] pu² below vmin²
  sOver: VarBlock; // [bus, T] kVA over the rating
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

export interface BuiltDispatch {
  model: ModelBuilder;
  vars: DispatchVars;
  /** Row of bus position j's active balance at period t: its dual is the marginal cost of demand there. */
  pbalRow(j: number, t: number): number;
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
  opts: { constraints?: ConstraintMode } = {},
): BuiltDispatch {
  const constraints = opts.constraints ?? 'full';
  const { net, grid, scenario: s } = inp;
  const T = grid.periods, n = net.nBus, dt = grid.dtH;
  const sBaseKw = net.feeder.baseMva * 1000;
  const slack = net.slackPos;
  const vSlackSq = net.feeder.buses[slack].vmSetPu ** 2;
  const m = new ModelBuilder('dso');
  const children = childrenOf(net.parentPos);
  const limits = new LimitRows(inp);

  const pGrid = m.addVars('Pgrid', [T], { lb: 0 });
  const qGrid = m.addVars('Qgrid', [T], { lb: -Infinity });
  const renewable = m.addVars('Pren', [inp.renewables.length, T], ([u, t]) => ({ lb: 0, ub: inp.renewables[u].availableKw[t] }));
  const diesel = m.addVars('Pdiesel', [inp.diesels.length, T], ([g]) => {
    const d = inp.diesels[g];
    return d.mustRun ? { lb: d.pMaxKw, ub: d.pMaxKw } : { lb: d.pMinKw, ub: d.pMaxKw };
  });
  const capSteps = inp.capacitors.length
    ? m.addVars('Ncap', [inp.capacitors.length, T], ([c]) => ({ lb: 0, ub: inp.capacitors[c].steps, integer: true }))
    : null;
  const pFlow = m.addVars('P', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: -Infinity }));
  const qFlow = m.addVars('Q', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: -Infinity }));
  const wSq = m.addVars('W', [n, T], ([j]) => (j === slack ? { lb: vSlackSq, ub: vSlackSq } : { lb: 0 }));
  const vOver = m.addVars('Vover', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: 0 }));
  const vUnder = m.addVars('Vunder', [n, T], ([j]) => (j === slack ? { lb: 0, ub: 0 } : { lb: 0 }));
  const sOver = m.addVars('Sover', [n, T], ([j]) => (Number.isFinite(inp.sMaxKva[j]) ? { lb: 0 } : { lb: 0, ub: 0 }));

  const flexKw = flexible.map((f) => m.addVars(`X${sanitise(f.name)}`, [T], ([t]) => ({ lb: f.lbKw[t], ub: f.ubKw[t] })));
  const flexAt = new Map<number, Array<{ k: number; share: Float64Array }>>();
  flexible.forEach((f, k) => f.busShares.forEach((b) => flexAt.set(b.busPos, [...(flexAt.get(b.busPos) ?? []), { k, share: b.share }])));

  const limitVars = { pFlow, qFlow, wSq, vOver, vUnder, sOver };
  const pbalRows = new Int32Array(n * T);
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
      const rLossKw = j === slack ? 0 : net.rPu[j] * lossPu * sBaseKw;
      pbalRows[t * n + j] = m.addConstraint('pbal', [j, t], cols, coefs, '=', inp.loadPKw[t][j] + rLossKw);

      const qc: number[] = [], qk: number[] = [];
      if (j === slack) { qc.push(qGrid.at(t)); qk.push(1); } else { qc.push(qFlow.at(j, t)); qk.push(1); }
      for (const k of children[j]) { qc.push(qFlow.at(k, t)); qk.push(-1); }
      for (const c of capsAt.get(j) ?? []) { qc.push(capSteps!.at(c, t)); qk.push(inp.capacitors[c].stepKvar); }
      const xLossKvar = j === slack ? 0 : net.xPu[j] * lossPu * sBaseKw;
      m.addConstraint('qbal', [j, t], qc, qk, '=', inp.loadQKvar[t][j] + xLossKvar);

      if (j === slack) continue;
      const r = net.rPu[j], x = net.xPu[j], i = net.parentPos[j];
      // DistFlow voltage drop: w_j = w_i − 2(r·P + x·Q)/S_base + (r² + x²)·|I|².
      m.addConstraint('vdrop', [j, t],
        [wSq.at(j, t), wSq.at(i, t), pFlow.at(j, t), qFlow.at(j, t)],
        [1, -1, (2 * r) / sBaseKw, (2 * x) / sBaseKw], '=', (r * r + x * x) * lossPu);
      if (constraints === 'full') limits.addAllAt(m, limitVars, j, t);
    }
  }

  const subOver = addSubstationRating(m, inp, pGrid, qGrid);
  const { excessT, carbonYuan } = addCarbon(m, inp, pGrid, renewable, diesel);
  const peakKva = addDemandCharge(m, inp, pGrid, qGrid);

  // Objective, seed 001 eq 1: purchase + generation + curtailment + carbon, then the soft-limit penalties.
  const vPen = s.network.voltagePenaltyYuanPerPuBusH * dt;
  const sPen = s.network.lineRating.overloadPenaltyYuanPerKvaH * dt;
  const curt = s.curtailment.costYuanPerKwh * dt;
  for (let t = 0; t < T; t++) {
    m.setObjectiveCoef(pGrid.at(t), inp.priceYuanPerKwh[t] * dt);
    inp.diesels.forEach((d, g) => m.setObjectiveCoef(diesel.at(g, t), d.costYuanPerKwh * dt));
    inp.renewables.forEach((u, k) => {
      // Curtailment cost on (available − used): the constant part goes to the objective constant.
      m.addObjectiveConstant(curt * u.availableKw[t]);
      m.setObjectiveCoef(renewable.at(k, t), -curt);
    });
    for (let j = 0; j < n; j++) {
      if (j === slack) continue;
      m.setObjectiveCoef(vOver.at(j, t), vPen);
      m.setObjectiveCoef(vUnder.at(j, t), vPen);
      if (Number.isFinite(inp.sMaxKva[j])) m.setObjectiveCoef(sOver.at(j, t), sPen);
    }
    if (subOver) m.setObjectiveCoef(subOver.at(t), s.network.substation!.overloadPenaltyYuanPerKvaH * dt);
  }
  m.setObjectiveCoef(carbonYuan, 1);
  if (peakKva !== null) {
    const dc = s.tariff.demandCharge;
    m.setObjectiveCoef(peakKva, dc.yuanPerKvaMonth / dc.daysPerMonth);
  }

  return {
    model: m,
    vars: { pGrid, qGrid, renewable, diesel, capSteps, pFlow, qFlow, wSq, vOver, vUnder, sOver, subOver, excessT, carbonYuan, peakKva, flexKw },
    pbalRow: (j, t) => pbalRows[t * n + j],
    constraints,
    limits,
  };
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
