import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from '@zonal/core';
import { loadIeee33, type Feeder } from '@zonal/feeder';
import { choosePartition, louvainCandidates, partitionFeeder } from './partition';
import { loadShapedInputs, network, SPEC_PARAMS, thrown, toyFeeder } from './fixtures';
import type { PartitionInputs, PartitionParams, PartitionResult } from './types';

/** Checks the result against the feeder table directly (not through the partitioner's tree). */
function expectValidPartition(feeder: Feeder, r: PartitionResult): void {
  const ids = feeder.buses.map((b) => b.id).sort((a, b) => a - b);
  // Every bus in exactly one zone; zones numbered 1..K by smallest bus id, buses ascending.
  expect(r.zones.flatMap((z) => z.buses).sort((a, b) => a - b)).toEqual(ids);
  expect(r.zones.map((z) => z.id)).toEqual(r.zones.map((_, i) => i + 1));
  for (const z of r.zones) expect(z.buses).toEqual([...z.buses].sort((a, b) => a - b));
  const firsts = r.zones.map((z) => z.buses[0]);
  expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
  expect(Object.keys(r.busZone).map(Number).sort((a, b) => a - b)).toEqual(ids);
  for (const z of r.zones) for (const id of z.buses) expect(r.busZone[id]).toBe(z.id);

  // Every zone is a connected subgraph of the in-service feeder.
  const live = feeder.branches.filter((b) => b.inService);
  for (const z of r.zones) {
    const reached = new Set([z.buses[0]]);
    for (let grew = true; grew;) {
      grew = false;
      for (const b of live) {
        if (r.busZone[b.from] !== z.id || r.busZone[b.to] !== z.id) continue;
        if (reached.has(b.from) !== reached.has(b.to)) {
          reached.add(b.from).add(b.to);
          grew = true;
        }
      }
    }
    expect(reached.size, `zone ${z.id} connected`).toBe(z.buses.length);
  }

  // Tie lines: exactly the in-service branches between zones, written from the substation side.
  const depth = new Map<number, number>([[feeder.buses.find((b) => b.isSlack)!.id, 0]]);
  while (depth.size < feeder.buses.length) {
    for (const b of live) {
      if (depth.has(b.from) && !depth.has(b.to)) depth.set(b.to, depth.get(b.from)! + 1);
      if (depth.has(b.to) && !depth.has(b.from)) depth.set(b.from, depth.get(b.to)! + 1);
    }
  }
  const key = (a: number, b: number) => `${Math.min(a, b)}-${Math.max(a, b)}`;
  const cut = live.filter((b) => r.busZone[b.from] !== r.busZone[b.to]).map((b) => key(b.from, b.to)).sort();
  expect(r.tieLines.map((t) => key(t.from, t.to)).sort()).toEqual(cut);
  for (const t of r.tieLines) {
    expect(t.fromZone).toBe(r.busZone[t.from]);
    expect(t.toZone).toBe(r.busZone[t.to]);
    expect(depth.get(t.from)).toBeLessThan(depth.get(t.to)!);
  }
}

/** The same feeder with buses and branches in a shuffled order and some branches reversed. */
function shuffled(feeder: Feeder, seed: number): Feeder {
  const rng = createRng(seed);
  const shuffle = <T>(xs: T[]) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return {
    ...feeder,
    buses: shuffle(feeder.buses),
    branches: shuffle(feeder.branches).map((b) => (rng.next() < 0.5 ? b : { ...b, from: b.to, to: b.from })),
    tieLines: undefined,
  };
}

/** Inputs re-indexed to another bus order of the same feeder. */
function reindexed(inp: PartitionInputs, feeder: Feeder): PartitionInputs {
  const row = new Map(inp.net.feeder.buses.map((b, p) => [b.id, p]));
  return {
    net: network(feeder),
    flexKw: feeder.buses.map((b) => inp.flexKw[row.get(b.id)!]),
    netLoadKw: feeder.buses.map((b) => inp.netLoadKw[row.get(b.id)!]),
  };
}

