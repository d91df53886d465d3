import { ZonalError } from '@zonal/core';
import {
  RollingZone, RollingZoneSide, runRollingDso,
  type NegotiationResult, type NegotiationSetup, type RealisedDay, type RealisedZoneDay, type RollingDsoResult, type RollingOptions,
  type RollingZones, type WindowAnnounce, type WindowPlan, type ZoneParty,
} from '@zonal/coordination';
import type { BodyOf, Draft, Transport } from '@zonal/protocol';
import { fromAnnounceBody, toAnnounceBody } from './wire';
import { transportZoneClients } from './zone-clients';

/** How long the DSO waits for a zone's answer to a window request (ms): a window is built from the zone's EVs, seconds at most. */
export const WINDOW_TIMEOUT_MS = 60_000;

const busMap = (rows: ReadonlyArray<{ bus: number; pKw: number[] }>) => new Map(rows.map((r) => [r.bus, Float64Array.from(r.pKw)]));
const busRows = (m: ReadonlyMap<number, Float64Array>) => [...m].map(([bus, kw]) => ({ bus, pKw: Array.from(kw) }));

/**
 * The zones of a rolling run as the DSO reaches them over a transport (issue 12 item 5): each window
 * request on the zone's window subject (`windowRequest` → `windowReply`, validated on both ends), the
 * window's rounds on its solve subject as in the day-ahead. `dayAheadRounds`: per zone (the setup's
 * order), the round whose answer of the zone's the day-ahead agreement holds, told at the first window.
 * A zone that does not answer a window request stops the run with an error naming it (its window and
 * metered past are its alone: the DSO cannot stand in for them); a zone silent in a window's rounds
 * is timed out there as in the day-ahead, and the window goes on (SPEC §9).
 */
export function transportRollingZones(transport: Transport, setup: NegotiationSetup, dayAheadRounds: ReadonlyArray<number | null>, everyPeriods: number, timeoutMs = WINDOW_TIMEOUT_MS): RollingZones {
  const ids = setup.zones.map((z) => z.id);
  async function ask(id: number, body: BodyOf<'windowRequest'>): Promise<BodyOf<'windowReply'>> {
    const outcome = await transport.request(transport.subjects.zoneWindow(String(id)), { type: 'windowRequest', body }, { timeoutMs, expect: 'windowReply' });
    if (!outcome.ok) {
      const why = outcome.failure.kind === 'errorReply' ? outcome.failure.error.message : outcome.failure.kind === 'timeout' ? `no reply within ${timeoutMs} ms` : outcome.failure.message;
      throw new ZonalError(`zone ${id} did not answer the ${body.action} of the window from period ${body.startPeriod}: ${why}`, 'rolling');
    }
    const r = outcome.reply.body;
    if (r.zoneId !== String(id) || r.action !== body.action || r.startPeriod !== body.startPeriod) {
      throw new ZonalError(`zone ${id} answered the ${body.action} of the window from period ${body.startPeriod} with zone ${r.zoneId}'s ${r.action} from ${r.startPeriod}`, 'rolling');
    }
    return r;
  }
  const base = (id: number, action: BodyOf<'windowRequest'>['action'], k: number) => ({ zoneId: String(id), action, startPeriod: k, periods: everyPeriods });
  return {
    async open(k) {
      return Promise.all(ids.map(async (id, i): Promise<WindowAnnounce> => {
        const dayAheadRound = k === 0 ? dayAheadRounds[i] : null;
        const w = (await ask(id, { ...base(id, 'open', k), ...(dayAheadRound ? { dayAheadRound } : {}) })).window!;
        const announce = fromAnnounceBody(w.announce);
        if (announce.bid.zoneId !== id) throw new ZonalError(`zone ${id} announced its window as zone ${announce.bid.zoneId}`, 'rolling');
        return { zoneId: id, announce, pastBusEvKw: busMap(w.pastBusPKw), onPlan: w.onPlan, realisedEvs: w.realisedEvs, forecastEvs: w.forecastEvs, cappedKwh: w.cappedKwh };
      }));
    },
    clients: (windowSetup) => transportZoneClients(transport, windowSetup),
    async commit(k, _periods, plans) {
      return Promise.all(ids.map(async (id, i) => (await ask(id, { ...base(id, 'commit', k), plan: plans[i] })).degradationYuan!));
    },
    async finish() {
      return Promise.all(ids.map(async (id): Promise<RealisedZoneDay> => {
        const d = (await ask(id, base(id, 'finish', 0))).day!;
        return { zoneId: id, busEvKw: busMap(d.busPKw), degradationYuan: d.degradationYuan, evs: d.evs, leftEarly: d.leftEarly, leftOut: d.leftOut, shortfallEvs: d.shortfallEvs, shortfallKwh: d.shortfallKwh };
      }));
    },
  };
}

