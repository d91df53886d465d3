import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport, openRecorder, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { DSO_APP, killStarted, start, tmp, ZONAL, ZONE_APP } from './harness';

/**
 * `zonal nats-config` against a real nats-server: only the deployment's parties connect, each speaks
 * only for itself, and a negotiation runs with every party on its own nkey.
 */
let nats: LocalNatsServer;
let dir: string;
const seed = (party: string) => join(dir, 'auth', `${party}.nk`);
const as = (party: string): Promise<NatsConnection> =>
  connect({ servers: nats.url, inboxPrefix: `_INBOX_${party.replace('-', '')}`, authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(seed(party), 'utf8').trim())) });

beforeAll(async () => {
  dir = tmp('auth');
  const split = start(ZONAL, ['split', '--scenario', 'small-test', '--out', join(dir, 'parties')]);
  expect(await split.exited, split.stderr()).toBe(0);
  const config = start(ZONAL, ['nats-config', '--config', join(dir, 'parties'), '--out', join(dir, 'auth')]);
  expect(await config.exited, config.stderr()).toBe(0);
  nats = await startNatsServer({ configFile: join(dir, 'auth', 'nats-server.conf') });
});
afterAll(async () => { killStarted(); await nats?.stop(); });

/** Every message `listener` sees on `subject` within a moment after `act` (a refused subscription sees none). */
async function seenBy(listener: NatsConnection, subject: string, act: () => Promise<void>, refusals: string[] = []): Promise<string[]> {
  const seen: string[] = [];
  const sub = listener.subscribe(subject, { callback: (e, m) => { if (e) refusals.push(e.message); else seen.push(m.subject); } });
  await listener.flush();
  await act();
  await new Promise((r) => setTimeout(r, 300));
  sub.unsubscribe();
  return seen;
}

describe('a NATS server configured by zonal nats-config', () => {
  it('refuses a client without a key, and one with a key it does not know', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization|Authorization/);
    const stranger = new TextEncoder().encode('SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4');
    await expect(connect({ servers: nats.url, reconnect: false, authenticator: nkeyAuthenticator(stranger) })).rejects.toThrow(/authorization|Authorization/);
  });

  it('lets a zone speak only for itself: not as another zone, not on control; the observer only reads', async () => {
    const [dso, zone1, observer] = await Promise.all([as('dso'), as('zone-1'), as('observer')]);
    try {
      const seen = await seenBy(dso, 'zonal.r1.>', async () => {
        zone1.publish('zonal.r1.zone.2.announce', 'forged announce of zone 2');
        zone1.publish('zonal.r1.control', '{"forged":"shutdown"}');
        zone1.publish('zonal.r1.zone.2.solve', 'forged request');
        observer.publish('zonal.r1.control', '{"forged":"shutdown"}');
        zone1.publish('zonal.r1.zone.1.announce', 'its own announce');
        await Promise.all([zone1.flush(), observer.flush()]);
      });
      expect(seen).toEqual(['zonal.r1.zone.1.announce']);
      // Nor may it listen to another zone's solve requests.
      const refusals: string[] = [];
      const overheard = await seenBy(zone1, 'zonal.r1.zone.2.solve', async () => { dso.publish('zonal.r1.zone.2.solve', 'for zone 2 only'); await dso.flush(); }, refusals);
      expect(overheard).toEqual([]);
      expect(refusals.join(' ')).toMatch(/permissions violation/i);
      // The observer reads every subject of the run.
      const read = await seenBy(observer, 'zonal.r1.>', async () => { dso.publish('zonal.r1.zone.2.solve', 'for zone 2 only'); await dso.flush(); });
      expect(read).toEqual(['zonal.r1.zone.2.solve']);
    } finally {
      await Promise.all([dso.close(), zone1.close(), observer.close()]);
    }
  });

  it('runs a negotiation with every party on its own nkey, every round recorded', async () => {
    const parties = join(dir, 'parties'), runId = `auth-${Date.now()}`;
    const common = ['--nats', nats.url, '--run-id', runId];
    const zones = [1, 2, 3, 4].map((z) => start(ZONE_APP, ['--config', join(parties, `zone-${z}.json`), ...common], { ZONAL_NATS_NKEY: seed(`zone-${z}`) }));
    const dso = start(DSO_APP, ['--config', join(parties, 'dso.json'), '--nats-nkey', seed('dso'), ...common, '--announce-timeout-ms', '60000']);
    expect(await dso.exited, dso.stderr()).toBe(0);
    const result = JSON.parse(dso.stdout().trim()) as { converged: boolean; rounds: number };
    expect(result.converged).toBe(true);
    expect(dso.stderr()).toMatch(/connected to .* with an nkey/);
    expect(dso.stderr()).not.toMatch(/SU[A-Z2-7]{20,}/); // no seed in any log
    for (const z of zones) {
      expect(await z.exited, z.stderr()).toBe(0);
      expect(z.stderr()).not.toMatch(/SU[A-Z2-7]{20,}/);
    }
    // The observer reads the round record, and can do nothing else with it.
    const reader = await NatsTransport.connect({ servers: nats.url, name: 'observer', runId, requireJetStream: false, auth: { nkeySeedFile: seed('observer') } });
    try {
      const records = (await (await openRecorder(reader)).readRounds(runId)).records;
      expect(records.map((r) => r.body.round)).toEqual(Array.from({ length: result.rounds }, (_, i) => i + 1));
    } finally {
      await reader.close();
    }
  });
});
