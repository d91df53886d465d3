/**
 * Seeded synthetic radial feeders for tests and benchmarks: a random tree of laterals at 12.66 kV
 * with overhead-line impedances and mixed residential/commercial loads, scaled so the far end
 * sits at a realistic voltage at 1.0x.
 */
import { createRng, InputError } from '@zonal/core';
import type { Bus, Branch, Feeder } from './types';

export interface SyntheticFeederOptions {
  buses: number;
  seed: number;
  name?: string;
  /** Design voltage drop to the farthest bus at 1.0x by LinDistFlow (losses add a little more). */
  designDropPu?: number;
}

/** Generator parameters: typical 11–13.8 kV overhead distribution lines and service loads. */
const SYNTHETIC = {
  baseKv: 12.66,
  baseMva: 10,
  designDropPu: 0.06,
  /** Chance that a new bus extends the previous one (a lateral grows) rather than branching off. */
  extendProbability: 0.75,
  lengthKm: [0.05, 0.3],
  rOhmPerKm: [0.2, 0.6],
  xOhmPerKm: [0.25, 0.45],
  loadedShare: 0.8,
  loadKw: [10, 150],
  powerFactor: [0.85, 0.98],
} as const;

const MAX_BUSES = 1_000_000;

export function makeSyntheticFeeder(opts: SyntheticFeederOptions): Feeder {
  const n = opts.buses;
  if (!Number.isInteger(n) || n < 2 || n > MAX_BUSES) throw new InputError(`must be an integer in [2, ${MAX_BUSES}], got ${n}`, 'buses');
  const designDropPu = opts.designDropPu ?? SYNTHETIC.designDropPu;
  if (!(designDropPu > 0 && designDropPu < 0.5)) throw new InputError(`must be in (0, 0.5) pu, got ${designDropPu}`, 'designDropPu');
  const rng = createRng(opts.seed);
  const uniform = ([lo, hi]: readonly [number, number]) => lo + (hi - lo) * rng.next();

  // Position i has id i + 1; every parent precedes its child, so positions are a topological order.
  const parent = new Int32Array(n).fill(-1);
  const rOhm = new Float64Array(n), xOhm = new Float64Array(n);
  const pKw = new Float64Array(n), qKvar = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    parent[i] = i === 1 || rng.next() < SYNTHETIC.extendProbability ? i - 1 : rng.int(i - 1) + 1;
    const km = uniform(SYNTHETIC.lengthKm);
    rOhm[i] = km * uniform(SYNTHETIC.rOhmPerKm);
    xOhm[i] = km * uniform(SYNTHETIC.xOhmPerKm);
    if (rng.next() < SYNTHETIC.loadedShare) {
      pKw[i] = uniform(SYNTHETIC.loadKw);
      qKvar[i] = pKw[i] * Math.tan(Math.acos(uniform(SYNTHETIC.powerFactor)));
    }
  }

  // LinDistFlow drop (Baran & Wu 1989): dV_child = dV_parent + (r P_down + x Q_down) / V0^2, V0 = 1 pu.
  const zBaseOhm = (SYNTHETIC.baseKv * SYNTHETIC.baseKv) / SYNTHETIC.baseMva;
  const kwPerPu = 1000 * SYNTHETIC.baseMva;
  const pDown = Float64Array.from(pKw), qDown = Float64Array.from(qKvar);
  for (let i = n - 1; i >= 1; i--) {
    pDown[parent[i]] += pDown[i];
    qDown[parent[i]] += qDown[i];
  }
  const drop = new Float64Array(n);
  let maxDrop = 0;
  for (let i = 1; i < n; i++) {
    drop[i] = drop[parent[i]] + (rOhm[i] * pDown[i] + xOhm[i] * qDown[i]) / (zBaseOhm * kwPerPu);
    maxDrop = Math.max(maxDrop, drop[i]);
  }
  const loadScale = maxDrop > 0 ? designDropPu / maxDrop : 1;

  const buses: Bus[] = Array.from({ length: n }, (_, i) => ({
    id: i + 1, baseKv: SYNTHETIC.baseKv, pdKw: pKw[i] * loadScale, qdKvar: qKvar[i] * loadScale, isSlack: i === 0, vmSetPu: 1,
  }));
  const branches: Branch[] = Array.from({ length: n - 1 }, (_, k) => ({
    from: parent[k + 1] + 1, to: k + 2, rOhm: rOhm[k + 1], xOhm: xOhm[k + 1], inService: true,
  }));
  return {
    name: opts.name ?? `synthetic${n}_seed${opts.seed}`,
    baseMva: SYNTHETIC.baseMva,
    baseKv: SYNTHETIC.baseKv,
    buses,
    branches,
    tieLines: [],
  };
}
