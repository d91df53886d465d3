import type { PolicyContext, PolicyReport, ZonePolicy } from '../policy';
import { buildAreaObjectives } from './area-model';
import { caseSchema, type MultiObjectiveCase } from './case-schema';
import { toReport } from './report';
import { respond } from './respond';
import { runStudy } from './study';

/**
 * multi-objective (SPEC §7.4, seed 002): a building's V2G area — load, rooftop PV, BESS and 50 EVs —
 * scheduled by the weighted sum of F1 (cost + degradation), F2 (net-load variance) and F3
 * (peak-to-valley), normalised with the payoff table, with AHP weights for an economy and a response
 * mode, repaired after solving so no battery charges and discharges at once; compared with
 * uncoordinated charging, plus the Pareto front by weight sweep.
 */
async function runCase(c: MultiObjectiveCase, ctx: PolicyContext): Promise<PolicyReport> {
  const study = await runStudy(c, ctx);
  const width = buildAreaObjectives(study.data, 'width', 'pwl', c.variance.pwlSegments).shape.segmentWidthKw;
  return toReport(c, study, width);
}

export const multiObjective: ZonePolicy<MultiObjectiveCase> = {
  name: 'multi-objective',
  summary: 'weighted cost / variance / peak-valley with payoff-table normalisation and AHP weights (economy and response modes), exclusivity repair, Pareto sweep',
  source: 'seed 002 §1–3, SPEC §7.4',
  caseSchema,
  runCase,
  respond,
};
