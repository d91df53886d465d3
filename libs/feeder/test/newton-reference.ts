/**
 * An independent reference for the sweep: full-Newton AC power flow in polar coordinates on a dense
 * bus admittance matrix (the textbook method, e.g. Grainger & Stevenson, Power System Analysis,
 * §9.3–9.4; the same as MATPOWER's default 'NR'). It shares nothing with src/ but the Feeder type:
 * its own per-unit conversion, Ybus, Jacobian and a dense LU with partial pivoting. O(n^3): for a few
 * hundred buses only.
 */
import type { Feeder } from '../src/types';

export interface NewtonResult {
  vmPu: Float64Array;
  vaDeg: Float64Array;
  lossKw: number;
  lossKvar: number;
  pSubKw: number;
  qSubKvar: number;
  iterations: number;
  maxMismatchPu: number;
}

/** Mismatch at which Newton stops. Round-off floors it near 1e-10 pu when |y| ~ 1e6 pu (case141). */
const MISMATCH_TOL_PU = 1e-9;
const MAX_ITER = 30;

/** Solves A x = b in place (A row-major n x n), Gaussian elimination with partial pivoting. */
function solveDense(a: Float64Array, b: Float64Array, n: number): void {
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    if (a[piv * n + col] === 0) throw new Error('singular Jacobian');
    if (piv !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[piv * n + c]] = [a[piv * n + c], a[col * n + c]];
      [b[col], b[piv]] = [b[piv], b[col]];
    }
    const d = a[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c] -= f * a[col * n + c];
      b[r] -= f * b[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < n; c++) s -= a[r * n + c] * b[c];
    b[r] = s / a[r * n + r];
  }
}

/** Loads per bus position in kW/kvar (positive = consumption). */
export function newtonPowerFlow(feeder: Feeder, loadPKw: ArrayLike<number>, loadQKvar: ArrayLike<number>): NewtonResult {
  const n = feeder.buses.length;
  const pos = new Map(feeder.buses.map((b, i) => [b.id, i]));
  const zBase = feeder.baseKv ** 2 / feeder.baseMva;
  const sBaseKva = feeder.baseMva * 1000;
  const G = new Float64Array(n * n), B = new Float64Array(n * n);
  for (const br of feeder.branches) {
    if (!br.inService) continue;
    const f = pos.get(br.from)!, t = pos.get(br.to)!;
    const r = br.rOhm / zBase, x = br.xOhm / zBase, d = r * r + x * x;
    const g = r / d, b = -x / d;
    G[f * n + f] += g; B[f * n + f] += b;
    G[t * n + t] += g; B[t * n + t] += b;
    G[f * n + t] -= g; B[f * n + t] -= b;
    G[t * n + f] -= g; B[t * n + f] -= b;
  }
  const slack = feeder.buses.findIndex((b) => b.isSlack);
  const pv = Float64Array.from({ length: n }, (_, i) => -loadPKw[i] / sBaseKva);
  const qv = Float64Array.from({ length: n }, (_, i) => -loadQKvar[i] / sBaseKva);
  const vm = new Float64Array(n).fill(1);
  vm[slack] = feeder.buses[slack].vmSetPu;
  const va = new Float64Array(n);
  const pq = [...Array(n).keys()].filter((i) => i !== slack);
  const m = pq.length;
  const P = new Float64Array(n), Q = new Float64Array(n);

  const injections = () => {
    for (let i = 0; i < n; i++) {
      let p = 0, q = 0;
      for (let k = 0; k < n; k++) {
        const g = G[i * n + k], b = B[i * n + k];
        if (g === 0 && b === 0) continue;
        const th = va[i] - va[k];
        p += vm[k] * (g * Math.cos(th) + b * Math.sin(th));
        q += vm[k] * (g * Math.sin(th) - b * Math.cos(th));
      }
      P[i] = vm[i] * p;
      Q[i] = vm[i] * q;
    }
  };

  let iterations = 0, maxMismatchPu = Infinity;
  for (;;) {
    injections();
    const F = new Float64Array(2 * m);
    maxMismatchPu = 0;
    pq.forEach((i, a) => {
      F[a] = P[i] - pv[i];
      F[m + a] = Q[i] - qv[i];
      maxMismatchPu = Math.max(maxMismatchPu, Math.abs(F[a]), Math.abs(F[m + a]));
    });
    if (maxMismatchPu < MISMATCH_TOL_PU) break;
    if (iterations++ >= MAX_ITER) throw new Error(`Newton reference did not converge: mismatch ${maxMismatchPu} pu`);
    const J = new Float64Array(4 * m * m), w = 2 * m;
    pq.forEach((i, a) => {
      pq.forEach((k, c) => {
        const g = G[i * n + k], b = B[i * n + k];
        if (i === k) {
          J[a * w + c] = -Q[i] - b * vm[i] ** 2; // dP/dth
          J[a * w + m + c] = P[i] / vm[i] + g * vm[i]; // dP/dV
          J[(m + a) * w + c] = P[i] - g * vm[i] ** 2; // dQ/dth
          J[(m + a) * w + m + c] = Q[i] / vm[i] - b * vm[i]; // dQ/dV
        } else if (g !== 0 || b !== 0) {
          const th = va[i] - va[k], cs = Math.cos(th), sn = Math.sin(th);
          J[a * w + c] = vm[i] * vm[k] * (g * sn - b * cs);
          J[a * w + m + c] = vm[i] * (g * cs + b * sn);
          J[(m + a) * w + c] = -vm[i] * vm[k] * (g * cs + b * sn);
          J[(m + a) * w + m + c] = vm[i] * (g * sn - b * cs);
        }
      });
    });
    for (let e = 0; e < w; e++) F[e] = -F[e];
    solveDense(J, F, w);
    pq.forEach((i, a) => {
      va[i] += F[a];
      vm[i] += F[m + a];
    });
  }

  // Losses from branch voltages: S_loss = (Vf - Vt) conj((Vf - Vt) / z).
  let lossKw = 0, lossKvar = 0;
  for (const br of feeder.branches) {
    if (!br.inService) continue;
    const f = pos.get(br.from)!, t = pos.get(br.to)!;
    const dr = vm[f] * Math.cos(va[f]) - vm[t] * Math.cos(va[t]);
    const di = vm[f] * Math.sin(va[f]) - vm[t] * Math.sin(va[t]);
    const r = br.rOhm / zBase, x = br.xOhm / zBase;
    const i2 = (dr * dr + di * di) / (r * r + x * x);
    lossKw += i2 * r * sBaseKva;
    lossKvar += i2 * x * sBaseKva;
  }
  return {
    vmPu: vm,
    vaDeg: va.map((a) => (a * 180) / Math.PI),
    lossKw,
    lossKvar,
    // The substation feeds the network injection at the slack plus the slack bus's own load.
    pSubKw: P[slack] * sBaseKva + loadPKw[slack],
    qSubKvar: Q[slack] * sBaseKva + loadQKvar[slack],
    iterations,
    maxMismatchPu,
  };
}
