/**
 * Round records: the same checks on JetStream (a private nats-server) and in memory.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, InProcessTransport } from './inProcessTransport';
import type { BodyOf, Message } from './messages';
import { NatsTransport } from './natsTransport';
import type { LocalNatsServer } from './probe';
import { JetStreamRecorder, openRecorder, ROUNDS_STREAM, type RoundRecorder } from './recorder';
import { startNatsServer } from './testing/natsServer';
import { sampleBodies } from './testing/samples';
import { collect, freshRunId } from './testing/transportContract';
import type { Transport } from './transport';

let server: LocalNatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

/** Round `round` of a run whose residuals shrink, so each record is distinguishable. */
function roundBody(round: number, overrides: Partial<BodyOf<'roundRecord'>> = {}): BodyOf<'roundRecord'> {
  return {
    ...structuredClone(sampleBodies.roundRecord),
    round,
    primalResidualKw: 100 / (round + 1),
    relCostChange: round === 0 ? null : 1 / round,
    ...overrides,
  };
}

const kinds = [
  {
    kind: 'JetStream',
    connect: (runId: string) => NatsTransport.connect({ servers: server.url, name: 'dso', runId }),
    publishRaw: (t: Transport, subject: string, payload: Uint8Array) => (t as NatsTransport).connection.publish(subject, payload),
  },
  {
    kind: 'in-memory',
    connect: async (runId: string) => sharedBus.connect({ name: 'dso', runId }),
    publishRaw: (t: Transport, subject: string, payload: Uint8Array) => void (t as InProcessTransport).bus.send(subject, payload),
  },
];
const sharedBus = new InProcessBus();

describe.each(kinds)('$kind round recorder', ({ connect, publishRaw }) => {
  const opened: Transport[] = [];
  const open = async (runId: string, options = {}): Promise<[Transport, RoundRecorder]> => {
    const transport = await connect(runId);
    opened.push(transport);
    return [transport, await openRecorder(transport, { fetchBatch: 2, ...options })];
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });

  it('reads every round back in the order recorded, stamped with run, sender and seq = round', async () => {
    const runId = freshRunId('order');
    const [, recorder] = await open(runId);
    const bodies = [0, 1, 2, 3, 4].map((r) => roundBody(r));
    for (const body of bodies) expect(await recorder.record(body)).toEqual({ duplicate: false });
    const history = await recorder.readRounds(runId);
    expect(history.skipped).toEqual([]);
    expect(history.records.map((r) => r.body)).toEqual(bodies);
    expect(history.records.map((r) => [r.runId, r.sender, r.seq])).toEqual(bodies.map((b) => [runId, 'dso', b.round]));
  });

  it('stores a re-recorded round once (idempotent publish), keeping the first', async () => {
    const runId = freshRunId('dup');
    const [, recorder] = await open(runId);
    await recorder.record(roundBody(0));
    await recorder.record(roundBody(1));
    expect(await recorder.record(roundBody(1, { totalCostYuan: -1 }))).toEqual({ duplicate: true });
    const rounds = (await recorder.readRounds(runId)).records.map((r) => [r.body.round, r.body.totalCostYuan]);
    expect(rounds).toEqual([
      [0, sampleBodies.roundRecord.totalCostYuan],
      [1, sampleBodies.roundRecord.totalCostYuan],
    ]);
  });

  it('keeps the records of two runs apart, and an unknown run has none', async () => {
    const [runA, runB] = [freshRunId('A'), freshRunId('B')];
    const [[, recA], [, recB]] = [await open(runA), await open(runB)];
    for (const round of [0, 1, 2]) {
      await recA.record(roundBody(round, { method: 'admm' }));
      if (round < 2) await recB.record(roundBody(round, { method: 'targetPenalty' }));
    }
    const [a, b] = [await recA.readRounds(runA), await recA.readRounds(runB)];
    expect(a.records.map((r) => [r.runId, r.body.method, r.body.round])).toEqual([0, 1, 2].map((n) => [runA, 'admm', n]));
    expect(b.records.map((r) => [r.runId, r.body.method, r.body.round])).toEqual([0, 1].map((n) => [runB, 'targetPenalty', n]));
    expect((await recB.readRounds(freshRunId('never'))).records).toEqual([]);
  });

  it('shows each record to live subscribers, and skips anything else found on the round subject', async () => {
    const runId = freshRunId('live');
    const [transport, recorder] = await open(runId);
    const seen = collect(transport, transport.subjects.round);
    await transport.flush();
    await recorder.record(roundBody(0));
    publishRaw(transport, transport.subjects.round, new TextEncoder().encode('not a record'));
    transport.publish(transport.subjects.round, { type: 'status', body: sampleBodies.status });
    await recorder.record(roundBody(1));
    await seen.until((m: Message) => m.type === 'roundRecord' && m.body.round === 1);
    expect(seen.messages.map((m) => m.type)).toEqual(['roundRecord', 'status', 'roundRecord']);
    const history = await recorder.readRounds(runId);
    expect(history.records.map((r) => r.body.round)).toEqual([0, 1]);
    expect(history.skipped.map((s) => [s.position, s.error.code, s.error.where])).toEqual([
      [1, 'malformed', undefined],
      [2, 'malformed', 'type'],
    ]);
  });
});

