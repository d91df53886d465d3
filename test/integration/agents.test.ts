import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport, PROTOCOL_VERSION, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { DSO_APP, killStarted, scenarioFile, start, tmp, until, ZONE_APP, type Proc } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { killStarted(); await nats?.stop(); });

describe('zone agents as processes', () => {
  it('a zone killed mid-run is timed out and reported, the run finishes on its last offer, and the restarted zone rejoins', async () => {
    const dir = tmp('kill');
    // SPEC §8's small test scenario, with tolerances no run meets, so it runs to its round limit.
    const scenario = scenarioFile(dir, {
      extends: 'small-test',
      negotiation: { maxRounds: 60, stallRounds: 1000, admm: { primalTolKw: 1e-12, dualTolKw: 1e-12, relCostTol: 1e-15 } },
    });
    const runId = `kill-${Date.now()}`;
    const common = ['--scenario', scenario, '--nats', nats.url, '--run-id', runId];
    const watcher = await NatsTransport.connect({ servers: nats.url, name: 'watcher', runId, requireJetStream: false });
    const rounds: number[] = [];
    watcher.subscribe(watcher.subjects.round, (m) => { if (m.type === 'roundRecord') rounds.push(m.body.round); });
    await watcher.flush();

    const zones = new Map<number, Proc>();
    for (const id of [1, 2, 3, 4]) zones.set(id, start(ZONE_APP, ['--zone', String(id), ...common]));
    const dso = start(DSO_APP, [...common, '--out', dir]);
    await until(() => rounds.includes(2), 'round 2');
    zones.get(2)!.child.kill('SIGKILL');
    await until(() => rounds.includes(5), 'round 5');
    const restarted = start(ZONE_APP, ['--zone', '2', ...common]);
    // The round limit is a result the operator must be told of: exit 1, the report written.
    expect(await dso.exited, dso.stderr()).toBe(1);
    await Promise.all([...zones.values()].filter((z) => z !== zones.get(2)).map((z) => z.exited));
    expect(await restarted.exited).toBe(0);
    await watcher.close();

    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.roundLimitHit).toBe(true); // reported, never silent
    expect(report.rounds).toBe(60);
    const timeouts = report.incidents.filter((i: { zoneId: number; status: string }) => i.zoneId === 2 && i.status === 'timeout');
    expect(timeouts.length).toBeGreaterThan(0);
    expect(Math.min(...timeouts.map((i: { round: number }) => i.round))).toBeGreaterThanOrEqual(3);
    // The restarted zone answers again before the end: the last round has no incident for it.
    expect(report.incidents.some((i: { round: number; zoneId: number }) => i.round === 60 && i.zoneId === 2)).toBe(false);
    expect(dso.stderr()).toMatch(/zone 2 announced again \(rejoined\)/);
    expect(report.zones.find((z: { id: number }) => z.id === 2).achievedKw).toHaveLength(24);
  });

  it('answers a malformed or wrong-version request with an error reply and keeps serving', async () => {
    const runId = `bad-${Date.now()}`;
    const zone = start(ZONE_APP, ['--zone', '1', '--scenario', 'small-test', '--nats', nats.url, '--run-id', runId]);
    const t = await NatsTransport.connect({ servers: nats.url, name: 'tester', runId, requireJetStream: false });
    try {
      const subject = t.subjects.zoneSolve('1');
      // Wait until the agent serves (it announces first; nobody answers that here).
      const valid = { type: 'solveRequest' as const, body: { zoneId: '1', round: 1, targetPKw: new Array(24).fill(0), priceYuanPerKwh: new Array(24).fill(0.5), rho: 0.01, consensus: [] } };
      let ready = false;
      for (let i = 0; i < 200 && !ready; i++) {
        const o = await t.request(subject, valid, { timeoutMs: 2000, expect: 'solveReply' });
        ready = o.ok;
        if (!ready) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready).toBe(true);

      const garbage = await t.requestRaw(subject, new TextEncoder().encode('{ not json'), { timeoutMs: 5000 });
      expect(garbage.ok).toBe(false);
      if (!garbage.ok) {
        expect(garbage.failure.kind).toBe('errorReply');
        if (garbage.failure.kind === 'errorReply') expect(garbage.failure.error.code).toBe('malformed');
      }
      const wrongVersion = { v: PROTOCOL_VERSION + 1, type: 'solveRequest', runId, sender: 'tester', seq: 1, body: valid.body };
      const versioned = await t.requestRaw(subject, new TextEncoder().encode(JSON.stringify(wrongVersion)), { timeoutMs: 5000 });
      expect(versioned.ok).toBe(false);
      if (!versioned.ok && versioned.failure.kind === 'errorReply') expect(versioned.failure.error.code).toBe('version');
      else throw new Error(`expected an error reply, got ${JSON.stringify(versioned)}`);
      const missingField = { type: 'solveRequest', body: { zoneId: '1', round: 2 } };
      const missing = await t.requestRaw(subject, new TextEncoder().encode(JSON.stringify({ v: PROTOCOL_VERSION, runId, sender: 't', seq: 2, ...missingField })), { timeoutMs: 5000 });
      expect(missing.ok).toBe(false);

      const after = await t.request(subject, valid, { timeoutMs: 5000, expect: 'solveReply' });
      expect(after.ok).toBe(true);
      if (after.ok) expect(after.reply.body.status).toBe('optimal');
    } finally {
      t.publish(t.subjects.control, { type: 'control', body: { command: 'shutdown' } });
      await t.flush();
      await t.close();
    }
    expect(await zone.exited).toBe(0);
  });

  it('on a server without JetStream the run goes on, converges and says its rounds are not recorded', async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const dir = tmp('nojs'), runId = `nojs-${Date.now()}`;
      const common = ['--scenario', 'small-test', '--nats', plain.url, '--run-id', runId];
      const zones = [1, 2, 3, 4].map((id) => start(ZONE_APP, ['--zone', String(id), ...common]));
      const dso = start(DSO_APP, [...common, '--out', dir]);
      expect(await dso.exited, dso.stderr()).toBe(0);
      for (const z of zones) expect(await z.exited, z.stderr()).toBe(0);
      expect(dso.stderr()).toMatch(/rounds are not recorded: .*JetStream/i);
      const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      expect(report.converged).toBe(true);
      expect(report.unrecordedRounds).toEqual(Array.from({ length: report.rounds }, (_, i) => i + 1));
    } finally {
      await plain.stop();
    }
  });
});
