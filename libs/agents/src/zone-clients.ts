import type { NegotiationSetup, ZoneClient } from '@zonal/coordination';
import type { Transport } from '@zonal/protocol';
import { fromSolveReply, toSolveRequest } from './wire';

/**
 * A request unanswered this long is sent again (ms), within the zone's timeout: NATS delivers at most
 * once, and a request or reply that was inside a cluster server when it died is gone. The zone answers
 * a repeated request from the same solve (zone-agent.ts), so asking again costs it nothing.
 */
const RESEND_MS = 2000;
/**
 * How long a zone that has no subscription may take to get one back (ms): a client failing over to
 * another server. nats.js waits `reconnectTimeWait` (2 s) before trying a server again; with 1 s, a
 * cluster test on a loaded machine saw two zones whose server had been killed count as timed out.
 */
const RESUBSCRIBE_GRACE_MS = 3000;
const RESUBSCRIBE_POLL_MS = 100;

/** The DSO's view of each zone agent over a transport: one request per round (sent again if lost), with a timeout. */
export function transportZoneClients(transport: Transport, setup: NegotiationSetup): ZoneClient[] {
  return setup.zones.map((zone) => ({
    zoneId: zone.id,
    async solve(signal, timeoutMs) {
      const periods = zone.bid.grid.periods;
      const subject = transport.subjects.zoneSolve(String(zone.id));
      const draft = { type: 'solveRequest' as const, body: toSolveRequest(zone.id, signal, periods) };
      const t0 = Date.now();
      let noRespondersSince: number | undefined;
      let outcome;
      for (let asked = 1; ; asked++) {
        const left = timeoutMs - (Date.now() - t0);
        outcome = await transport.request(subject, draft, { timeoutMs: Math.max(1, Math.min(left, RESEND_MS)), expect: 'solveReply' });
        if (outcome.ok) break;
        const kind = outcome.failure.kind;
        // A zone with no subscription is dead, or failing over to another server: it gets a moment, not the whole timeout.
        if (kind === 'noResponders') noRespondersSince ??= Date.now();
        else noRespondersSince = undefined;
        const retry = (kind === 'timeout' || (kind === 'noResponders' && Date.now() - noRespondersSince! < RESUBSCRIBE_GRACE_MS))
          && timeoutMs - (Date.now() - t0) > RESUBSCRIBE_POLL_MS;
        if (!retry) {
          const detail = kind === 'timeout' ? `no reply from ${subject} within ${timeoutMs} ms (asked ${asked} time(s))` : outcome.failure.message;
          return { status: kind === 'timeout' || kind === 'noResponders' ? 'timeout' : 'error', detail };
        }
        if (kind === 'noResponders') await new Promise((r) => setTimeout(r, RESUBSCRIBE_POLL_MS));
      }
      const body = outcome.reply.body;
      if (body.status !== 'optimal' && body.status !== 'feasible') return { status: 'error', detail: body.detail ?? body.status };
      // Another period count is the negotiation's to refuse (refuseReply), by zone and field, as an incident.
      return { status: 'replied', answer: fromSolveReply(body, zone.bid) };
    },
  }));
}
