import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanError, onlyJsonLine, zonalWithEnv } from '../testing/cli';

const tmp = () => mkdtempSync(join(tmpdir(), 'zonal-sim-cli-'));
/** No NATS server at this address (port 1 is never a NATS server here). */
const NOWHERE = { ZONAL_NATS_URL: 'nats://127.0.0.1:1' };

describe('zonal sim picks its transport and says so', () => {
  it('with no server and no nats-server binary: runs in process, says so, and still converges', () => {
    const out = tmp();
    const r = zonalWithEnv({ ...NOWHERE, ZONAL_NATS_SERVER_BIN: '/nonexistent/nats-server' }, 'sim', '--scenario', 'small-test', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nats-server is not installed|is not an executable file/);
    expect(r.stderr).toMatch(/running on the in-process transport/);
    const report = onlyJsonLine(r.stdout) as { transport: string; converged: boolean; gapToCentralisedPct: number };
    expect(report.transport).toBe('in-process');
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).gapToCentralisedPct).toBe(report.gapToCentralisedPct);
  });

  it('with no server but nats-server installed: starts one for the run, runs the agents as processes', () => {
    const r = zonalWithEnv(NOWHERE, 'sim', '--scenario', 'small-test', '--out', tmp(), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/started nats-server at nats:\/\/127\.0\.0\.1:\d+/);
    const report = onlyJsonLine(r.stdout) as { transport: string; converged: boolean };
    expect(report.transport).toMatch(/^nats nats:\/\/127\.0\.0\.1:\d+$/);
    expect(report.converged).toBe(true);
  });

  it('--mode centralised prints the monolithic optimum only', () => {
    const r = zonalWithEnv(NOWHERE, 'sim', '--scenario', 'small-test', '--mode', 'centralised', '--out', tmp(), '--json');
    expect(r.code, r.stderr).toBe(0);
    const o = onlyJsonLine(r.stdout) as { mode: string; totalCostYuan: number; costs: { totalYuan: number }; degradationYuan: number };
    expect(o.mode).toBe('centralised');
    expect(o.totalCostYuan).toBeCloseTo(o.costs.totalYuan + o.degradationYuan, 6);
  });

  it('refuses a dead --nats URL, a bad scenario field and an unknown policy, exit 2, no stack trace', () => {
    expectCleanError(zonalWithEnv({}, 'sim', '--nats', 'nats://127.0.0.1:1', '--out', tmp()), /--nats: no NATS server answers at nats:\/\/127\.0\.0\.1:1/);
    const dir = tmp();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ extends: 'small-test', negotiation: { maxRounds: 0 } }));
    expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--scenario', bad, '--out', dir), /negotiation\.maxRounds/);
    writeFileSync(bad, JSON.stringify({ extends: 'small-test', zones: { policy: 'nope' } }));
    expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--scenario', bad, '--out', dir), /unknown policy "nope"/);
  });

  it('refuses bad input every time, not only most times (stopping its solver threads once ended such a run with code 13)', () => {
    const dir = tmp(), bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ extends: 'small-test', zones: { policy: 'nope' } }));
    // It had: 4 runs in 30 (solver worker-client.ts terminated()); the local nats-server started for
    // the run is part of the timing that showed it.
    for (let run = 0; run < 6; run++) expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--scenario', bad, '--out', dir), /unknown policy "nope"/);
  });
});

describe('--rounds-replicas', () => {
  it('is refused by name, exit 2, unless an integer from 1 to 5 — by zonal sim before it starts anything, and by zonal dso', () => {
    const out = tmp();
    expectCleanError(zonalWithEnv(NOWHERE, 'sim', '--scenario', 'small-test', '--rounds-replicas', '0', '--out', out), /--rounds-replicas: must be an integer from 1 to 5 \(JetStream's limit\), got "0"/);
    expect(readdirSync(out)).toEqual([]);
    expectCleanError(zonalWithEnv({}, 'dso', '--scenario', 'small-test', '--nats', 'nats://127.0.0.1:1', '--rounds-replicas', 'three'), /--rounds-replicas: must be an integer from 1 to 5/);
  });
});

describe('zonal sim on 96 periods of 0.25 h', () => {
  // A 96-period zone solve can take longer than small-test's 2 s zone timeout on a loaded machine: this test is about the output.
  it('prints energies as kW × 0.25 h, clock times, and a report with one row per quarter-hour', () => {
    const dir = tmp(), out = join(dir, 'out'), file = join(dir, 'quarter.json');
    writeFileSync(file, JSON.stringify({ extends: 'small-test', name: 'quarter-hours', time: { periods: 96, dtH: 0.25 }, negotiation: { zoneTimeoutMs: 60_000 } }));
    const r = zonalWithEnv({ ...NOWHERE, ZONAL_NATS_SERVER_BIN: '/nonexistent/nats-server', NO_COLOR: '1' }, 'sim', '--scenario', file, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      periods: Array<{ hour: number }>; run: { dtH: number };
      zones: Array<{ id: number; achievedKw: number[] }>; ac: { vminHour: number };
    };
    expect(report.run.dtH).toBe(0.25);
    expect(report.periods.map((p) => p.hour)).toEqual(Array.from({ length: 96 }, (_, t) => t * 0.25));
    expect(readFileSync(join(out, 'periods.csv'), 'utf8').trim().split('\n')).toHaveLength(97);
    // The zone table's achieved kWh (charge / discharge) are each period's kW times 0.25 h.
    for (const z of report.zones) {
      const charge = 0.25 * z.achievedKw.filter((x) => x > 0).reduce((a, b) => a + b, 0);
      const discharge = -0.25 * z.achievedKw.filter((x) => x < 0).reduce((a, b) => a + b, 0);
      const line = r.stdout.split('\n').find((l) => new RegExp(`^│? *${z.id} +│? *direct-control`).test(l));
      expect(line, `zone ${z.id}'s row`).toBeDefined();
      expect(line).toContain(`${charge.toFixed(0)} / ${discharge.toFixed(0)}`);
    }
    // Times are clock times, never period indices.
    const h = Math.floor(report.ac.vminHour), m = Math.round((report.ac.vminHour - h) * 60);
    expect(r.stdout).toContain(`, ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')};`);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });
});

describe('the summary line of the DSO\'s caps', () => {
  it('names each zone\'s capped buses, the first three zones, and counts the rest', async () => {
    const { evCapsLine } = await import('./sim');
    const cap = (zoneId: number, buses: number[]) => ({ zoneId, buses, periods: 3, minKw: 12.5 });
    expect(evCapsLine([cap(1, [22]), cap(1, [21, 22]), cap(2, [33])])).toBe(
      'the DSO capped what the EVs below 3 branch(es) only their zone loads may draw, and the zones kept it: zone 1 at buses 22 | 21,22; zone 2 at buses 33',
    );
    expect(evCapsLine([1, 2, 3, 4, 5].map((z) => cap(z, [z * 10])))).toMatch(/zone 3 at buses 30, and 2 more zone\(s\)$/);
  });
});
