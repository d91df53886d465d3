import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { DSO_APP, killStarted, scenarioFile, start, tmp, until, ZONE_APP } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { killStarted(); await nats?.stop(); });

interface Report { rounds: number; roundLimitHit: boolean; converged: boolean; roundLog: Array<{ round: number; totalCostYuan: number; primalResidualKw: number }>; costs: { negotiated: { totalWithDegradation: number } } }

describe('a DSO that is killed and restarted', () => {
  // small-test with tolerances no run meets: exactly 10 rounds, the same in every run.
  const dir = tmp('resume');
  const scenario = scenarioFile(dir, {
    extends: 'small-test',
    negotiation: { maxRounds: 10, stallRounds: 1000, admm: { primalTolKw: 1e-12, dualTolKw: 1e-12, relCostTol: 1e-15 } },
  });
  const zonesOf = (runId: string, extra: string[] = []) => [1, 2, 3, 4].map((id) => start(ZONE_APP, ['--zone', String(id), '--scenario', scenario, '--nats', nats.url, '--run-id', runId, ...extra]));

  it('resumes after its last completed round: the zones wait, announce again, and the run ends as an uninterrupted one', async () => {
    const reference = `ref-${Date.now()}`;
    const refZones = zonesOf(reference);
    const refDso = start(DSO_APP, ['--scenario', scenario, '--nats', nats.url, '--run-id', reference, '--out', join(dir, 'ref')]);
    expect(await refDso.exited, refDso.stderr()).toBe(1); // the round limit: a result to be told of
    await Promise.all(refZones.map((z) => z.exited));
    const want = JSON.parse(readFileSync(join(dir, 'ref', 'report.json'), 'utf8')) as Report;

    const runId = `resume-${Date.now()}`;
    const watcher = await NatsTransport.connect({ servers: nats.url, name: 'watcher', runId, requireJetStream: false });
    const rounds: number[] = [];
    watcher.subscribe(watcher.subjects.round, (m) => { if (m.type === 'roundRecord') rounds.push(m.body.round); });
    await watcher.flush();
    const zones = zonesOf(runId, ['--dso-silence-s', '2', '--dso-wait-s', '120']);
    const first = start(DSO_APP, ['--scenario', scenario, '--nats', nats.url, '--run-id', runId, '--out', join(dir, 'run')]);
    await until(() => rounds.includes(4), 'round 4');
    first.child.kill('SIGKILL');
    await first.exited;
    // Long enough for the zones to notice (2 s of silence), short of their 120 s wait.
    await until(() => zones.every((z) => /no word from the DSO/.test(z.stderr())), 'the zones noticing the DSO is gone', 20_000);
    const second = start(DSO_APP, ['--scenario', scenario, '--nats', nats.url, '--run-id', runId, '--out', join(dir, 'run')]);
    expect(await second.exited, second.stderr()).toBe(1);
    expect(second.stderr()).toMatch(/resuming run resume-\d+: 4 zone\(s\) announced before the restart, \d+ round\(s\) completed/);
    for (const z of zones) {
      expect(await z.exited, z.stderr()).toBe(0);
      expect(z.stderr()).toMatch(/the DSO is back; announcing again/);
    }
    await watcher.close();

    const got = JSON.parse(readFileSync(join(dir, 'run', 'report.json'), 'utf8')) as Report;
    expect(got.rounds).toBe(want.rounds);
    expect(got.roundLimitHit).toBe(true);
    got.roundLog.forEach((r, i) => {
      expect(r.round).toBe(i + 1);
      expect(r.totalCostYuan, `round ${r.round}`).toBeCloseTo(want.roundLog[i].totalCostYuan, 6);
      expect(r.primalResidualKw, `round ${r.round}`).toBeCloseTo(want.roundLog[i].primalResidualKw, 6);
    });
    expect(got.costs.negotiated.totalWithDegradation).toBeCloseTo(want.costs.negotiated.totalWithDegradation, 6);

    // The run id is spent: a third DSO on it refuses to start, by name.
    const third = start(DSO_APP, ['--scenario', scenario, '--nats', nats.url, '--run-id', runId]);
    expect(await third.exited).toBe(2);
    expect(third.stderr()).toMatch(new RegExp(`run id "${runId}" finished at .*give a new run its own --run-id`));
  }, 240_000);

  it('a zone whose DSO never comes stops after its stated wait, with one line and exit 3', async () => {
    const zone = start(ZONE_APP, ['--zone', '1', '--scenario', scenario, '--nats', nats.url, '--run-id', `nobody-${Date.now()}`, '--dso-wait-s', '3']);
    expect(await zone.exited, zone.stderr()).toBe(3);
    expect(zone.stderr()).toMatch(/zone 1: stopped: no word from the DSO of run nobody-\d+ for \d+ s \(waited 3 s\)/);
  }, 60_000);
});
