import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { killStarted, start, tmp, ZONAL, ZONE_APP } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterEach(() => killStarted());
afterAll(async () => { await nats?.stop(); });

interface Rolling { realisedCostYuan: number; dayAheadHeldCostYuan: number; hindsightCostYuan: number; dayAheadPlanCostYuan: number; transport: string; ordered: boolean; windows: Array<{ startPeriod: number; rounds: number }>; shortfalls: { rollingKwh: number; dayAheadHeldKwh: number } }

/**
 * `zonal sim --horizon rolling` over NATS (README "Rolling horizon"): the DSO (`zonal dso --horizon
 * rolling`) and the zones (`zonal zone --realised FILE`) as processes on a private nats-server, the
 * harness's oracles after them; against the same run in process. The day-ahead and every window are
 * the same negotiations over another transport and the realised day is written exactly, so the three
 * costs agree to the solver's determinism (stated: 1e-9 relative). The plan held over NATS is the
 * day-ahead plan the agents agreed, as they wrote it (the DSO's dispatch and zone profiles, each
 * zone's per-EV schedules), not the day-ahead negotiated again in the harness: equal to the in-process
 * run's held cost, to the same 1e-9, only because the two day-ahead negotiations agree.
 */
describe('zonal sim --horizon rolling over NATS, small-test every 6 periods', () => {
  const TOL = 1e-9;
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  it('writes the three costs to report.json, in order, equal to the in-process run\'s; each zone\'s realised day in its own file', async () => {
    const dir = tmp('sim-rolling');
    const scenario = join(dir, 'rolling.json');
    writeFileSync(scenario, JSON.stringify({ extends: 'small-test', negotiation: { horizon: { mode: 'rolling', everyPeriods: 6, earlyDepartureShare: 0.05 } } }));
    const overNats = start(ZONAL, ['sim', '--scenario', scenario, '--out', join(dir, 'nats'), '--nats', nats.url, '--json']);
    expect(await overNats.exited, overNats.stderr()).toBe(0);
    expect(overNats.stderr()).toMatch(/horizon rolling: the day re-negotiated every 6 period\(s\).*transport nats /);
    expect(overNats.stderr()).toMatch(/the day-ahead plan held \(as the agents agreed it: the DSO's dispatch, the zones' schedules\)/);
    const inProcess = start(ZONAL, ['sim', '--scenario', scenario, '--out', join(dir, 'in-process'), '--json'], { ZONAL_NATS_URL: 'nats://127.0.0.1:1', ZONAL_NATS_SERVER_BIN: '/nonexistent' });
    expect(await inProcess.exited, inProcess.stderr()).toBe(0);

    const read = (sub: string) => (JSON.parse(readFileSync(join(dir, sub, 'report.json'), 'utf8')) as { horizon: string; rolling: Rolling }).rolling;
    const g = read('nats'), ref = read('in-process');
    expect(g.transport).toBe(`nats ${nats.url}`);
    expect(ref.transport).toBe('in-process');
    for (const key of ['realisedCostYuan', 'dayAheadHeldCostYuan', 'hindsightCostYuan', 'dayAheadPlanCostYuan'] as const) {
      expect(Number.isFinite(g[key]), key).toBe(true);
      expect(rel(g[key], ref[key]), `${key}: over NATS ${g[key]}, in process ${ref[key]}`).toBeLessThan(TOL);
    }
    // hindsight ≤ rolling ≤ day-ahead held, over NATS and in process.
    for (const run of [g, ref]) {
      expect(run.hindsightCostYuan).toBeLessThanOrEqual(run.realisedCostYuan * (1 + TOL));
      expect(run.realisedCostYuan).toBeLessThanOrEqual(run.dayAheadHeldCostYuan * (1 + TOL));
      expect(run.ordered).toBe(true);
    }
    // The DSO recorded the day-ahead plan it rolled from; each zone its day-ahead EVs' schedules.
    const dso = JSON.parse(readFileSync(join(dir, 'nats', 'dso-rolling.json'), 'utf8')) as { dayAhead?: { zones: Array<{ zoneId: number }> } };
    expect(dso.dayAhead?.zones.map((z) => z.zoneId)).toEqual([1, 2, 3, 4]);
    for (const id of [1, 2, 3, 4]) expect(existsSync(join(dir, 'nats', 'zones', `zone-${id}-schedules.csv`)), `zone ${id}`).toBe(true);
    expect(g.windows.map((w) => [w.startPeriod, w.rounds])).toEqual(ref.windows.map((w) => [w.startPeriod, w.rounds]));
    expect(g.shortfalls.rollingKwh).toBeCloseTo(ref.shortfalls.rollingKwh, 6);

    // Each zone's realised day beside its zone file holds only that zone's sessions, at its buses.
    for (const id of [1, 2, 3, 4]) {
      const zone = JSON.parse(readFileSync(join(dir, 'nats', 'parties', `zone-${id}.json`), 'utf8')) as { buses: number[] };
      const day = JSON.parse(readFileSync(join(dir, 'nats', 'parties', `zone-${id}-realised.json`), 'utf8')) as { zoneId: number; sessions: Array<{ spec: { bus: number } }> };
      expect(day.zoneId).toBe(id);
      expect(day.sessions.length).toBeGreaterThan(0);
      expect(day.sessions.every((s) => zone.buses.includes(s.spec.bus))).toBe(true);
    }

    // A zone refuses another zone's realised day and a malformed one, naming the file and the field (exit 2, before connecting).
    const parties = join(dir, 'nats', 'parties');
    const other = start(ZONE_APP, ['--config', join(parties, 'zone-1.json'), '--realised', join(parties, 'zone-2-realised.json'), '--run-id', 'x', '--nats', nats.url]);
    expect(await other.exited).toBe(2);
    expect(other.stderr()).toMatch(/--realised .*zone-2-realised\.json: is zone 2's realised day, and this process runs zone 1/);
    const day = JSON.parse(readFileSync(join(parties, 'zone-1-realised.json'), 'utf8')) as { sessions: Array<{ spec: Record<string, unknown> }> };
    day.sessions[3].spec.capacityKwh = 'big';
    const bad = join(dir, 'bad-realised.json');
    writeFileSync(bad, JSON.stringify(day));
    const malformed = start(ZONE_APP, ['--config', join(parties, 'zone-1.json'), '--realised', bad, '--run-id', 'x', '--nats', nats.url]);
    expect(await malformed.exited).toBe(2);
    expect(malformed.stderr()).toMatch(/bad-realised\.json sessions\[3\]\.spec\.capacityKwh: must be a finite number, got "big"/);
  }, 600_000);
});
