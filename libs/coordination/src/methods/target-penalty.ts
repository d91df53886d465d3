import { runDispatch, type BuiltDispatch } from '@zonal/dispatch';
import type { LpExporter } from '@zonal/solver';
import type { DsoSignal, ZoneReport } from '@zonal/policies';
import { addEnvelopeLink } from '../centralised';
import type { NegotiationSetup, ZoneSetup } from '../setup';
import { rms, type CoordinationMethod, type RoundUpdate } from './method';

/**
 * The seed's own scheme (seed 001 eq 9–10, SPEC §8): the DSO dispatches over the announced envelopes,
 * sends each zone the target PZ = its net load in that dispatch (an upper limit on consumption) and a
 * one-sided penalty w_cg on any excess; each zone schedules once under its policy at the tariff.
 * One round: the scheme has no update, so the residual says how far the zones kept to their targets.
 *
 * Eq 9–10 take PZ as the larger of two dispatches' zone loads: the min-cost one, and one that
 * minimises the inter-zone line losses (eq 6) at no more than 1.001 × that cost (SPEC §4). With the
 * branch currents fixed (successive LP) the losses are constants, so the second solve minimises what
 * drives them, Σ|P| over the tie lines, an LP. Eq 10 (Q) has no counterpart: EVs draw no reactive power.
 */
export function createTargetPenalty(setup: NegotiationSetup, exporter?: LpExporter): CoordinationMethod {
  const penalty = setup.scenario.negotiation.targetPenalty.excessPenaltyYuanPerKwh;
  let y: Float64Array[] = [];
  let pzEv: Float64Array[] = [];
  return {
    name: 'target-penalty',
    async initialise() {
      const flexible = setup.zones.map((z) => z.flexible);
      const minCost = await runDispatch(setup.inputs, {
        flexible, exporter,
        extend: (built) => setup.zones.forEach((z, k) => addEnvelopeLink(built, z, k)),
      });
      const minLoss = await runDispatch(setup.inputs, {
        flexible, exporter,
        initialLossSqPu: minCost.lossSqPu,
        maxLossRounds: 0,
        extend: (built) => {
          setup.zones.forEach((z, k) => addEnvelopeLink(built, z, k));
          capCostAndMinimiseTieFlows(built, minCost.objective * COST_SLACK, setup);
        },
      });
      y = minCost.flexKw;
      pzEv = minCost.flexKw.map((a, k) => a.map((v, t) => Math.max(v, minLoss.flexKw[k][t])));
    },
    signal(zone: ZoneSetup, round: number): DsoSignal {
      const k = setup.zones.indexOf(zone);
      // The zone schedules at the TOU tariff (sent explicitly: a request always carries its prices).
      return { round, targetKw: zone.bid.baseNetLoadKw.map((b, t) => b + pzEv[k][t]), excessPenaltyYuanPerKwh: penalty, priceYuanPerKwh: Float64Array.from(setup.inputs.priceYuanPerKwh) };
    },
    async update(answers: ReadonlyArray<ZoneReport | null>): Promise<RoundUpdate> {
      const x = answers.map((a, k) => a?.evKw ?? y[k]);
      const cost = answers.reduce((a, ans) => a + (ans?.costYuan ?? 0), 0);
      return { rho: 0, primalResidualKw: rms(x.map((xk, k) => [xk, y[k]] as [Float64Array, Float64Array])), dualResidualKw: 0, totalCostYuan: cost, converged: true, dsoEvKw: y.map((a) => Float64Array.from(a)) };
    },
  };
}

/** SPEC §4: the loss-minimising dispatch may cost at most 0.1% more than the cheapest. */
const COST_SLACK = 1.001;

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
      const p = built.vars.pFlow.at(child, t);
      const a = m.addVar('tieAbs', [child, t], { lb: 0 });
      m.addConstraint('tieAbsPos', [child, t], [a, p], [1, -1], '>=', 0);
      m.addConstraint('tieAbsNeg', [child, t], [a, p], [1, 1], '>=', 0);
      m.setObjectiveCoef(a, 1);
    }
  }
}