describe('partitionFeeder on IEEE-33 (load-shaped flexibility and net load)', () => {
  const feeder = loadIeee33();
  const inputs = loadShapedInputs(network(feeder));
  const result = partitionFeeder(inputs, SPEC_PARAMS);

  it('chooses 4–6 connected zones (SPEC §5: 5; papers 4–6)', () => {
    expect(result.zones.length).toBeGreaterThanOrEqual(4);
    expect(result.zones.length).toBeLessThanOrEqual(6);
    expectValidPartition(feeder, result);
  });

  it('finds the same partition with every seed at resolution 1 (SPEC §5: stable across seeds)', () => {
    const atOne = result.candidates.filter((c) => c.resolution === 1);
    expect(atOne).toHaveLength(SPEC_PARAMS.rngSeeds.length);
    for (const c of atOne) expect({ zones: c.zones, Q: c.Q, F: c.F }).toEqual({ zones: atOne[0].zones, Q: atOne[0].Q, F: atOne[0].F });
  });

  it('reports the chosen candidate as the one with the lowest F, first of its ties', () => {
    const Fmin = Math.min(...result.candidates.map((c) => c.F));
    expect(result.chosen.F).toBe(Fmin);
    const first = result.candidates.find((c) => c.F === Fmin)!;
    expect(result.chosen).toEqual({ resolution: first.resolution, rngSeed: first.rngSeed, F: first.F, Q: first.Q, f2: first.f2, f3: first.f3, fc: first.fc });
    expect(result.candidates).toHaveLength(SPEC_PARAMS.resolutions.length * SPEC_PARAMS.rngSeeds.length);
  });

  it('gives the same JSON twice, and for a shuffled, re-oriented copy of the feeder', () => {
    const json = JSON.stringify(result);
    expect(JSON.stringify(partitionFeeder(inputs, SPEC_PARAMS))).toBe(json);
    for (const seed of [11, 12]) {
      const copy = shuffled(feeder, seed);
      expect(copy.branches.map((b) => b.from)).not.toEqual(feeder.branches.map((b) => b.from));
      expect(JSON.stringify(partitionFeeder(reindexed(inputs, copy), SPEC_PARAMS))).toBe(json);
    }
  });

  it('gives the same result in two steps, the candidates first (from the feeder alone), then the inputs', () => {
    const candidates = louvainCandidates(inputs.net, SPEC_PARAMS);
    expect(candidates.assignments).toHaveLength(SPEC_PARAMS.resolutions.length * SPEC_PARAMS.rngSeeds.length);
    expect(JSON.stringify(choosePartition(candidates, inputs, SPEC_PARAMS))).toBe(JSON.stringify(result));
    const other = network(toyFeeder([[1, 2, 1], [2, 3, 1]]));
    expect(() => choosePartition(candidates, loadShapedInputs(other), SPEC_PARAMS)).toThrow(/inputs are for another feeder/);
  });

  it('carries every index of every zone, consistent with the partition-level values', () => {
    for (const z of result.zones) {
      expect(z.indices.nBuses).toBe(z.buses.length);
      for (const v of Object.values(z.indices)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    }
    const sumQ = result.zones.reduce((acc, z) => acc + z.indices.q, 0);
    expect(Math.abs(sumQ - result.chosen.Q)).toBeLessThan(1e-8);
    const meanF2 = result.zones.reduce((acc, z) => acc + z.indices.f2, 0) / result.zones.length;
    expect(Math.abs(meanF2 - result.chosen.f2)).toBeLessThan(1e-8);
    const outside = result.zones.filter((z) => z.buses.length < 3 || z.buses.length > 12).length;
    expect(result.chosen.fc).toBe(1 + 0.25 * outside);
  });
});

describe('partitionFeeder on random radial feeders (property test)', () => {
  const params: PartitionParams = { ...SPEC_PARAMS, resolutions: [0.5, 1, 1.5], rngSeeds: [1, 2] };
  const feederArb = fc.integer({ min: 2, max: 18 }).chain((n) => fc.record({
    parents: fc.tuple(...Array.from({ length: n - 1 }, (_, k) => fc.integer({ min: 1, max: k + 1 }))),
    xOhm: fc.array(fc.double({ min: 0.05, max: 3, noNaN: true }), { minLength: n - 1, maxLength: n - 1 }),
    loadKw: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: n, maxLength: n }),
    shuffleSeed: fc.integer({ min: 0, max: 1000 }),
  }));

  it('always gives connected zones covering every bus once, consistent tie lines, order-independent JSON', () => {
    fc.assert(fc.property(feederArb, ({ parents, xOhm, loadKw, shuffleSeed }) => {
      const rows = parents.map((p, k): [number, number, number] => [p, k + 2, xOhm[k]]);
      const feeder = toyFeeder(rows, Object.fromEntries(loadKw.map((kw, i) => [i + 1, kw])));
      const inputs = loadShapedInputs(network(feeder));
      const result = partitionFeeder(inputs, params);
      expectValidPartition(feeder, result);
      const copy = shuffled(feeder, shuffleSeed);
      expect(JSON.stringify(partitionFeeder(reindexed(inputs, copy), params))).toBe(JSON.stringify(result));
    }), { numRuns: 60, seed: 20251123 });
  });
});

