/** Builds a ModelBuilder from a dense test problem (variables `x(j)`, rows `r(i)`). */
import { ModelBuilder } from '../model';
import type { DenseProblem } from './reference-lp';

export function denseModel(p: DenseProblem, name: string, integer = false): ModelBuilder {
  const m = new ModelBuilder(name);
  const x = m.addVars('x', [p.c.length], ([j]) => ({ lb: p.lb[j], ub: p.ub[j], integer }));
  p.c.forEach((cj, j) => m.setObjectiveCoef(x.at(j), cj));
  p.a.forEach((row, i) => m.addConstraint('r', [i], Array.from(x.columns()), row, p.sense[i], p.b[i]));
  return m;
}
