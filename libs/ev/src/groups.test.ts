import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import loadHighs, { type Highs } from 'highs';
import { createRng } from '@zonal/core';
import { disaggregate } from './disaggregate';
import { Fleet } from './fleet';
import { anchoredEnvelopeGroups, type AnchoredEnvelope, type EnvelopeGrouping } from './groups';
import { aggregateEnvelope } from './region';
import { sampleDefaultFleet } from './sampling';
import { sessions } from './session';
import { DEFAULT_FLEET_PARAMS, ev } from './testing/fixtures';
import type { TimeGrid } from './types';

const hourly: TimeGrid = { periods: 24, dtH: 1 };
const GROUPINGS: EnvelopeGrouping[] = ['anchor', 'arrival', 'window', 'window-energy'];

describe('anchoredEnvelopeGroups', () => {
  const fleet = sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 600 }, createRng(7));
  const s = sessions(fleet, hourly);

  it.each(GROUPINGS)('%s: the groups partition the fleet, and each envelope sums exactly its schedulable members', (grouping) => {
    const groups = anchoredEnvelopeGroups(fleet, hourly, grouping);
    const seen = new Int32Array(fleet.size);
    for (const g of groups) {
      for (const i of g.evs!) seen[i]++;
      expect(g.envelope.evCount).toBe(Array.from(g.evs!).filter((i) => s.problem[i] === 0).length);
    }
    expect(Array.from(seen).every((n) => n === 1)).toBe(true);
  });

  it('window and window-energy: members share plug-in window, class and parameters; window-energy also the need in whole full-power periods', () => {
    const needPeriods = (i: number) => Math.floor(((fleet.socTarget[i] - fleet.socArrival[i]) * fleet.capacityKwh[i]) / (fleet.pChargeMaxKw[i] * hourly.dtH));
    const window = anchoredEnvelopeGroups(fleet, hourly, 'window');
    const fine = anchoredEnvelopeGroups(fleet, hourly, 'window-energy');
    for (const g of [...window, ...fine]) {
      const first = g.evs![0];
      for (const i of g.evs!) {
        expect([s.start[i], s.length[i], fleet.v2g[i], fleet.pChargeMaxKw[i]]).toEqual([s.start[first], s.length[first], fleet.v2g[first], fleet.pChargeMaxKw[first]]);
      }
    }
    for (const g of fine) expect(new Set(Array.from(g.evs!, needPeriods)).size).toBe(1);
    expect(fine.length).toBeGreaterThan(window.length);
  });
});

/**
 * The claim behind 'window-energy' (groups.ts): charge-only EVs alike in window, charger and need in
 * whole full-power periods sum exactly, so every point of their group's envelope is deliverable. Test:
 * push HiGHS to random vertices of the envelope (random costs), then disaggregate each exactly.
 */
