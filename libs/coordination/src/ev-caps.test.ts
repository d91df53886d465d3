import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { decodeState, encodeState } from './checkpoint';
import { solveCentralised } from './centralised';
import { EV_CAP_MARGIN, ZoneCaps, zoneBranches } from './ev-caps';
import { buildSimSetup } from './harness';
import { inProcessZoneClients } from './in-process';
import { negotiate } from './negotiate';

afterAll(() => shutdownSolver());

describe('the DSO\'s caps on the branches only one zone\'s EVs load (ev-caps.ts)', async () => {
  const setup = await buildSimSetup(loadScenario('default'));
  const net = setup.inputs.net;
  const idAt = (pos: number) => setup.feeder.buses[pos].id;
  const branches = zoneBranches(setup);
  // Every bus where a zone's EVs are, by the definition: a share of the zone's flexibility there.
  const evBuses = setup.zones.map((z) => z.flexible.busShares.filter((b) => b.share.some((v) => v > 0)).map((b) => b.busPos));
  const above = (pos: number) => { const path: number[] = []; for (let p = pos; p >= 0 && p !== net.slackPos; p = net.parentPos[p]) path.push(p); return path; };

  it('are on exactly the branches whose downstream holds one zone\'s EVs: the default\'s laterals, no tie-line', () => {
    expect(branches.map((list) => list.map((b) => idAt(b.busPos)).sort((a, b) => a - b))).toEqual([
      [19, 20, 21, 22, 23, 24, 25], [26, 27, 28, 29, 30, 31, 32, 33], [], [13, 14, 15, 16, 17, 18],
    ]);
    // By walking each EV bus's path to the substation: a branch is a zone's when the EVs of that
    // zone, and of no other, pass through it; its buses are that zone's EV buses at or below it.
    branches.forEach((list, k) => list.forEach((br) => {
      const through = evBuses.map((buses) => buses.filter((b) => above(b).includes(br.busPos)));
      through.forEach((buses, other) => { if (other !== k) expect(buses, `zone ${setup.zones[other].id} under bus ${idAt(br.busPos)}`).toEqual([]); });
      expect(br.buses).toEqual(through[k].map(idAt).sort((a, b) => a - b));
    }));
  });

  const oracle = await solveCentralised(setup);
  const point = oracle.dispatch;
  const zone1 = setup.zones.findIndex((z) => z.id === 1);
  const into22 = branches[zone1].findIndex((b) => idAt(b.busPos) === 22);

  it('join a zone\'s signal only once its answer\'s EVs come near one, and stay', () => {
    const caps = new ZoneCaps(setup);
    caps.update(point);
    expect(setup.zones.map((_z, k) => caps.of(k).length)).toEqual([0, 0, 0, 0]);
    // Zone 1 answers with its whole EV power at bus 22, the end of its lateral.
    const atEnd = setup.zones.map((_z, k) => (k === zone1 ? { busEvKw: [{ bus: 22, kw: point.flexKw[zone1] }] } : null));
    caps.update(point, atEnd);
    const joined = caps.of(zone1).map((c) => c.buses.join(','));
    expect(joined).toEqual(expect.arrayContaining(['22', '21,22', '20,21,22', '19,20,21,22']));
    expect(joined).not.toContain('23,24,25');
    caps.update(point, setup.zones.map(() => null));
    expect(caps.of(zone1).map((c) => c.buses.join(','))).toEqual(joined);
  });

  it('leave the zone\'s EVs below a branch what its rating, as the LP\'s polygon holds it, less everything else there', () => {
    const caps = new ZoneCaps(setup);
    caps.update(point, setup.zones.map((_z, k) => (k === zone1 ? { busEvKw: [{ bus: 22, kw: point.flexKw[zone1] }] } : null)));
    const cap = caps.of(zone1).find((c) => c.buses.join(',') === '22')!;
    const br = branches[zone1][into22];
    const sides = setup.inputs.scenario.network.lineRating.polygonSides;
    let checked = 0;
    for (let t = 0; t < setup.inputs.grid.periods; t++) {
      if (!Number.isFinite(cap.maxKw[t])) continue;
      const p = point.acBranchPKw[t][br.busPos], kva = point.acBranchKva[t][br.busPos];
      const q = Math.sqrt(Math.max(0, kva * kva - p * p));
      const s = setup.inputs.sMaxKva[br.busPos];
      // The polygon's most active power at that reactive flow, by bisection on its sides (dispatch limits.ts).
      const inside = (x: number) => Array.from({ length: sides }, (_, k) => ((2 * k + 1) * Math.PI) / sides)
        .every((th) => Math.cos(th) * x + Math.abs(Math.sin(th)) * q <= s * Math.cos(Math.PI / sides) + 1e-9);
      let lo = 0, hi = s;
      for (let i = 0; i < 100; i++) { const mid = (lo + hi) / 2; if (inside(mid)) lo = mid; else hi = mid; }
      const others = p - br.shareBelow[t] * point.flexKw[zone1][t];
      expect(cap.maxKw[t]).toBeCloseTo(lo * (1 - EV_CAP_MARGIN) - others, 6);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('survive a restart: a snapshot read back gives the same caps; a malformed one is refused', () => {
    const caps = new ZoneCaps(setup);
    caps.update(point, setup.zones.map((_z, k) => (k === zone1 ? { busEvKw: [{ bus: 22, kw: point.flexKw[zone1] }] } : null)));
    const resumed = new ZoneCaps(setup);
    resumed.restore(decodeState(encodeState(caps.snapshot()), 'checkpoint'));
    setup.zones.forEach((_z, k) => expect(resumed.of(k)).toEqual(caps.of(k)));
    expect(() => resumed.restore({ active: [[99], [], [], []], caps: [[], [], [], []] })).toThrow(/evCaps/);
    expect(() => resumed.restore({ active: [] })).toThrow(/evCaps/);
  });

  it('let the default scenario agree on a point its EVs deliver, with no re-plan; without them the DSO re-plans', async () => {
    const withCaps = await negotiate(setup, inProcessZoneClients(setup));
    expect(withCaps.converged).toBe(true);
    expect(withCaps.deliveryChecks).toEqual([]);
    expect(withCaps.evaluation.dispatch.acCheck.violations).toEqual([]);
    expect(Math.abs(withCaps.evaluation.totalCostYuan - oracle.totalCostYuan) / oracle.totalCostYuan).toBeLessThan(0.005);
    // The result names the caps as they stood: zone 1's lateral 19-22, each bounding some periods.
    expect(withCaps.evCaps.some((c) => c.zoneId === 1 && c.buses.includes(22))).toBe(true);
    for (const c of withCaps.evCaps) {
      expect(c.periods).toBeGreaterThan(0);
      expect(Number.isFinite(c.minKw)).toBe(true);
    }
    const off = structuredClone(setup.scenario);
    off.negotiation.admm.evCaps = false;
    const without = await negotiate({ ...setup, scenario: off }, inProcessZoneClients(setup));
    expect(without.converged).toBe(true);
    expect(without.deliveryChecks.length).toBeGreaterThan(0);
    expect(without.evCaps).toEqual([]);
    expect(without.rounds.length).toBeGreaterThan(withCaps.rounds.length);
  });
});
