/**
 * Against a real, private nats-server (Debian 2.9.10) started on a free loopback port: the same
 * transport contract as the in-process bus, plus what only a real server can show.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalNatsServer } from './probe';
import { compareVersions, NatsTransport } from './natsTransport';
import { startNatsServer } from './testing/natsServer';
import { freshRunId, transportContract } from './testing/transportContract';

let server: LocalNatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

transportContract('NATS', () => ({
  connect: (name, runId) => NatsTransport.connect({ servers: server.url, name, runId }),
  publishRaw: (transport, subject, payload) => (transport as NatsTransport).connection.publish(subject, payload),
}));

describe('NatsTransport.connect', () => {
  it('names the connection after the agent and its run, and reconnects forever', async () => {
    const runId = freshRunId('conn');
    const t = await NatsTransport.connect({ servers: server.url, name: 'zone-z1', runId });
    expect(t.connection.info?.jetstream).toBe(true);
    expect((t.connection as unknown as { options: { name: string; maxReconnectAttempts: number } }).options).toMatchObject({
      name: `zone-z1@${runId}`,
      maxReconnectAttempts: -1,
    });
    await t.close();
  });

  it('fails fast, saying what to do, when the server has no JetStream', async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const attempt = NatsTransport.connect({ servers: plain.url, name: 'dso', runId: 'r1' });
      await expect(attempt).rejects.toThrow(/has JetStream disabled/);
      await expect(attempt).rejects.toMatchObject({ where: 'nats', hint: expect.stringContaining('-js') });
      const withoutJs = await NatsTransport.connect({ servers: plain.url, name: 'zone-z1', runId: 'r1', requireJetStream: false });
      await withoutJs.close();
    } finally {
      await plain.stop();
    }
  });

  it('fails with the address when nothing listens there', async () => {
    const gone = await startNatsServer({ jetstream: false });
    await gone.stop();
    await expect(NatsTransport.connect({ servers: gone.url, name: 'dso', runId: 'r1', connectTimeoutMs: 1000 })).rejects.toThrow(
      `cannot connect to NATS at ${gone.url}`,
    );
  });

  it('refuses a bad run id before touching the network', async () => {
    await expect(NatsTransport.connect({ servers: server.url, name: 'dso', runId: 'a.b' })).rejects.toThrow(/^runId: /);
  });
});

describe('NatsTransport.as: a view of one connection speaking as another agent', () => {
  it('stamps its own sender, shares the connection, and its close ends only its own subscriptions', async () => {
    const runId = freshRunId('view');
    const host = await NatsTransport.connect({ servers: server.url, name: 'host-a', runId, requireJetStream: false });
    const listener = await NatsTransport.connect({ servers: server.url, name: 'dso', runId, requireJetStream: false });
    try {
      const [one, two] = [host.as('zone1'), host.as('zone2')];
      expect(one.connection).toBe(host.connection);
      expect(() => host.as('a.b')).toThrow(/^name: /);
      const senders: string[] = [];
      listener.subscribe(listener.subjects.control, (m) => senders.push(`${m.sender}#${m.seq}`));
      // Each view serves its own subject; a request from a view is answered on the connection's inbox.
      two.serve(two.subjects.zoneSolve('2'), () => ({ type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }));
      listener.serve(listener.subjects.dsoPresence, () => ({ type: 'status', body: { state: 'running', round: 1, zonesKnown: ['1'] } }));
      await Promise.all([host.flush(), listener.flush()]);
      const asked = await one.request(one.subjects.dsoPresence, { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }, { timeoutMs: 2000, expect: 'status' });
      expect(asked.ok).toBe(true);
      one.publish(one.subjects.control, { type: 'control', body: { command: 'start' } });
      two.publish(two.subjects.control, { type: 'control', body: { command: 'start' } });
      one.publish(one.subjects.control, { type: 'control', body: { command: 'start' } });
      // The server has the three once host's flush returns; listener's flush then returns after they reach it.
      await host.flush();
      await listener.flush();
      expect(senders).toEqual(['zone1#2', 'zone2#1', 'zone1#3']);

      await two.close();
      expect(host.connection.isClosed()).toBe(false);
      const afterClose = await listener.request(listener.subjects.zoneSolve('2'), { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }, { timeoutMs: 1000 });
      expect(afterClose.ok ? 'answered' : afterClose.failure.kind).toBe('noResponders');
      // The one that opened the connection closes it, once, for every view.
      await host.close();
      expect(one.connection.isClosed()).toBe(true);
      await one.close();
    } finally {
      await Promise.all([host.close(), listener.close()]);
    }
  });
});

describe('compareVersions', () => {
  it.each([
    ['2.9.10', '2.9.0', 1],
    ['2.9.10', '2.10.0', -1],
    ['2.10.0-beta.1', '2.10.0', 0],
    ['2.9', '2.9.0', 0],
    ['1.4.1', '2.9.0', -1],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(compareVersions(a, b)).toBe(expected);
  });
});
