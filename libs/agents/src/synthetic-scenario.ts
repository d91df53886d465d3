/**
 * A negotiation scenario on a seeded synthetic feeder, for benchmarks at scale (the negotiation issue,
 * item 6: a 1 000-bus feeder, 20 zones, 100 000 EVs). It extends the default scenario: the same
 * profiles, tariff, carbon ladder, fleet laws and negotiation settings; the feeder, the DERs, the fleet
 * size and the zones change. The feeder is written as a MATPOWER file so the scenario is an ordinary
 * one (`network.case` is that file's path) that `zonal sim` could run too.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@zonal/core';
import { buildRadialNetwork, loadFeeder, makeSyntheticFeeder, writeMatpower, type Feeder, type RadialNetwork } from '@zonal/feeder';
import { subtreeZones } from '@zonal/partition';
import { loadScenario, parseScenario, type Scenario } from '@zonal/scenario';

// The synthetic scenario's zones: equal subtrees (libs/partition), exported here as before.
export { subtreeZones };

export interface SyntheticScenarioOptions {
  /** Buses of the feeder; with `feeders`, of each feeder, not counting the substation bus they share. */
  buses: number;
  /**
   * Radial feeders under one substation (slack) bus, each a seeded synthetic feeder of `buses` buses
   * besides it (seeds `seed`, `seed + 1`, …). Default: one feeder of `buses` buses, slack included
   * (the 1 000-bus case). Either way the substation's rating follows the load.
   */
  feeders?: number;
  zones: number;
  evs: number;
  /** Seeds the feeder, the DER placement and (as the scenario seed) the fleet. */
  seed: number;
  /** Where the MATPOWER file is written (default: a `zonal-bench` folder in the OS temp dir). */
  dir?: string;
}

export interface SyntheticScenario {
  scenario: Scenario;
  /** The feeder as the scenario loads it (read back from the written file). */
  feeder: Feeder;
  casePath: string;
  /** Peak base load before and after matching the default's EV penetration (kW). */
  generatedLoadKw: number;
  loadKw: number;
}

/**
 * Builds the scenario. The synthetic feeder's load is whatever its design voltage drop allows (4–23 MW
 * at 1 000 buses, by seed), while 100 000 default-fleet EVs need ≈ 540 MWh a day, three times such a
 * feeder's own energy: the network would be nothing but overloads. So the feeder is scaled to the
 * default scenario's EV penetration (EVs per kW of peak load): loads × k and impedances ÷ k, which
 * keeps every per-unit voltage drop and the loss share as generated (a feeder of k× the customers on
 * k× the conductor), so the negotiation meets the same physics per EV as on IEEE-33.
 */
export function syntheticNegotiationScenario(opts: SyntheticScenarioOptions): SyntheticScenario {
  const base = loadScenario('default');
  const baseFeeder = loadFeeder(base.network.case);
  const baseLoadKw = totalLoadKw(baseFeeder);
  const feeders = opts.feeders ?? 1;
  const generated = feeders === 1
    ? makeSyntheticFeeder({ buses: opts.buses, seed: opts.seed, name: `synthetic${opts.buses}_seed${opts.seed}` })
    : joinAtSubstation(Array.from({ length: feeders }, (_, f) => makeSyntheticFeeder({ buses: opts.buses + 1, seed: opts.seed + f })), `synthetic${feeders}x${opts.buses}_seed${opts.seed}`);
  const generatedLoadKw = totalLoadKw(generated);
  const k = (opts.evs / base.evFleet.count) * baseLoadKw / generatedLoadKw;
  const scaled = scaleFeeder(generated, k);

  const dir = opts.dir ?? join(tmpdir(), 'zonal-bench');
  mkdirSync(dir, { recursive: true });
  const casePath = join(dir, `${scaled.name}_x${opts.evs}ev.m`);
  writeFileSync(casePath, writeMatpower(scaled));
  const feeder = loadFeeder(casePath);
  const loadKw = totalLoadKw(feeder);

  const net = buildRadialNetwork(feeder);
  const { substation } = base.network;
  const scenario = parseScenario({
    ...base,
    name: feeders === 1 ? `synthetic-${opts.buses}` : `synthetic-${feeders}x${opts.buses}`,
    description: feeders === 1
      ? `Seeded synthetic ${opts.buses}-bus feeder (seed ${opts.seed}) at the default's EV penetration, its substation rating scaled with the load, ${opts.evs} EVs, ${opts.zones} subtree zones; everything else as the default scenario.`
      : `${feeders} seeded synthetic feeders of ${opts.buses} buses under one substation (seeds ${opts.seed}…${opts.seed + feeders - 1}) at the default's EV penetration, its rating scaled with the load, ${opts.evs} EVs, ${opts.zones} subtree zones; everything else as the default scenario.`,
    seed: opts.seed,
    network: {
      ...base.network, case: casePath,
      // The default's transformer is sized for IEEE-33's load: left as it is, a 1 000-bus feeder's
      // substation ran at 26 times its rating in every period (a 22.7 M yuan penalty on a 1.9 M yuan day).
      ...(substation?.ratingKva !== undefined ? { substation: { ...substation, ratingKva: substation.ratingKva * (loadKw / baseLoadKw) } } : {}),
    },
    ders: scaledDers(base, feeder, net, loadKw / baseLoadKw, baseFeeder.buses.length - 1, opts.seed),
    evFleet: { ...base.evFleet, count: opts.evs },
    negotiation: { ...base.negotiation, zoneTimeoutMs: syntheticZoneTimeoutMs(base.negotiation.zoneTimeoutMs, opts.evs) },
    zones: { ...base.zones, buses: subtreeZones(net, opts.zones) },
  }, `synthetic scenario (${opts.buses} buses)`);
  return { scenario, feeder, casePath, generatedLoadKw, loadKw };
}

