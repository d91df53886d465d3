import { describe, expect, it } from 'vitest';
import { InProcessBus, InProcessTransport, subjectMatches } from './inProcessTransport';
import { transportContract } from './testing/transportContract';

const bus = new InProcessBus();
transportContract('in-process', () => ({
  connect: async (name, runId) => bus.connect({ name, runId }),
  publishRaw: (transport, subject, payload) => void (transport as InProcessTransport).bus.send(subject, payload),
}));

describe('subjectMatches (NATS wildcard rules)', () => {
  const cases: [string, string, boolean][] = [
    ['zonal.a.control', 'zonal.a.control', true],
    ['zonal.a.control', 'zonal.a.controls', false],
    ['zonal.a.*', 'zonal.a.control', true],
    ['zonal.a.*', 'zonal.a.zone.z1', false],
    ['zonal.a.>', 'zonal.a.zone.z1.solve', true],
    ['zonal.a.>', 'zonal.a', false],
    ['zonal.a.zone.*.announce', 'zonal.a.zone.z7.announce', true],
    ['zonal.a.zone.*.announce', 'zonal.a.zone.z7.solve', false],
    ['zonal.*.round', 'zonal.b.round', true],
    ['zonal.a.control', 'zonal.a', false],
  ];
  it.each(cases)('%s ~ %s → %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern.split('.'), subject)).toBe(expected);
  });
});

describe('in-process bus', () => {
  it('refuses an agent name that cannot be a sender id', () => {
    expect(() => new InProcessBus().connect({ name: 'zone 1', runId: 'r' })).toThrow(/^name: /);
  });

  it('hands a subscriber exception to onError instead of losing it', async () => {
    const t = new InProcessBus().connect({ name: 'dso', runId: 'r' });
    const errors: unknown[] = [];
    t.subscribe(t.subjects.control, () => { throw new Error('listener bug'); }, { onError: (e) => errors.push(e) });
    t.publish(t.subjects.control, { type: 'control', body: { command: 'stop' } });
    await t.flush();
    expect(errors.map((e) => (e as Error).message)).toEqual(['listener bug']);
    await t.close();
  });
});
