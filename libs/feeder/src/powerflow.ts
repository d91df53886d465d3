/**
 * AC power flow of a radial feeder by backward/forward sweep (current summation; Shirmohammadi et
 * al., "A compensation-based power flow method for weakly meshed distribution and transmission
 * networks", IEEE Trans. Power Systems 3(2), 1988, without the loop compensation).
 *
 * Backward: branch current = own load current conj(S/V) + the children's branch currents.
 * Forward: V_child = V_parent - z * I_branch. Constant-power loads, per-unit on (baseKv, baseMva).
 *
 * Convergence is tested on the largest voltage change between sweeps, not on power mismatch: a
 * near-zero impedance (case141: r = 0, x = 1e-5 ohm, y ~ 1.5e6 pu) makes mismatches pure round-off
 * (MATPOWER's Newton stalls at 1e-10 there) but leaves the voltage update exact.
 */
import { InputError } from '@zonal/core';
import type { Feeder } from './types';
import { buildRadialNetwork, type RadialNetwork } from './radial';

export interface PowerFlowOptions {
  /** Largest voltage change between two sweeps at which the solution is accepted (pu). */
  tolPu?: number;
  /** Sweeps before giving up with converged: false. */
  maxIter?: number;
  /** The slack bus's voltage magnitude (pu) instead of its `vmSetPu`: an area of a split feeder is fed at its boundary's voltage. */
  slackVmPu?: number;
}

export interface PowerFlowResult {
  vmPu: Float64Array;
  vaDeg: Float64Array;
  lossKw: number;
  lossKvar: number;
  pSubKw: number;
  qSubKvar: number;
  iterations: number;
  converged: boolean;
  /** Sending-end flow into each bus position from its parent (0 at the slack). */
  branchPKw: Float64Array;
  branchQKvar: Float64Array;
  branchLossKw: Float64Array;
  /** |I|^2 (pu) of the branch feeding each bus position. */
  branchCurrentSqPu: Float64Array;
}

/** 1e-10 pu keeps voltages ~1e-9 from the fixed point at the contraction rates feeders show (< 0.5). */
export const DEFAULT_TOL_PU = 1e-10;
export const DEFAULT_MAX_ITER = 100;
/** A sweep that moves a voltage this far is past voltage collapse: stop instead of overflowing. */
const DIVERGED_STEP_PU = 10;

function checkLoad(net: RadialNetwork, arr: Float64Array, label: string): void {
  if (arr.length !== net.nBus) throw new InputError(`has ${arr.length} entries, the feeder ${net.nBus} buses`, label);
  for (let i = 0; i < arr.length; i++) {
    if (!Number.isFinite(arr[i])) throw new InputError(`load at bus ${net.feeder.buses[i].id} is ${arr[i]}`, label);
  }
}

function checkOptions(tolPu: number, maxIter: number): void {
  if (!(tolPu > 0) || !Number.isFinite(tolPu)) throw new InputError(`must be a positive number, got ${tolPu}`, 'tolPu');
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new InputError(`must be a positive integer, got ${maxIter}`, 'maxIter');
}

/** Work arrays of one network, reused across solves (runPowerFlow is synchronous, never re-entered). */
interface Sweep {
  pPu: Float64Array;
  qPu: Float64Array;
  vRe: Float64Array;
  vIm: Float64Array;
  jRe: Float64Array;
  jIm: Float64Array;
}
const sweeps = new WeakMap<RadialNetwork, Sweep>();

function sweepOf(net: RadialNetwork): Sweep {
  let s = sweeps.get(net);
  if (!s) {
    const n = net.nBus, f = () => new Float64Array(n);
    s = { pPu: f(), qPu: f(), vRe: f(), vIm: f(), jRe: f(), jIm: f() };
    sweeps.set(net, s);
  }
  return s;
}

/** Branch currents: each bus's load current conj(S/V) plus its children's, leaves first. */
function backward(net: RadialNetwork, s: Sweep): void {
  const { order, parentPos, nBus: n } = net;
  const { pPu, qPu, vRe, vIm, jRe, jIm } = s;
  jRe.fill(0);
  jIm.fill(0);
  for (let k = n - 1; k >= 0; k--) {
    const p = order[k];
    const vr = vRe[p], vi = vIm[p];
    const v2 = vr * vr + vi * vi;
    // conj(S / V) = (P - jQ)(Vr + jVi) / |V|^2
    jRe[p] += (pPu[p] * vr + qPu[p] * vi) / v2;
    jIm[p] += (pPu[p] * vi - qPu[p] * vr) / v2;
    const q = parentPos[p];
    if (q >= 0) {
      jRe[q] += jRe[p];
      jIm[q] += jIm[p];
    }
  }
}

/** Voltages root to leaves, V = V_parent - z I; returns the largest change (pu). */
function forward(net: RadialNetwork, s: Sweep): number {
  const { order, parentPos, rPu, xPu, nBus: n } = net;
  const { vRe, vIm, jRe, jIm } = s;
  let maxStepSq = 0;
  for (let k = 1; k < n; k++) {
    const p = order[k], q = parentPos[p];
    const nr = vRe[q] - (rPu[p] * jRe[p] - xPu[p] * jIm[p]);
    const ni = vIm[q] - (rPu[p] * jIm[p] + xPu[p] * jRe[p]);
    const dr = nr - vRe[p], di = ni - vIm[p];
    const stepSq = dr * dr + di * di;
    if (!(stepSq <= maxStepSq)) maxStepSq = stepSq; // NaN-safe: a NaN step wins and stops the loop
    vRe[p] = nr;
    vIm[p] = ni;
  }
  return Math.sqrt(maxStepSq);
}

