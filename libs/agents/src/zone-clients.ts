import type { NegotiationSetup, ZoneClient } from '@zonal/coordination';
import type { Transport } from '@zonal/protocol';
import { fromSolveReply, toSolveRequest } from './wire';

/** The DSO's view of each zone agent over a transport: one request per round, with a timeout. */
export function transportZoneClients(transport: Transport, setup: NegotiationSetup): ZoneClient[] {
  return setup.zones.map((zone) => ({
    zoneId: zone.id,
    async solve(signal, timeoutMs) {
      const periods = zone.bid.grid.periods;
      const outcome = await transport.request(transport.subjects.zoneSolve(String(zone.id)),
        { type: 'solveRequest', body: toSolveRequest(zone.id, signal, periods) }, { timeoutMs, expect: 'solveReply' });
      if (!outcome.ok) {
        const status = outcome.failure.kind === 'timeout' || outcome.failure.kind === 'noResponders' ? 'timeout' : 'error';
        return { status, detail: outcome.failure.message };
      }
      const body = outcome.reply.body;
      if (body.status !== 'optimal' && body.status !== 'feasible') return { status: 'error', detail: body.detail ?? body.status };
      if (body.pKw.length !== periods) return { status: 'error', detail: `reply has ${body.pKw.length} periods, expected ${periods}` };
      return { status: 'replied', answer: fromSolveReply(body, zone.bid) };
    },
  }));
}