/** Per zone (the setup's order), the round of its answer the negotiation accepted last, or null (it gave none). */
export function acceptedRounds(n: NegotiationResult): Array<number | null> {
  return n.answers.map((_a, i) => {
    for (let r = n.rounds.length - 1; r >= 0; r--) if (n.rounds[r].zones[i].status === 'replied') return n.rounds[r].round;
    return null;
  });
}

/**
 * The DSO's rolling day after its day-ahead negotiation (`runDsoAgent`'s `afterNegotiation`), over
 * the transport: `runRollingDso` with the zones reached by window requests.
 */
export async function runRollingOverTransport(transport: Transport, setup: NegotiationSetup, dayAhead: NegotiationResult, opts: RollingOptions & { windowTimeoutMs?: number }): Promise<RollingDsoResult> {
  const rounds = acceptedRounds(dayAhead);
  const missing = setup.zones.filter((_z, i) => rounds[i] === null).map((z) => z.id);
  if (missing.length) throw new ZonalError(`zone(s) ${missing.join(', ')} gave no accepted day-ahead answer: no plan to roll from`, 'rolling');
  return runRollingDso(setup, dayAhead.evaluation, transportRollingZones(transport, setup, rounds, opts.everyPeriods, opts.windowTimeoutMs), opts);
}

/**
 * A zone agent's rolling state (issue 12 item 5): its `RollingZone` over its realised day — the
 * sessions its charge points report, revealed period by period as the windows advance — behind its
 * window subject. Answers every request of the DSO's; what it says is aggregates and bus totals.
 */
export function rollingZoneOf(party: ZoneParty, realised: RealisedDay): RollingZoneSide {
  return new RollingZoneSide(new RollingZone(party, realised));
}

/** A zone's answer to one window request (the zone agent serves it on its window subject). */
export async function answerWindow(side: RollingZoneSide, body: BodyOf<'windowRequest'>): Promise<Draft<'windowReply'>> {
  const zoneId = String(side.zoneId);
  if (body.zoneId !== zoneId) throw new ZonalError(`window request for zone ${body.zoneId} reached zone ${zoneId}`, 'windowRequest.zoneId');
  const reply = { zoneId, action: body.action, startPeriod: body.startPeriod };
  if (body.action === 'open') {
    if (body.dayAheadRound !== undefined) side.adoptDayAhead(body.dayAheadRound);
    const w = side.open(body.startPeriod);
    return {
      type: 'windowReply',
      body: { ...reply, window: { announce: toAnnounceBody(w.announce), pastBusPKw: busRows(w.pastBusEvKw), onPlan: w.onPlan, realisedEvs: w.realisedEvs, forecastEvs: w.forecastEvs, cappedKwh: w.cappedKwh } },
    };
  }
  if (body.action === 'commit') return { type: 'windowReply', body: { ...reply, degradationYuan: await side.commit(body.startPeriod, body.periods, body.plan as WindowPlan) } };
  const d = side.finish();
  return {
    type: 'windowReply',
    body: { ...reply, day: { busPKw: busRows(d.busEvKw), degradationYuan: d.degradationYuan, evs: d.evs, leftEarly: d.leftEarly, leftOut: d.leftOut, shortfallEvs: d.shortfallEvs, shortfallKwh: d.shortfallKwh } },
  };
}
