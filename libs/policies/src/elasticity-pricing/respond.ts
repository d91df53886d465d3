import { parseWithSchema } from '@zonal/scenario';
import type { DsoSignal, PolicyContext, ZoneAnswer, ZonePricing, ZoneProblem } from '../policy';
import { answerFromSchedules, energyPrices } from '../zone-model';
import { elasticityParamsSchema, type ElasticityParams } from './case';
import { scheduleZone } from './pipeline';
import { classEnergies } from './response';
import type { ZoneObjective } from './tracking-lp';
import { zoneUsers, type ZoneUsers } from './users';

/**
 * elasticity-pricing in the negotiation (SPEC §7.1 and §8, seed 001 §2.7–2.8 with eq 22's penalty
 * made one-sided): the zone's aggregator runs the seed's model on its own users — classes from the
 * zone's TOU codes, price changes x, the elasticity response, class-ordered scheduling, V2G users
 * dispatched directly (pipeline.ts) — and every stage minimises
 *     the zone's energy at the prices it faces + degradation of V2G discharge
 *     + w_cg · sum_t max(0, P_zone(t) − PZ(t)) dt + w_price · sum_class |x_class| + peak tie-break,
 * plus, under consensus ADMM, λ and the proximal term on the zone's EV grid power. Users the LP cannot
 * tell apart are solved as exact groups (groups.ts). The answer is the users' own schedules, checked.
 */
export async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const params = parseWithSchema(elasticityParamsSchema, zone.params ?? {}, `zone ${zone.zoneId} policy.params`);
  const users = zoneUsers(zone.fleet, zone.grid, zone.tariffCodes);
  const terms = negotiationTerms(zone, signal, params);
  const plan = await scheduleZone({
    name: `elasticity${zone.zoneId}`, grid: zone.grid, fleetSize: zone.fleet.size, users, baseKw: zone.baseNetLoadKw,
    pricing: { matrix: params.elasticityMatrix, ...params.relativePriceChange, weight: params.priceChangeWeight },
    peakTieBreakYuanPerKw: zone.peakTieBreakYuanPerKw,
    objective: (fixedEvKw) => ({ kind: 'zone', zone, ...terms, fixedEvKw }),
    groupUsers: true,
  }, ctx.exporter);
  const answer = answerFromSchedules(zone, plan.schedules, terms.pricesYuanPerKwh, plan.final.objective);
  return { ...answer, pricing: pricingBooks(users, params, plan.x) };
}

type NegotiationTerms = Pick<ZoneObjective, 'targetKw' | 'excessPenaltyYuanPerKwh' | 'pricesYuanPerKwh' | 'consensus'>;

/**
 * PZ, w_cg and the zone's prices for each kind of signal (SPEC §7.1, §8):
 *  - consensus ADMM: PZ = base + the DSO's copy of the zone's EV power, w_cg from the parameters; λ
 *    prices the EV power inside the consensus terms, so no energy price is added (zone-model.ts
 *    `energyPrices`);
 *  - target and penalty (seed 001 scheme): the DSO's PZ, its w_cg (else the parameters'), its prices
 *    (else the tariff);
 *  - no signal yet (round 0): a flat PZ at the day's mean of the base load plus the fleet's least
 *    energy (grid side), w_cg from the parameters, the tariff.
 */
export function negotiationTerms(zone: ZoneProblem, signal: DsoSignal, params: ElasticityParams): NegotiationTerms {
  const pricesYuanPerKwh = energyPrices(zone, signal);
  if (signal.consensus) {
    const { referenceKw } = signal.consensus;
    return {
      targetKw: zone.baseNetLoadKw.map((p, t) => p + referenceKw[t]), excessPenaltyYuanPerKwh: params.excessPenaltyYuanPerKwh,
      pricesYuanPerKwh, consensus: signal.consensus,
    };
  }
  if (signal.targetKw) {
    return { targetKw: signal.targetKw, excessPenaltyYuanPerKwh: signal.excessPenaltyYuanPerKwh ?? params.excessPenaltyYuanPerKwh, pricesYuanPerKwh };
  }
  const { grid, envelope, eta } = zone;
  const T = grid.periods, dt = grid.dtH;
  const meanKw = (zone.baseNetLoadKw.reduce((a, x) => a + x, 0) * dt + Math.max(0, envelope.eMinKwh[T]) / eta) / (T * dt);
  return { targetKw: new Float64Array(T).fill(meanKw), excessPenaltyYuanPerKwh: params.excessPenaltyYuanPerKwh, pricesYuanPerKwh };
}

/** The aggregator's books of the answer (policy.ts ZonePricing): users by type, price changes, class energies. */
function pricingBooks(users: ZoneUsers, params: ElasticityParams, x: readonly number[]): ZonePricing {
  const count = (type: number) => users.priced.filter((u) => u.type === type).length;
  const { baseline, responded } = classEnergies(users.priced, params.elasticityMatrix, x);
  const pov = (v: readonly number[]) => ({ p: v[0], o: v[1], v: v[2] });
  return {
    usersByType: { '1': count(1), '2': count(2), '3': count(3), '4': count(4) },
    v2gDirect: users.direct.length,
    priceChangePct: pov(x.map((v) => 100 * v)),
    classEnergyKwh: { before: pov(baseline), after: pov(responded) },
  };
}
