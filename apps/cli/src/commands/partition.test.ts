import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildRadialNetwork, loadIeee33 } from '@zonal/feeder';
import { partitionFeeder, type PartitionInputs, type PartitionParams } from '@zonal/partition';
import { registerPartition } from './partition';
import { zonal } from '../testing/cli';


const REPORT_KEYS = ['scenario', 'seed', 'feeder', 'inputs', 'zones', 'tieLines', 'busZone', 'chosen', 'candidates'];

describe('zonal partition (as a process)', () => {
  it('--json prints one object with a top-level zones array, byte-identical from run to run', () => {
    const a = zonal('partition', '--json'), b = zonal('partition', '--json');
    expect([a.code, a.stderr]).toEqual([0, '']);
    expect(b.stdout).toBe(a.stdout);
    const lines = a.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]);
    expect(Object.keys(report)).toEqual(REPORT_KEYS);
    expect(report.seed).toBe(20251123);
    expect(report.zones.length).toBeGreaterThanOrEqual(4);
    expect(report.zones.length).toBeLessThanOrEqual(6);
    expect(report.zones.flatMap((z: { buses: number[] }) => z.buses).sort((x: number, y: number) => x - y))
      .toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
  });

  it('prints the zones, tie lines and candidates as tables by default', () => {
    const r = zonal('partition');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Zone partitioning — scenario "default" \(seed 20251123\), feeder ieee33/);
    expect(r.stdout).toMatch(/chosen: resolution [\d.]+, Louvain seed \d+: \d zones, F /);
    expect(r.stdout).toMatch(/tie line/);
    expect(r.stdout).toMatch(/resolution .* seeds .* zones/);
  });

  it('a missing scenario file is one clean error line and exit code 2', () => {
    const r = zonal('partition', '--scenario', 'no-such-scenario.json', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no-such-scenario\.json: no such scenario file or built-in scenario/);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stdout).toBe('');
  });
});

describe('registerPartition with its inputs supplied by a function', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = 0;
  });

  it('partitions what the function returns and reports its source', async () => {
    const net = buildRadialNetwork(loadIeee33());
    const inputs: PartitionInputs = {
      net,
      flexKw: net.feeder.buses.map((b) => Float64Array.from([b.pdKw, 0, b.pdKw / 2])),
      netLoadKw: net.feeder.buses.map((b) => Float64Array.from([b.pdKw, 2 * b.pdKw, -b.pdKw])),
    };
    const params: PartitionParams = {
      resolutions: [1, 2], rngSeeds: [3], weights: { modularity: 1, flexibility: 0, balance: 0 },
      sizePenalty: { minBuses: 2, maxBuses: 20, perZone: 1 }, wA: 1, wE: 0, gamma: 0.5,
    };
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { out.push(String(chunk)); return true; });
    const program = new Command('zonal').exitOverride();
    registerPartition(program, () => ({ inputs, params, source: 'test inputs' }));
    await program.parseAsync(['node', 'zonal', 'partition', '--json']);
    expect(process.exitCode).toBe(0);
    const report = JSON.parse(out.join(''));
    expect(report.inputs).toBe('test inputs');
    const { zones, tieLines, busZone, chosen, candidates } = partitionFeeder(inputs, params);
    expect(report).toMatchObject(JSON.parse(JSON.stringify({ zones, tieLines, busZone, chosen, candidates })));
    expect(report.candidates).toHaveLength(2);
  });
});
