import { runDispatch, type BuiltDispatch, type DispatchResult, type FlexibleLoad } from '@zonal/dispatch';
import type { LpExporter } from '@zonal/solver';
import type { DsoSignal, ZoneReport } from '@zonal/policies';
import { addZoneTerms } from '../centralised';
import { fixDsoPast } from '../rolling/dso-past';
import { evaluateSchedules } from '../evaluate';
import type { NegotiationSetup, ZoneSetup } from '../setup';
import { rms, zoneSeries, type CoordinationMethod, type RoundUpdate } from './method';

/**
 * The seed's own scheme (seed 001 eq 9–10 and eq 22, SPEC §8), iterated: the DSO sends each zone a
 * target PZ (an upper limit on its net load, per period) and a one-sided penalty w_cg on any excess;
 * the zones answer under their policies; the DSO re-dispatches with their answers and updates PZ.
 *
 *  initialise  PZ⁰ = max(min-cost dispatch, min-tie-loss dispatch) zone loads (eq 9). Both clear the
 *              zones' bids at their declared marginal costs (degradation, peak tie-break), as ADMM's
 *              warm start and the oracle do: a PZ that asks for V2G discharge its zone's battery wear
 *              does not pay for is one the zone rather exceeds. The second solve minimises the
 *              inter-zone line losses (eq 6) at no more than 1.001 × the least cost (SPEC §4); with
 *              the branch currents fixed (successive LP) the losses are constants, so it minimises
 *              what drives them, Σ|P| over the tie lines, an LP. Eq 10 (Q) has no counterpart: EVs
 *              draw no reactive power.
 *  zones       answer x_k (EV grid power) against PZ_k at w_cg (zone-model.ts `addSignalTerms`).
 *  check       excess_k = max_t (base_k + x_k − PZ_k)⁺, and the point the EVs deliver — the
 *              DSO's dispatch with every answer fixed, each zone's EVs at the buses its answer
 *              names (`evaluateSchedules`, as `negotiate` evaluates the outcome) — AC-checked.
 *              Converged only when every zone has answered, every excess is ≤ `admm.primalTolKw`
 *              (SPEC §8's 1 kW) and that point has no AC violation: the zones kept to what the
 *              DSO asked, and what they will do is feasible on the feeder.
 *  update      the DSO re-dispatches as in its first solve, with each zone's EVs on its buses as
 *              its last answer put them (not by the announced shares: a zone whose EVs draw on a
 *              weak lateral is seen there), and a floor under a zone's load wherever the zone has
 *              exceeded PZ, which the DSO may cut at w_cg per kWh: a zone that pays w_cg rather
 *              than comply has shown it needs the power there, and the network's soft limits cost
 *              far more, so the DSO cuts a floor before it breaks a limit. Elsewhere the zones'
 *              power is free. PZ := that dispatch's zone loads — one dispatch, so all zones at
 *              their targets at once is a point the DSO has solved (eq 9's maximum of two
 *              dispatches need not be one).
 *
 * The floor at a cell a zone exceeded for the n-th time, by e, is its answer + (2ⁿ⁻¹ − 1)·e (at
 * most the zone's envelope), and floors only rise. A staged schedule (elasticity-pricing) fills the
 * room it is given with its first users before it places the ones that need the cell, so it comes
 * back a few kW over PZ each time; adding the room geometrically settles in a few rounds where
 * adding exactly the excess crept on for dozens (small-test, elasticity-pricing). PZ is never
 * set to the answers: it follows a zone only where the zone exceeded it, only as far as the DSO's
 * own dispatch takes it; a zone that keeps to PZ is re-planned at the DSO's cost.
 *
 * The residual is the largest excess (kW) of an answer over the PZ it was sent or, in a period where
 * the delivered point broke a limit, over the next PZ (what the DSO cannot take of it there); the
 * "dual" one is the RMS change of PZ (kW); the round's cost is the checked dispatch's eq 1 cost + its soft-limit
 * penalties + the zones' degradation: the operating point the zones' answers make. A zone that
 * never answered leaves the round unconverged and is planned at its target.
 */
