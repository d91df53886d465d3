import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFeeder, makeSyntheticFeeder, netLoads, parseMatpower, solveFeeder, type Feeder } from '../src/index';
import { newtonPowerFlow } from './newton-reference';

const dataFile = (name: string) => fileURLToPath(new URL(`../data/matpower/${name}`, import.meta.url));

/** The sweep's voltages against Newton's: SPEC asks for 1e-6 pu; both converge far tighter. */
const VM_TOL_PU = 1e-8;
const VA_TOL_DEG = 1e-6;
const LOSS_TOL_KW = 1e-4;

function expectAgreement(feeder: Feeder, scale: number): void {
  const sweep = solveFeeder(feeder, { scale });
  const { pKw, qKvar } = netLoads(feeder, scale);
  const newton = newtonPowerFlow(feeder, pKw, qKvar);
  expect(sweep.converged, `${feeder.name} at ${scale}x converges`).toBe(true);
  let worstVm = 0, worstVa = 0;
  for (let i = 0; i < feeder.buses.length; i++) {
    worstVm = Math.max(worstVm, Math.abs(sweep.vmPu[i] - newton.vmPu[i]));
    worstVa = Math.max(worstVa, Math.abs(sweep.vaDeg[i] - newton.vaDeg[i]));
  }
  expect(worstVm, `${feeder.name} ${scale}x: max |Vm sweep - Vm Newton|, pu`).toBeLessThan(VM_TOL_PU);
  expect(worstVa, `${feeder.name} ${scale}x: max |Va sweep - Va Newton|, deg`).toBeLessThan(VA_TOL_DEG);
  expect(Math.abs(sweep.lossKw - newton.lossKw), 'active loss, kW').toBeLessThan(LOSS_TOL_KW);
  expect(Math.abs(sweep.lossKvar - newton.lossKvar), 'reactive loss, kvar').toBeLessThan(LOSS_TOL_KW);
  expect(Math.abs(sweep.pSubKw - newton.pSubKw), 'substation P, kW').toBeLessThan(LOSS_TOL_KW);
  expect(Math.abs(sweep.qSubKvar - newton.qSubKvar), 'substation Q, kvar').toBeLessThan(LOSS_TOL_KW);
}

describe('the Newton reference itself', () => {
  it('reproduces MATPOWER on IEEE-33: 202.68 kW, 135.14 kvar, 0.91309 pu at bus 18', () => {
    const f = loadFeeder('ieee33');
    const { pKw, qKvar } = netLoads(f, 1);
    const nr = newtonPowerFlow(f, pKw, qKvar);
    expect(Math.abs(nr.lossKw - 202.68)).toBeLessThan(0.01);
    expect(Math.abs(nr.lossKvar - 135.14)).toBeLessThan(0.01);
    const min = Math.min(...nr.vmPu);
    expect(Math.abs(min - 0.91309)).toBeLessThan(1e-5);
    expect(f.buses[nr.vmPu.indexOf(min)].id).toBe(18);
    expect(nr.iterations).toBeLessThanOrEqual(6); // quadratic convergence from a flat start
  });
});

describe('backward/forward sweep = Newton–Raphson on every shipped case and load scaling', () => {
  const cases = ['ieee33', 'case69.m', 'case85.m', 'case118zh.m', 'case136ma.m', 'case141.m'];
  // 2.0x takes case85 and case118zh below 0.7 pu: still a physical (high-voltage) solution.
  const scales = [0.5, 1.0, 1.5, 2.0];
  it.each(cases.flatMap((c) => scales.map((s) => [c, s] as const)))('%s at %fx', (name, scale) => {
    expectAgreement(loadFeeder(name === 'ieee33' ? name : dataFile(name)), scale);
  });
});

describe('sweep = Newton on other inputs', () => {
  it('a 300-bus synthetic feeder at 1.0x and 1.5x', () => {
    const f = makeSyntheticFeeder({ buses: 300, seed: 11 });
    expectAgreement(f, 1);
    expectAgreement(f, 1.5);
  });

  it('the hand-written 4-bus pu case (slack at 1.02 pu, ids out of order, an open switch)', () => {
    const f = parseMatpower(readFileSync(fileURLToPath(new URL('fixtures/radial4_pu.m', import.meta.url)), 'utf8'), 'radial4');
    expectAgreement(f, 1);
    expectAgreement(f, 3);
  });

  it('reverse flow: IEEE-33 with generation (DERs) larger than the load', () => {
    const f = loadFeeder('ieee33');
    f.ders = [{ bus: 18, pGenKw: 1500, qGenKvar: 0 }, { bus: 33, pGenKw: 1200, qGenKvar: -300 }, { bus: 25, pGenKw: 2500, qGenKvar: 500 }];
    const s = solveFeeder(f, { scale: 0.5 });
    expect(s.pSubKw).toBeLessThan(0);
    expect(Math.max(...s.vmPu)).toBeGreaterThan(1);
    expectAgreement(f, 0.5);
  });
});