describe('window-energy envelope of charge-only EVs: every vertex is deliverable', () => {
  let highs: Highs;
  beforeAll(async () => {
    highs = await loadHighs();
  });

  /** The envelope as an LP over its own (rotated) periods: c[τ] in [0, pMax], cumulative energy in [eMin, eMax]. */
  function envelopeVertex(g: AnchoredEnvelope, costs: number[]): Float64Array {
    const env = g.envelope, T = hourly.periods, rows: string[] = [], bounds: string[] = [];
    let stored = '';
    for (let tau = 0; tau < T; tau++) {
      bounds.push(`0 <= c_${tau} <= ${Math.max(0, env.pMaxKw[tau])}`);
      stored += ` + ${hourly.dtH} c_${tau}`;
      rows.push(`e_${tau}: ${stored} >= ${env.eMinKwh[tau + 1]}`, `f_${tau}: ${stored} <= ${env.eMaxKwh[tau + 1]}`);
    }
    const objective = costs.map((c, tau) => `${c >= 0 ? '+' : '-'} ${Math.abs(c)} c_${tau}`).join(' ');
    const r = highs.solve(`Minimize\n obj: ${objective}\nSubject To\n ${rows.join('\n ')}\nBounds\n ${bounds.join('\n ')}\nEnd\n`, { output_flag: false });
    if (r.Status !== 'Optimal') throw new Error(`envelope LP: ${r.Status}`);
    const day = new Float64Array(T);
    for (let tau = 0; tau < T; tau++) day[(tau + g.shiftPeriods) % T] = (r.Columns[`c_${tau}`] as { Primal: number }).Primal;
    return day;
  }

  it('for random charge-only EVs sharing a window, every group\'s vertices (20 random costs each)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 23 }), fc.integer({ min: 3, max: 14 }),
      fc.array(fc.integer({ min: 0, max: 84 }), { minLength: 2, maxLength: 10 }), fc.nat(),
      (start, length, halfKwh, seed) => {
        // Needs on a 0.5 kWh grid from 0 to what the stay allows (at most 0.7 of 60 kWh): often on
        // either side of a multiple of 7 kWh, in need or in room (need + 6 kWh to socMax).
        const most = Math.min(length * 7, 42);
        const fleet = Fleet.fromSpecs(halfKwh.map((h, i) => ev({ id: String(i), arrivalH: start, departureH: start + length, socArrival: 0.9 - Math.min(h / 2, most) / 60 })));
        const rng = createRng(seed);
        for (const g of anchoredEnvelopeGroups(fleet, hourly, 'window-energy')) {
          const members = Fleet.subset(fleet, g.evs!);
          for (let k = 0; k < 20; k++) {
            const vertex = envelopeVertex(g, Array.from({ length: 24 }, () => rng.next() * 2 - 1));
            expect(disaggregate(members, hourly, vertex).exact).toBe(true);
          }
        }
      },
    ), { numRuns: 40 });
  });

  it('is not exact across bins: needs of 1.5 and 0 full-power periods in one window (so they get two groups)', () => {
    // Two EVs parked 2 h at 7 kW: A needs 10.5 kWh, B none (6 kWh of room).
    const fleet = Fleet.fromSpecs([
      ev({ id: 'A', arrivalH: 0, departureH: 2, socArrival: 0.9 - 10.5 / 60 }),
      ev({ id: 'B', arrivalH: 0, departureH: 2, socArrival: 0.9 }),
    ]);
    expect(anchoredEnvelopeGroups(fleet, hourly, 'window').length).toBe(1);
    expect(anchoredEnvelopeGroups(fleet, hourly, 'window-energy').length).toBe(2);
    const [one] = anchoredEnvelopeGroups(fleet, hourly, 'window');
    // (13, 1) lies in the summed envelope (energy 13 then 14 kWh), but A can take at most 7 + 1.
    const aggregate = new Float64Array(24);
    aggregate[0] = 13;
    aggregate[1] = 1;
    let e = 0;
    for (let t = 0; t < 2; t++) {
      expect(aggregate[t]).toBeLessThanOrEqual(one.envelope.pMaxKw[t]);
      e += aggregate[t];
      expect(e).toBeGreaterThanOrEqual(one.envelope.eMinKwh[t + 1]);
      expect(e).toBeLessThanOrEqual(one.envelope.eMaxKwh[t + 1]);
    }
    expect(disaggregate(fleet, hourly, aggregate).exact).toBe(false);
  });
});

/**
 * anchoredEnvelopeGroups keys its EVs by numbers (TupleIds) and sums each group in one pass over
 * records laid out group by group. The straightforward way it replaces, kept here as the reference:
 * a Map keyed by the key joined into a string, then each group as a fleet of its own, rotated, and
 * aggregateEnvelope of it. Equal bit for bit, left-out EVs and their words included.
 */
