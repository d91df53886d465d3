import { afterAll, describe, expect, it } from 'vitest';
import { runDispatch } from '@zonal/dispatch';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { addZoneTerms, solveCentralised } from './centralised';
import { clearingZones, coarsenGroups, coarserGroups, CLEARING_GROUP_BUDGET } from './clearing-groups';
import { buildSimSetup } from './harness';
import type { ZoneSetup } from './setup';

afterAll(() => shutdownSolver());

describe('the clearing over coarser groups (an outer approximation of the announced ones)', async () => {
  const setup = await buildSimSetup(loadScenario('small-test'));
  const exact = await solveCentralised(setup);
  const levels = ['window', 'arrival', 'day'] as const;
  const zonesAt = (level: (typeof levels)[number]): ZoneSetup[] => setup.zones.map((z) => {
    let groups = z.bid.envelopeGroups;
    for (const l of levels.slice(0, levels.indexOf(level) + 1)) groups = coarserGroups(l, groups, z.bid.grid);
    return { ...z, bid: { ...z.bid, envelopeGroups: groups } };
  });

  it('keeps every zone as announced within the budget, and coarsens each zone to its share beyond it', () => {
    expect(setup.zones.reduce((a, z) => a + z.bid.envelopeGroups.length, 0)).toBeLessThanOrEqual(CLEARING_GROUP_BUDGET);
    for (const c of clearingZones(setup.zones)) expect(c.level).toBe('announced');
    const counts = setup.zones.map((z) => z.bid.envelopeGroups.length);
    // A budget of 2 a zone: every zone ends at 'day', one group per V2G enrolment.
    for (const c of clearingZones(setup.zones, 2 * setup.zones.length)) {
      expect(c.level).toBe('day');
      expect(c.zone.bid.envelopeGroups.length).toBeLessThanOrEqual(2);
    }
    const z = setup.zones[0];
    const window = coarserGroups('window', z.bid.envelopeGroups, z.bid.grid);
    expect(window.length).toBeLessThan(counts[0]);
    expect(coarsenGroups(z.bid.envelopeGroups, z.bid.grid, window.length)).toMatchObject({ level: 'window', groups: window });
    expect(coarsenGroups(z.bid.envelopeGroups, z.bid.grid, counts[0]).level).toBe('announced');
  });

  it('keeps each zone\'s EV count, its power bounds per day period and V2G groups apart from charge-only ones', () => {
    for (const level of levels) {
      setup.zones.forEach((z, k) => {
        const coarse = zonesAt(level)[k].bid.envelopeGroups;
        const sum = (gs: typeof coarse, f: 'pMinKw' | 'pMaxKw') => {
          const out = new Float64Array(z.bid.grid.periods);
          for (const g of gs) g.envelope[f].forEach((v, tau) => { out[(tau + g.shiftPeriods) % out.length] += v; });
          return out;
        };
        expect(coarse.reduce((a, g) => a + g.envelope.evCount, 0), `zone ${z.id} at ${level}`).toBe(z.evCount);
        for (const f of ['pMinKw', 'pMaxKw'] as const) {
          const [a, b] = [sum(coarse, f), sum(z.bid.envelopeGroups, f)];
          a.forEach((v, t) => expect(v, `zone ${z.id} at ${level}: ${f}[${t}]`).toBeCloseTo(b[t], 9));
        }
        // A merged group discharges only if all it holds can: a V2G group never took a charge-only one in.
        const v2gEvs = z.bid.envelopeGroups.filter((g) => g.envelope.pMinKw.some((p) => p < 0)).reduce((a, g) => a + g.envelope.evCount, 0);
        expect(coarse.filter((g) => g.envelope.pMinKw.some((p) => p < 0)).reduce((a, g) => a + g.envelope.evCount, 0)).toBe(v2gEvs);
      });
    }
  });

  for (const level of levels) {
    it(`at ${level}: the exact clearing's schedule fits the coarse groups, and their clearing costs no more`, async () => {
      const zones = zonesAt(level);
      // What the announced groups deliver (the exact optimum's zone powers), held fixed: still feasible.
      // (runDispatch throws on an infeasible model, naming the rows.)
      const held = await runDispatch(setup.inputs, {
        flexible: setup.zones.map((z) => z.flexible),
        extend: (built) => zones.forEach((z, k) => {
          addZoneTerms(built, z, k);
          exact.zoneEvKw[k].forEach((v, t) => built.model.setColBounds(built.vars.flexKw[k].at(t), v - 1e-6, v + 1e-6));
        }),
      });
      expect(held.flexKw[0][0]).toBeCloseTo(exact.zoneEvKw[0][0], 5);
      // A relaxation: its optimum is at most the exact one (SPEC §8 total, 1e-9 relative slack for the solver).
      const coarse = await runDispatch(setup.inputs, { flexible: setup.zones.map((z) => z.flexible), extend: (built) => zones.forEach((z, k) => addZoneTerms(built, z, k)) });
      expect(coarse.objective).toBeLessThanOrEqual(exact.dispatch.objective * (1 + 1e-9));
    });
  }
});
