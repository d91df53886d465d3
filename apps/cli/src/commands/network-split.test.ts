import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    nats ??= await startNatsServer();
    const inProcess = onlyJsonLine(zonal('network-split', '--scenario', 'small-test', '--json', '--no-oracle').stdout) as { costYuan: number; transport: string };
    const r = zonal('network-split', '--scenario', 'small-test', '--json', '--no-oracle', '--parties', '--nats', nats.url);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const parties = onlyJsonLine(r.stdout) as { costYuan: number; transport: string; converged: boolean };
    expect(inProcess.transport).toBe('in process (no messages)');
    expect(parties.transport).toMatch(new RegExp(`^NATS ${nats.url}, run split-`));
    expect(parties.converged).toBe(true);
    expect(parties.costYuan).toBe(inProcess.costYuan);
  });

  it('--area-processes: each area its own zonal zone --area process from its files, the same cost as in process', async () => {
    nats ??= await startNatsServer();
    const dir = mkdtempSync(join(tmpdir(), 'zonal-split-test-'));
    try {
      const inProcess = onlyJsonLine(zonal('network-split', '--scenario', 'small-test', '--json', '--no-oracle').stdout) as { costYuan: number };
      const r = zonal('network-split', '--scenario', 'small-test', '--json', '--area-processes', '--dir', dir, '--nats', nats.url);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const deployed = onlyJsonLine(r.stdout) as { costYuan: number; transport: string; converged: boolean; areas: number };
      expect(deployed.transport).toMatch(/, 4 area processes$/);
      expect(deployed.converged).toBe(true);
      expect(deployed.costYuan).toBe(inProcess.costYuan);
      // The parties' files: the zones' own (with their EVs) and each area's part of the feeder, which holds no EV.
      const files = readdirSync(dir);
      for (const id of [1, 2, 3, 4]) expect(files).toEqual(expect.arrayContaining([`zone-${id}.json`, `area-${id}.json`]));
      expect(readFileSync(join(dir, 'area-2.json'), 'utf8')).not.toMatch(/"sessions":|"evFleet":/);
      expect(readFileSync(join(dir, 'zone-2.json'), 'utf8')).toMatch(/"sessions":/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    expectCleanError(zonal('network-split', '--nats', 'nats://127.0.0.1:4222'), /^error: --nats: only with --parties or --area-processes/);
    expectCleanError(zonal('network-split', '--parties', '--area-processes'), /^error: --area-processes: give --parties .* or --area-processes .*, not both/);
  });
});
