import type { AggregateEnvelope, AnchoredEnvelope, TimeGrid } from '@zonal/ev';
import type { ModelBuilder, VarBlock } from '@zonal/solver';

/**
 * A fleet's aggregate envelope as model variables (SPEC §6): battery-side charge c[t] ≥ 0 and
 * discharge d[t] ≥ 0 within the summed power limits, energy gained since the envelope's anchor
 * boundary E[k+1] = E[k] + (c[k] − d[k])·dt within [eMin, eMax] at every boundary, E[anchor] = 0.
 * Grid side: c/eta drawn, d·eta returned (SPEC §2's efficiency on both sides).
 */
export interface EnvelopeVars {
  chargeKw: VarBlock; // [T], battery side, indexed by day period
  dischargeKw: VarBlock; // [T], battery side, indexed by day period
  /** Grid-side power of period t = Σ coefs · cols (charging positive). */
  gridTerms(t: number): { cols: number[]; coefs: number[] };
}

/**
 * One envelope of a group of EVs, computed on a day rotated by `shiftPeriods` (its period τ is the
 * day's period (τ + shift) mod T), so that the anchor E = 0 sits at a boundary where none of the
 * group's EVs is plugged in: then each EV's share is exact, not loosened by a stay across the anchor.
 */
export type EnvelopeGroup = AnchoredEnvelope;

export function addEnvelope(m: ModelBuilder, env: AggregateEnvelope, eta: number, grid: TimeGrid, prefix = 'ev', shiftPeriods = 0): EnvelopeVars & { energyKwh: VarBlock } {
  const T = grid.periods, dt = grid.dtH;
  // Variables are indexed by the envelope's own (rotated) period τ; day period t = (τ + shift) mod T.
  const chargeKw = m.addVars(`${prefix}C`, [T], ([tau]) => ({ lb: 0, ub: Math.max(0, env.pMaxKw[tau]) }));
  const dischargeKw = m.addVars(`${prefix}D`, [T], ([tau]) => ({ lb: 0, ub: Math.max(0, -env.pMinKw[tau]) }));
  const energyKwh = m.addVars(`${prefix}E`, [T + 1], ([k]) => (k === 0 ? { lb: 0, ub: 0 } : { lb: env.eMinKwh[k], ub: env.eMaxKwh[k] }));
  for (let tau = 0; tau < T; tau++) {
    m.addConstraint(`${prefix}Soc`, [tau], [energyKwh.at(tau + 1), energyKwh.at(tau), chargeKw.at(tau), dischargeKw.at(tau)], [1, -1, -dt, dt], '=', 0);
  }
  if (shiftPeriods === 0) {
    return { chargeKw, dischargeKw, energyKwh, gridTerms: (t) => ({ cols: [chargeKw.at(t), dischargeKw.at(t)], coefs: [1 / eta, -eta] }) };
  }
  // Day-indexed views of the rotated blocks, so callers never see the rotation.
  const dayCharge = m.addVars(`${prefix}Cday`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, env.pMaxKw[(t - shiftPeriods + T) % T]) }));
  const dayDischarge = m.addVars(`${prefix}Dday`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, -env.pMinKw[(t - shiftPeriods + T) % T]) }));
  for (let t = 0; t < T; t++) {
    const tau = (t - shiftPeriods + T) % T;
    m.addConstraint(`${prefix}Crot`, [t], [dayCharge.at(t), chargeKw.at(tau)], [1, -1], '=', 0);
    m.addConstraint(`${prefix}Drot`, [t], [dayDischarge.at(t), dischargeKw.at(tau)], [1, -1], '=', 0);
  }
  return { chargeKw: dayCharge, dischargeKw: dayDischarge, energyKwh, gridTerms: (t) => ({ cols: [dayCharge.at(t), dayDischarge.at(t)], coefs: [1 / eta, -eta] }) };
}

/**
 * Several envelope groups of one fleet as one: combined charge and discharge per day period are the
 * sums over the groups (explicit columns, so a policy prices discharge on one block).
 */
export function addEnvelopeGroups(m: ModelBuilder, groups: readonly EnvelopeGroup[], eta: number, grid: TimeGrid, prefix = 'ev'): EnvelopeVars {
  if (groups.length === 1) return addEnvelope(m, groups[0].envelope, eta, grid, prefix, groups[0].shiftPeriods);
  const T = grid.periods;
  const parts = groups.map((g, i) => addEnvelope(m, g.envelope, eta, grid, `${prefix}${i}`, g.shiftPeriods));
  const chargeKw = m.addVars(`${prefix}C`, [T], { lb: 0 });
  const dischargeKw = m.addVars(`${prefix}D`, [T], { lb: 0 });
  for (let t = 0; t < T; t++) {
    m.setColBounds(chargeKw.at(t), 0, parts.reduce((a, p) => a + m.colUpperBound(p.chargeKw.at(t)), 0));
    m.setColBounds(dischargeKw.at(t), 0, parts.reduce((a, p) => a + m.colUpperBound(p.dischargeKw.at(t)), 0));
    m.addConstraint(`${prefix}Csum`, [t], [chargeKw.at(t), ...parts.map((p) => p.chargeKw.at(t))], [1, ...parts.map(() => -1)], '=', 0);
    m.addConstraint(`${prefix}Dsum`, [t], [dischargeKw.at(t), ...parts.map((p) => p.dischargeKw.at(t))], [1, ...parts.map(() => -1)], '=', 0);
  }
  return { chargeKw, dischargeKw, gridTerms: (t) => ({ cols: [chargeKw.at(t), dischargeKw.at(t)], coefs: [1 / eta, -eta] }) };
}
