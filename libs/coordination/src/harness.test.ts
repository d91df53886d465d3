import { afterAll, describe, expect, it } from 'vitest';
import { scenarioFleet } from '@zonal/dispatch';
import { aggregateEnvelope, Fleet } from '@zonal/ev';
import { loadScenario, timeGrid } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup, excludedEvMessages } from './harness';

afterAll(() => shutdownSolver());

describe('buildSimSetup of the small-test scenario: the zone parties', async () => {
  const small = loadScenario('small-test');
  const sim = await buildSimSetup(small);
  const grid = timeGrid(small);
  const whole = scenarioFleet(small, sim.feeder);

  it('are the DSO\'s zones, in its order, each with its own zone file\'s id, buses and settings', () => {
    expect(sim.parties.map((p) => [p.config.id, p.config.buses])).toEqual(sim.zones.map((z) => [z.id, z.buses]));
    for (const p of sim.parties) {
      expect(p.config).toMatchObject({ seed: small.seed, envelopeGrouping: small.zones.envelopeGrouping, policy: { name: small.zones.policy } });
      expect(p.policy.name).toBe(small.zones.policy);
      expect(p.problem.zoneId).toBe(p.config.id);
    }
  });

  it('give each zone exactly the EVs parked at its buses, and together are the scenario\'s whole fleet', () => {
    for (const p of sim.parties) {
      const buses = new Set(p.config.buses), fleet = p.problem.fleet;
      for (let i = 0; i < fleet.size; i++) expect(buses.has(fleet.bus[i]), `zone ${p.config.id}: EV ${fleet.id[i]} at bus ${fleet.bus[i]}`).toBe(true);
    }
    expect(whole.size).toBe(small.evFleet.count);
    const specs = sim.parties.flatMap((p) => Fleet.toSpecs(p.problem.fleet));
    expect(specs.map((ev) => ev.id).sort()).toEqual([...whole.id].sort());
    // The same EVs, not just the same ids: every field as the scenario sampled it.
    const byId = new Map(Fleet.toSpecs(whole).map((ev) => [ev.id, ev]));
    for (const ev of specs) expect(ev, `EV ${ev.id}`).toEqual(byId.get(ev.id));
  });

  it('have envelopes (each summed over its own EVs) that add up to the whole fleet\'s, field by field', () => {
    // The envelope is a sum over EVs, so the zones' must sum to the fleet's (a bug in zone
    // membership would lose or double some EV).
    const env = aggregateEnvelope(whole, grid);
    expect(sim.parties.reduce((a, p) => a + p.problem.envelope.evCount, 0)).toBe(env.evCount);
    expect(excludedEvMessages(sim)).toHaveLength(env.excluded.length);
    for (const field of ['pMinKw', 'pMaxKw', 'pChargeMaxGridKw', 'pDischargeMaxGridKw', 'eMinKwh', 'eMaxKwh'] as const) {
      env[field].forEach((v, t) => {
        const sum = sim.parties.reduce((a, p) => a + p.problem.envelope[field][t], 0);
        expect(Math.abs(sum - v), `${field}[${t}]`).toBeLessThan(1e-9 * Math.max(1, Math.abs(v)));
      });
    }
  });

  it('split each fleet into envelope groups that name every EV once, and announce their counts only', () => {
    sim.parties.forEach((p, k) => {
      const named = p.problem.envelopeGroups.flatMap((g) => Array.from(g.evs!)).sort((a, b) => a - b);
      expect(named, `zone ${p.config.id}`).toEqual(Array.from({ length: p.problem.fleet.size }, (_, i) => i));
      expect(sim.zones[k].bid.envelopeGroups.map((g) => g.envelope.evCount)).toEqual(p.problem.envelopeGroups.map((g) => g.envelope.evCount));
      expect([sim.zones[k].evCount, sim.zones[k].evsLeftOut]).toEqual([p.problem.envelope.evCount, p.excluded.length]);
    });
  });

  it('list the EVs they leave out by zone, with why', () => {
    const messages = excludedEvMessages(sim);
    expect(messages).toEqual(sim.parties.flatMap((p) => p.excluded.map((e) => `zone ${p.config.id}: ${e.message}`)));
    for (const m of messages) expect(m).toMatch(/^zone \d+: \S/);
  });
});