describe('partitionFeeder refuses bad input by name', () => {
  const net = network(toyFeeder([[1, 2, 1], [2, 3, 1], [2, 4, 2]]));
  const good = loadShapedInputs(net);
  const fails = (inp: PartitionInputs, params: PartitionParams = SPEC_PARAMS) => {
    const e = thrown(() => partitionFeeder(inp, params));
    expect(e.name).toBe('InputError');
    return e.message;
  };

  it('names the table, bus and period of a bad input value', () => {
    expect(fails({ ...good, flexKw: good.flexKw.slice(1) })).toMatch(/^flexKw: has 3 rows, the feeder 4 buses/);
    const nan = good.netLoadKw.map((r) => r.slice());
    nan[2][5] = NaN;
    expect(fails({ ...good, netLoadKw: nan })).toMatch(/^netLoadKw at bus 3, period 5: must be a finite number/);
    const negative = good.flexKw.map((r) => r.slice());
    negative[3][0] = -1;
    expect(fails({ ...good, flexKw: negative })).toMatch(/^flexKw at bus 4, period 0: must be >= 0/);
    const short = good.flexKw.map((r, p) => (p === 1 ? r.slice(0, 3) : r));
    expect(fails({ ...good, flexKw: short })).toMatch(/^flexKw at bus 2: has 3 periods, flexKw at bus 1 has 24/);
  });

  it('names the parameter that is out of range', () => {
    expect(fails(good, { ...SPEC_PARAMS, resolutions: [] })).toMatch(/^partition\.resolutions:/);
    expect(fails(good, { ...SPEC_PARAMS, resolutions: [1, -0.5] })).toMatch(/^partition\.resolutions\[1\]:/);
    expect(fails(good, { ...SPEC_PARAMS, rngSeeds: [1, 2.5] })).toMatch(/^partition\.rngSeeds\[1\]:/);
    expect(fails(good, { ...SPEC_PARAMS, gamma: 0 })).toMatch(/^partition\.gamma: must be a finite number > 0/);
    expect(fails(good, { ...SPEC_PARAMS, weights: { ...SPEC_PARAMS.weights, balance: NaN } })).toMatch(/^partition\.weights\.balance:/);
    expect(fails(good, { ...SPEC_PARAMS, sizePenalty: { minBuses: 13, maxBuses: 12, perZone: 0.25 } }))
      .toMatch(/^partition\.sizePenalty\.minBuses: \(13\) must not exceed maxBuses \(12\)/);
  });

  it('refuses a feeder with nothing to partition', () => {
    const lone = network({ ...toyFeeder([[1, 2, 1]]), buses: [toyFeeder([[1, 2, 1]]).buses[0]], branches: [] });
    expect(fails({ net: lone, flexKw: [new Float64Array(1)], netLoadKw: [new Float64Array(1)] })).toMatch(/nothing to partition/);
  });
});
