import { describe, expect, it } from 'vitest';
import louvain from 'graphology-communities-louvain';
import { createRng } from '@zonal/core';
import { loadIeee33 } from '@zonal/feeder';
import { electricalDistance } from './distance';
import { modularity, partitionIndices, zoneFlexIndices } from './indices';
import { distanceGraph } from './louvain';
import { feederTree } from './tree';
import { network, SPEC_PARAMS, toyFeeder } from './fixtures';

/** Reference: the double sum (1/2m) Σ_i Σ_j [A_ij − k_i k_j / 2m] δ(c_i, c_j) (seed 001 eq 13, A for s). */
function modularityDoubleSum(w: Float64Array, n: number, zone: Int32Array): number {
  const k = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => w[i * n + j]).reduce((a, b) => a + b, 0));
  const twoM = k.reduce((a, b) => a + b, 0);
  let q = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (zone[i] === zone[j]) q += w[i * n + j] - (k[i] * k[j]) / twoM;
  }
  return q / twoM;
}

describe('modularity Q', () => {
  it('matches the hand value and the double-sum form on the 4-bus feeder, zones {2, 3} and {4}', () => {
    // Weights 1/s: w23 = 1/log 2, w24 = 1/log 3, w34 = 1/sqrt(log²2 + log²3) (see distance.test.ts).
    const g = distanceGraph(electricalDistance(feederTree(network(toyFeeder([[1, 2, 1], [2, 3, 1], [2, 4, 2]])))));
    const zone = Int32Array.from([1, 1, 2]);
    const { Q, perZone } = modularity(g, zone, 2);
    // By hand (6 digits): w23/m − (K_A/2m)² − (K_B/2m)² = 3.321928/7.190416 − (10.512344/14.380832)² − (3.868488/14.380832)²
    expect(Q).toBeCloseTo(-0.14473, 4);
    expect(Q).toBeCloseTo(modularityDoubleSum(g.w, g.n, zone), 14);
    expect(perZone[0] + perZone[1]).toBeCloseTo(Q, 15);
  });

  it('agrees with graphology-louvain\'s own modularity of its IEEE-33 communities at resolution 1 (1e-12)', () => {
    const g = distanceGraph(electricalDistance(feederTree(network(loadIeee33()))));
    for (const seed of [1, 2, 3]) {
      const run = louvain.detailed(g.graph, { resolution: 1, rng: createRng(seed).next });
      const zone = Int32Array.from({ length: g.n }, (_, k) => run.communities[String(k)] + 1);
      expect(Math.abs(modularity(g, zone, run.count).Q - run.modularity)).toBeLessThan(1e-12);
      expect(Math.abs(modularityDoubleSum(g.w, g.n, zone) - run.modularity)).toBeLessThan(1e-12);
    }
  });

  it('is 0 on a graph without edges (buses below two substation branches, one each)', () => {
    const g = distanceGraph(electricalDistance(feederTree(network(toyFeeder([[1, 2, 1], [1, 3, 1]])))));
    expect(modularity(g, Int32Array.from([1, 2]), 2).Q).toBe(0);
  });
});

describe('zone flexibility indices (declared readings of seed 001 eq 14–19)', () => {
  // Two buses, four periods. flex = [1, 3, 1, 1] kW; net load = [10, 20, 0, 10] kW, mean 10,
  // so the need |NL − mean| = [0, 10, 10, 0]: Σ need 20, Σ flex 6, covered min(flex, need) = 0+3+1+0 = 4.
  const flexKw = [Float64Array.from([1, 1, 1, 1]), Float64Array.from([0, 2, 0, 0])];
  const netLoadKw = [Float64Array.from([10, 20, 10, 0]), Float64Array.from([0, 0, -10, 10])];

  it('gives the hand values for fA, fE, f2 and P_eq', () => {
    const params = { ...SPEC_PARAMS, gamma: 0.4 };
    const z = zoneFlexIndices([0, 1], flexKw, netLoadKw, params);
    expect(z.flexMeanKw).toBe(1.5);
    expect(z.needMeanKw).toBe(5);
    expect(z.pEqKw).toBe(3.5); // |6 − 20| / 4
    expect(z.fA).toBeCloseTo(0.2, 15); // 4 / 20
    // ρ = Σ need / Σ |NL| = 20 / 40 = 0.5; fE = 1 − |0.5 − 0.4| / 0.4 = 0.75
    expect(z.fE).toBeCloseTo(0.75, 15);
    expect(z.f2).toBeCloseTo(0.5 * 0.2 + 0.5 * 0.75, 15);
    expect(z.nBuses).toBe(2);
  });

  it('floors fE at 0 when the zone\'s need ratio is far from gamma', () => {
    // ρ = 0.5 against γ = 0.2: 1 − 0.3/0.2 < 0.
    expect(zoneFlexIndices([0, 1], flexKw, netLoadKw, SPEC_PARAMS).fE).toBe(0);
  });

  it('counts a zone with no regulation need as fully covered (fA = 1) and a zone with no load as fE = 0', () => {
    const flat = [Float64Array.from([0, 0]), Float64Array.from([0, 0])];
    const z = zoneFlexIndices([0], flat, flat, SPEC_PARAMS);
    expect(z.fA).toBe(1);
    expect(z.fE).toBe(0);
    expect(z.pEqKw).toBe(0);
  });
});

describe('partition indices', () => {
  it('f_c counts the zones outside 3–12 buses (constructed zones of 2, 3, 12, 13, 7 buses: two outside)', () => {
    const T = 1;
    const rows = Array.from({ length: 37 }, () => new Float64Array(T));
    let next = 0;
    const zoneOf = (size: number) => Array.from({ length: size }, () => next++);
    const zones = [2, 3, 12, 13, 7].map((size) => zoneFlexIndices(zoneOf(size), rows, rows, SPEC_PARAMS));
    expect(zones.map((z) => z.outsideSizeBand)).toEqual([true, false, false, true, false]);
    expect(partitionIndices(zones, SPEC_PARAMS).fc).toBe(1 + 0.25 * 2);
    expect(partitionIndices(zones.slice(1, 3), SPEC_PARAMS).fc).toBe(1);
  });

  it('f3 is the sum of squared deviations of P_eq from its mean; f2 the mean of the zones\' f2', () => {
    const zone = (pEqKw: number, f2: number) => ({
      nBuses: 5, flexMeanKw: 0, needMeanKw: 0, pEqKw, fA: 0, fE: 0, f2, outsideSizeBand: false,
    });
    const p = partitionIndices([zone(1, 0.2), zone(2, 0.4), zone(6, 0.9)], SPEC_PARAMS);
    expect(p.f3).toBe(14); // mean 3: 4 + 1 + 9
    expect(p.f2).toBeCloseTo(0.5, 15);
  });
});