/**
 * The zone timeout grows with the fleet: 1 s per 1 000 EVs, at least the default's, at most the
 * schema's 600 s. In process (the benchmarks) every zone shares the machine's cores with the others
 * and the DSO, and a timeout there means the machine was busy, not that a zone failed: with the
 * default's 10 s, 8 of the 1 000-bus case's 20 zones (5 000 EVs each) timed out in round 1 on a loaded
 * machine and the run went down another path (9 rounds instead of 8).
 */
export function syntheticZoneTimeoutMs(baseMs: number, evs: number): number {
  return Math.min(600_000, Math.max(baseMs, evs));
}

/**
 * Feeders joined at their slack buses: one substation bus (id 1) feeds every feeder's first branch.
 * Feeder f's other buses are numbered after feeder f − 1's; the slack holds every feeder head's
 * voltage, so each feeder keeps its own design voltage drop.
 */
function joinAtSubstation(feeders: readonly Feeder[], name: string): Feeder {
  const buses: Feeder['buses'] = [{ ...feeders[0].buses[0], id: 1, pdKw: 0, qdKvar: 0 }];
  const branches: Feeder['branches'] = [];
  for (const f of feeders) {
    const slack = f.buses.find((b) => b.isSlack)!.id;
    const offset = buses.length;
    const id = new Map(f.buses.map((b) => [b.id, b.id === slack ? 1 : offset + (b.id > slack ? b.id - 1 : b.id)]));
    for (const b of f.buses) if (b.id !== slack) buses.push({ ...b, id: id.get(b.id)! });
    for (const br of f.branches) branches.push({ ...br, from: id.get(br.from)!, to: id.get(br.to)! });
  }
  return { ...feeders[0], name, buses, branches, tieLines: [] };
}

function totalLoadKw(feeder: Feeder): number {
  return feeder.buses.reduce((a, b) => a + b.pdKw, 0);
}

function scaleFeeder(feeder: Feeder, k: number): Feeder {
  return {
    ...feeder,
    buses: feeder.buses.map((b) => ({ ...b, pdKw: b.pdKw * k, qdKvar: b.qdKvar * k })),
    branches: feeder.branches.map((br) => ({ ...br, rOhm: br.rOhm / k, xOhm: br.xOhm / k })),
  };
}

/**
 * The default's DERs at the same density: per kind, as many units per non-slack bus as the default
 * has on IEEE-33, on seeded distinct non-slack buses, with the kind's total rating (and a diesel's
 * minimum) scaled by the ratio of peak loads and split evenly.
 */
function scaledDers(base: Scenario, feeder: Feeder, net: RadialNetwork, loadRatio: number, baseNonSlack: number, seed: number): Scenario['ders'] {
  const rng = createRng(seed).fork('ders');
  const candidates = feeder.buses.filter((_b, pos) => pos !== net.slackPos).map((b) => b.id);
  const pick = (count: number): number[] => {
    const pool = [...candidates];
    const out: number[] = [];
    for (let i = 0; i < count && pool.length; i++) out.push(pool.splice(rng.int(pool.length), 1)[0]);
    return out.sort((a, b) => a - b);
  };
  const unitsFor = (n: number) => Math.max(1, Math.round((n * candidates.length) / baseNonSlack));
  const spread = (units: ReadonlyArray<{ pMaxKw: number }>) => {
    if (!units.length) return [];
    const buses = pick(unitsFor(units.length));
    const totalKw = units.reduce((a, u) => a + u.pMaxKw, 0) * loadRatio;
    return buses.map((bus) => ({ bus, pMaxKw: totalKw / buses.length }));
  };
  const diesels = base.ders.diesel;
  const dieselBuses = diesels.length ? pick(unitsFor(diesels.length)) : [];
  // Unit i copies the default's unit i mod m (costs, emissions, must-run); its limits are that unit's
  // scaled by the load ratio and shared among the copies, so each kind's total follows the load.
  const share = (v: number) => (v * loadRatio * diesels.length) / dieselBuses.length;
  return {
    pv: spread(base.ders.pv),
    wind: spread(base.ders.wind),
    diesel: dieselBuses.map((bus, i) => {
      const d = diesels[i % diesels.length];
      return { ...d, bus, pMinKw: share(d.pMinKw), pMaxKw: share(d.pMaxKw) };
    }),
    capacitors: [],
  };
}
