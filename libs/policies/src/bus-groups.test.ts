import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { Fleet, type EvSpec } from '@zonal/ev';
import { LpExporter, ModelBuilder, shutdownSolver, solve } from '@zonal/solver';
import { busGroupsOf } from './bus-groups';
import { directControl } from './direct-control/direct-control';
import type { DsoSignal } from './policy';
import { zoneProblemOf } from './testing';

afterAll(() => shutdownSolver());
const grid = { periods: 24, dtH: 1 };
// Cheap 0-8, dear 8-12 and 17-22, middling otherwise: EVs parked 6-20 want 6 and 7, then 12-16.
const tou = Float64Array.from({ length: 24 }, (_, h) => (h < 8 ? 0.35 : (h >= 8 && h < 12) || (h >= 17 && h < 22) ? 1.12 : 0.68));
const ctx = { exporter: new LpExporter(undefined), rng: createRng(1) };

function ev(id: string, bus: number, over: Partial<EvSpec> = {}): EvSpec {
  return {
    id, bus, arrivalH: 6, departureH: 20, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.5, socTarget: 0.9, v2g: false, ...over,
  };
}

// Three EVs at bus 5 and three at bus 7 of the same window and need: one group zone-wide.
const specs = [ev('a', 5), ev('b', 5), ev('c', 5, { socArrival: 0.45 }), ev('d', 7), ev('e', 7), ev('f', 7, { v2g: true })];
const base = new Float64Array(24).fill(20);
const zone = zoneProblemOf(Fleet.fromSpecs(specs), grid, base, { tariffYuanPerKwh: tou, peakTieBreakYuanPerKw: 0 });

/**
 * The per-EV LP written out by hand, independently of the envelope and group code: each EV's
 * battery-side charge, discharge and stored energy per plugged period, its target at departure, the
 * zone's bill at the tariff plus degradation, and the cap on the grid-side power of the EVs at `capBus`.
 */
async function perEvOptimum(capBus: number, capKw: number): Promise<number> {
  const m = new ModelBuilder('perEvCapped');
  const capTerms = Array.from({ length: 24 }, () => ({ cols: [] as number[], coefs: [] as number[] }));
  specs.forEach((s, i) => {
    const arrive = Math.ceil(s.arrivalH), L = Math.floor(s.departureH) - arrive;
    const e = m.addVars(`E${i}`, [L + 1], () => ({ lb: s.socMin * s.capacityKwh, ub: s.socMax * s.capacityKwh }));
    const c = m.addVars(`C${i}`, [L], { lb: 0, ub: s.pChargeMaxKw });
    const d = m.addVars(`D${i}`, [L], { lb: 0, ub: s.v2g ? s.pDischargeMaxKw : 0 });
    m.addConstraint('arrive', [i], [e.at(0)], [1], '=', s.socArrival * s.capacityKwh);
    m.addConstraint('target', [i], [e.at(L)], [1], '>=', s.socTarget * s.capacityKwh);
    for (let k = 0; k < L; k++) {
      const t = (arrive + k) % 24;
      m.addConstraint('soc', [i, k], [e.at(k + 1), e.at(k), c.at(k), d.at(k)], [1, -1, -1, 1], '=', 0);
      m.setObjectiveCoef(c.at(k), tou[t] / s.eta);
      m.setObjectiveCoef(d.at(k), -tou[t] * s.eta + zone.degradationYuanPerKwh);
      if (s.bus === capBus) {
        capTerms[t].cols.push(c.at(k), d.at(k));
        capTerms[t].coefs.push(1 / s.eta, -s.eta);
      }
    }
  });
  capTerms.forEach((row, t) => { if (row.cols.length) m.addConstraint('cap', [t], row.cols, row.coefs, '<=', capKw); });
  m.addObjectiveConstant(base.reduce((a, b, t) => a + b * tou[t], 0));
  return (await solve(m)).objective;
}

describe('a zone under the DSO\'s caps on the EVs at some of its buses (bus-groups.ts, zone-model.ts)', () => {
  it('splits its groups by the capped buses only: every EV in one group, a capped bus\'s groups holding its EVs alone', () => {
    const split = busGroupsOf(zone, [5]);
    expect(busGroupsOf(zone, [5, 5])).toBe(split); // built once per fleet and set of buses
    const seen = new Int32Array(specs.length);
    split.groups.forEach((g, k) => g.evs!.forEach((i) => {
      seen[i]++;
      if (split.busOf[k] === 5) expect(zone.fleet.bus[i]).toBe(5);
      else expect(split.busOf[k]).toBe(-1);
    }));
    expect(Array.from(seen)).toEqual(specs.map(() => 1));
    expect(split.groups.filter((_g, k) => split.busOf[k] === -1).flatMap((g) => Array.from(g.evs!)).every((i) => zone.fleet.bus[i] === 7)).toBe(true);
  });

  it('keeps its EVs at a capped bus within the cap, at the per-EV LP\'s optimum with that cap (1e-7)', async () => {
    const capKw = 8;
    const signal: DsoSignal = { round: 1, evCaps: [{ buses: [5], maxKw: new Float64Array(24).fill(capKw) }] };
    const free = await directControl.respond(zone, { round: 1 }, ctx);
    const capped = await directControl.respond(zone, signal, ctx);
    const at5 = (a: typeof free) => a.busEvKw!.find((b) => b.bus === 5)!.kw;
    // Uncapped, bus 5's three EVs draw 3 x 7.4 kW in the cheap hours 6 and 7: the cap binds.
    expect(Math.max(...at5(free))).toBeGreaterThan(capKw + 1);
    for (let t = 0; t < 24; t++) expect(at5(capped)[t], `period ${t}`).toBeLessThanOrEqual(capKw + 1e-6);
    // Its optimum is the per-EV LP's with the cap written on the EVs themselves.
    const reference = await perEvOptimum(5, capKw);
    expect(Math.abs(capped.objective - reference) / reference).toBeLessThan(1e-7);
    expect(capped.objective).toBeGreaterThan(free.objective + 1e-3);
    expect(capped.delivery.evsFeasible).toBe(specs.length);
  });

  it('answers as without it when the cap cannot bind', async () => {
    const free = await directControl.respond(zone, { round: 1 }, ctx);
    const loose = await directControl.respond(zone, { round: 1, evCaps: [{ buses: [5], maxKw: new Float64Array(24).fill(1000) }] }, ctx);
    expect(Math.abs(loose.objective - free.objective)).toBeLessThan(1e-9 * free.objective);
  });
});
