import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from './load';
import { profileAtPeriods, tariffAtPeriods, clock } from './time';

function writeScenario(obj: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'zonal-scn-'));
  const p = join(dir, 's.json');
  writeFileSync(p, typeof obj === 'string' ? obj : JSON.stringify(obj));
  return p;
}

describe('default scenario', () => {
  const s = loadScenario();

  it('holds SPEC §3-4 declared defaults', () => {
    expect(s.seed).toBe(20251123);
    expect(s.network.voltageBandPu).toEqual([0.9, 1.05]);
    expect(s.ders.pv).toHaveLength(13); // seed 001 Table 1 lists 13 PV units
    expect(s.ders.pv.reduce((a, u) => a + u.pMaxKw, 0)).toBe(3600);
    expect(s.ders.wind).toEqual([{ bus: 33, pMaxKw: 200 }]);
    expect(s.carbon).toEqual({ quotaTPerMwh: 0.7, basePriceYuanPerT: 200, intervalT: 50, growth: 0.25, salePriceYuanPerT: 200 });
    expect(s.evFleet.count).toBe(3000);
    expect(s.zones.policy).toBe('direct-control');
    expect(s.negotiation.maxRounds).toBe(300); // SPEC §8
  });

  it('ships SPEC §8\'s small test scenario: 300 EVs, 100 rounds, 2 s zone timeout', () => {
    const small = loadScenario('small-test');
    expect(small.evFleet.count).toBe(300);
    expect(small.negotiation.maxRounds).toBe(100);
    expect(small.negotiation.zoneTimeoutMs).toBe(2000);
    expect(small.network).toEqual(s.network);
  });

  it('prices every hour by SPEC §3 TOU blocks', () => {
    const prices = tariffAtPeriods(s.tariff.blocks, { periods: 24, dtH: 1 }).map((b) => b.priceYuanPerKwh);
    expect(prices).toEqual([...Array(8).fill(0.35), ...Array(4).fill(1.12), ...Array(5).fill(0.68), ...Array(5).fill(1.12), 0.68, 0.68]);
  });

  it('holds hourly profiles constant within the hour on a 15-minute grid', () => {
    const p = profileAtPeriods(s.profiles.load, { periods: 96, dtH: 0.25 });
    expect(p[0]).toBe(0.62);
    expect(p[3]).toBe(0.62);
    expect(p[4]).toBe(0.58);
    expect(p[95]).toBe(0.75);
  });
});

describe('scenario errors name the field', () => {
  it('a file that extends another without a name of its own is named after its file, not its parent', () => {
    expect(loadScenario(writeScenario({ extends: 'default', zones: { policy: 'peak-valley' } })).name).toBe('s');
    expect(loadScenario(writeScenario({ extends: 'default', name: 'mine' })).name).toBe('mine');
    expect(loadScenario('small-test').name).toBe('small-test');
  });

  it('names a nested numeric field out of range', () => {
    const p = writeScenario({ extends: 'default', evFleet: { capacityKwh: -60 } });
    expect(() => loadScenario(p)).toThrow(/evFleet\.capacityKwh: .*>0|evFleet\.capacityKwh: Too small/);
  });

  it('names an unknown field (a typo is not silently ignored)', () => {
    const p = writeScenario({ extends: 'default', network: { voltageBandPU: [0.9, 1.1] } });
    expect(() => loadScenario(p)).toThrow(/network: Unrecognized key.*voltageBandPU/);
  });

  it('refuses a non-convex carbon ladder by name', () => {
    const p = writeScenario({ extends: 'default', carbon: { salePriceYuanPerT: 250 } });
    expect(() => loadScenario(p)).toThrow(/carbon\.salePriceYuanPerT: \(250\) must not exceed basePriceYuanPerT/);
    const q = writeScenario({ extends: 'default', carbon: { growth: -0.1 } });
    expect(() => loadScenario(q)).toThrow(/carbon\.growth: must be >= 0/);
    const r = writeScenario({ extends: 'default', carbon: { intervalT: 0 } });
    expect(() => loadScenario(r)).toThrow(/carbon\.intervalT: must be > 0/);
  });

  it('refuses a tariff that leaves an hour unpriced', () => {
    const p = writeScenario({ extends: 'default', tariff: { blocks: [{ code: 'v', fromH: 0, toH: 12, priceYuanPerKwh: 0.3 }] } });
    expect(() => loadScenario(p)).toThrow(/tariff\.blocks: hour 12\.00 is not priced/);
  });

  it('refuses a time grid that does not cover the day', () => {
    const p = writeScenario({ extends: 'default', time: { periods: 24, dtH: 0.5 } });
    expect(() => loadScenario(p)).toThrow(/time: periods × dtH must cover exactly 24 h/);
  });

  it('reports a missing file, bad JSON and a missing built-in clearly', () => {
    expect(() => loadScenario('/nonexistent/x.json')).toThrow(/no such scenario file/);
    expect(() => loadScenario(writeScenario('{ "name": '))).toThrow(/not valid JSON/);
    expect(() => loadScenario(writeScenario({ extends: 'nope' }))).toThrow(/nope: no such scenario/);
  });

  it('merges an extending file over its parent, arrays replacing', () => {
    const p = writeScenario({ extends: 'default', name: 'small', seed: 7, evFleet: { count: 300 } });
    const s = loadScenario(p);
    expect(s.name).toBe('small');
    expect(s.seed).toBe(7);
    expect(s.evFleet.count).toBe(300);
    expect(s.evFleet.capacityKwh).toBe(60);
  });
});

describe('clock', () => {
  it('formats hours as HH:MM, wrapping the day', () => {
    expect(clock(7.25)).toBe('07:15');
    expect(clock(25.5)).toBe('01:30');
  });
});
