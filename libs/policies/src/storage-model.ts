import type { TimeGrid } from '@zonal/ev';
import type { ModelBuilder, Solution } from '@zonal/solver';
import type { ZoneAnswer, ZoneResources } from './policy';
import type { Flexibility } from './zone-model';

/**
 * A zone's stationary batteries (seed 002's BESS, SPEC §7.4) as zone-model flexibility: per unit and
 * period battery-side charge c and discharge d within the power limit, stored energy
 * E[t+1] = E[t] + (c − d)·dt within [socMin, socMax]·energy, and the periodic day of SPEC §2 (the unit
 * ends the day at its starting energy). Grid side c/eta − d·eta, as every battery (SPEC §2). An LP:
 * seed 002's charge-or-discharge binaries belong to the repair after agreement (SPEC §8), so at a
 * price that pays for it an answer may cycle a unit (charge and discharge in one period).
 */
export interface StorageVars extends Flexibility {
  /** Columns per unit (ZoneResources.storage order), per period. */
  chargeCols: number[][];
  dischargeCols: number[][];
  /** Stored energy per unit at boundaries 0..T. */
  energyCols: number[][];
}

export function addStorage(m: ModelBuilder, units: ZoneResources['storage'], grid: TimeGrid, prefix = 'bess'): StorageVars {
  const T = grid.periods, dt = grid.dtH, N = units.length;
  const c = m.addVars(`${prefix}C`, [N, T], ([n]) => ({ lb: 0, ub: units[n].powerKw }));
  const d = m.addVars(`${prefix}D`, [N, T], ([n]) => ({ lb: 0, ub: units[n].powerKw }));
  const e = m.addVars(`${prefix}E`, [N, T + 1], ([n, k]) => {
    const u = units[n], start = u.socInitial * u.energyKwh;
    return k === 0 || k === T ? { lb: start, ub: start } : { lb: u.socMin * u.energyKwh, ub: u.socMax * u.energyKwh };
  });
  const drawMaxKw = new Float64Array(T), giveMaxKw = new Float64Array(T);
  units.forEach((u, n) => {
    for (let t = 0; t < T; t++) {
      m.addConstraint(`${prefix}Soc`, [n, t], [e.at(n, t + 1), e.at(n, t), c.at(n, t), d.at(n, t)], [1, -1, -dt, dt], '=', 0);
      drawMaxKw[t] += u.powerKw / u.eta;
      giveMaxKw[t] += u.powerKw * u.eta;
    }
  });
  const perUnit = (b: typeof c, length: number) => units.map((_, n) => Array.from({ length }, (_, t) => b.at(n, t)));
  const chargeCols = perUnit(c, T), dischargeCols = perUnit(d, T), energyCols = perUnit(e, T + 1);
  return {
    chargeCols, dischargeCols, energyCols, drawMaxKw, giveMaxKw,
    gridTerms: (t) => ({
      cols: units.flatMap((_, n) => [chargeCols[n][t], dischargeCols[n][t]]),
      coefs: units.flatMap((u) => [1 / u.eta, -u.eta]),
    }),
  };
}

/** Grid-side storage power per period (charging positive), kW, of a solved model. */
export function storageGridKw(units: ZoneResources['storage'], vars: StorageVars, sol: Solution, periods: number): Float64Array {
  const kw = new Float64Array(periods);
  units.forEach((u, n) => {
    for (let t = 0; t < periods; t++) kw[t] += Math.max(0, sol.value(vars.chargeCols[n][t])) / u.eta - Math.max(0, sol.value(vars.dischargeCols[n][t])) * u.eta;
  });
  return kw;
}

/**
 * An EV answer with the zone's storage added: storage power counts in evKw (the zone's flexible power,
 * what the DSO's targets and coordination terms act on), in the net load and at the energy prices.
 */
export function withStorage(answer: ZoneAnswer, storageKw: Float64Array, prices: Float64Array, dtH: number): ZoneAnswer {
  const energyYuan = storageKw.reduce((a, kw, t) => a + prices[t] * kw * dtH, 0);
  return {
    ...answer,
    evKw: answer.evKw.map((x, t) => x + storageKw[t]),
    netLoadKw: answer.netLoadKw.map((x, t) => x + storageKw[t]),
    storageKw,
    costYuan: answer.costYuan + energyYuan,
  };
}