export function createTargetPenalty(setup: NegotiationSetup, exporter?: LpExporter): CoordinationMethod {
  const penalty = setup.scenario.negotiation.targetPenalty.excessPenaltyYuanPerKwh;
  // The same kW tolerance as ADMM's primal residual (SPEC §8: 1 kW), here on the largest excess.
  const toleranceKw = setup.scenario.negotiation.admm.primalTolKw;
  const T = setup.inputs.grid.periods;
  const flexible = setup.zones.map((z) => z.flexible);
  /** PZ less the zone's base load (kW), i.e. the EV part of the target. */
  let pzEv: Float64Array[] = [];
  /** Where a zone exceeded PZ, the load the DSO plans for it there at least (NaN: no floor), and how often it did. */
  const floorKw = setup.zones.map(() => new Float64Array(T).fill(NaN));
  const timesExceeded = setup.zones.map(() => new Uint32Array(T));
  /** Each zone's EVs on its buses as the DSO re-dispatches them: where its last answer put them. */
  const placed = setup.zones.map((z): FlexibleLoad => ({ ...z.flexible, busShares: z.flexible.busShares.map((b) => ({ busPos: b.busPos, share: Float64Array.from(b.share) })) }));

  return {
    name: 'target-penalty',
    async initialise() {
      const minCost = await runDispatch(setup.inputs, {
        flexible, exporter,
        extend: (built) => { fixDsoPast(built, setup.past); setup.zones.forEach((z, k) => addZoneTerms(built, z, k)); },
      });
      const minLoss = await runDispatch(setup.inputs, {
        flexible, exporter,
        initialLossSqPu: minCost.lossSqPu,
        maxLossRounds: 0,
        extend: (built) => {
          fixDsoPast(built, setup.past);
          setup.zones.forEach((z, k) => addZoneTerms(built, z, k));
          capCostAndMinimiseTieFlows(built, minCost.objective * COST_SLACK, setup);
        },
      });
      pzEv = minCost.flexKw.map((a, k) => a.map((v, t) => Math.max(v, minLoss.flexKw[k][t])));
    },

    snapshot() {
      return { pzEv, floorKw, timesExceeded: timesExceeded.map((a) => Array.from(a)), placed: placed.map((l) => l.busShares.map((b) => b.share)) };
    },

    restore(state: unknown) {
      const s = state as Record<string, unknown>;
      const Z = setup.zones.length;
      pzEv = zoneSeries(s.pzEv, Z, T, 'pzEv');
      zoneSeries(s.floorKw, Z, T, 'floorKw').forEach((f, k) => floorKw[k].set(f));
      (s.timesExceeded as number[][]).forEach((a, k) => timesExceeded[k].set(a));
      (s.placed as Float64Array[][]).forEach((shares, k) => shares.forEach((share, b) => placed[k].busShares[b].share.set(share)));
    },

    signal(zone: ZoneSetup, round: number): DsoSignal {
      const k = setup.zones.indexOf(zone);
      // The zone schedules at the TOU tariff (sent explicitly: a request always carries its prices).
      return { round, targetKw: zone.bid.baseNetLoadKw.map((b, t) => b + pzEv[k][t]), excessPenaltyYuanPerKwh: penalty, priceYuanPerKwh: Float64Array.from(setup.inputs.priceYuanPerKwh) };
    },

    async update(answers: ReadonlyArray<ZoneReport | null>): Promise<RoundUpdate> {
      // A zone that never answered is planned at its target: the DSO has nothing else of it.
      const x = answers.map((a, k) => a?.evKw ?? pzEv[k]);
      const excessKw = answers.map((a, k) => (a ? a.evKw.reduce((m, v, t) => Math.max(m, v - pzEv[k][t]), 0) : Infinity));
      const answered = excessKw.filter(Number.isFinite);
      const residual = answered.length ? Math.max(...answered) : 0;
      const degradation = answers.reduce((a, ans) => a + (ans?.degradationYuan ?? 0), 0);
      // The point the EVs deliver, bus by bus where the zones say: the dispatch `negotiate` evaluates the outcome with.
      const check = (await evaluateSchedules(setup, x, degradation, { exporter, busEvKw: answers.map((a) => a?.busEvKw) })).dispatch;
      const cost = check.costs.totalYuan + check.costs.penaltyYuan + degradation;
      const converged = excessKw.every((e) => e <= toleranceKw) && check.acCheck.violations.length === 0;
      if (converged) return { rho: 0, primalResidualKw: residual, dualResidualKw: 0, totalCostYuan: cost, converged, dsoEvKw: copy(pzEv) };

      answers.forEach((a, k) => a?.evKw.forEach((v, t) => {
        const excess = v - pzEv[k][t];
        if (excess <= FLOOR_EPS_KW) return;
        const ask = Math.min(v + excess * (2 ** timesExceeded[k][t]++ - 1), setup.zones[k].flexible.ubKw[t]);
        floorKw[k][t] = Number.isNaN(floorKw[k][t]) ? ask : Math.max(floorKw[k][t], ask);
      }));
      answers.forEach((a, k) => { if (a?.busEvKw) placeAsDelivered(setup, placed[k], a.busEvKw); });
      const plan = await replan(setup, placed, floorKw, penalty, check.lossSqPu, exporter);
      const dual = rms(plan.flexKw.map((y, k) => [y, pzEv[k]] as [Float64Array, Float64Array]));
      // In a period where the delivered point broke a limit, what the DSO cannot take of the answers:
      // a round whose zones kept to PZ but whose point broke a limit is that far from agreement, not
      // 0 kW (the stall rule measures progress from it).
      const broken = new Set(check.acCheck.violations.map((v) => v.period));
      const cutKw = answers.reduce((m, a, k) => (a ? a.evKw.reduce((mk, v, t) => (broken.has(t) ? Math.max(mk, v - plan.flexKw[k][t]) : mk), m) : m), 0);
      pzEv = copy(plan.flexKw);
      return { rho: 0, primalResidualKw: Math.max(residual, cutKw), dualResidualKw: dual, totalCostYuan: cost, converged, dsoEvKw: copy(pzEv) };
    },
  };
}

