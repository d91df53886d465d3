import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { loadIeee33 } from './ieee33';
import { loadMatpowerFile } from './matpower';
import { buildRadialNetwork } from './radial';
import { netLoads, runPowerFlow, solveFeeder } from './powerflow';
import type { Feeder } from './types';

const caseFile = (name: string) => loadMatpowerFile(fileURLToPath(new URL(`../data/matpower/${name}`, import.meta.url)));

describe('IEEE-33 against MATPOWER (runpf(case33bw), SPEC §3)', () => {
  const s = solveFeeder(loadIeee33());
  it('losses 202.68 kW / 135.14 kvar (to 0.01)', () => {
    expect(s.converged).toBe(true);
    expect(Math.abs(s.lossKw - 202.68), 'active loss, kW').toBeLessThan(0.01);
    expect(Math.abs(s.lossKvar - 135.14), 'reactive loss, kvar').toBeLessThan(0.01);
  });
  it('minimum voltage 0.91309 pu at bus 18 (to 1e-5)', () => {
    expect(Math.abs(s.vminPu - 0.91309), 'vmin, pu').toBeLessThan(1e-5);
    expect(s.vminBus).toBe(18);
  });
  it('the substation supplies the 3715 kW / 2300 kvar of load plus the losses', () => {
    expect(s.pSubKw).toBeCloseTo(3715 + s.lossKw, 6);
    expect(s.qSubKvar).toBeCloseTo(2300 + s.lossKvar, 6);
  });
});

/** A slack and one load at the end of one line: the bus voltage has a closed form. */
function twoBus(pKw: number, qKvar: number, rOhm: number, xOhm: number, v0Pu = 1): Feeder {
  return {
    name: 'two-bus', baseMva: 10, baseKv: 12.66,
    buses: [
      { id: 1, baseKv: 12.66, pdKw: 0, qdKvar: 0, isSlack: true, vmSetPu: v0Pu },
      { id: 2, baseKv: 12.66, pdKw: pKw, qdKvar: qKvar, isSlack: false, vmSetPu: 1 },
    ],
    branches: [{ from: 1, to: 2, rOhm, xOhm, inService: true }],
  };
}

/**
 * |V|^4 + (2(rP + xQ) - V0^2)|V|^2 + |z|^2 |S|^2 = 0 (per-unit), the high-voltage root; with V real,
 * V0 = V + z conj(S)/V gives the angle of V behind V0.
 */
function twoBusExact(pKw: number, qKvar: number, rOhm: number, xOhm: number, v0Pu = 1) {
  const zb = 12.66 ** 2 / 10, sb = 10_000;
  const r = rOhm / zb, x = xOhm / zb, p = pKw / sb, q = qKvar / sb;
  const b = v0Pu ** 2 - 2 * (r * p + x * q);
  const v2 = (b + Math.sqrt(b * b - 4 * (r * r + x * x) * (p * p + q * q))) / 2;
  const v = Math.sqrt(v2);
  const lossKw = ((p * p + q * q) / v2) * r * sb;
  const vaDeg = (-Math.atan2((x * p - r * q) / v, v + (r * p + x * q) / v) * 180) / Math.PI;
  return { vmPu: v, vaDeg, lossKw };
}

describe('hand references', () => {
  it.each([
    [2000, 1000, 1, 2, 1],
    [500, -300, 3, 0.5, 1.03],
    [-800, 200, 0.5, 0.5, 1], // generation: the far end rises above the slack
  ])('two buses, S = %f + j%f kVA, z = %f + j%f ohm, V0 = %f pu: closed form to 1e-12 (at tolPu 1e-13)', (p, q, r, x, v0) => {
    const s = solveFeeder(twoBus(p, q, r, x, v0), { tolPu: 1e-13 });
    const exact = twoBusExact(p, q, r, x, v0);
    expect(Math.abs(s.vmPu[1] - exact.vmPu)).toBeLessThan(1e-12);
    // At the default tolerance the error stays below it.
    expect(Math.abs(solveFeeder(twoBus(p, q, r, x, v0)).vmPu[1] - exact.vmPu)).toBeLessThan(1e-10);
    expect(Math.abs(s.vaDeg[1] - exact.vaDeg)).toBeLessThan(1e-9);
    expect(s.lossKw).toBeCloseTo(exact.lossKw, 8);
    expect(s.vmPu[0]).toBe(v0);
  });

  it('slackVmPu feeds the slack at that voltage instead of its vmSetPu: the closed form at V0 = 1.03', () => {
    const net = buildRadialNetwork(twoBus(500, -300, 3, 0.5, 1));
    const pf = runPowerFlow(net, Float64Array.of(0, 500), Float64Array.of(0, -300), { tolPu: 1e-13, slackVmPu: 1.03 });
    expect(pf.vmPu[0]).toBe(1.03);
    expect(Math.abs(pf.vmPu[1] - twoBusExact(500, -300, 3, 0.5, 1.03).vmPu)).toBeLessThan(1e-12);
  });

  it('a zero-impedance branch ties two buses into one: the same as one bus carrying both loads', () => {
    const f = twoBus(1200, 600, 1, 2);
    f.buses.push({ id: 3, baseKv: 12.66, pdKw: 800, qdKvar: 400, isSlack: false, vmSetPu: 1 });
    f.branches.push({ from: 3, to: 2, rOhm: 0, xOhm: 0, inService: true });
    const s = solveFeeder(f, { tolPu: 1e-13 });
    const exact = twoBusExact(2000, 1000, 1, 2);
    expect(Math.abs(s.vmPu[1] - exact.vmPu)).toBeLessThan(1e-12);
    expect(s.vmPu[2]).toBe(s.vmPu[1]);
    expect(s.lossKw).toBeCloseTo(exact.lossKw, 8);
  });

  it('a slack-only feeder converges at once', () => {
    const f = twoBus(0, 0, 1, 1);
    f.buses = [{ ...f.buses[0], pdKw: 10, qdKvar: 5 }];
    f.branches = [];
    const s = solveFeeder(f);
    expect([s.converged, s.iterations, s.lossKw, s.pSubKw, s.qSubKvar]).toEqual([true, 0, 0, 10, 5]);
  });
});

