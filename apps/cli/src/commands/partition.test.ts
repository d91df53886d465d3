import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { partitionInputs } from '@zonal/coordination';
import { buildDispatchInputs, scenarioFleet } from '@zonal/dispatch';
import { aggregateEnvelope, Fleet, type AggregateEnvelope } from '@zonal/ev';
import { buildRadialNetwork, loadFeeder } from '@zonal/feeder';
import { partitionFeeder } from '@zonal/partition';
import { loadScenario, timeGrid } from '@zonal/scenario';
import { registerPartition } from './partition';
import { expectCleanError, onlyJsonLine, zonal } from '../testing/cli';

const COMPUTED_KEYS = ['scenario', 'seed', 'feeder', 'source', 'inputs', 'zones', 'tieLines', 'busZone', 'chosen', 'candidates'];

describe('zonal partition (as a process)', () => {
  it('--json prints one object with a top-level zones array, byte-identical from run to run', () => {
    const a = zonal('partition', '--json'), b = zonal('partition', '--json');
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(b.stdout).toBe(a.stdout);
    const report = onlyJsonLine(a.stdout) as { seed: number; source: string; zones: Array<{ buses: number[] }> };
    expect(Object.keys(report)).toEqual(COMPUTED_KEYS);
    expect([report.seed, report.source]).toEqual([20251123, 'computed']);
    // SPEC §5: papers report 4–6 zones on IEEE-33.
    expect(report.zones.length).toBeGreaterThanOrEqual(4);
    expect(report.zones.length).toBeLessThanOrEqual(6);
    expect(report.zones.flatMap((z) => z.buses).sort((x, y) => x - y)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
  });

  it('prints the zones, tie lines and candidates as tables by default', () => {
    const r = zonal('partition');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/Zone partitioning — scenario "default" \(seed 20251123\), feeder ieee33/);
    expect(r.stdout).toMatch(/inputs: flexibility = EV envelope/);
    expect(r.stdout).toMatch(/chosen: resolution [\d.]+, Louvain seed \d+: \d zones, F /);
    expect(r.stdout).toMatch(/tie line/);
    expect(r.stdout).toMatch(/resolution .* seeds .* zones/);
  });

  it('a missing scenario file is one clean error line and exit code 2', () => {
    expectCleanError(zonal('partition', '--scenario', 'no-such-scenario.json', '--json'), /^error: no-such-scenario\.json: no such scenario file or built-in scenario/);
  });
});

/** `zonal partition ARGS` in this process, with stdout (JSON) and console.log (tables) captured. */
async function runPartition(...args: string[]): Promise<{ stdout: string; log: string }> {
  const out: string[] = [], log: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out.push(String(chunk)); return true; });
  vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => { log.push(xs.join(' ')); });
  const program = new Command('zonal').exitOverride();
  registerPartition(program);
  await program.parseAsync(['node', 'zonal', 'partition', ...args]);
  vi.restoreAllMocks();
  return { stdout: out.join(''), log: log.join('\n') };
}

function scenarioFile(body: object): string {
  const file = join(mkdtempSync(join(tmpdir(), 'zonal-partition-cli-')), 'scenario.json');
  writeFileSync(file, JSON.stringify({ extends: 'small-test', name: 'partition-test', ...body }));
  return file;
}

describe('zonal partition reads its inputs and parameters from the scenario', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = 0;
  });

  it('partitions the no-EV base dispatch and the fleet\'s per-bus envelopes with scenario.zones.partition', async () => {
    const partition = { resolutions: [1, 1.5], rngSeeds: [3] };
    const file = scenarioFile({ zones: { partition } });
    const { stdout } = await runPartition('--scenario', file, '--json');
    expect(process.exitCode).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.candidates.map((c: { resolution: number; rngSeed: number }) => [c.resolution, c.rngSeed])).toEqual([[1, 3], [1.5, 3]]);

    // The same partition from inputs assembled here from their parts (SPEC §5: P_a^d from each bus's
    // EV envelope, P_d^an from the no-EV base dispatch).
    const scenario = loadScenario(file);
    const feeder = loadFeeder(scenario.network.case);
    const fleet = scenarioFleet(scenario, feeder);
    const byBus = new Map<number, AggregateEnvelope>();
    for (const b of feeder.buses) {
      const members = Array.from({ length: fleet.size }, (_, i) => i).filter((i) => fleet.bus[i] === b.id);
      if (members.length) byBus.set(b.id, aggregateEnvelope(Fleet.subset(fleet, members), timeGrid(scenario)));
    }
    const inputs = await partitionInputs(buildRadialNetwork(feeder), buildDispatchInputs(scenario, feeder), byBus);
    const { zones, tieLines, busZone, chosen, candidates } = partitionFeeder(inputs, scenario.zones.partition);
    expect(report).toMatchObject(JSON.parse(JSON.stringify({ scenario: 'partition-test', source: 'computed', zones, tieLines, busZone, chosen, candidates })));
  });

  it('prints explicit zones (zones.buses) as given and says that nothing was computed', async () => {
    const buses = [[1, 2, 3, 4, 5, 19, 20, 21, 22, 23, 24, 25], [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], [26, 27, 28, 29, 30, 31, 32, 33]];
    const file = scenarioFile({ zones: { buses } });
    const json = JSON.parse((await runPartition('--scenario', file, '--json')).stdout);
    expect(json).toEqual({
      scenario: 'partition-test', seed: 20251123, feeder: 'ieee33', source: 'explicit',
      zones: buses.map((b, k) => ({ id: k + 1, buses: b })),
      tieLines: [{ from: 5, to: 6, fromZone: 1, toZone: 2 }, { from: 6, to: 26, fromZone: 2, toZone: 3 }],
      busZone: Object.fromEntries(buses.flatMap((b, k) => b.map((bus) => [String(bus), k + 1]))),
    });
    const { log } = await runPartition('--scenario', file);
    expect(log).toMatch(/explicit zones from the scenario's zones\.buses: no partition computed/);
    expect(log).toMatch(/1-5, 19-25/);
    expect(log).toMatch(/6-26/);
    expect(process.exitCode).toBe(0);
  });

  it('bad explicit zones are a clean error naming zones.buses', async () => {
    const file = scenarioFile({ zones: { buses: [[1, 2, 3], [3, 4]] } });
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { err.push(String(chunk)); return true; });
    await runPartition('--scenario', file, '--json');
    expect(process.exitCode).toBe(2);
    expect(err.join('')).toMatch(/^error: zones\.buses\[1\]: bus 3 is in zone 1 and zone 2/);
  });
});
