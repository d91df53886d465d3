import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createRng, InputError } from '@zonal/core';
import { loadIeee33 } from './ieee33';
import { loadMatpowerFile } from './matpower';
import { buildRadialNetwork } from './radial';
import { solveFeeder } from './powerflow';
import type { Feeder } from './types';

const caseFile = (name: string) => loadMatpowerFile(fileURLToPath(new URL(`../data/matpower/${name}`, import.meta.url)));

function shuffle<T>(items: T[], rng: ReturnType<typeof createRng>): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The same network with buses in another file order, new (scattered) ids, branches reordered and some reversed. */
function scramble(feeder: Feeder, seed: number): { scrambled: Feeder; newId: Map<number, number> } {
  const rng = createRng(seed);
  const ids = shuffle(feeder.buses.map((b) => 1000 + 7 * b.id), rng);
  const newId = new Map(feeder.buses.map((b, i) => [b.id, ids[i]]));
  const buses = shuffle(feeder.buses.map((b) => ({ ...b, id: newId.get(b.id)! })), rng);
  const branches = shuffle(
    feeder.branches.map((br) => {
      const [from, to] = rng.next() < 0.5 ? [br.to, br.from] : [br.from, br.to];
      return { ...br, from: newId.get(from)!, to: newId.get(to)! };
    }),
    rng,
  );
  return { scrambled: { ...feeder, buses, branches }, newId };
}

describe('radial index', () => {
  it.each([['ieee33', loadIeee33], ['case118zh (15 open switches)', () => caseFile('case118zh.m')]])(
    '%s: BFS order from the slack, parents before children, the parent branch joins bus and parent',
    (_name, load) => {
      const f = load();
      const net = buildRadialNetwork(f);
      expect([...net.order].sort((a, b) => a - b)).toEqual([...Array(f.buses.length).keys()]);
      expect(net.order[0]).toBe(net.slackPos);
      expect(f.buses[net.slackPos].isSlack).toBe(true);
      const rank = new Map([...net.order].map((p, k) => [p, k]));
      for (let p = 0; p < net.nBus; p++) {
        if (p === net.slackPos) {
          expect([net.parentPos[p], net.parentBranch[p], net.rPu[p]]).toEqual([-1, -1, 0]);
          continue;
        }
        expect(rank.get(net.parentPos[p])!).toBeLessThan(rank.get(p)!);
        const br = f.branches[net.parentBranch[p]];
        expect(br.inService).toBe(true);
        expect([br.from, br.to].sort()).toEqual([f.buses[p].id, f.buses[net.parentPos[p]].id].sort());
        expect(net.rPu[p]).toBeCloseTo(br.rOhm / net.zBaseOhm, 15);
        expect(net.xPu[p]).toBeCloseTo(br.xOhm / net.zBaseOhm, 15);
      }
    },
  );

  it('Zbase = kV^2 / MVA (IEEE-33: 12.66^2 / 10 = 16.02756 ohm)', () => {
    expect(buildRadialNetwork(loadIeee33()).zBaseOhm).toBeCloseTo(16.02756, 10);
  });

  it('an open tie switch closed makes IEEE-33 meshed, and the error names it', () => {
    const f = loadIeee33();
    f.branches[f.branches.length - 1] = { ...f.branches[f.branches.length - 1], inService: true };
    expect(() => buildRadialNetwork(f)).toThrow(InputError);
    expect(() => buildRadialNetwork(f)).toThrow(/branch 37 \(25-29\): meshed network: in-service branch 25-29 closes a loop/);
  });
});

describe('power flow does not depend on how the file is written', () => {
  it.each([
    ['ieee33', loadIeee33, 1],
    ['case118zh', () => caseFile('case118zh.m'), 2],
    ['case141', () => caseFile('case141.m'), 3],
  ])('%s: bus order, bus ids, branch order and direction permuted -> the same voltages (1e-12 pu) and losses', (_n, load, seed) => {
    const f = load();
    const { scrambled, newId } = scramble(f, seed);
    const a = solveFeeder(f), b = solveFeeder(scrambled);
    const posB = new Map(scrambled.buses.map((bus, i) => [bus.id, i]));
    f.buses.forEach((bus, i) => {
      const j = posB.get(newId.get(bus.id)!)!;
      expect(Math.abs(a.vmPu[i] - b.vmPu[j])).toBeLessThan(1e-12);
      expect(Math.abs(a.vaDeg[i] - b.vaDeg[j])).toBeLessThan(1e-10);
    });
    expect(b.lossKw).toBeCloseTo(a.lossKw, 8);
    expect(b.qSubKvar).toBeCloseTo(a.qSubKvar, 8);
    expect(b.vminBus).toBe(newId.get(a.vminBus));
  });
});
