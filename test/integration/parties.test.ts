import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readZoneSchedules } from '@zonal/agents';
import { loadZoneDir } from '@zonal/coordination';
import { checkSchedules, gridLoadKw } from '@zonal/ev';
import { startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { DSO_APP, killStarted, start, tmp, ZONAL, ZONE_APP } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { killStarted(); await nats?.stop(); });

/** Keys that would describe one EV; none may appear in any message of a run. */
const PER_EV_KEYS = /^(ev|evId|evIds|sessions?|schedules?|arrival(H|Kwh)?|departure(H)?|soc\w*|capacityKwh|targetKwh|chargeKw|dischargeKw)$/;

/** Every key and string value of a JSON value, depth first. */
function keysAndStrings(v: unknown, keys: string[], strings: string[]): void {
  if (typeof v === 'string') strings.push(v);
  else if (Array.isArray(v)) v.forEach((x) => keysAndStrings(x, keys, strings));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { keys.push(k); keysAndStrings(x, keys, strings); }
}

describe('zones that own their EVs: zonal split, a DSO with no EV, zones from their own files, over a real NATS server', () => {
  it('reaches the agreed result, refuses a zone that does not fit, and no message carries an EV', async () => {
    const dir = tmp('parties');
    const parties = join(dir, 'parties'), out = join(dir, 'out');
    const split = start(ZONAL, ['split', '--scenario', 'small-test', '--out', parties]);
    expect(await split.exited, split.stderr()).toBe(0);

    // Session ids as a charge-point back end might export them (the sampled ones are bare numbers,
    // which a zone id could equal): every EV id below is then unmistakable on the wire.
    for (const f of readdirSync(parties).filter((f) => f.endsWith('-sessions.csv'))) {
      const [head, ...rows] = readFileSync(join(parties, f), 'utf8').trim().split('\n');
      writeFileSync(join(parties, f), `${[head, ...rows.map((r) => `session-${r}`)].join('\n')}\n`);
    }
    // The DSO's file holds no EV: no sessions, no EV id from any zone's sessions.
    const dsoText = readFileSync(join(parties, 'dso.json'), 'utf8');
    const zones = loadZoneDir(parties);
    const evIds = new Set(zones.flatMap((z) => z.problem.fleet.id));
    expect(evIds.size).toBe(300);
    expect([...evIds].every((id) => id.startsWith('session-'))).toBe(true);
    const dsoKeys: string[] = [], dsoStrings: string[] = [];
    keysAndStrings(JSON.parse(dsoText), dsoKeys, dsoStrings);
    expect(dsoKeys.filter((k) => PER_EV_KEYS.test(k))).toEqual([]);
    expect(dsoKeys).not.toContain('evFleet');
    expect(dsoStrings.filter((s) => evIds.has(s) || /\bEVs?\b/.test(s))).toEqual([]);

    // A zone file that does not fit the DSO's zone list: zone 1 claiming a bus of zone 2.
    const stray = JSON.parse(readFileSync(join(parties, 'zone-1.json'), 'utf8'));
    const foreignBus = zones[1].config.buses[0];
    writeFileSync(join(dir, 'zone-stray.json'), JSON.stringify({ ...stray, buses: [...stray.buses, foreignBus], sessions: join(parties, stray.sessions) }));

    const runId = `parties-${Date.now()}`;
    const wire: Array<{ subject: string; data: unknown }> = [];
    const tap = await connect({ servers: nats.url, name: 'tap' });
    // Every subject (the run's, and each party's reply inbox `_INBOX_<name>.…`), kept to this run's messages.
    const sub = tap.subscribe('>');
    void (async () => {
      for await (const m of sub) {
        let data: { runId?: string };
        try { data = JSON.parse(m.string()) as { runId?: string }; } catch { continue; } // JetStream's own traffic
        if (data?.runId === runId) wire.push({ subject: m.subject, data });
      }
    })();
    await tap.flush();

    const common = ['--nats', nats.url, '--run-id', runId];
    const dso = start(DSO_APP, ['--config', join(parties, 'dso.json'), '--out', out, '--oracle', parties, '--announce-timeout-ms', '120000', ...common]);
    const refused = start(ZONE_APP, ['--config', join(dir, 'zone-stray.json'), ...common]);
    expect(await refused.exited, refused.stderr()).toBe(2);
    expect(refused.stderr()).toMatch(new RegExp(`zone 1 announced buses \\[.*${foreignBus}.*\\], but the DSO's zone list gives it`));
    const agents = zones.map((z) => start(ZONE_APP, ['--config', join(parties, `zone-${z.config.id}.json`), '--out', join(out, 'zones'), ...common]));
    expect(await dso.exited, dso.stderr()).toBe(0);
    for (const a of agents) expect(await a.exited, a.stderr()).toBe(0);
    expect(dso.stderr()).toMatch(/announce refused: .*zone 1 announced buses/);
    await tap.drain();

    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
    expect(report.zones).toHaveLength(zones.length);
    for (const z of report.zones) {
      expect(z.delivery.overKwh, `zone ${z.id}`).toBeLessThanOrEqual(1e-6);
      expect(z.delivery.shortfallKwh, `zone ${z.id}`).toBeLessThanOrEqual(1e-6);
      expect(z.delivery.evsFeasible).toBe(z.delivery.evsScheduled);
    }

    // Each zone's own output: per-EV schedules that pass the checker and sum to what it agreed.
    zones.forEach((party, k) => {
      const { fleet, grid } = party.problem;
      const schedules = readZoneSchedules(readFileSync(join(out, 'zones', `zone-${party.config.id}-schedules.csv`), 'utf8'), fleet, grid);
      expect(checkSchedules(fleet, grid, schedules).violations).toEqual([]);
      gridLoadKw(fleet, schedules).totalKw.forEach((v, t) => expect(Math.abs(v - report.zones[k].achievedKw[t]), `zone ${party.config.id} period ${t}`).toBeLessThan(1e-6));
    });

    // The wire, every message of the run: announces, requests, replies, round records, status, control.
    expect(wire.some((m) => m.subject.endsWith('.announce'))).toBe(true);
    expect(wire.some((m) => (m.data as { type: string }).type === 'solveReply')).toBe(true);
    const keys: string[] = [], strings: string[] = [];
    for (const m of wire) keysAndStrings(m.data, keys, strings);
    expect([...new Set(keys.filter((k) => PER_EV_KEYS.test(k)))]).toEqual([]);
    expect(strings.filter((s) => evIds.has(s) || s.includes('session-'))).toEqual([]);
  });
});
