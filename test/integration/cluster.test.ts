import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDsoAgent, startZoneAgent, type SimReport } from '@zonal/agents';
import { buildDsoNetwork, buildSimSetup, type SimSetup } from '@zonal/coordination';
import { NatsTransport, openRecorder, ROUNDS_STREAM, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { scenarioFile, tmp } from './harness';

/**
 * Issue 10 item 5: a 3-server NATS cluster with JetStream, the round record at R3, the DSO and the
 * zones on different servers; the server that leads the record's stream is killed mid-run. The run
 * must give the reference run's result, every round recorded exactly once.
 */
const CLUSTER = 'zonal-test';

interface ClusterServer { name: string; server: LocalNatsServer; killed: boolean }
let dir: string;
let cluster: ClusterServer[] = [];
let sim: SimSetup;
const opened: NatsTransport[] = [];
/** What the DSOs said (a failed expectation shows it). */
const dsoLog: string[] = [];

/** A free loopback port: the route ports must be known before the servers start, to list them in each other's routes. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function startCluster(size: number): Promise<ClusterServer[]> {
  const routePorts = await Promise.all(Array.from({ length: size }, freePort));
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(', ');
  return Promise.all(routePorts.map(async (port, i) => {
    const name = `zc${i + 1}`;
    const store = join(dir, name);
    mkdirSync(store);
    const config = join(dir, `${name}.conf`);
    writeFileSync(config, [
      `server_name: ${name}`,
      `jetstream { store_dir: "${store}" }`,
      `cluster { name: ${CLUSTER}, listen: "127.0.0.1:${port}", routes: [${routes}] }`,
    ].join('\n'));
    // The client port is the server's choice (-p -1, logged): no race for it.
    return { name, server: await startNatsServer({ configFile: config, readyTimeoutMs: 20_000 }), killed: false };
  }));
}

const urls = (servers: ClusterServer[]) => servers.filter((s) => !s.killed).map((s) => s.server.url);

/** The cluster's client URLs with server `first` first: the agent connects there and fails over to the others. */
async function connectTo(first: number, name: string, runId: string): Promise<NatsTransport> {
  const servers = [...cluster.slice(first), ...cluster.slice(0, first)];
  const t = await NatsTransport.connect({ servers: urls(servers), serversInOrder: true, name, runId, connectTimeoutMs: 10_000 });
  opened.push(t);
  expect(t.connection.info?.server_name, `${name} on server ${servers[0].name}`).toBe(servers[0].name);
  return t;
}

/** Until `attempt` resolves, retrying every 250 ms; its last error after `ms`. */
async function eventually<T>(attempt: () => Promise<T>, ms: number): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    try {
      return await attempt();
    } catch (e) {
      if (Date.now() - t0 > ms) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

beforeAll(async () => {
  dir = tmp('cluster');
  // small-test with tolerances that take 7 rounds instead of 3 (about 1 s each), so the kill after round 2 leaves five to go.
  sim = await buildSimSetup(loadScenario(scenarioFile(dir, { extends: 'small-test', negotiation: { admm: { primalTolKw: 0.5, dualTolKw: 0.5, relCostTol: 1e-5 } } })));
  cluster = await startCluster(3);
  // Routes up and a JetStream meta leader elected that knows all three servers: an R3 stream can be
  // created (and is at once deleted) only then.
  const probe = await NatsTransport.connect({ servers: urls(cluster), name: 'probe', runId: 'probe', connectTimeoutMs: 10_000 });
  try {
    await eventually(async () => {
      const jsm = await jetstreamManager(probe.connection);
      await jsm.streams.add({ name: 'ZONAL_CLUSTER_PROBE', subjects: ['zonal-cluster-probe'], num_replicas: 3 });
      await jsm.streams.delete('ZONAL_CLUSTER_PROBE');
    }, 30_000);
  } finally {
    await probe.close();
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close().catch(() => undefined)));
  await Promise.all(cluster.map((s) => s.server.stop()));
  await shutdownSolver();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * One negotiation of the scenario: the DSO on server 1, the zones on servers 2 and 3 in turn, each
 * with every server's URL to fail over to. `onRound` runs after each round is recorded.
 */
async function negotiate(runId: string, opts: { roundsReplicas?: number; onRound?: (round: number) => void } = {}): Promise<SimReport> {
  const zones = await Promise.all(sim.parties.map(async (party, k) => startZoneAgent({ transport: await connectTo(1 + (k % 2), `zone${party.config.id}`, runId), party })));
  // A slow answer on a loaded 2-core machine is no incident here: an incident would change the result.
  const network = buildDsoNetwork({ ...sim.scenario, negotiation: { ...sim.scenario.negotiation, zoneTimeoutMs: 30_000 } }, sim.feeder);
  const { report } = await runDsoAgent({
    transport: await connectTo(0, 'dso', runId), network, transportLabel: 'nats cluster', roundsReplicas: opts.roundsReplicas,
    log: (l) => dsoLog.push(`${new Date().toISOString()} ${l}`),
    onRound: (r) => opts.onRound?.(r.round),
  });
  const ends = await Promise.all(zones.map((z) => z.done));
  expect(ends.map((e) => e.reason)).toEqual(sim.parties.map(() => 'shutdown'));
  return report;
}

describe('a 3-server NATS cluster that loses the server leading the round record', () => {
  it('gives the same result, every round recorded once on the R3 stream', async () => {
    const observer = await connectTo(2, 'observer', 'observer');
    const jsm = await jetstreamManager(observer.connection);

    // The reference run creates the record's stream at R3 (--rounds-replicas 3).
    const reference = await negotiate(`ref-${Date.now()}`, { roundsReplicas: 3 });
    const stream = await jsm.streams.info(ROUNDS_STREAM);
    expect(stream.config.num_replicas).toBe(3);
    expect(reference.unrecordedRounds).toEqual([]);
    expect(reference.converged).toBe(true);
    expect(reference.rounds).toBeGreaterThan(3);

    // The second run asks for no replicas: the existing R3 stream is used as it is. After round 2 is
    // recorded, the server that leads the stream is killed (SIGKILL) while round 3 runs.
    let killed: ClusterServer | undefined;
    let killing: Promise<void> | undefined;
    const runId = `kill-${Date.now()}`;
    const report = await negotiate(runId, {
      onRound: (round) => {
        if (round !== 2) return;
        killing = jsm.streams.info(ROUNDS_STREAM).then((info) => {
          killed = cluster.find((s) => s.name === info.cluster?.leader);
          if (!killed) throw new Error(`no server of the cluster leads ${ROUNDS_STREAM}: ${JSON.stringify(info.cluster)}`);
          process.kill(killed.server.pid, 'SIGKILL');
          killed.killed = true;
        });
      },
    });
    await killing;
    expect(killed).toBeDefined();

    expect(report.converged, `${killed!.name} killed\n${dsoLog.join('\n')}`).toBe(reference.converged);
    expect(report.rounds).toBe(reference.rounds);
    const cost = (r: SimReport) => r.costs.negotiated.totalWithDegradation;
    expect(Math.abs(cost(report) - cost(reference)) / Math.abs(cost(reference))).toBeLessThan(1e-6);
    expect(report.incidents).toEqual(reference.incidents);
    expect(report.unrecordedRounds, dsoLog.join('\n')).toEqual([]);
    expect(report.duplicateRecords).toEqual([]);

    // Read back from a surviving server: every round exactly once, all of them the DSO's own.
    const survivors = cluster.filter((s) => !s.killed);
    const reader = await NatsTransport.connect({ servers: urls(survivors), name: 'reader', runId, connectTimeoutMs: 10_000 });
    opened.push(reader);
    // Right after a server is lost the JetStream API can answer nothing for seconds (the meta group
    // electing a leader, when the killed server led it too): a reader waits for it, as an operator would.
    const history = await eventually(async () => (await openRecorder(reader)).readRounds(runId, { instances: [report.recordInstance!] }), 30_000);
    expect(history.records.map((r) => r.body.round)).toEqual(Array.from({ length: report.rounds }, (_, i) => i + 1));
    expect(history).toMatchObject({ duplicates: [], foreign: [], skipped: [], instances: [report.recordInstance] });
    expect((await eventually(() => jsm.streams.info(ROUNDS_STREAM), 30_000)).cluster?.leader).not.toBe(killed!.name);
  }, 300_000);
});
