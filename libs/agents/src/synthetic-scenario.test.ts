import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSimSetup } from '@zonal/coordination';
import { buildRadialNetwork, loadFeeder, makeSyntheticFeeder, runPowerFlow, type Feeder } from '@zonal/feeder';
import { loadScenario } from '@zonal/scenario';
import { subtreeZones, syntheticNegotiationScenario, syntheticZoneTimeoutMs } from './synthetic-scenario';

const bus = (id: number) => ({ id, baseKv: 12.66, pdKw: 10, qdKvar: 5, isSlack: id === 1, vmSetPu: 1 });
const line = (from: number, to: number) => ({ from, to, rOhm: 0.1, xOhm: 0.1, inService: true });

/** Connected by a breadth-first search over the zone's own branches: independent of the BFS tree. */
function connected(feeder: Feeder, zone: number[]): boolean {
  const inZone = new Set(zone);
  const seen = new Set([zone[0]]);
  const queue = [zone[0]];
  while (queue.length) {
    const b = queue.pop()!;
    for (const br of feeder.branches) {
      const other = br.from === b ? br.to : br.to === b ? br.from : null;
      if (other !== null && inZone.has(other) && !seen.has(other)) { seen.add(other); queue.push(other); }
    }
  }
  return seen.size === zone.length;
}

describe('subtreeZones', () => {
  it('cuts a 7-bus tree into the zones worked out by hand', () => {
    // 1–2–3–4, 2–5–6, 1–7. Breadth-first order 1,2,7,3,5,4,6; subtree sizes 7,5,1,2,2,1,1.
    // Target 7/3: buses 3 and 5 (size 2) tie, 3 comes first → {3,4}. Then target 5/2: bus 2 (3 left
    // under it) and bus 5 (2) tie at 0.5, bus 2 first → {2,5,6}. The slack keeps {1,7}.
    const feeder: Feeder = {
      name: 'hand7', baseMva: 10, baseKv: 12.66, buses: [1, 2, 3, 4, 5, 6, 7].map(bus),
      branches: [line(1, 2), line(2, 3), line(3, 4), line(2, 5), line(5, 6), line(1, 7)],
    };
    expect(subtreeZones(buildRadialNetwork(feeder), 3)).toEqual([[3, 4], [2, 5, 6], [1, 7]]);
  });

  it('gives exactly the requested number of connected zones covering every bus once', () => {
    for (const [buses, count, seed] of [[50, 5, 1], [300, 20, 2], [1000, 20, 20251123], [40, 40, 3]]) {
      const feeder = makeSyntheticFeeder({ buses, seed });
      const zones = subtreeZones(buildRadialNetwork(feeder), count);
      expect(zones, `${buses} buses, ${count} zones`).toHaveLength(count);
      expect(zones.flat().sort((a, b) => a - b)).toEqual(feeder.buses.map((b) => b.id));
      zones.forEach((z, k) => expect(connected(feeder, z), `zone ${k + 1} of ${buses} buses`).toBe(true));
    }
  });

  it('refuses a zone count the feeder cannot hold', () => {
    const net = buildRadialNetwork(makeSyntheticFeeder({ buses: 10, seed: 1 }));
    expect(() => subtreeZones(net, 11)).toThrow(/zones: must be an integer in \[1, 10\], got 11/);
  });
});