describe('JetStream recorder', () => {
  it('keeps the records when the recording agent is gone (a new connection reads them)', async () => {
    const runId = freshRunId('durable');
    const dso = await NatsTransport.connect({ servers: server.url, name: 'dso', runId });
    const recorder = await openRecorder(dso);
    await recorder.record(roundBody(0));
    await recorder.record(roundBody(1));
    await dso.close();
    const reader = await NatsTransport.connect({ servers: server.url, name: 'report', runId });
    try {
      const history = await (await JetStreamRecorder.open(reader.connection, runId, 'report')).readRounds(runId);
      expect(history.records.map((r) => [r.sender, r.body.round])).toEqual([
        ['dso', 0],
        ['dso', 1],
      ]);
    } finally {
      await reader.close();
    }
  });

  it('refuses bad options and a bad run id by name', async () => {
    const t = await NatsTransport.connect({ servers: server.url, name: 'dso', runId: freshRunId('opts') });
    try {
      await expect(openRecorder(t, { maxAgeMs: -5 })).rejects.toThrow(/^maxAgeMs: must be a positive number/);
      await expect(openRecorder(t, { fetchBatch: 0.5 })).rejects.toThrow(/^fetchBatch: must be a positive integer/);
      await expect((await openRecorder(t)).readRounds('no.dots')).rejects.toThrow(/^runId: /);
    } finally {
      await t.close();
    }
  });

  it('uses an existing stream whatever its limits, and refuses by name one that does not capture the rounds', async () => {
    const t = await NatsTransport.connect({ servers: server.url, name: 'dso', runId: freshRunId('cfg') });
    const jsm = await jetstreamManager(t.connection);
    try {
      await openRecorder(t);
      // An operator's stream with other limits (here a max age) is used as it is.
      await openRecorder(t, { maxAgeMs: 60_000 });
      await jsm.streams.update(ROUNDS_STREAM, { max_age: 3_600 * 1e9 });
      await expect(openRecorder(t)).resolves.toBeDefined();
      // One that does not capture zonal.*.round would lose every record: refused, naming what to do.
      await jsm.streams.delete(ROUNDS_STREAM);
      await jsm.streams.add({ name: ROUNDS_STREAM, subjects: ['elsewhere.>'] });
      await expect(openRecorder(t)).rejects.toThrow(/does not capture zonal\.\*\.round/);
    } finally {
      await jsm.streams.delete(ROUNDS_STREAM).catch(() => undefined);
      await t.close();
    }
  });
});
