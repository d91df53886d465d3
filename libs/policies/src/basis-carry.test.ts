import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { sampleDefaultFleet } from '@zonal/ev';
import { LpExporter, shutdownSolver, solve } from '@zonal/solver';
import { loadScenario } from '@zonal/scenario';
import { carriedBasis, solvedZoneModel } from './basis-carry';
import { envelopeGroupFamilies } from './envelope-model';
import { ZoneSolveMemory, type DsoSignal } from './policy';
import { zoneProblemOf } from './testing';
import { buildZoneModel, solveZoneModel } from './zone-model';

afterAll(() => shutdownSolver());

// 300 of the default scenario's EVs over three buses, on its tariff: a zone whose groups a cap splits.
const grid = { periods: 24, dtH: 1 };
const params = { ...loadScenario('default').evFleet, count: 300, busLoads: [{ bus: 4, pKw: 1 }, { bus: 5, pKw: 1 }, { bus: 6, pKw: 1 }] };
const fleet = sampleDefaultFleet(params as Parameters<typeof sampleDefaultFleet>[0], createRng(7));
const zone = zoneProblemOf(fleet, grid, Float64Array.from({ length: 24 }, (_, t) => 400 + 200 * Math.sin((Math.PI * t) / 12)));

/** ADMM's signal of one round (the zone's consensus terms), with the DSO's caps when given. */
function signal(round: number, lambda: number, evCaps?: DsoSignal['evCaps']): DsoSignal {
  return {
    round,
    consensus: { referenceKw: zone.envelope.pChargeMaxGridKw.map((p) => p / 3), lambdaYuanPerKwh: zone.tariffYuanPerKwh.map((p) => p * lambda), rho: 0.01 },
    ...(evCaps ? { evCaps } : {}),
  };
}

const cap: DsoSignal['evCaps'] = [{ buses: [5], maxKw: new Float64Array(24).fill(60) }];
const ctx = (memory?: ZoneSolveMemory) => ({ exporter: new LpExporter(undefined), rng: createRng(1), ...(memory ? { memory } : {}) });

/** Round 2's model: the zone's groups split by the cap on bus 5. */
const split = () => buildZoneModel(zone, signal(2, 1.1, cap), 'zone1', { evCapsFor: zone });

/** A zone's memory once it has answered round 1 (no cap) and is answering round 2. */
async function answeredRoundOne(): Promise<ZoneSolveMemory> {
  const memory = new ZoneSolveMemory();
  memory.round = 1;
  await solveZoneModel(buildZoneModel(zone, signal(1, 1), 'zone1', { evCapsFor: zone }), ctx(memory));
  memory.round = 2;
  return memory;
}

describe('a zone\'s basis carried to its model split by a new cap (basis-carry.ts)', () => {
  it('gives every entry outside the groups its namesake\'s status, and each split group its parent group\'s', async () => {
    const before = buildZoneModel(zone, signal(1, 1), 'zone1', { evCapsFor: zone });
    const sol = await solveZoneModel(before, ctx());
    const kept = solvedZoneModel(before.model, sol.sol.basis!, before.groups)!;
    const after = buildZoneModel(zone, signal(2, 1.1, cap), 'zone1', { evCapsFor: zone });
    expect(after.groups.length).toBeGreaterThan(before.groups.length);
    const basis = carriedBasis(kept, after)!;
    const oldCol = new Map(Array.from({ length: before.model.numCols }, (_, j) => [before.model.colName(j), sol.sol.basis!.colStatus[j]]));
    const fam = envelopeGroupFamilies('ev');
    const groupOf = new Map<number, number>();
    before.groups.forEach((g, k) => g.evs!.forEach((i) => groupOf.set(i, k)));
    let grouped = 0, named = 0;
    for (let j = 0; j < after.model.numCols; j++) {
      const family = after.model.colFamily(j);
      if (family === fam.charge || family === fam.discharge || family === fam.energy) {
        const parent = groupOf.get(after.groups[after.model.colIndexAt(j, 0)].evs![0])!;
        expect(basis.colStatus[j]).toBe(oldCol.get(`${family}(${parent}.${after.model.colIndexAt(j, 1)})`));
        grouped++;
      } else if (family === 'evCapOver') {
        expect(basis.colStatus[j]).toBe(0); // new: at its lower bound
      } else if (oldCol.has(after.model.colName(j))) {
        expect(basis.colStatus[j]).toBe(oldCol.get(after.model.colName(j)));
        named++;
      }
    }
    expect(grouped).toBeGreaterThan(0);
    expect(named).toBeGreaterThan(24);
  });

  it('starts the split model from it: the cold solve\'s optimum (1e-9 relative), in fewer simplex iterations', async () => {
    const memory = await answeredRoundOne();
    const carried = await solveZoneModel(split(), ctx(memory));
    const cold = await solve(split().model);
    expect(carried.sol.warmStarted).toBe(true);
    expect(Math.abs(carried.sol.objective - cold.objective)).toBeLessThanOrEqual(1e-9 * Math.abs(cold.objective));
    expect(carried.sol.iterations).toBeLessThan(cold.iterations);
  });

  it('starts a re-asked round from the same carried basis (a restarted DSO asking round 2 again)', async () => {
    const memory = await answeredRoundOne();
    const startOf = () => {
      const m = split();
      return memory.startFor(m.model, m.groups)!;
    };
    const first = startOf();
    await solveZoneModel(split(), ctx(memory));
    const again = startOf();
    expect(first.carried && again.carried).toBe(true);
    expect(Array.from(again.basis.colStatus)).toEqual(Array.from(first.basis.colStatus));
    expect(Array.from(again.basis.rowStatus)).toEqual(Array.from(first.basis.rowStatus));
  });

  it('starts cold when no group of the earlier model held a group\'s EVs', async () => {
    const before = buildZoneModel(zone, signal(1, 1), 'zone1', { evCapsFor: zone });
    const sol = await solveZoneModel(before, ctx());
    const kept = solvedZoneModel(before.model, sol.sol.basis!, before.groups.slice(1))!;
    const after = buildZoneModel(zone, signal(2, 1, cap), 'zone1', { evCapsFor: zone });
    expect(carriedBasis(kept, after)).toBeNull();
  });
});
