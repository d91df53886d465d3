import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { buildDsoNetwork, buildSimSetup } from '@zonal/coordination';
import { InProcessBus } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { runDsoAgent } from './dso-agent';
import { startZoneAgent } from './zone-agent';
import { hostExitCode, startZoneHost, zoneExitCode } from './zone-host';

afterAll(() => shutdownSolver());

describe('startZoneHost: several zones in one process', () => {
  it('ends each zone on its own and the host with the worst exit code once every zone has ended', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus(), runId = 'host';
    const dso = bus.connect({ runId, name: 'dso' });
    const announced = new Set<string>();
    dso.serve(dso.subjects.anyZoneAnnounce, (m) => {
      if (m.type !== 'announce') throw new Error('announces only');
      if (m.body.zoneId === '2') throw new InputError('zone 2 does not fit the zone list', 'zoneId');
      announced.add(m.body.zoneId);
      return { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [...announced] } };
    });
    const host = await startZoneHost({ parties: sim.parties.slice(0, 3), transportFor: (p) => bus.connect({ runId, name: `zone${p.config.id}` }) });
    let ended = false;
    void host.done.then(() => { ended = true; });
    const t0 = Date.now();
    while (!(announced.has('1') && announced.has('3'))) {
      if (Date.now() - t0 > 60_000) throw new Error('zones 1 and 3 did not announce');
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(ended).toBe(false); // zone 2 has ended (refused); 1 and 3 serve on
    dso.publish(dso.subjects.control, { type: 'control', body: { command: 'shutdown' } });
    const ends = await host.done;
    expect(ends.map((e) => [e.zoneId, e.end.reason, e.exitCode])).toEqual([[1, 'shutdown', 0], [2, 'refused', 2], [3, 'shutdown', 0]]);
    expect(hostExitCode(ends)).toBe(2);
    expect(hostExitCode(ends.filter((e) => e.zoneId !== 2))).toBe(0);
  });

  it('gives each end of a zone its exit code', () => {
    expect(zoneExitCode({ reason: 'shutdown', files: [] })).toBe(0);
    expect(zoneExitCode({ reason: 'stopped', files: [] })).toBe(0);
    expect(zoneExitCode({ reason: 'failed', detail: '', files: [] })).toBe(1);
    expect(zoneExitCode({ reason: 'refused', detail: '', files: [] })).toBe(2);
    expect(zoneExitCode({ reason: 'dsoGone', detail: '', files: [] })).toBe(3);
  });
});

describe('a host whose zones answer two at a time (one solver thread: AnswerGate)', () => {
  it('negotiates the same rounds as zones answering all at once: the gate orders the work, not the answers', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const network = buildDsoNetwork({ ...sim.scenario, negotiation: { ...sim.scenario.negotiation, zoneTimeoutMs: 120_000 } }, sim.feeder);
    const run = async (runId: string, solverThreads?: number) => {
      const bus = new InProcessBus();
      const host = await startZoneHost({ parties: sim.parties, transportFor: (p) => bus.connect({ runId, name: `zone${p.config.id}` }), solverThreads });
      const { report } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), network, transportLabel: 'in-process' });
      await host.done;
      return report;
    };
    const together = await run('together');
    const gated = await run('gated', 1); // small-test's 3 zones, 2 at a time
    expect(gated.rounds).toBe(together.rounds);
    expect(gated.converged).toBe(true);
    expect(gated.costs.negotiated.totalWithDegradation).toBe(together.costs.negotiated.totalWithDegradation);
  });
});

describe('a zone announcing to a DSO that is there but slow', () => {
  it('waits longer each time instead of sending its announce every 2 s, and is heard', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus(), runId = 'slow';
    const dso = bus.connect({ runId, name: 'dso' });
    // Each announce is answered after 3 s: past the first 2 s timeout, within the second's 4 s.
    const received: number[] = [];
    dso.serve(dso.subjects.anyZoneAnnounce, async () => {
      received.push(Date.now());
      await new Promise((r) => setTimeout(r, 3000));
      return { type: 'status', body: { state: 'waiting', round: null, zonesKnown: ['1'] } };
    });
    const lines: string[] = [];
    const agent = await startZoneAgent({ transport: bus.connect({ runId, name: 'zone1' }), party: sim.parties[0], log: (l) => lines.push(l) });
    const t0 = Date.now();
    while (!lines.some((l) => /announced \(/.test(l))) {
      if (Date.now() - t0 > 30_000) throw new Error(`never heard: ${received.length} announce(s) sent`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(received).toHaveLength(2);
    await agent.stop();
  });
});
