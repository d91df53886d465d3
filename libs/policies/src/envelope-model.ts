import type { AggregateEnvelope, TimeGrid } from '@zonal/ev';
import type { ModelBuilder, VarBlock } from '@zonal/solver';

/**
 * A fleet's aggregate envelope as model variables (SPEC §6): battery-side charge c[t] ≥ 0 and
 * discharge d[t] ≥ 0 within the summed power limits, energy gained since 00:00
 * E[k+1] = E[k] + (c[k] − d[k])·dt within [eMin, eMax] at every boundary, E[0] = 0.
 * Grid side: c/eta drawn, d·eta returned (SPEC §2's efficiency on both sides).
 */
export interface EnvelopeVars {
  chargeKw: VarBlock; // [T], battery side
  dischargeKw: VarBlock; // [T], battery side
  energyKwh: VarBlock; // [T + 1]
  /** Grid-side power of period t = Σ coefs · cols (charging positive). */
  gridTerms(t: number): { cols: number[]; coefs: number[] };
}

export function addEnvelope(m: ModelBuilder, env: AggregateEnvelope, eta: number, grid: TimeGrid, prefix = 'ev'): EnvelopeVars {
  const T = grid.periods, dt = grid.dtH;
  const chargeKw = m.addVars(`${prefix}C`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, env.pMaxKw[t]) }));
  const dischargeKw = m.addVars(`${prefix}D`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, -env.pMinKw[t]) }));
  const energyKwh = m.addVars(`${prefix}E`, [T + 1], ([k]) => (k === 0 ? { lb: 0, ub: 0 } : { lb: env.eMinKwh[k], ub: env.eMaxKwh[k] }));
  for (let t = 0; t < T; t++) {
    m.addConstraint(`${prefix}Soc`, [t], [energyKwh.at(t + 1), energyKwh.at(t), chargeKw.at(t), dischargeKw.at(t)], [1, -1, -dt, dt], '=', 0);
  }
  return {
    chargeKw, dischargeKw, energyKwh,
    gridTerms: (t) => ({ cols: [chargeKw.at(t), dischargeKw.at(t)], coefs: [1 / eta, -eta] }),
  };
}
