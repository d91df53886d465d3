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
