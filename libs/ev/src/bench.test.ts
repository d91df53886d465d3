import { describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { loadScenario } from '@zonal/scenario';
import { benchEv } from './bench';
import { sampleDefaultFleet } from './sampling';
import { uncoordinatedProfile } from './uncoordinated';

describe('the shipped default scenario drives the sampler', () => {
  it('gives the SPEC §6 figures from the scenario file itself (5.4 kWh per EV, 16.8 MWh a day, ±5%)', () => {
    const scenario = loadScenario('default');
    const fleet = sampleDefaultFleet(scenario.evFleet, createRng(scenario.seed));
    let need = 0;
    for (let i = 0; i < fleet.size; i++) need += (fleet.socTarget[i] - fleet.socArrival[i]) * fleet.capacityKwh[i];
    expect(need / fleet.size).toBeGreaterThan(5.4 * 0.95);
    expect(need / fleet.size).toBeLessThan(5.4 * 1.05);
    const mwh = uncoordinatedProfile(fleet, { periods: 24, dtH: 1 }).gridKw.reduce((a, b) => a + b, 0) / 1000;
    expect(mwh).toBeGreaterThan(16.8 * 0.95);
    expect(mwh).toBeLessThan(16.8 * 1.05);
  });
});

describe('benchEv (numbers only; speed is judged by npm run bench, not here)', () => {
  it('runs both aggregates on a small fleet with every EV proven feasible and the uncoordinated one tracked exactly', () => {
    const rows = benchEv([300], [24]);
    expect(rows.map((r) => r.aggregate)).toEqual(['uncoordinated', 'peak-shave']);
    for (const r of rows) expect(r.feasible).toBe(true);
    expect(rows[0].exact).toBe(true);
    expect(rows[0].shortfallKwh).toBeLessThan(1e-6);
  });
});
