import { runDispatch } from '@zonal/dispatch';
import type { DsoSignal, ZoneAnswer } from '@zonal/policies';
import { addEnvelopeLink } from '../centralised';
import type { NegotiationSetup, ZoneSetup } from '../setup';
import { rms, type CoordinationMethod, type RoundUpdate } from './method';

/**
 * The seed's own scheme (seed 001 eq 9–10, SPEC §8): the DSO dispatches over the announced envelopes,
 * sends each zone the target PZ = its net load in that dispatch (an upper limit on consumption) and a
 * one-sided penalty w_cg on any excess; each zone schedules once under its policy at the tariff.
 * One round: the scheme has no update, so the residual says how far the zones kept to their targets.
 * (Eq 9's maximum over the min-cost and min-loss dispatches needs the loss-minimising solve of eq 6,
 * not built yet: PZ comes from the min-cost dispatch alone.)
 */
export function createTargetPenalty(setup: NegotiationSetup): CoordinationMethod {
  const penalty = setup.scenario.negotiation.targetPenalty.excessPenaltyYuanPerKwh;
  let y: Float64Array[] = [];
  return {
    name: 'target-penalty',
    async initialise() {
      const warm = await runDispatch(setup.inputs, {
        flexible: setup.zones.map((z) => z.flexible),
        extend: (built) => setup.zones.forEach((z, k) => addEnvelopeLink(built, z, k)),
      });
      y = warm.flexKw;
    },
    signal(zone: ZoneSetup, round: number): DsoSignal {
      const k = setup.zones.indexOf(zone);
      return { round, targetKw: zone.problem.baseNetLoadKw.map((b, t) => b + y[k][t]), excessPenaltyYuanPerKwh: penalty };
    },
    async update(answers: ReadonlyArray<ZoneAnswer | null>): Promise<RoundUpdate> {
      const x = answers.map((a, k) => a?.evKw ?? y[k]);
      const cost = answers.reduce((a, ans) => a + (ans?.costYuan ?? 0), 0);
      return { rho: 0, primalResidualKw: rms(x.map((xk, k) => [xk, y[k]] as [Float64Array, Float64Array])), dualResidualKw: 0, totalCostYuan: cost, converged: true, dsoEvKw: y.map((a) => Float64Array.from(a)) };
    },
  };
}