describe('anchoredEnvelopeGroups equals the straightforward grouping', () => {
  function reference(fleet: Fleet, grid: TimeGrid, grouping: EnvelopeGrouping): AnchoredEnvelope[] {
    const T = grid.periods, dt = grid.dtH;
    const anchors = [0, T / 2, T / 4, (3 * T) / 4].filter((a) => Number.isInteger(a));
    const members = new Map<string, { shiftPeriods: number; evs: number[] }>();
    for (let i = 0; i < fleet.size; i++) {
      const start = Math.ceil(fleet.arrivalH[i] / dt - 1e-9);
      const length = Math.floor(fleet.departureH[i] / dt + 1e-9) - start;
      const arrival = ((start % T) + T) % T;
      let shiftPeriods = arrival;
      if (grouping === 'anchor') {
        const k = anchors.findIndex((b) => { const off = (((b - start) % T) + T) % T; return off === 0 || off >= length; });
        shiftPeriods = anchors[k < 0 ? 0 : k];
      }
      let key = `${shiftPeriods}/${fleet.v2g[i]}`;
      if (grouping === 'window' || grouping === 'window-energy') {
        const stepKwh = fleet.pChargeMaxKw[i] * (grouping === 'window-energy' ? dt : 0);
        const needKwh = (fleet.socTarget[i] - fleet.socArrival[i]) * fleet.capacityKwh[i];
        const roomKwh = (fleet.socMax[i] - fleet.socArrival[i]) * fleet.capacityKwh[i];
        const bins = stepKwh > 0 ? `${Math.floor(needKwh / stepKwh)}/${Math.floor(roomKwh / stepKwh)}` : '';
        key = [arrival, length, fleet.v2g[i], bins, fleet.capacityKwh[i], fleet.pChargeMaxKw[i], fleet.pDischargeMaxKw[i],
          fleet.eta[i], fleet.socMin[i], fleet.socMax[i], fleet.socTarget[i]].join('/');
      }
      let group = members.get(key);
      if (!group) members.set(key, group = { shiftPeriods, evs: [] });
      group.evs.push(i);
    }
    return [...members.values()].map(({ shiftPeriods, evs }) => {
      const rotated = Fleet.subset(fleet, evs);
      for (let k = 0; k < rotated.size; k++) {
        rotated.arrivalH[k] -= shiftPeriods * dt;
        rotated.departureH[k] -= shiftPeriods * dt;
      }
      return { envelope: aggregateEnvelope(rotated, grid), shiftPeriods, evs: Int32Array.from(evs) };
    });
  }

  /** Few distinct parameters (so groups hold many EVs), short stays and unreachable targets (left out). */
  function mixedFleet(seed: number, count: number): Fleet {
    const rng = createRng(seed);
    return Fleet.fromSpecs(Array.from({ length: count }, (_, i) => {
      const arrivalH = Math.floor(rng.next() * 96) / 4 + (rng.next() < 0.2 ? rng.next() * 0.25 : 0);
      const v2g = rng.next() < 0.3;
      return ev({
        id: `m${i}`, arrivalH, departureH: arrivalH + (rng.next() < 0.05 ? rng.next() : 1 + rng.next() * 20), v2g,
        capacityKwh: [40, 60][rng.int(2)], pChargeMaxKw: [3.7, 7][rng.int(2)], pDischargeMaxKw: v2g ? 7 : 0,
        socMin: 0.2, socMax: [0.9, 1][rng.int(2)], socArrival: [0.2, 0.3, 0.5, 0.85][rng.int(4)] + (rng.next() < 0.5 ? 0.05 * rng.next() : 0), socTarget: 0.9 - 0.1 * rng.int(2),
      });
    }));
  }

  it.each(GROUPINGS)('%s, on the default fleet and a mixed one, over three time grids', (grouping) => {
    const grids: TimeGrid[] = [hourly, { periods: 96, dtH: 0.25 }, { periods: 48, dtH: 0.5, startH: 20 }];
    for (const fleet of [sampleDefaultFleet({ ...DEFAULT_FLEET_PARAMS, count: 600 }, createRng(3)), mixedFleet(5, 500)]) {
      for (const grid of grids) expect(anchoredEnvelopeGroups(fleet, grid, grouping)).toEqual(reference(fleet, grid, grouping));
    }
  });
});