/** Loads are per bus position (feeder.buses order), positive = consumption, negative = generation. */
export function runPowerFlow(
  net: RadialNetwork,
  loadPKw: Float64Array,
  loadQKvar: Float64Array,
  opts: PowerFlowOptions = {},
): PowerFlowResult {
  const tolPu = opts.tolPu ?? DEFAULT_TOL_PU;
  const maxIter = opts.maxIter ?? DEFAULT_MAX_ITER;
  checkLoad(net, loadPKw, 'loadPKw');
  checkLoad(net, loadQKvar, 'loadQKvar');
  checkOptions(tolPu, maxIter);
  const slackVmPu = opts.slackVmPu ?? net.feeder.buses[net.slackPos].vmSetPu;
  if (!(slackVmPu > 0) || !Number.isFinite(slackVmPu)) throw new InputError(`must be a positive number, got ${slackVmPu}`, 'slackVmPu');

  const n = net.nBus;
  const kwPerPu = 1000 * net.feeder.baseMva;
  const s = sweepOf(net);
  for (let i = 0; i < n; i++) {
    s.pPu[i] = loadPKw[i] / kwPerPu;
    s.qPu[i] = loadQKvar[i] / kwPerPu;
  }
  s.vRe.fill(slackVmPu);
  s.vIm.fill(0);

  let iterations = 0, converged = n === 1;
  while (!converged && iterations < maxIter) {
    iterations++;
    backward(net, s);
    const step = forward(net, s);
    if (!(step < DIVERGED_STEP_PU)) break;
    converged = step < tolPu;
  }
  // Branch currents from the final voltages, so flows and losses match the voltages reported.
  backward(net, s);
  return collectResults(net, s, kwPerPu, iterations, converged);
}

function collectResults(net: RadialNetwork, s: Sweep, kwPerPu: number, iterations: number, converged: boolean): PowerFlowResult {
  const { nBus: n, parentPos, rPu, xPu, slackPos } = net;
  const { vRe, vIm, jRe, jIm } = s;
  const vmPu = new Float64Array(n), vaDeg = new Float64Array(n);
  const branchPKw = new Float64Array(n), branchQKvar = new Float64Array(n);
  const branchLossKw = new Float64Array(n), branchCurrentSqPu = new Float64Array(n);
  let lossKw = 0, lossKvar = 0;
  for (let p = 0; p < n; p++) {
    vmPu[p] = Math.sqrt(vRe[p] * vRe[p] + vIm[p] * vIm[p]);
    vaDeg[p] = (Math.atan2(vIm[p], vRe[p]) * 180) / Math.PI;
    const q = parentPos[p];
    if (q < 0) continue;
    const i2 = jRe[p] * jRe[p] + jIm[p] * jIm[p];
    branchCurrentSqPu[p] = i2;
    // S_send = V_parent * conj(I)
    branchPKw[p] = (vRe[q] * jRe[p] + vIm[q] * jIm[p]) * kwPerPu;
    branchQKvar[p] = (vIm[q] * jRe[p] - vRe[q] * jIm[p]) * kwPerPu;
    branchLossKw[p] = i2 * rPu[p] * kwPerPu;
    lossKw += branchLossKw[p];
    lossKvar += i2 * xPu[p] * kwPerPu;
  }
  const vr = vRe[slackPos], vi = vIm[slackPos];
  const pSubKw = (vr * jRe[slackPos] + vi * jIm[slackPos]) * kwPerPu;
  const qSubKvar = (vi * jRe[slackPos] - vr * jIm[slackPos]) * kwPerPu;
  return {
    vmPu, vaDeg, lossKw, lossKvar, pSubKw, qSubKvar, iterations, converged,
    branchPKw, branchQKvar, branchLossKw, branchCurrentSqPu,
  };
}

export interface FeederSolution extends PowerFlowResult {
  network: RadialNetwork;
  /** Lowest voltage magnitude and the id of its bus (the first such bus in file order on a tie). */
  vminPu: number;
  vminBus: number;
}

/** Net load per bus position: the bus loads times `scale`, minus any fixed DER injection. */
export function netLoads(feeder: Feeder, scale: number): { pKw: Float64Array; qKvar: Float64Array } {
  const pKw = Float64Array.from(feeder.buses, (b) => b.pdKw * scale);
  const qKvar = Float64Array.from(feeder.buses, (b) => b.qdKvar * scale);
  const posOfId = new Map(feeder.buses.map((b, pos) => [b.id, pos]));
  for (const der of feeder.ders ?? []) {
    const pos = posOfId.get(der.bus);
    if (pos === undefined) throw new InputError(`DER at bus ${der.bus}, which does not exist`, feeder.name);
    pKw[pos] -= der.pGenKw;
    qKvar[pos] -= der.qGenKvar;
  }
  return { pKw, qKvar };
}

/** One call: validate, index, solve at `scale` times every bus load (DER output is not scaled). */
export function solveFeeder(feeder: Feeder, opts: PowerFlowOptions & { scale?: number } = {}): FeederSolution {
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) throw new InputError(`must be a number > 0, got ${scale}`, 'scale');
  const network = buildRadialNetwork(feeder);
  const { pKw, qKvar } = netLoads(feeder, scale);
  const result = runPowerFlow(network, pKw, qKvar, opts);
  let minPos = 0;
  for (let p = 1; p < network.nBus; p++) if (result.vmPu[p] < result.vmPu[minPos]) minPos = p;
  return { ...result, network, vminPu: result.vmPu[minPos], vminBus: feeder.buses[minPos].id };
}
