import { ZonalError } from '@zonal/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, type DecodeResult, encode, formatPath } from './codec';
import { type BodyOf, ERROR_CODES, type Message, MESSAGE_TYPES, ORDER_TOLERANCE } from './messages';
import { sampleMessage } from './testing/samples';

const text = (message: unknown) => JSON.stringify(message);

function expectError(result: DecodeResult, code: string, where?: string) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  if (result.ok) return;
  expect(result.error.code).toBe(code);
  if (where !== undefined) {
    expect(result.error.where).toBe(where);
    expect(result.error.message).toContain(where);
  }
  return result.error;
}

/** Tests break messages on purpose, so they handle them untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A valid message with one change applied to a copy of it. */
function mutated<T extends Message['type']>(type: T, change: (m: Loose) => void): string {
  const m = sampleMessage(type) as unknown as Loose;
  change(m);
  return text(m);
}

describe('encode/decode round trip', () => {
  it.each(MESSAGE_TYPES)('%s survives encode → decode unchanged', (type) => {
    const message = sampleMessage(type);
    const result = decode(encode(message), { runId: 'run1' });
    expect(result).toEqual({ ok: true, message });
  });

  it('round-trips any valid solve request (property: T = 1..96 periods, any finite doubles)', () => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
    const request = fc.integer({ min: 1, max: 96 }).chain((periods) =>
      fc.record({
        zoneId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        round: fc.nat(),
        targetPKw: fc.array(finite, { minLength: periods, maxLength: periods }),
        priceYuanPerKwh: fc.array(finite, { minLength: periods, maxLength: periods }),
        rho: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).map(Math.abs),
        consensus: fc.constant<BodyOf<'solveRequest'>['consensus']>([]),
      }),
    );
    fc.assert(
      fc.property(request, (body) => {
        const message = { ...sampleMessage('solveRequest'), body } as Message;
        expect(decode(encode(message))).toEqual({ ok: true, message });
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on any input, and every refusal has a known code and a message (property)', () => {
    const valid = text(sampleMessage('announce'));
    const anyPayload = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 200 }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => text({ ...sampleMessage('solveReply'), body: v })),
      fc.tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 3 })).map(([at, s]) => valid.slice(0, at) + s + valid.slice(at + 1)),
      fc
        .tuple(fc.constantFrom(...MESSAGE_TYPES), fc.nat(), fc.jsonValue())
        .map(([type, pick, value]) =>
          mutated(type, (m) => {
            const keys = Object.keys(m.body);
            m.body[keys[pick % keys.length]] = value;
          }),
        ),
    );
    fc.assert(
      fc.property(anyPayload, (payload) => {
        const result = decode(payload);
        if (!result.ok) {
          expect(ERROR_CODES).toContain(result.error.code);
          expect(result.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decode refuses bad input with the field named', () => {
  it('not JSON, not UTF-8, not an object', () => {
    expect(expectError(decode('{"v":1,'), 'malformed')?.message).toMatch(/not JSON/);
    expect(expectError(decode(new Uint8Array([0x7b, 0xff, 0x7d])), 'malformed')?.message).toMatch(/UTF-8/);
    for (const payload of ['[]', '42', 'null', '"hello"']) expect(expectError(decode(payload), 'malformed')?.message).toMatch(/not a JSON object/);
  });

  it('a missing or wrong protocol version', () => {
    expectError(decode(mutated('status', (m) => delete m.v)), 'malformed', 'v');
    const error = expectError(decode(mutated('status', (m) => (m.v = 1))), 'version', 'v');
    expect(error?.message).toBe('v: version 1 is not supported (this agent speaks 2)');
    expectError(decode(mutated('status', (m) => (m.v = '2'))), 'version', 'v');
  });

  it('an unknown type, and a type string too long to quote in full', () => {
    expectError(decode(mutated('status', (m) => (m.type = 'hello'))), 'malformed', 'type');
    const error = expectError(decode(mutated('status', (m) => (m.type = 'x'.repeat(10_000)))), 'malformed', 'type');
    expect(error!.message.length).toBeLessThan(300);
  });

  it('a missing body field, a misspelt one, a wrong envelope field', () => {
    expectError(decode(mutated('solveRequest', (m) => delete m.body.priceYuanPerKwh)), 'malformed', 'body.priceYuanPerKwh');
    const misspelt = decode(mutated('announce', (m) => (m.body.pmaxKw = m.body.groups[0].pMaxKw)));
    expect(expectError(misspelt, 'malformed')?.message).toMatch(/pmaxKw/);
    expectError(decode(mutated('status', (m) => (m.seq = -1))), 'malformed', 'seq');
    expectError(decode(mutated('status', (m) => (m.runId = 'a.b'))), 'malformed', 'runId');
    expectError(decode(mutated('status', (m) => (m.sentAt = 'yesterday'))), 'malformed', 'sentAt');
  });

  it('a non-finite number (1e400 parses to Infinity) or a string in a series', () => {
    const overflow = text(sampleMessage('announce')).replace('"pMaxKw":[14,', '"pMaxKw":[1e400,');
    expectError(decode(overflow), 'malformed', 'body.groups[0].pMaxKw[0]');
    expectError(decode(mutated('solveReply', (m) => (m.body.qKvar[2] = '45'))), 'malformed', 'body.qKvar[2]');
  });

  it('series of different lengths, naming both', () => {
    const error = expectError(decode(mutated('solveRequest', (m) => m.body.priceYuanPerKwh.pop())), 'malformed', 'body.priceYuanPerKwh');
    expect(error?.message).toMatch(/has 2 periods, but targetPKw has 3/);
    expectError(decode(mutated('announce', (m) => m.body.groups[0].eMaxKwh.push(40))), 'malformed', 'body.groups[0].eMaxKwh');
    expectError(decode(mutated('announce', (m) => m.body.busProfiles[0].uncoordinatedKw.push(1))), 'malformed', 'body.busProfiles[0].uncoordinatedKw');
    expectError(decode(mutated('solveRequest', (m) => m.body.consensus[1].reference.pop())), 'malformed', 'body.consensus[1].reference');
    expectError(decode(mutated('solveRequest', (m) => m.body.consensus[0].scaledDual.push(0))), 'malformed', 'body.consensus[0].scaledDual');
    const capped = (maxPKw: Array<number | null>) => mutated('solveRequest', (m) => (m.body.evCaps = [{ buses: [22], maxPKw }]));
    expect(decode(capped([5, null, 7])).ok).toBe(true);
    expect(expectError(decode(capped([5, null])), 'malformed', 'body.evCaps[0].maxPKw')?.message).toMatch(/has 2 periods, but targetPKw has 3/);
    expectError(decode(mutated('solveReply', (m) => m.body.tieLineFlows[0].qKvar.pop())), 'malformed', 'body.tieLineFlows[0].qKvar');
    expectError(decode(mutated('solveReply', (m) => m.body.tieLineFlows[0].pKw.push(1))), 'malformed', 'body.tieLineFlows[0].pKw');
    expectError(decode(mutated('solveReply', (m) => m.body.envelope.pMinKw.pop())), 'malformed', 'body.envelope.pMinKw');
    expectError(decode(mutated('roundRecord', (m) => (m.body.zones[1].pKw = [1, 2]))), 'malformed', 'body.zones[1].pKw');
  });

  it('an envelope whose lower bound exceeds its upper bound, beyond ORDER_TOLERANCE', () => {
    const error = expectError(decode(mutated('announce', (m) => (m.body.groups[0].pMinKw[2] = 7.5))), 'malformed', 'body.groups[0].pMinKw[2]');
    expect(error?.message).toMatch(/pMinKw\[2\] = 7.5 exceeds pMaxKw\[2\] = 7/);
    expectError(decode(mutated('announce', (m) => (m.body.groups[0].eMinKwh[2] = 29))), 'malformed', 'body.groups[0].eMinKwh[2]');
    const withinNoise = decode(mutated('announce', (m) => (m.body.groups[0].eMinKwh[3] = 30 + ORDER_TOLERANCE / 2)));
    expect(withinNoise.ok).toBe(true);
  });

  it('duplicate buses, tie lines and consensus terms; a line from a bus to itself', () => {
    expectError(decode(mutated('announce', (m) => (m.body.buses = [2, 3, 2]))), 'malformed', 'body.buses[2]');
    expectError(decode(mutated('solveRequest', (m) => (m.body.consensus[1].quantity = 'pKw'))), 'malformed', 'body.consensus[1]');
    expectError(decode(mutated('solveReply', (m) => m.body.tieLineFlows.push(m.body.tieLineFlows[0]))), 'malformed', 'body.tieLineFlows[1]');
    expectError(decode(mutated('solveRequest', (m) => (m.body.consensus[0].toBus = 6))), 'malformed', 'body.consensus[0].toBus');
    expectError(decode(mutated('roundRecord', (m) => (m.body.zones[1].zoneId = 'z1'))), 'malformed', 'body.zones[1]');
  });

  it('a usable schedule status needs a schedule and a cost; a failed one may be empty', () => {
    const empty = (m: Loose) => Object.assign(m.body, { pKw: [], qKvar: [], tieLineFlows: [], envelope: undefined });
    expectError(decode(mutated('solveReply', empty)), 'malformed', 'body.pKw');
    expectError(decode(mutated('solveReply', (m) => (m.body.costYuan = null))), 'malformed', 'body.costYuan');
    const infeasible = mutated('solveReply', (m) => {
      empty(m);
      Object.assign(m.body, { status: 'infeasible', costYuan: null, detail: 'EV 12 cannot reach 90% SOC by 07:00' });
    });
    expect(decode(infeasible).ok).toBe(true);
  });

  it('a message for another run gets code "run"', () => {
    const error = expectError(decode(text(sampleMessage('status', 'runB')), { runId: 'runA' }), 'run', 'runId');
    expect(error?.message).toBe('runId: message is for run runB, this agent serves run runA');
  });

  it('says what the refused message was, when it can tell', () => {
    const error = expectError(decode(mutated('solveRequest', (m) => (m.v = 3))), 'version');
    expect(error?.inReplyTo).toEqual({ type: 'solveRequest', seq: 7, sender: 'dso' });
  });
});

describe('encode', () => {
  it('refuses NaN and short series, naming the field, instead of sending null', () => {
    const message = sampleMessage('solveReply');
    message.body.pKw[1] = Number.NaN;
    expect(() => encode(message)).toThrow(ZonalError);
    expect(() => encode(message)).toThrow(/^body\.pKw\[1\]: cannot send solveReply/);
    const short = sampleMessage('announce');
    short.body.baseNetLoadKw.pop();
    expect(() => encode(short)).toThrow(/baseNetLoadKw/);
  });

  it('formats zod paths as field paths', () => {
    expect(formatPath(['body', 'zones', 1, 'pKw', 0])).toBe('body.zones[1].pKw[0]');
    expect(formatPath([])).toBe('');
  });
});
