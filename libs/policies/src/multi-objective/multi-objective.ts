import { Fleet, sampleSeed002Fleet } from '@zonal/ev';
import { caseZoneHeader, declaredZoneSettings, zoneTariff } from '../case-zone';
import { atPeriods } from '../common';
import type { CaseZone, PolicyContext, PolicyReport, ZonePolicy } from '../policy';
import { buildAreaObjectives } from './area-model';
import { caseSchema, type MultiObjectiveCase } from './case-schema';
import { toReport } from './report';
import { multiObjectiveParamsSchema, respond, RESPOND_SETTINGS, shippedCase } from './respond';
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

/**
 * The case as one zone: the building's load less its rooftop PV as the base net load, the BESS as the
 * zone's storage, the car park's EVs (drawn as runStudy draws them), the tariff, seed 002's
 * degradation per kWh discharged, and the case's AHP mode for the zone's answers.
 */
function caseZone(c: MultiObjectiveCase, ctx: PolicyContext): CaseZone {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const fleet = sampleSeed002Fleet(c.fleet, ctx.rng);
  const building = atPeriods(c.buildingLoadKw.profile, grid, c.buildingLoadKw.peakKw);
  const pv = atPeriods(c.pvKw.profile, grid, c.pvKw.peakKw);
  const b = c.bess;
  const shipped = shippedCase();
  const differ = RESPOND_SETTINGS.filter((f) => JSON.stringify(c[f]) !== JSON.stringify(shipped[f]));
  return {
    zone: {
      ...caseZoneHeader('multi-objective', c), time: c.time, tariff: zoneTariff(c.tariff),
      baseNetLoadKw: Array.from(building, (p, t) => p - pv[t]),
      policy: { name: 'multi-objective', params: { respondMode: c.respondMode } },
      // Seed 002: c_coeff/100 · C_replace per unit of SOC, i.e. per capacityKwh discharged (as caseData).
      degradationYuanPerKwh: ((c.degradation.cCoeffPct / 100) * c.degradation.replacementCostYuan) / c.fleet.capacityKwh,
      peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
      envelopeGrouping: declaredZoneSettings().envelopeGrouping,
      storage: [{ id: 'bess', energyKwh: b.capacityKwh, powerKw: b.pMaxKw, eta: b.eta, socMin: b.socMin, socMax: b.socMax, socInitial: b.socStart }],
    },
    sessions: Fleet.toSpecs(fleet),
    notes: [
      `the case's ${fleet.size} EVs (seed ${c.seed}, drawn as zonal policy multi-objective draws them); base net load: the building's ${c.buildingLoadKw.peakKw} kW peak less its ${c.pvKw.peakKw} kW rooftop PV; storage "bess": its ${b.capacityKwh} kWh / ${b.pMaxKw} kW BESS`,
      `the zone answers in the case's ${c.respondMode} mode (policy.params.respondMode), an LP without the exclusivity repair; the Pareto sweep is standalone only`,
      ...(differ.length ? [`in a zone, multi-objective weighs with the shipped case's settings (cases/multi-objective.json); this case's ${differ.join(', ')} differ and are not carried`] : []),
    ],
  };
}

export const multiObjective: ZonePolicy<MultiObjectiveCase> = {
  name: 'multi-objective',
  summary: 'weighted cost / variance / peak-valley with payoff-table normalisation and AHP weights (economy and response modes), exclusivity repair, Pareto sweep',
  source: 'seed 002 §1–3, SPEC §7.4',
  caseSchema,
  runCase,
  paramsSchema: multiObjectiveParamsSchema,
  respond,
  caseZone,
};
