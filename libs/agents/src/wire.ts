import { announcedEnvelope, envelopeOfGroups, type ZoneAnnounce } from '@zonal/coordination';
import type { AggregateEnvelope } from '@zonal/ev';
import type { DsoSignal, EnvelopeGroup, ZoneAnswer, ZoneBid, ZoneReport } from '@zonal/policies';
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
    ...(signal.evCaps?.length ? { evCaps: signal.evCaps.map((c) => ({ buses: [...c.buses], maxPKw: Array.from(c.maxKw, (v) => (Number.isFinite(v) ? v : null)) })) } : {}),
  };
}

export function fromSolveRequest(body: BodyOf<'solveRequest'>): DsoSignal {
  const target = Float64Array.from(body.targetPKw);
  const prices = body.priceYuanPerKwh.length ? Float64Array.from(body.priceYuanPerKwh) : undefined;
  const evCaps = body.evCaps?.map((c) => ({ buses: c.buses, maxKw: Float64Array.from(c.maxPKw, (v) => v ?? Infinity) }));
  if (body.rho > 0) {
    return { round: body.round, consensus: { referenceKw: target, lambdaYuanPerKwh: prices ?? new Float64Array(target.length), rho: body.rho }, ...(evCaps ? { evCaps } : {}) };
  }
  return {
    round: body.round,
    ...(body.excessPenaltyYuanPerKwh !== undefined ? { targetKw: target, excessPenaltyYuanPerKwh: body.excessPenaltyYuanPerKwh } : {}),
    ...(prices ? { priceYuanPerKwh: prices } : {}),
  };
}

/** The zone's reply: the aggregate its EVs will draw and the figures of their schedules (never the schedules). */
export function toSolveReply(zoneId: number, round: number, answer: ZoneAnswer | ZoneReport): BodyOf<'solveReply'> {
  return {
    zoneId: String(zoneId), round, status: 'optimal',
    pKw: Array.from(answer.evKw), qKvar: new Array(answer.evKw.length).fill(0),
    costYuan: answer.costYuan, degradationYuan: answer.degradationYuan, tieLineFlows: [],
    delivery: { ...answer.delivery },
    ...(answer.pricing ? { pricing: answer.pricing } : {}),
    ...(answer.busEvKw ? { busPKw: answer.busEvKw.map((b) => ({ bus: b.bus, pKw: Array.from(b.kw) })) } : {}),
  };
}

export function fromSolveReply(body: BodyOf<'solveReply'>, bid: ZoneBid): ZoneReport {
  const evKw = Float64Array.from(body.pKw);
  return {
    evKw,
    netLoadKw: evKw.map((x, t) => x + bid.baseNetLoadKw[t]),
    costYuan: body.costYuan ?? 0,
    degradationYuan: body.degradationYuan ?? 0,
    objective: body.costYuan ?? 0,
    // A reply without figures claims nothing about its EVs: counted as none scheduled.
    delivery: body.delivery ?? { evs: 0, evsScheduled: 0, evsFeasible: 0, evsLeftOut: 0, overKwh: 0, shortfallKwh: 0 },
    ...(body.pricing ? { pricing: body.pricing } : {}),
    ...(body.busPKw ? { busEvKw: body.busPKw.map((b) => ({ bus: b.bus, kw: Float64Array.from(b.pKw) })) } : {}),
  };
}

/**
 * The zone's announce (SPEC §8 step 1) on the wire. Each envelope group is sent over its active span
 * from its anchor only (after it no EV of the group moves energy), which keeps a zone of a thousand
 * groups within NATS's default 1 MB payload.
 */
export function toAnnounceBody(a: ZoneAnnounce): BodyOf<'announce'> {
  const { bid } = a;
  return {
    zoneId: String(bid.zoneId),
    buses: a.buses,
    periods: bid.grid.periods,
    dtH: bid.grid.dtH,
    policy: a.policy,
    eta: bid.eta,
    degradationYuanPerKwh: bid.degradationYuanPerKwh,
    peakTieBreakYuanPerKw: bid.peakTieBreakYuanPerKw,
    baseNetLoadKw: Array.from(bid.baseNetLoadKw),
    groups: bid.envelopeGroups.map(({ envelope: e, shiftPeriods }) => {
      const span = activeSpan(e);
      return {
        shiftPeriods, evCount: e.evCount,
        pMinKw: Array.from(e.pMinKw.subarray(0, span)), pMaxKw: Array.from(e.pMaxKw.subarray(0, span)),
        eMinKwh: Array.from(e.eMinKwh.subarray(0, span + 1)), eMaxKwh: Array.from(e.eMaxKwh.subarray(0, span + 1)),
      };
    }),
    busProfiles: a.busProfiles.map((p) => ({ bus: p.bus, flexKw: Array.from(p.flexKw), uncoordinatedKw: Array.from(p.uncoordinatedKw) })),
    evCount: a.evCount,
    evsLeftOut: a.evsLeftOut,
  };
}

/** The announce as the DSO reads it: each group back on the whole rotated day. */
export function fromAnnounceBody(body: BodyOf<'announce'>): ZoneAnnounce {
  const grid = { periods: body.periods, dtH: body.dtH };
  const T = body.periods;
  const envelopeGroups: EnvelopeGroup[] = body.groups.map((g) => {
    const span = g.pMinKw.length;
    const pMinKw = new Float64Array(T), pMaxKw = new Float64Array(T);
    pMinKw.set(g.pMinKw);
    pMaxKw.set(g.pMaxKw);
    const eMinKwh = new Float64Array(T + 1).fill(g.eMinKwh[span]), eMaxKwh = new Float64Array(T + 1).fill(g.eMaxKwh[span]);
    eMinKwh.set(g.eMinKwh);
    eMaxKwh.set(g.eMaxKwh);
    const battery = { pMinKw, pMaxKw, eMinKwh, eMaxKwh, evCount: g.evCount } as AggregateEnvelope;
    return { envelope: announcedEnvelope(battery, body.eta), shiftPeriods: g.shiftPeriods };
  });
  const bid: ZoneBid = {
    zoneId: Number(body.zoneId), grid, eta: body.eta, baseNetLoadKw: Float64Array.from(body.baseNetLoadKw),
    envelopeGroups, envelope: envelopeOfGroups(envelopeGroups, grid, body.evCount),
    degradationYuanPerKwh: body.degradationYuanPerKwh, peakTieBreakYuanPerKw: body.peakTieBreakYuanPerKw,
  };
  return {
    bid, buses: body.buses, policy: body.policy, evCount: body.evCount, evsLeftOut: body.evsLeftOut,
    busProfiles: body.busProfiles.map((p) => ({ bus: p.bus, flexKw: Float64Array.from(p.flexKw), uncoordinatedKw: Float64Array.from(p.uncoordinatedKw) })),
  };
}

/** Periods from the anchor up to the last in which the group can move energy. */
function activeSpan(e: AggregateEnvelope): number {
  for (let tau = e.pMaxKw.length - 1; tau >= 0; tau--) if (e.pMaxKw[tau] > 0 || e.pMinKw[tau] < 0) return tau + 1;
  return 0;
}
