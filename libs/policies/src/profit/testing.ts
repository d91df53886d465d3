import type { ProfitCase } from './profit';

/** Test support: the seed's physics simulated directly, and a second optimiser, for the profit tests. */

/**
 * The physics of seed 000 §4 simulated directly, not through any constraint: the energy reachable
 * in one period from E, charging (or discharging) flat out at the limit in force at each moment.
 */
export function reachDetailed(c: ProfitCase, eKwh: number): [number, number] {
  const { thresholdKwh: eb, pBelowKw: pb, pAboveKw: pa } = c.detailedPower, dt = c.time.dtH;
  let hi: number;
  if (eKwh >= eb) hi = eKwh + pa * dt;
  else hi = (eb - eKwh) / pb >= dt ? eKwh + pb * dt : eb + pa * (dt - (eb - eKwh) / pb);
  let lo: number;
  if (eKwh <= eb) lo = eKwh - pb * dt;
  else lo = (eKwh - eb) / pa >= dt ? eKwh - pa * dt : eb - pb * (dt - (eKwh - eb) / pa);
  return [Math.max(lo, c.fleet.minKwh), Math.min(hi, c.fleet.capacityKwh)];
}

export function reachAveraged(c: ProfitCase, eKwh: number): [number, number] {
  const step = c.averagedPowerKw * c.time.dtH;
  return [Math.max(eKwh - step, c.fleet.minKwh), Math.min(eKwh + step, c.fleet.capacityKwh)];
}

/**
 * Dynamic programming over stored energy on a grid of `stepKwh` (a second algorithm): the best
 * fleet profit when every boundary's energy is a grid point. A lower bound on the true optimum,
 * equal to it when the optimum's energies lie on the grid.
 */
export function dpProfit(c: ProfitCase, reach: (c: ProfitCase, e: number) => [number, number], stepKwh: number): number {
  const f = c.fleet, T = c.time.periods;
  const n = Math.round((f.capacityKwh - f.minKwh) / stepKwh);
  const energy = Array.from({ length: n + 1 }, (_, i) => f.minKwh + i * stepKwh);
  let value = energy.map((e) => (e >= f.targetKwh - 1e-9 ? c.chargingFeeYuanPerKwh * (e - f.arrivalKwh) : -Infinity));
  for (let t = T - 1; t >= 0; t--) {
    const price = c.pricesYuanPerKwh[t];
    value = energy.map((e) => {
      const [lo, hi] = reach(c, e);
      let best = -Infinity;
      for (let j = Math.ceil((lo - f.minKwh) / stepKwh - 1e-9); j <= Math.floor((hi - f.minKwh) / stepKwh + 1e-9); j++) {
        const delta = energy[j] - e;
        const cash = delta >= 0 ? (-price * delta) / f.eta : -price * delta * f.eta;
        best = Math.max(best, cash + value[j]);
      }
      return best;
    });
  }
  return f.count * value[Math.round((f.arrivalKwh - f.minKwh) / stepKwh)];
}