describe('flows and balances (every shipped case, 1.0x)', () => {
  it.each([['ieee33'], ['case69.m'], ['case85.m'], ['case118zh.m'], ['case136ma.m'], ['case141.m']])(
    '%s: every bus balances (inflow - branch loss = load + outflows) to 1e-6 kW; totals add up',
    (name) => {
      const f = name === 'ieee33' ? loadIeee33() : caseFile(name);
      const net = buildRadialNetwork(f);
      const { pKw, qKvar } = netLoads(f, 1);
      const s = runPowerFlow(net, pKw, qKvar);
      expect(s.converged).toBe(true);
      const outflow = new Float64Array(net.nBus);
      for (let p = 0; p < net.nBus; p++) if (net.parentPos[p] >= 0) outflow[net.parentPos[p]] += s.branchPKw[p];
      for (let p = 0; p < net.nBus; p++) {
        if (p === net.slackPos) continue;
        expect(Math.abs(s.branchPKw[p] - s.branchLossKw[p] - pKw[p] - outflow[p]), `bus ${f.buses[p].id}`).toBeLessThan(1e-6);
        const r = net.rPu[p] * 1000 * f.baseMva;
        expect(s.branchLossKw[p]).toBeCloseTo(s.branchCurrentSqPu[p] * r, 9);
      }
      expect(s.pSubKw).toBeCloseTo(pKw[net.slackPos] + outflow[net.slackPos], 6);
      expect(s.branchLossKw.reduce((a, b) => a + b, 0)).toBeCloseTo(s.lossKw, 9);
      expect(s.pSubKw - pKw.reduce((a, b) => a + b, 0)).toBeCloseTo(s.lossKw, 6);
    },
  );

  it('literature figures, loosely (MATPOWER v2 data): case69 224.99 kW, vmin 0.9092 at bus 65; case118zh 1298.1 kW; case136ma 320.4 kW', () => {
    const c69 = solveFeeder(caseFile('case69.m'));
    expect(c69.lossKw).toBeCloseTo(224.99, 1);
    expect(c69.vminPu).toBeCloseTo(0.9092, 4);
    expect(c69.vminBus).toBe(65);
    expect(solveFeeder(caseFile('case118zh.m')).lossKw).toBeCloseTo(1298.1, 0);
    expect(solveFeeder(caseFile('case136ma.m')).lossKw).toBeCloseTo(320.4, 0);
  });
});

describe('failure is a value, bad input an error', () => {
  it('past voltage collapse (IEEE-33 at 10x) it stops with converged: false and finite numbers, never hangs', () => {
    const s = solveFeeder(loadIeee33(), { scale: 10 });
    expect(s.converged).toBe(false);
    expect(s.iterations).toBeLessThanOrEqual(100);
    for (const v of [...s.vmPu, ...s.vaDeg, s.lossKw, s.pSubKw]) expect(Number.isFinite(v)).toBe(true);
  });

  it('the iteration cap is honoured and reported', () => {
    const s = solveFeeder(loadIeee33(), { maxIter: 3 });
    expect([s.converged, s.iterations]).toEqual([false, 3]);
  });

  it('a looser tolerance takes fewer sweeps and stays within it', () => {
    const tight = solveFeeder(loadIeee33());
    const loose = solveFeeder(loadIeee33(), { tolPu: 1e-4 });
    expect(loose.iterations).toBeLessThan(tight.iterations);
    expect(Math.abs(loose.vminPu - tight.vminPu)).toBeLessThan(1e-4);
  });

  it('refuses loads of the wrong length or not finite, a bad tolerance or cap, scale <= 0', () => {
    const net = buildRadialNetwork(loadIeee33());
    const ok = new Float64Array(33);
    expect(() => runPowerFlow(net, new Float64Array(32), ok)).toThrow(/loadPKw: has 32 entries, the feeder 33 buses/);
    const nan = new Float64Array(33);
    nan[17] = NaN;
    expect(() => runPowerFlow(net, ok, nan)).toThrow(/loadQKvar: load at bus 18 is NaN/);
    expect(() => runPowerFlow(net, ok, ok, { tolPu: 0 })).toThrow(/tolPu/);
    expect(() => runPowerFlow(net, ok, ok, { maxIter: 0.5 })).toThrow(/maxIter/);
    for (const slackVmPu of [0, -1, NaN]) expect(() => runPowerFlow(net, ok, ok, { slackVmPu })).toThrow(/slackVmPu/);
    for (const scale of [0, -1, NaN, Infinity]) expect(() => solveFeeder(loadIeee33(), { scale })).toThrow(InputError);
    expect(() => netLoads({ ...loadIeee33(), ders: [{ bus: 99, pGenKw: 1, qGenKvar: 0 }] }, 1)).toThrow(/DER at bus 99/);
  });
});
