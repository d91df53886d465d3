import type { ZoneSetup } from '@zonal/coordination';
import type { DsoSignal, ZoneAnswer } from '@zonal/policies';
import type { BodyOf } from '@zonal/protocol';

/**
 * The DSO's signal and the zone's answer as protocol bodies (libs/protocol/src/messages.ts), and back.
 * With rho > 0 the request is a consensus (ADMM) step: targetPKw is the DSO's copy of the zone's EV
 * power and priceYuanPerKwh its multiplier λ. With rho = 0 targetPKw is PZ, the upper limit on the
 * zone's net load (seed 001 eq 9), with the excess penalty w_cg; the prices are the zone's to use.
 */
export function toSolveRequest(zoneId: number, signal: DsoSignal, periods: number): BodyOf<'solveRequest'> {
  const c = signal.consensus;
  return {
    zoneId: String(zoneId),
    round: signal.round,
    targetPKw: Array.from(c ? c.referenceKw : signal.targetKw ?? new Float64Array(periods)),
    priceYuanPerKwh: Array.from(c ? c.lambdaYuanPerKwh : signal.priceYuanPerKwh ?? []),
    rho: c ? c.rho : 0,
    ...(signal.excessPenaltyYuanPerKwh !== undefined ? { excessPenaltyYuanPerKwh: signal.excessPenaltyYuanPerKwh } : {}),
    consensus: [],
  };
}

export function fromSolveRequest(body: BodyOf<'solveRequest'>): DsoSignal {
  const target = Float64Array.from(body.targetPKw);
  const prices = body.priceYuanPerKwh.length ? Float64Array.from(body.priceYuanPerKwh) : undefined;
  if (body.rho > 0) {
    return { round: body.round, consensus: { referenceKw: target, lambdaYuanPerKwh: prices ?? new Float64Array(target.length), rho: body.rho } };
  }
  return {
    round: body.round,
    ...(body.excessPenaltyYuanPerKwh !== undefined ? { targetKw: target, excessPenaltyYuanPerKwh: body.excessPenaltyYuanPerKwh } : {}),
    ...(prices ? { priceYuanPerKwh: prices } : {}),
  };
}

export function toSolveReply(zoneId: number, round: number, answer: ZoneAnswer): BodyOf<'solveReply'> {
  return {
    zoneId: String(zoneId), round, status: 'optimal',
    pKw: Array.from(answer.evKw), qKvar: new Array(answer.evKw.length).fill(0),
    costYuan: answer.costYuan, degradationYuan: answer.degradationYuan, tieLineFlows: [],
  };
}

export function fromSolveReply(body: BodyOf<'solveReply'>, zone: ZoneSetup): ZoneAnswer {
  const evKw = Float64Array.from(body.pKw);
  return {
    evKw,
    netLoadKw: evKw.map((x, t) => x + zone.problem.baseNetLoadKw[t]),
    costYuan: body.costYuan ?? 0,
    degradationYuan: body.degradationYuan ?? 0,
    objective: body.costYuan ?? 0,
  };
}

/** The zone's announce (SPEC §8 step 1): its buses, policy and envelope (energy at period ends). */
export function announceBody(zone: ZoneSetup, policy: string): BodyOf<'announce'> {
  const env = zone.envelope;
  return {
    zoneId: String(zone.id),
    buses: zone.buses,
    dtH: zone.problem.grid.dtH,
    policy,
    pMinKw: Array.from(env.pDischargeMaxGridKw, (v) => -v),
    pMaxKw: Array.from(env.pChargeMaxGridKw),
    eMinKwh: Array.from(env.eMinKwh.subarray(1)),
    eMaxKwh: Array.from(env.eMaxKwh.subarray(1)),
    baseNetLoadKw: Array.from(zone.problem.baseNetLoadKw),
  };
}