describe('syntheticNegotiationScenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zonal-synthetic-'));
  const opts = { buses: 120, zones: 6, evs: 2000, seed: 7, dir };
  const syn = syntheticNegotiationScenario(opts);
  const base = loadScenario('default');
  const baseLoadKw = loadFeeder(base.network.case).buses.reduce((a, b) => a + b.pdKw, 0);

  it('scales the feeder to the default EV penetration without changing any per-unit voltage', () => {
    expect(syn.loadKw / opts.evs).toBeCloseTo(baseLoadKw / base.evFleet.count, 9);
    // Loads × k and impedances ÷ k leave the AC power flow's voltages unchanged (Z/k · k·I).
    const solve = (f: Feeder) => runPowerFlow(buildRadialNetwork(f), Float64Array.from(f.buses, (b) => b.pdKw), Float64Array.from(f.buses, (b) => b.qdKvar));
    const generated = solve(makeSyntheticFeeder({ buses: opts.buses, seed: opts.seed }));
    const scaled = solve(syn.feeder);
    const k = syn.loadKw / syn.generatedLoadKw;
    expect(Math.abs(k - 1), 'a scaling that changes something').toBeGreaterThan(0.5);
    scaled.vmPu.forEach((v, j) => expect(Math.abs(v - generated.vmPu[j]), `bus position ${j}`).toBeLessThan(1e-9));
    expect(scaled.lossKw / k).toBeCloseTo(generated.lossKw, 6);
  });

  it('scales the substation rating with the load (the default\'s is sized for IEEE-33\'s)', () => {
    expect(syn.scenario.network.substation!.ratingKva).toBeCloseTo(base.network.substation!.ratingKva * (syn.loadKw / baseLoadKw), 6);
  });

  it('gives its zones a timeout that grows with the fleet (1 s per 1 000 EVs, the default\'s at least, 600 s at most)', () => {
    expect(syn.scenario.negotiation.zoneTimeoutMs).toBe(Math.max(base.negotiation.zoneTimeoutMs, opts.evs));
    expect(syntheticZoneTimeoutMs(10_000, 100_000)).toBe(100_000);
    expect(syntheticZoneTimeoutMs(10_000, 3_000)).toBe(10_000);
    expect(syntheticZoneTimeoutMs(10_000, 1_000_000)).toBe(600_000);
  });

  it('places the default DERs on existing non-slack buses, scaled with the load', () => {
    const ratio = syn.loadKw / baseLoadKw;
    const ids = new Set(syn.feeder.buses.filter((b) => !b.isSlack).map((b) => b.id));
    const { pv, wind, diesel } = syn.scenario.ders;
    for (const u of [...pv, ...wind, ...diesel]) expect(ids.has(u.bus), `DER at bus ${u.bus}`).toBe(true);
    const total = (us: ReadonlyArray<{ pMaxKw: number }>) => us.reduce((a, u) => a + u.pMaxKw, 0);
    expect(total(pv)).toBeCloseTo(total(base.ders.pv) * ratio, 6);
    expect(total(wind)).toBeCloseTo(total(base.ders.wind) * ratio, 6);
    expect(total(diesel)).toBeCloseTo(total(base.ders.diesel) * ratio, 6);
    // 13 PV units on IEEE-33's 32 non-slack buses → round(13 × 119 / 32) = 48 here, on distinct buses.
    expect(pv).toHaveLength(48);
    expect(new Set(pv.map((u) => u.bus)).size).toBe(48);
  });

  it('is a scenario the negotiation builds: its zones, its fleet, one tie line per cut', async () => {
    expect(syn.scenario.network.case).toBe(syn.casePath);
    expect(syn.scenario.evFleet.count).toBe(opts.evs);
    const setup = await buildSimSetup(syn.scenario);
    expect(setup.zones).toHaveLength(opts.zones);
    expect(setup.parties.reduce((a, p) => a + p.problem.fleet.size, 0)).toBe(opts.evs);
    // Cutting a tree into z connected parts cuts exactly z − 1 branches.
    expect(setup.tieLines).toHaveLength(opts.zones - 1);
    expect(syntheticNegotiationScenario(opts).scenario).toEqual(syn.scenario);
  });
});

describe('syntheticNegotiationScenario with several feeders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zonal-synthetic-multi-'));
  const opts = { feeders: 3, buses: 40, zones: 6, evs: 1500, seed: 11, dir };
  const syn = syntheticNegotiationScenario(opts);
  const solve = (f: Feeder) => runPowerFlow(buildRadialNetwork(f), Float64Array.from(f.buses, (b) => b.pdKw), Float64Array.from(f.buses, (b) => b.qdKvar));

  it('hangs the feeders under one substation bus, each keeping its own voltages', () => {
    expect(syn.feeder.buses).toHaveLength(1 + 3 * 40);
    expect(syn.feeder.branches).toHaveLength(3 * 40);
    expect(syn.feeder.buses.filter((b) => b.isSlack).map((b) => b.id)).toEqual([1]);
    expect(syn.feeder.branches.filter((br) => br.from === 1).length).toBeGreaterThanOrEqual(3);
    // The slack holds every head's voltage: each feeder's AC voltages are those of the feeder alone.
    const joined = solve(syn.feeder);
    const k = syn.loadKw / syn.generatedLoadKw;
    for (let f = 0; f < 3; f++) {
      const alone = makeSyntheticFeeder({ buses: 41, seed: 11 + f });
      const scaled = { ...alone, buses: alone.buses.map((b) => ({ ...b, pdKw: b.pdKw * k, qdKvar: b.qdKvar * k })), branches: alone.branches.map((br) => ({ ...br, rOhm: br.rOhm / k, xOhm: br.xOhm / k })) };
      const own = solve(scaled);
      for (let i = 1; i <= 40; i++) expect(Math.abs(joined.vmPu[f * 40 + i] - own.vmPu[i]), `feeder ${f + 1} bus ${i + 1}`).toBeLessThan(1e-6);
    }
  });

  it('scales the substation rating with the load and cuts connected zones over every bus', () => {
    const base = loadScenario('default');
    const baseLoadKw = loadFeeder(base.network.case).buses.reduce((a, b) => a + b.pdKw, 0);
    expect(syn.scenario.network.substation!.ratingKva).toBeCloseTo(base.network.substation!.ratingKva * (syn.loadKw / baseLoadKw), 6);
    const zones = syn.scenario.zones.buses!;
    expect(zones).toHaveLength(6);
    expect(zones.flat().sort((a, b) => a - b)).toEqual(syn.feeder.buses.map((b) => b.id));
    zones.forEach((z, i) => expect(connected(syn.feeder, z), `zone ${i + 1}`).toBe(true));
    expect(syn.scenario.name).toBe('synthetic-3x40');
  });
});
