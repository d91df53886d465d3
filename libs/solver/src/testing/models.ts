/** Small models shared by the export and cross-check tests. */
import { ModelBuilder } from '../model';

/** Every feature of the LP writer: free, fixed, one-sided and negative bounds, ranges, integers, a constant. */
export function featureModel(): ModelBuilder {
  const m = new ModelBuilder('dso');
  const pg = m.addVars('Pg', [2], { ub: 100 });
  const v = m.addVar('V', [12, 3], { lb: -Infinity });
  const n = m.addVar('n', [1], { integer: true, ub: 5 });
  const b = m.addVar('b', [1], { integer: true, ub: 1 });
  const w = m.addVar('w', [], { lb: -2 });
  const f = m.addVar('f', [], { lb: 1.5, ub: 1.5 });
  const u = m.addVar('u', [], { lb: -Infinity, ub: 4 });
  m.setObjectiveCoef(pg.at(0), 0.1);
  m.setObjectiveCoef(pg.at(1), -1e-7);
  m.setObjectiveCoef(n, -1);
  m.setObjectiveCoef(b, 0.5);
  m.setObjectiveCoef(w, 0.25);
  m.setObjectiveCoef(u, -0.5);
  m.addObjectiveConstant(12.5);
  m.addConstraint('bal', [1], [pg.at(0), pg.at(1), v], [1, 1, -1], '=', 3);
  m.addRangeConstraint('vlim', [12, 3], [v], [1], 0.81, 1.1025);
  // Binding: its LP relaxation takes b = 0.75 (objective 5.375), the MILP b = 1 (5.5 - 4.1e-7).
  m.addConstraint('cap', [], [n, b, w, f, u], [1, -2, 1, 1, 1], '<=', 7);
  return m;
}

/** The text featureModel() must export to, written out by hand. */
export const FEATURE_MODEL_LP = `\\ Model "dso": 8 variables, 3 constraints, 9 nonzeros (@zonal/solver)
\\ The objective constant 12.5 is the cost of const_one, fixed to 1.
Minimize
 obj: 0.1 Pg(0) - 1e-7 Pg(1) - 1 n(1) + 0.5 b(1) + 0.25 w - 0.5 u + 12.5 const_one
Subject To
 bal(1): 1 Pg(0) + 1 Pg(1) - 1 V(12.3) = 3
 vlim(12.3).lo: 1 V(12.3) >= 0.81
 vlim(12.3).hi: 1 V(12.3) <= 1.1025
 cap: 1 n(1) - 2 b(1) + 1 w + 1 f + 1 u <= 7
Bounds
 0 <= Pg(0) <= 100
 0 <= Pg(1) <= 100
 V(12.3) free
 0 <= n(1) <= 5
 w >= -2
 f = 1.5
 -inf <= u <= 4
 const_one = 1
Generals
 n(1)
Binaries
 b(1)
End
`;

/**
 * A day of battery arbitrage under SPEC §3's TOU tariff, the shape of a zone model: a grid
 * purchase per hour, SOC dynamics E[t+1] = E[t] + (eta pc - pd / eta) dt, a periodic day, a peak
 * epigraph and a demand to meet.
 */
export function arbitrageModel(): ModelBuilder {
  const price = [0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 0.35, 1.12, 1.12, 1.12, 1.12, 0.68, 0.68, 0.68, 0.68, 0.68, 1.12, 1.12, 1.12, 1.12, 1.12, 0.68, 0.68];
  const loadKw = [62, 58, 55, 54, 55, 60, 68, 76, 84, 90, 95, 99, 100, 98, 97, 96, 92, 90, 93, 98, 100, 99, 90, 75];
  const T = 24;
  const eta = 0.95;
  const m = new ModelBuilder('arbitrage');
  const grid = m.addVars('Pgrid', [T]);
  const pc = m.addVars('Pc', [T], { ub: 30 });
  const pd = m.addVars('Pd', [T], { ub: 30 });
  const e = m.addVars('E', [T + 1], { lb: 20, ub: 180 });
  const peak = m.addVar('peak', []);
  for (let t = 0; t < T; t++) {
    m.addConstraint('balance', [t], [grid.at(t), pc.at(t), pd.at(t)], [1, -1, 1], '=', loadKw[t]);
    m.addConstraint('soc', [t], [e.at(t + 1), e.at(t), pc.at(t), pd.at(t)], [1, -1, -eta, 1 / eta], '=', 0);
    m.addConstraint('peak', [t], [grid.at(t), peak], [1, -1], '<=', 0);
    m.setObjectiveCoef(grid.at(t), price[t]);
    m.setObjectiveCoef(pd.at(t), 0.05);
  }
  m.addConstraint('periodic', [], [e.at(T), e.at(0)], [1, -1], '=', 0);
  m.addConstraint('start', [], [e.at(0)], [1], '=', 100);
  m.setObjectiveCoef(peak, 0.001);
  return m;
}
