import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { NatsTransport, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { DSO_APP, killStarted, scenarioFile, start, tmp, ZONAL, ZONE_APP, type Proc } from './harness';

/**
 * Several zones in one process (`zonal zone --config a.json --config b.json …`): one connection, its
 * zones each announcing and answering for itself, on one credential with the union of their rights
 * (`zonal nats-config --host name=1,2,3`); the same negotiation as one process per zone.
 */
let nats: LocalNatsServer;
let dir: string, parties: string;
const seed = (party: string) => join(dir, 'auth', `${party}.nk`);
const nkey = (party: string) => nkeyAuthenticator(new TextEncoder().encode(readFileSync(seed(party), 'utf8').trim()));

beforeAll(async () => {
  dir = tmp('host');
  parties = join(dir, 'parties');
  // Zones answer within a minute: on a busy machine a reply later than small-test's 2 s would be a
  // timeout incident in one run and not the other, and the two runs would differ for that alone.
  const scenario = scenarioFile(dir, { extends: 'small-test', negotiation: { zoneTimeoutMs: 60_000 } });
  const split = start(ZONAL, ['split', '--scenario', scenario, '--out', parties]);
  expect(await split.exited, split.stderr()).toBe(0);
  const config = start(ZONAL, ['nats-config', '--config', parties, '--out', join(dir, 'auth'), '--host', 'trio=1,2,3']);
  expect(await config.exited, config.stderr()).toBe(0);
  nats = await startNatsServer({ configFile: join(dir, 'auth', 'nats-server.conf') });
});
afterAll(async () => { killStarted(); await nats?.stop(); });

interface Report { converged: boolean; incidents: unknown[]; rounds: number; costs: { negotiated: Record<string, number> }; roundLog: Array<{ primalResidualKw: number; dualResidualKw: number; totalCostYuan: number }>; zones: Array<{ id: number; achievedKw: number[] }> }

/** One negotiation of the parties' files, every party on its own key; `processes` lists each zone process's zone ids. */
async function negotiate(label: string, processes: number[][], host?: string): Promise<{ report: Report; zones: Proc[] }> {
  const out = join(dir, label), runId = `${label}-${Date.now()}`;
  const common = ['--nats', nats.url, '--run-id', runId, '--out', join(out, 'zones')];
  const zones = processes.map((ids) => {
    const configs = ids.flatMap((id) => ['--config', join(parties, `zone-${id}.json`)]);
    const own = ids.length > 1 && host ? ['--host', host] : [];
    return start(ZONE_APP, [...configs, ...own, ...common], { ZONAL_NATS_NKEY: seed(ids.length > 1 && host ? `host-${host}` : `zone-${ids[0]}`) });
  });
  const dso = start(DSO_APP, ['--config', join(parties, 'dso.json'), '--nats-nkey', seed('dso'), '--nats', nats.url, '--run-id', runId, '--out', out]);
  expect(await dso.exited, dso.stderr()).toBe(0);
  for (const z of zones) expect(await z.exited, z.stderr()).toBe(0);
  return { report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report, zones };
}

describe('a zone process hosting several zones', () => {
  it('negotiates zones 1-3 on one connection and one host credential exactly as three single-zone processes do', async () => {
    const single = await negotiate('single', [[1], [2], [3], [4]]);
    const hosted = await negotiate('hosted', [[1, 2, 3], [4]], 'trio');
    expect(single.report.converged).toBe(true);
    expect(hosted.report.converged).toBe(true);
    expect(single.report.incidents).toEqual([]);
    expect(hosted.report.incidents).toEqual([]);
    expect(hosted.report.rounds).toBe(single.report.rounds);
    for (const [k, v] of Object.entries(single.report.costs.negotiated)) expect(hosted.report.costs.negotiated[k], k).toBeCloseTo(v, 6);
    hosted.report.roundLog.forEach((r, i) => {
      const s = single.report.roundLog[i];
      expect(r.primalResidualKw, `round ${i + 1}`).toBeCloseTo(s.primalResidualKw, 9);
      expect(r.totalCostYuan, `round ${i + 1}`).toBeCloseTo(s.totalCostYuan, 6);
    });
    hosted.report.zones.forEach((z, k) => z.achievedKw.forEach((v, t) => expect(v, `zone ${z.id} period ${t}`).toBeCloseTo(single.report.zones[k].achievedKw[t], 6)));
    // One connection for the three zones, each zone's end said on its own line.
    const host = hosted.zones[0].stderr();
    expect(host.match(/connected to /g)).toHaveLength(1);
    for (const id of [1, 2, 3]) expect(host).toMatch(new RegExp(`zone ${id}: ended: shutdown, exit code 0`));
    expect(host).toMatch(/host-trio \(zones 1, 2, 3\): every zone ended; exit code 0/);
  });

  it('holds a host credential to its zones: their announces and solve requests, its own inbox, nothing of another zone', async () => {
    const as = (party: string, inbox: string): Promise<NatsConnection> => connect({ servers: nats.url, inboxPrefix: `_INBOX_${inbox}`, authenticator: nkey(party) });
    const [dso, host] = await Promise.all([as('dso', 'dso'), as('host-trio', 'host-trio')]);
    try {
      const seen: string[] = [];
      const sub = dso.subscribe('zonal.r1.>', { callback: (e, m) => { if (!e) seen.push(m.subject); } });
      await dso.flush();
      for (const z of [1, 2, 3, 4]) host.publish(`zonal.r1.zone.${z}.announce`, `announce of zone ${z}`);
      host.publish('zonal.r1.control', '{"forged":"shutdown"}');
      await host.flush();
      await new Promise((r) => setTimeout(r, 300));
      sub.unsubscribe();
      expect(seen.sort()).toEqual(['zonal.r1.zone.1.announce', 'zonal.r1.zone.2.announce', 'zonal.r1.zone.3.announce']);
      // It hears its zones' solve requests, not zone 4's.
      const heard: string[] = [], refusals: string[] = [];
      for (const z of [3, 4]) host.subscribe(`zonal.r1.zone.${z}.solve`, { callback: (e, m) => { if (e) refusals.push(e.message); else heard.push(m.subject); } });
      await host.flush();
      for (const z of [3, 4]) dso.publish(`zonal.r1.zone.${z}.solve`, 'request');
      await dso.flush();
      await new Promise((r) => setTimeout(r, 300));
      expect(heard).toEqual(['zonal.r1.zone.3.solve']);
      expect(refusals.join(' ')).toMatch(/permissions violation/i);
    } finally {
      await Promise.all([dso.close(), host.close()]);
    }
    // A zone's own credential cannot host: its inbox is _INBOX_zone1, not the host's.
    const zone1 = await connect({ servers: nats.url, inboxPrefix: '_INBOX_host-trio', authenticator: nkey('zone-1') });
    const errors: string[] = [];
    zone1.subscribe('_INBOX_host-trio.>', { callback: (e) => { if (e) errors.push(e.message); } });
    await zone1.flush();
    await new Promise((r) => setTimeout(r, 300));
    await zone1.close();
    expect(errors.join(' ')).toMatch(/permissions violation/i);
  });
});

describe('the end of each hosted zone', () => {
  it('is reported per zone; the process exits when the last has ended, with the worst exit code', async () => {
    const open = await startNatsServer();
    const runId = `ends-${Date.now()}`;
    // A zone 9 the DSO does not know (zone 4's file under another id): refused, exit 2; zones 1 and 2 are shut down, exit 0.
    const four = JSON.parse(readFileSync(join(parties, 'zone-4.json'), 'utf8'));
    writeFileSync(join(dir, 'zone-9.json'), JSON.stringify({ ...four, id: 9, sessions: join(parties, four.sessions) }));
    const dso = await NatsTransport.connect({ servers: open.url, name: 'dso', runId, requireJetStream: false });
    const announced = new Set<string>();
    dso.serve(dso.subjects.anyZoneAnnounce, (m) => {
      if (m.type !== 'announce') throw new Error('announces only');
      if (m.body.zoneId === '9') throw new InputError('zone 9 is not in the DSO\'s zone list', 'zoneId');
      announced.add(m.body.zoneId);
      return { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [...announced] } };
    });
    await dso.flush();
    try {
      const host = start(ZONE_APP, ['--config', join(parties, 'zone-1.json'), '--config', join(parties, 'zone-2.json'), '--config', join(dir, 'zone-9.json'), '--nats', open.url, '--run-id', runId]);
      const t0 = Date.now();
      while (!(announced.has('1') && announced.has('2') && /zone 9: the DSO refused/.test(host.stderr()))) {
        if (Date.now() - t0 > 60_000) throw new Error(`the zones did not announce: ${host.stderr()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Zone 9 has ended; the process waits for zones 1 and 2.
      await new Promise((r) => setTimeout(r, 500));
      expect(host.child.exitCode).toBeNull();
      dso.publish(dso.subjects.control, { type: 'control', body: { command: 'shutdown' } });
      await dso.flush();
      expect(await host.exited, host.stderr()).toBe(2);
      const err = host.stderr();
      expect(err).toMatch(/zone 1: ended: shutdown, exit code 0/);
      expect(err).toMatch(/zone 2: ended: shutdown, exit code 0/);
      expect(err).toMatch(/zone 9: ended: refused \(.*zone 9 is not in the DSO's zone list\), exit code 2/);
      expect(err).toMatch(/exit code 2 \(the worst of zone 1: 0, zone 2: 0, zone 9: 2\)/);
    } finally {
      await dso.close();
      await open.stop();
    }
  });

  it('refuses a zone given twice, by name, before connecting', async () => {
    const twice = start(ZONE_APP, ['--config', join(parties, 'zone-1.json'), '--configs', parties, '--nats', 'nats://127.0.0.1:1', '--run-id', 'r1']);
    expect(await twice.exited).toBe(2);
    expect(twice.stderr()).toMatch(/--config: zone 1 is given twice/);
  });
});
