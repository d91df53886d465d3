import { afterAll, describe, expect, it } from 'vitest';
import { buildSimSetup, inProcessZoneClients, negotiate } from '@zonal/coordination';
import { InProcessBus } from '@zonal/protocol';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { transportZoneClients } from './zone-clients';

afterAll(() => shutdownSolver());

describe('the DSO\'s zone clients over a transport', () => {
  it('leave a reply over another number of periods to the negotiation, which refuses it naming the zone and the field', async () => {
    const small = loadScenario('small-test');
    const sim = await buildSimSetup(parseScenario({ ...small, negotiation: { ...small.negotiation, maxRounds: 1, zoneTimeoutMs: 60_000 } }));
    const bus = new InProcessBus(), runId = 'short-reply';
    // Zone 2 as a forger would answer: 23 periods on a 24-period day.
    const zone = bus.connect({ runId, name: 'zone2' });
    const periods = sim.zones[1].bid.grid.periods - 1;
    zone.serve(zone.subjects.zoneSolve('2'), () => ({
      type: 'solveReply',
      body: { zoneId: '2', round: 1, status: 'optimal', pKw: new Array(periods).fill(0), qKvar: new Array(periods).fill(0), costYuan: 0, degradationYuan: 0, tieLineFlows: [] },
    }));
    const clients = inProcessZoneClients(sim);
    clients[1] = transportZoneClients(bus.connect({ runId, name: 'dso' }), sim)[1];
    const n = await negotiate(sim, clients);
    expect(n.incidents).toEqual([{ round: 1, zoneId: 2, status: 'refused', detail: 'zone 2: evKw has 23 periods, the run 24' }]);
  });
});
