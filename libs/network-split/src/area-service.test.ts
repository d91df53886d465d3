import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, NatsTransport, startNatsServer, type LocalNatsServer, type Message } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { LocalArea } from './area-port';
import { remoteArea, serveArea } from './area-service';
import { splitNetwork } from './areas';
import { coordinateSplit } from './dispatch-split';
import { coordinatorTerms } from './terms';
import { runSplitStudy, splitSetup, type SplitStudy } from './study';

const setup = await splitSetup(loadScenario('small-test'));
let nats: LocalNatsServer;
let inProcess: SplitStudy;

beforeAll(async () => {
  nats = await startNatsServer();
  inProcess = await runSplitStudy(setup.inputs, setup.zones, setup.areas);
});
afterAll(async () => {
  await nats?.stop();
  await shutdownSolver();
});

/** Over messages the coordinator computes exactly what it does in process: every number crosses JSON unchanged. */
function expectSameRun(over: SplitStudy) {
  expect(over.run.roundsPerLossRound).toEqual(inProcess.run.roundsPerLossRound);
  expect(over.splitCostYuan).toBe(inProcess.splitCostYuan);
  expect(over.run.maxAbsVDiffPu).toBe(inProcess.run.maxAbsVDiffPu);
  expect(Math.abs(over.gapPct)).toBeLessThanOrEqual(0.1);
}

describe('the network split with each area a party, reached by messages only', () => {
  it('over the in-process transport: the same rounds, cost and voltages as in process, and only area messages cross', async () => {
    const bus = new InProcessBus();
    const runId = 'split-inproc';
    const seen: Message[] = [];
    const watcher = bus.connect({ name: 'watch', runId });
    watcher.subscribe(watcher.subjects.all, (m) => seen.push(m));
    const over = await runSplitStudy(setup.inputs, setup.zones, setup.areas, { over: { connect: async (name) => bus.connect({ name, runId }), timeoutMs: 60_000 } });
    expectSameRun(over);
    // The in-process bus shows requests to subscribers of the subject; every one is an area request.
    expect(new Set(seen.map((m) => m.type))).toEqual(new Set(['areaRequest']));
    await watcher.close();
  });

  it('over a real NATS server, each area on its own connection: the same result', async () => {
    const runId = `split-nats-${process.pid}`;
    const over = await runSplitStudy(setup.inputs, setup.zones, setup.areas, {
      over: { connect: (name) => NatsTransport.connect({ servers: nats.url, name, runId, requireJetStream: false }), timeoutMs: 60_000 },
    });
    expectSameRun(over);
  });

  it('an area that declares another\'s boundary, or one nobody serves, stops the split with an error naming it', async () => {
    const bus = new InProcessBus();
    const runId = 'split-bad';
    const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
    // Two areas off the substation: the first one's subject is served with a copy of the second's data.
    const [a, b] = split.areas.filter((x) => !x.isRoot);
    const honest = split.areas.filter((x) => x !== a).map((x) => new LocalArea(x));
    const agents = honest.map((x) => { const t = bus.connect({ name: `area-${x.id}`, runId }); serveArea(t, x); return t; });
    const copied = new LocalArea(b);
    const liar = bus.connect({ name: 'liar', runId });
    serveArea(liar, { id: a.id, isRoot: copied.isRoot, boundary: copied.boundary, solve: (s) => copied.solve(s), correctLosses: (x, f) => copied.correctLosses(x, f) });
    const dso = bus.connect({ name: 'dso', runId });
    const ports = await Promise.all(split.areas.map((a) => remoteArea(dso, a.id, 5000)));
    const terms = coordinatorTerms(setup.inputs.scenario, setup.inputs.priceYuanPerKwh, setup.inputs.grid.dtH);
    await expect(coordinateSplit(ports, terms)).rejects.toThrow(/hold its (from|to) end/);
    await expect(remoteArea(dso, 99, 500)).rejects.toThrow(/zone\.99\.area/);
    await Promise.all([...agents, liar, dso].map((t) => t.close()));
  });
});
