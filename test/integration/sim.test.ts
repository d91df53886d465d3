import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTransport, openRecorder, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { killStarted, start, tmp, ZONAL } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { killStarted(); await nats?.stop(); });

interface Report { runId: string; converged: boolean; rounds: number; gapToCentralisedPct: number; transport: string; zones: unknown[]; incidents: unknown[] }

async function sim(scenario: string) {
  const out = tmp('sim');
  const p = start(ZONAL, ['sim', '--scenario', scenario, '--nats', nats.url, '--out', out, '--json']);
  const code = await p.exited;
  expect(code, p.stderr()).toBe(0);
  const report = JSON.parse(p.stdout().trim()) as Report;
  expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).runId).toBe(report.runId);
  return { report, stderr: p.stderr() };
}

async function roundsOnJetStream(runId: string) {
  const t = await NatsTransport.connect({ servers: nats.url, name: 'reader', runId });
  try {
    return (await (await openRecorder(t)).readRounds(runId)).records;
  } finally {
    await t.close();
  }
}

describe('zonal sim over a real NATS server (DSO and zones as separate processes)', () => {
  it('converges on the default scenario within 0.5% of the centralised optimum (SPEC §8), every round on JetStream', async () => {
    const { report, stderr } = await sim('default');
    expect(report.transport).toBe(`nats ${nats.url}`);
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
    expect(report.incidents).toEqual([]);
    expect(stderr).toMatch(/round +1: primal/);
    const records = await roundsOnJetStream(report.runId);
    expect(records.map((r) => r.body.round)).toEqual(Array.from({ length: report.rounds }, (_, i) => i + 1));
    expect(records.at(-1)!.body.converged).toBe(true);
  });

  it('keeps two runs on the same server apart', async () => {
    const [a, b] = await Promise.all([sim('small-test'), sim('small-test')]);
    expect(a.report.runId).not.toBe(b.report.runId);
    for (const { report } of [a, b]) {
      // Under load a zone may miss a round's deadline (reported as an incident); the runs must still
      // converge, each on its own records.
      expect(report.converged).toBe(true);
      expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
      const records = await roundsOnJetStream(report.runId);
      expect(records.every((r) => r.runId === report.runId)).toBe(true);
      expect(records).toHaveLength(report.rounds);
    }
  });
});
