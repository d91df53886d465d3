/**
 * The behaviour every Transport must show, as one vitest suite run against each implementation
 * (in-process in inProcessTransport.test.ts, a real nats-server in natsTransport.test.ts), so "same
 * semantics" is checked, not claimed. Timeouts here are short and never asserted as wall-clock times.
 */
import { InputError, ZonalError } from '@zonal/core';
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../codec';
import type { Draft, Message, MessageType } from '../messages';
import { PROTOCOL_VERSION } from '../messages';
import { subjects } from '../subjects';
import type { RequestOutcome, Transport } from '../transport';
import { sampleDraft, sampleMessage } from './samples';

export interface TransportFixture {
  connect(name: string, runId: string): Promise<Transport>;
  /** Puts bytes on a subject as they are, bypassing the codec. */
  publishRaw(transport: Transport, subject: string, payload: Uint8Array): void;
}

const TIMEOUT_MS = 2000;
const SHORT_TIMEOUT_MS = 150;

/** Unique per call, so suites sharing one server (and one JetStream stream) never collide. */
export function freshRunId(label: string): string {
  return `${label}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Collects what a transport receives on a subject; `until` waits for a message matching `done`. */
export function collect(transport: Transport, subject: string) {
  const messages: Message[] = [];
  const invalid: string[] = [];
  const waiters: { done: (m: Message) => boolean; resolve: () => void }[] = [];
  transport.subscribe(
    subject,
    (message) => {
      messages.push(message);
      for (const w of waiters.filter((w) => w.done(message))) w.resolve();
    },
    { onInvalid: (error) => invalid.push(error.code) },
  );
  const until = (done: (m: Message) => boolean) =>
    messages.some(done) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ done, resolve }));
  return { messages, invalid, until };
}

function expectFailure<T extends MessageType>(outcome: RequestOutcome<Message<T>>, kind: string) {
  expect(outcome.ok, JSON.stringify(outcome)).toBe(false);
  if (outcome.ok) throw new Error('unreachable');
  expect(outcome.failure.kind).toBe(kind);
  return outcome.failure;
}

/** A zone service that answers a solve request with its targets as the schedule. */
function echoZone(zone: Transport, zoneId: string, calls: Message[] = []) {
  return zone.serve(
    zone.subjects.zoneSolve(zoneId),
    (message) => {
      calls.push(message);
      if (message.type !== 'solveRequest') throw new Error('accepts should have refused this');
      const reply = sampleDraft('solveReply');
      reply.body.round = message.body.round;
      reply.body.pKw = message.body.targetPKw;
      return reply;
    },
    { accepts: ['solveRequest'] },
  );
}

export function transportContract(label: string, fixture: () => TransportFixture) {
  describe(`${label} transport contract`, () => {
    const opened: Transport[] = [];
    const connect = async (name: string, runId: string) => {
      const t = await fixture().connect(name, runId);
      opened.push(t);
      return t;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((t) => t.close()));
    });

    const request = (dso: Transport, zoneId = 'z1', draft: Draft = sampleDraft('solveRequest')) =>
      dso.request(dso.subjects.zoneSolve(zoneId), draft, { timeoutMs: TIMEOUT_MS, expect: 'solveReply' });

    it('answers a request with the typed reply, stamped with run, sender and sequence', async () => {
      const runId = freshRunId('ok');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      echoZone(zone, 'z1');
      await zone.flush();
      const draft = sampleDraft('solveRequest');
      draft.body.round = 11;
      const outcome = await request(dso, 'z1', draft);
      expect(outcome.ok, JSON.stringify(outcome)).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.reply.type).toBe('solveReply');
      expect(outcome.reply.body.round).toBe(11);
      expect(outcome.reply.body.pKw).toEqual(draft.body.targetPKw);
      expect([outcome.reply.runId, outcome.reply.sender, outcome.reply.v]).toEqual([runId, 'zone-z1', PROTOCOL_VERSION]);
      const second = await request(dso);
      expect(second.ok && second.reply.seq).toBe(outcome.reply.seq + 1);
    });

    it('answers malformed, wrong-version, wrong-run and wrong-type requests with an error reply and keeps serving', async () => {
      const runId = freshRunId('bad');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      const calls: Message[] = [];
      echoZone(zone, 'z1', calls);
      await zone.flush();
      const good = sampleMessage('solveRequest', runId);
      const bytes = (m: object) => new TextEncoder().encode(JSON.stringify(m));
      const { priceYuanPerKwh: _dropped, ...missingField } = good.body;
      const cases: { name: string; payload: Uint8Array; code: string; where?: string }[] = [
        { name: 'not JSON', payload: new TextEncoder().encode('{"v":1, oops'), code: 'malformed' },
        { name: 'missing field', payload: bytes({ ...good, body: missingField }), code: 'malformed', where: 'body.priceYuanPerKwh' },
        { name: 'wrong v', payload: bytes({ ...good, v: 1 }), code: 'version', where: 'v' },
        { name: 'other run', payload: encode(sampleMessage('solveRequest', 'someOtherRun')), code: 'run', where: 'runId' },
        { name: 'wrong type', payload: encode(sampleMessage('status', runId)), code: 'malformed', where: 'type' },
      ];
      const subject = dso.subjects.zoneSolve('z1');
      for (const c of cases) {
        const failure = expectFailure(await dso.requestRaw(subject, c.payload, { timeoutMs: TIMEOUT_MS }), 'errorReply');
        if (failure.kind !== 'errorReply') continue;
        expect(failure.error.code, c.name).toBe(c.code);
        if (c.where) expect(failure.error.where, c.name).toBe(c.where);
        expect(failure.message, c.name).toContain(subject);
        const next = await request(dso);
        expect(next.ok, `good request after ${c.name}`).toBe(true);
      }
      expect(calls).toHaveLength(cases.length);
    });

    it('turns handler exceptions and invalid replies into internal error replies and keeps serving', async () => {
      const runId = freshRunId('throw');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      const behaviours: (() => Draft)[] = [
        () => {
          throw new ZonalError('EV 12 cannot reach 90% SOC by 07:15: needs 38 kWh, can charge 31 kWh', 'ev.12');
        },
        () => {
          throw new TypeError('x is undefined');
        },
        () => {
          const reply = sampleDraft('solveReply');
          reply.body.pKw[0] = Number.NaN;
          return reply;
        },
        () => {
          throw new InputError('zone z1 is not in the DSO\'s zone list', 'announce of zone z1');
        },
        () => sampleDraft('solveReply'),
      ];
      const reported: unknown[] = [];
      let call = 0;
      zone.serve(zone.subjects.zoneSolve('z1'), () => behaviours[call++](), { onError: (e) => reported.push(e) });
      await zone.flush();
      const errors = [];
      for (let i = 0; i < 4; i++) {
        const failure = expectFailure(await request(dso), 'errorReply');
        if (failure.kind === 'errorReply') errors.push(failure.error);
      }
      expect(errors.map((e) => [e.code, e.where])).toEqual([
        ['internal', 'ev.12'],
        ['internal', undefined],
        ['internal', 'body.pKw[0]'],
        ['refused', 'announce of zone z1'],
      ]);
      expect(errors[0].message).toMatch(/EV 12 cannot reach 90% SOC/);
      expect(errors[1].message).toMatch(/internal error while answering solveRequest: x is undefined/);
      expect(errors[2].inReplyTo).toMatchObject({ type: 'solveRequest', sender: 'dso' });
      expect(reported).toHaveLength(4);
      expect((await request(dso)).ok).toBe(true);
    });

    it('returns a timeout naming the subject when the service does not answer in time', async () => {
      const runId = freshRunId('slow');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      zone.serve(zone.subjects.zoneSolve('z1'), () => new Promise<Draft>(() => undefined));
      await zone.flush();
      const subject = dso.subjects.zoneSolve('z1');
      const outcome = await dso.request(subject, sampleDraft('solveRequest'), { timeoutMs: SHORT_TIMEOUT_MS });
      const failure = expectFailure(outcome, 'timeout');
      expect(failure.subject).toBe(subject);
      expect(failure.message).toBe(`no reply from ${subject} within ${SHORT_TIMEOUT_MS} ms`);
    });

    it('returns noResponders when nothing serves the subject, and an unexpectedReply for the wrong reply type', async () => {
      const runId = freshRunId('none');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      expect(expectFailure(await request(dso, 'z9'), 'noResponders').message).toContain(dso.subjects.zoneSolve('z9'));
      zone.serve(zone.subjects.zoneAnnounce('z1'), () => sampleDraft('announce'));
      await zone.flush();
      const outcome = await dso.request(dso.subjects.zoneAnnounce('z1'), sampleDraft('announce'), {
        timeoutMs: TIMEOUT_MS,
        expect: 'status',
      });
      expect(expectFailure(outcome, 'unexpectedReply').message).toMatch(/answered with announce, expected status/);
    });

    it('refuses a bad timeout and a subject outside its run', async () => {
      const dso = await connect('dso', freshRunId('guard'));
      const subject = dso.subjects.zoneSolve('z1');
      await expect(async () => dso.request(subject, sampleDraft('solveRequest'), { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
      const otherRun = subjects('elsewhere').control;
      await expect(async () => dso.request(otherRun, sampleDraft('control'), { timeoutMs: TIMEOUT_MS })).rejects.toThrow(InputError);
      expect(() => dso.publish(otherRun, sampleDraft('control'))).toThrow(/not a subject of run/);
      expect(() => dso.subscribe('zonal.>', () => undefined)).toThrow(/not a subject of run/);
      expect(() => dso.serve('zonal.*.zone.z1.solve', () => sampleDraft('solveReply'))).toThrow(/not a subject of run/);
    });

    it('keeps two runs on one server apart', async () => {
      const [runA, runB] = [freshRunId('A'), freshRunId('B')];
      const [zoneA, zoneB] = [await connect('zone-z1', runA), await connect('zone-z1', runB)];
      const [dsoA, dsoB] = [await connect('dso', runA), await connect('dso', runB)];
      const [callsA, callsB]: Message[][] = [[], []];
      echoZone(zoneA, 'z1', callsA);
      const serviceB = echoZone(zoneB, 'z1', callsB);
      await Promise.all([zoneA.flush(), zoneB.flush()]);

      const [replyA, replyB] = await Promise.all([request(dsoA), request(dsoB)]);
      expect(replyA.ok && replyA.reply.runId).toBe(runA);
      expect(replyB.ok && replyB.reply.runId).toBe(runB);
      expect([callsA.length, callsB.length]).toEqual([1, 1]);

      // Run A's zone z1 still serves, yet run B's request for its own z1 finds no one.
      serviceB.unsubscribe();
      await zoneB.flush();
      expectFailure(await request(dsoB), 'noResponders');
      expect(callsA).toHaveLength(1);

      const [monitorA, monitorB] = [await connect('monitor', runA), await connect('monitor', runB)];
      const [seenA, seenB] = [collect(monitorA, monitorA.subjects.all), collect(monitorB, monitorB.subjects.all)];
      await Promise.all([monitorA.flush(), monitorB.flush()]);
      expect((await request(dsoA)).ok).toBe(true);
      for (const dso of [dsoA, dsoB]) dso.publish(dso.subjects.control, { type: 'control', body: { command: 'stop', reason: 'end' } });
      const isEnd = (m: Message) => m.type === 'control' && m.body.reason === 'end';
      await Promise.all([seenA.until(isEnd), seenB.until(isEnd)]);
      expect(seenA.messages.map((m) => [m.runId, m.type])).toEqual([
        [runA, 'solveRequest'],
        [runA, 'control'],
      ]);
      expect(seenB.messages.map((m) => [m.runId, m.type])).toEqual([[runB, 'control']]);
    });

    it('delivers publications in order and reports undecodable ones to onInvalid', async () => {
      const runId = freshRunId('pub');
      const [dso, zone] = [await connect('dso', runId), await connect('zone-z1', runId)];
      const seen = collect(zone, zone.subjects.control);
      await zone.flush();
      for (const reason of ['1', '2', '3']) dso.publish(dso.subjects.control, { type: 'control', body: { command: 'start', reason } });
      fixture().publishRaw(dso, dso.subjects.control, new TextEncoder().encode('garbage'));
      dso.publish(dso.subjects.control, { type: 'control', body: { command: 'shutdown', reason: 'last' } });
      await seen.until((m) => m.type === 'control' && m.body.command === 'shutdown');
      expect(seen.messages.map((m) => (m.type === 'control' ? m.body.reason : '?'))).toEqual(['1', '2', '3', 'last']);
      expect(seen.messages.map((m) => m.seq)).toEqual([...seen.messages.map((m) => m.seq)].sort((a, b) => a - b));
      expect(seen.invalid).toEqual(['malformed']);
    });

    it('refuses a message over max_payload: a transport failure for a request, an error reply for a reply', async () => {
      const runId = freshRunId('big');
      const [zone, dso] = [await connect('zone-z1', runId), await connect('dso', runId)];
      const huge = (): Draft => {
        const reply = sampleDraft('solveReply');
        Object.assign(reply.body, { status: 'failed', costYuan: null, pKw: [], qKvar: [], tieLineFlows: [], detail: 'x'.repeat(2 ** 21) });
        delete reply.body.envelope;
        return reply;
      };
      zone.serve(zone.subjects.zoneSolve('z1'), huge);
      await zone.flush();
      const subject = dso.subjects.zoneSolve('z1');
      const failure = expectFailure(await dso.requestRaw(subject, new Uint8Array(2 ** 21), { timeoutMs: TIMEOUT_MS }), 'transport');
      expect(failure.message).toMatch(new RegExp(`^request to ${subject.replaceAll('.', '\\.')} failed: .*max_payload`));
      expect(() => dso.publish(dso.subjects.control, huge())).toThrow(/max_payload/);
      const tooBig = expectFailure(await request(dso), 'errorReply');
      expect(tooBig.kind === 'errorReply' && tooBig.error.message).toMatch(/over the server's max_payload of 1048576/);
    });

    it('after close, a request is a "closed" failure and publishing throws', async () => {
      const dso = await connect('dso', freshRunId('closed'));
      await dso.close();
      expectFailure(await request(dso), 'closed');
      expect(() => dso.publish(dso.subjects.control, sampleDraft('control'))).toThrow(/closed/);
      await dso.close();
    });
  });
}
