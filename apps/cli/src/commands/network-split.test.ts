import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { expectCleanError, onlyJsonLine, ROOT, zonal } from '../testing/cli';

let nats: LocalNatsServer | undefined;
afterAll(() => nats?.stop());

describe('zonal network-split (as a process)', () => {
  it('--json on IEEE-33 (small-test, its zones as areas): one object, converged, within 0.1% of the centralised LP, one consistent boundary', () => {
    const r = zonal('network-split', '--scenario', 'small-test', '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const report = onlyJsonLine(r.stdout) as { feeder: string; converged: boolean; gapPct: number; closingMismatchKw: number; areas: unknown[]; rounds: { admm: number; reference: string }; successive: { gapPct: number } };
    expect(report.feeder).toBe('ieee33');
    expect(report.converged).toBe(true);
    expect(report.areas.length).toBeGreaterThanOrEqual(4);
    expect(Math.abs(report.gapPct)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(report.successive.gapPct)).toBeLessThanOrEqual(0.1);
    expect(report.closingMismatchKw).toBeLessThan(1e-6);
    expect(report.rounds.reference).toMatch(/14–204 rounds for 2–4 areas/);
  });

  it('--parties: each area on its own connection to a real NATS server, the same cost as in process', async () => {
    nats = await startNatsServer();
    const inProcess = onlyJsonLine(zonal('network-split', '--scenario', 'small-test', '--json', '--no-oracle').stdout) as { costYuan: number; transport: string };
    const r = zonal('network-split', '--scenario', 'small-test', '--json', '--no-oracle', '--parties', '--nats', nats.url);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const parties = onlyJsonLine(r.stdout) as { costYuan: number; transport: string; converged: boolean };
    expect(inProcess.transport).toBe('in process (no messages)');
    expect(parties.transport).toMatch(new RegExp(`^NATS ${nats.url}, run split-`));
    expect(parties.converged).toBe(true);
    expect(parties.costYuan).toBe(inProcess.costYuan);
  });

  it('prints the areas and the split against the centralised LP as tables', () => {
    const r = zonal('network-split', '--scenario', 'small-test', '--case', join(ROOT, 'libs/feeder/data/matpower/case69.m'), '--areas', '3');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/Network split — scenario "small-test" .* feeder case69, 69 buses, 3 areas \(equal subtrees\)/);
    expect(r.stdout).toMatch(/loss round 1: \d+ ADMM round/);
    expect(r.stdout).toMatch(/cost \(yuan\/day, same LP\)/);
    expect(r.stdout).toMatch(/14–204 rounds for 2–4 areas/);
  });

  it('bad flags are one clean error line and exit code 2', () => {
    expectCleanError(zonal('network-split', '--areas', '0'), /^error: --areas: must be an integer >= 1, got "0"/);
    expectCleanError(zonal('network-split', '--scenario', 'small-test', '--areas', '40'), /^error: areas: must be an integer in \[1, 33\], got 40/);
    expectCleanError(zonal('network-split', '--case', 'no-such-case.m'), /no-such-case\.m/);
    expectCleanError(zonal('network-split', '--nats', 'nats://127.0.0.1:4222'), /^error: --nats: only with --parties/);
  });
});