/** SPEC §4: the loss-minimising dispatch may cost at most 0.1% more than the cheapest. */
const COST_SLACK = 1.001;
/** An answer this far above PZ (kW) sets a floor: solver noise on a zone that complied does not. */
const FLOOR_EPS_KW = 1e-6;

const copy = (a: readonly Float64Array[]) => a.map((v) => Float64Array.from(v));

/**
 * The DSO's re-dispatch (eq 1 over the zones' bids at their declared costs) with the zones' floors:
 * flex ≥ floor − s, s ≥ 0 at w_cg per kWh. Losses start from the checked dispatch's currents.
 */
function replan(setup: NegotiationSetup, placed: readonly FlexibleLoad[], floorKw: readonly Float64Array[], penalty: number, lossSqPu: Float64Array[], exporter?: LpExporter): Promise<DispatchResult> {
  const dt = setup.inputs.grid.dtH;
  return runDispatch(setup.inputs, {
    flexible: placed, exporter,
    initialLossSqPu: lossSqPu,
    extend: (built) => {
      fixDsoPast(built, setup.past);
      setup.zones.forEach((z, k) => {
        addZoneTerms(built, z, k);
        const m = built.model, flex = built.vars.flexKw[k];
        floorKw[k].forEach((f, t) => {
          if (Number.isNaN(f)) return;
          const s = m.addVar(`z${z.id}floorCut`, [t], { lb: 0, ub: Math.max(0, f - z.flexible.lbKw[t]) });
          m.addConstraint(`z${z.id}floor`, [t], [flex.at(t), s], [1, 1], '>=', f);
          m.setObjectiveCoef(s, penalty * dt);
        });
      });
    },
  });
}

/**
 * The shares of a zone's EV power at its buses, per period, as its answer's schedules drew it. A
 * period where the zone's buses pull both ways, or draw next to nothing, keeps its shares: a share
 * of a net total near zero means nothing.
 */
function placeAsDelivered(setup: NegotiationSetup, load: FlexibleLoad, busEvKw: ReadonlyArray<{ bus: number; kw: ArrayLike<number> }>): void {
  const kwAt = new Map(busEvKw.map((b) => [b.bus, b.kw] as const));
  for (let t = 0; t < load.lbKw.length; t++) {
    const total = busEvKw.reduce((a, b) => a + b.kw[t], 0);
    if (Math.abs(total) < SHARE_FLOOR_KW || busEvKw.some((b) => b.kw[t] * total < 0)) continue;
    for (const s of load.busShares) s.share[t] = (kwAt.get(setup.feeder.buses[s.busPos].id)?.[t] ?? 0) / total;
  }
}

/** Below this net EV power (kW) a zone's shares stay as they were. */
const SHARE_FLOOR_KW = 1e-3;

/**
 * Turns the dispatch model into eq 6's second solve: its objective becomes a row (≤ the cap) and the
 * new objective is Σ_t Σ_tie |P_tie,t| (split into a ≥ P, a ≥ −P).
 */
function capCostAndMinimiseTieFlows(built: BuiltDispatch, capYuan: number, setup: NegotiationSetup): void {
  const m = built.model;
  const cols: number[] = [], coefs: number[] = [];
  for (let c = 0; c < m.numCols; c++) {
    const coef = m.objectiveCoef(c);
    if (coef === 0) continue;
    cols.push(c);
    coefs.push(coef);
    m.setObjectiveCoef(c, -coef);
  }
  m.addConstraint('costCap', [], cols, coefs, '<=', capYuan - m.objectiveOffset);
  m.addObjectiveConstant(-m.objectiveOffset);
  const net = setup.net;
  for (const tl of setup.tieLines) {
    const fromPos = net.feeder.buses.findIndex((b) => b.id === tl.from), toPos = net.feeder.buses.findIndex((b) => b.id === tl.to);
    const child = net.parentPos[toPos] === fromPos ? toPos : fromPos;
    for (let t = 0; t < setup.inputs.grid.periods; t++) {
      // The tie line's flow, a column (branch formulation) or an expression in the decided columns (injection).
      const p = built.network.p(child, t);
      const a = m.addVar('tieAbs', [child, t], { lb: 0 });
      m.addConstraint('tieAbsPos', [child, t], [a, ...p.cols], [1, ...p.coefs.map((c) => -c)], '>=', p.constant);
      m.addConstraint('tieAbsNeg', [child, t], [a, ...p.cols], [1, ...p.coefs], '>=', 0 - p.constant);
      m.setObjectiveCoef(a, 1);
    }
  }
}
