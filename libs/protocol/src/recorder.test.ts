/**
 * Round records: the same checks on JetStream (a private nats-server) and in memory.
 */
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus, InProcessTransport } from './inProcessTransport';
import { PROTOCOL_VERSION, type BodyOf, type Message } from './messages';
import { NatsTransport } from './natsTransport';
import type { LocalNatsServer } from './probe';
import { JetStreamRecorder, openRecorder, ROUNDS_STREAM, validateReplicas, type RoundRecorder } from './recorder';
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

  it('reads every round back in the order recorded, stamped with run, sender, seq = round and the recorder\'s instance', async () => {
    const runId = freshRunId('order');
    const [, recorder] = await open(runId);
    expect(recorder.instance).toMatch(/^[0-9a-f]{12}$/);
    const bodies = [0, 1, 2, 3, 4].map((r) => roundBody(r));
    for (const body of bodies) expect(await recorder.record(body)).toMatchObject({ duplicate: false });
    const history = await recorder.readRounds(runId);
    expect(history).toMatchObject({ skipped: [], duplicates: [], foreign: [], instances: [recorder.instance] });
    expect(history.records.map((r) => r.body)).toEqual(bodies.map((b) => ({ ...b, instance: recorder.instance })));
    expect(history.records.map((r) => [r.runId, r.sender, r.seq])).toEqual(bodies.map((b) => [runId, 'dso', b.round]));
  });

  it('stores a re-recorded round once (idempotent publish), keeping the first', async () => {
    const runId = freshRunId('dup');
    const [, recorder] = await open(runId);
    await recorder.record(roundBody(0));
    await recorder.record(roundBody(1));
    expect(await recorder.record(roundBody(1, { totalCostYuan: -1 }))).toMatchObject({ duplicate: true });
    const rounds = (await recorder.readRounds(runId)).records.map((r) => [r.body.round, r.body.totalCostYuan]);
    expect(rounds).toEqual([
      [0, sampleBodies.roundRecord.totalCostYuan],
      [1, sampleBodies.roundRecord.totalCostYuan],
    ]);
  });

  it('keeps a second DSO instance on the run (restarted, say) apart: its re-recorded rounds are stored and reported as duplicates', async () => {
    const runId = freshRunId('twice');
    const [[, first], [, second]] = [await open(runId), await open(runId)];
    expect(second.instance).not.toBe(first.instance);
    await first.record(roundBody(1));
    await first.record(roundBody(2));
    // Under the old `<runId>.<round>` ids the server would have dropped these as duplicates of the first DSO's.
    expect(await second.record(roundBody(2, { totalCostYuan: -2 }))).toMatchObject({ duplicate: false });
    expect(await second.record(roundBody(3))).toMatchObject({ duplicate: false });
    const history = await first.readRounds(runId);
    expect(history.records.map((r) => [r.body.round, r.body.instance])).toEqual([[1, first.instance], [2, first.instance], [3, second.instance]]);
    expect(history.duplicates).toEqual([{ round: 2, positions: [1, 2] }]);
    expect(history.instances).toEqual([first.instance, second.instance]);
    // Asked for the first DSO's records only, the second's are foreign, and no round is counted twice.
    const own = await first.readRounds(runId, { instances: [first.instance] });
    expect(own.records.map((r) => r.body.round)).toEqual([1, 2]);
    expect(own.duplicates).toEqual([]);
    expect(own.foreign).toEqual([{ position: 2, round: 2, instance: second.instance }, { position: 3, round: 3, instance: second.instance }]);
    await expect(first.readRounds(runId, { instances: ['not an instance'] })).rejects.toThrow(/^instances: /);
  });

  it('reports forged records published on the run\'s round subject instead of taking them', async () => {
    const runId = freshRunId('forged');
    const [transport, recorder] = await open(runId);
    await recorder.record(roundBody(1));
    const forge = (round: number, instance?: string) => publishRaw(transport, transport.subjects.round, new TextEncoder().encode(JSON.stringify({
      v: PROTOCOL_VERSION, type: 'roundRecord', runId, sender: 'dso', seq: round, body: { ...roundBody(round, { totalCostYuan: 1 }), ...(instance ? { instance } : {}) },
    })));
    forge(1, recorder.instance); // a copy of a stored round, under the DSO's own instance
    forge(2, 'forger'); // a round the DSO has not reached, under a made-up instance
    forge(3); // a record without any instance
    await transport.flush();
    await recorder.record(roundBody(2));
    const all = await recorder.readRounds(runId);
    // Without knowing the DSO's instance: the first of each round is kept, every later copy reported, and two instances seen.
    expect(all.records.map((r) => [r.body.round, r.body.totalCostYuan])).toEqual([[1, sampleBodies.roundRecord.totalCostYuan], [2, 1], [3, 1]]);
    expect(all.duplicates).toEqual([{ round: 1, positions: [0, 1] }, { round: 2, positions: [2, 4] }]);
    expect(all.instances).toEqual([recorder.instance, 'forger']);
    // Knowing it (the DSO's report says it: recordInstance), the forger's records are foreign and the DSO's round 2 stands.
    const own = await recorder.readRounds(runId, { instances: [recorder.instance] });
    expect(own.records.map((r) => [r.body.round, r.body.totalCostYuan])).toEqual([[1, sampleBodies.roundRecord.totalCostYuan], [2, sampleBodies.roundRecord.totalCostYuan]]);
    expect(own.foreign).toEqual([{ position: 2, round: 2, instance: 'forger' }, { position: 3, round: 3, instance: null }]);
    expect(own.duplicates).toEqual([{ round: 1, positions: [0, 1] }]);
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
  it('stores its round even when a forger published one first under the id the old scheme made guessable', async () => {
    const runId = freshRunId('preempt');
    const dso = await NatsTransport.connect({ servers: server.url, name: 'dso', runId });
    try {
      const recorder = await openRecorder(dso);
      await recorder.record(roundBody(1));
      // The record shows the instance; the round's secret part of the id is drawn when the round is recorded.
      const js = jetstream(dso.connection);
      const forged = { v: PROTOCOL_VERSION, type: 'roundRecord', runId, sender: 'dso', seq: 2, body: { ...roundBody(2, { totalCostYuan: 1 }), instance: recorder.instance } };
      for (const guess of [`${runId}.${recorder.instance}.2`, `${runId}.${recorder.instance}.2.0000000000000000`]) {
        await js.publish(dso.subjects.round, new TextEncoder().encode(JSON.stringify(forged)), { msgID: guess });
      }
      const first = await recorder.record(roundBody(2));
      expect(first.duplicate).toBe(false);
      expect(first.messageId).toMatch(new RegExp(`^${runId}\\.${recorder.instance}\\.2\\.[0-9a-f]{16}$`));
      // A retry of the DSO's own round 2 (a lost ack) is stored once, under the same id.
      expect(await recorder.record(roundBody(2))).toEqual({ duplicate: true, messageId: first.messageId });
      // Without the ids: the DSO's record is stored beside the forgeries, the round reported as duplicated.
      const all = await recorder.readRounds(runId);
      expect(all.duplicates).toEqual([{ round: 2, positions: [1, 2, 3] }]);
      expect(all.records.at(-1)!.body.totalCostYuan).toBe(1);
      // With the DSO's ids (its report's recordIds): its own round 2 stands, the forgeries are foreign.
      const own = await recorder.readRounds(runId, { instances: [recorder.instance], messageIds: { 2: first.messageId } });
      expect(own.records.map((r) => [r.body.round, r.body.totalCostYuan])).toEqual([[1, roundBody(1).totalCostYuan], [2, roundBody(2).totalCostYuan]]);
      expect(own.duplicates).toEqual([]);
      expect(own.foreign).toEqual([{ position: 1, round: 2, instance: recorder.instance }, { position: 2, round: 2, instance: recorder.instance }]);
      await expect(recorder.readRounds(runId, { messageIds: { x: 'a' } })).rejects.toThrow(/messageIds/);
    } finally {
      await dso.close();
    }
  });

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
      for (const replicas of [0, 6, 2.5, Number.NaN]) await expect(openRecorder(t, { replicas })).rejects.toThrow(/^replicas: must be an integer from 1 to 5/);
      await expect(openRecorder(sharedBus.connect({ name: 'dso', runId: 'x' }), { replicas: 0 })).rejects.toThrow(/^replicas: /);
      expect(validateReplicas('3', '--rounds-replicas')).toBe(3);
      for (const text of ['', 'three', '3.5', '0']) expect(() => validateReplicas(text, '--rounds-replicas')).toThrow(/^--rounds-replicas: must be an integer from 1 to 5/);
      await expect((await openRecorder(t)).readRounds('no.dots')).rejects.toThrow(/^runId: /);
    } finally {
      await t.close();
    }
  });

  it('uses an existing stream whatever its limits and replicas, and refuses by name one that does not capture the rounds', async () => {
    const runId = freshRunId('cfg');
    const t = await NatsTransport.connect({ servers: server.url, name: 'dso', runId });
    const jsm = await jetstreamManager(t.connection);
    try {
      await openRecorder(t);
      // An operator's stream with other limits (here a max age) is used as it is.
      await openRecorder(t, { maxAgeMs: 60_000 });
      await jsm.streams.update(ROUNDS_STREAM, { max_age: 3_600 * 1e9 });
      await expect(openRecorder(t)).resolves.toBeDefined();
      // Pre-created by an operator with its own limits and storage, capturing all of zonal.>: used, and left as it is,
      // even by a recorder that would have created it with 3 replicas (which this single server could not hold).
      await jsm.streams.delete(ROUNDS_STREAM);
      await jsm.streams.add({ name: ROUNDS_STREAM, subjects: ['zonal.>'], storage: StorageType.Memory, max_msgs: 1000, duplicate_window: 10e9 });
      const recorder = await openRecorder(t, { replicas: 3 });
      await recorder.record(roundBody(1));
      expect((await recorder.readRounds(runId)).records.map((r) => r.body.round)).toEqual([1]);
      const kept = (await jsm.streams.info(ROUNDS_STREAM)).config;
      expect([kept.num_replicas, kept.max_msgs, kept.storage, kept.subjects]).toEqual([1, 1000, StorageType.Memory, ['zonal.>']]);
      // Absent, and asked for 3 replicas on a server that is no cluster: refused, saying what it needs.
      await jsm.streams.delete(ROUNDS_STREAM);
      await expect(openRecorder(t, { replicas: 3 })).rejects.toThrow(/^jetstream: cannot open the JetStream stream ZONAL_ROUNDS \(creating it with 3 replicas\): .*replicas/);
      await expect(openRecorder(t, { replicas: 3 })).rejects.toMatchObject({ hint: expect.stringMatching(/cluster of at least 3 servers/) });
      // One that does not capture zonal.*.round would lose every record: refused, naming what to do.
      await jsm.streams.add({ name: ROUNDS_STREAM, subjects: ['elsewhere.>'] });
      await expect(openRecorder(t)).rejects.toThrow(/does not capture zonal\.\*\.round/);
    } finally {
      await jsm.streams.delete(ROUNDS_STREAM).catch(() => undefined);
      await t.close();
    }
  });
});
