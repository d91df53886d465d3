import { z } from 'zod';
import { InputError } from '@zonal/core';
import { parseWithSchema } from '@zonal/scenario';
import { solve, type ModelBuilder } from '@zonal/solver';
import { addStorage, storageGridKw, withStorage, type StorageVars } from '../storage-model';
import { loadShippedCase } from '../cases';
import type { DsoSignal, PolicyContext, ZoneAnswer, ZoneProblem } from '../policy';
import { buildZoneModel, solveZone, type ZoneModel, energyPrices } from '../zone-model';
import { modeWeights } from './ahp';
import { caseSchema, OBJECTIVE_COUNT, type MultiObjectiveCase } from './case-schema';
import { addShapeTerms, addToObjective, linear, shapeOf, type ObjectiveTerm } from './objectives';
import { normalisedScale, payoffTable, type Normalisation, type SolveFn } from './scalarise';

/**
 * The policy in the negotiation (SPEC §8): the zone's envelope groups (buildZoneModel) and its BESS
 * (ZoneResources.storage, when present) with seed 002's objectives — an LP, no binaries. Weights come from the
 * shipped case's AHP judgements in the zone file's `respondMode` (else the shipped case's), the payoff table from the zone's own envelope at its tariff
 * (computed once per zone). The DSO's terms are in yuan, so the objective is written in yuan too:
 * Σ ω_k F~_k times (F1's range / ω1), i.e. F1 + Σ_{k>1} (ω_k/ω1)(range1/range_k) F_k — the same
 * minimiser, with F2 and F3 priced at the AHP's exchange rate. That needs ω1 > 0.
 */
/** The shipped case (cases/multi-objective.json): the AHP judgements respond uses. */
export function shippedCase(): MultiObjectiveCase {
  return loadShippedCase('multi-objective', caseSchema);
}

interface ZoneObjectives {
  zm: ZoneModel;
  f: [ObjectiveTerm, ObjectiveTerm, ObjectiveTerm];
  net: number[];
  /** The zone's BESS (ZoneResources.storage), when it has one. */
  storage?: StorageVars;
}

/**
 * The zone model with an empty objective and the three objectives as terms (F1 at `prices`). The
 * zone's stationary storage (seed 002's BESS) joins the EVs as flexibility: its power is part of evKw
 * (the zone's flexible power, which the DSO's terms see) and of the net load F2 and F3 flatten; F1
 * prices its energy and, as seed 002, no degradation (SPEC §7.4: discharged EV energy only).
 */
function zoneObjectives(zone: ZoneProblem, signal: DsoSignal, prices: Float64Array, name: string, segments: number): ZoneObjectives {
  const units = zone.resources?.storage ?? [];
  let storage: StorageVars | undefined;
  const flex = units.length ? [(model: ModelBuilder) => (storage = addStorage(model, units, zone.grid))] : [];
  const zm = buildZoneModel(zone, signal, name, { flex, evCapsFor: zone });
  const m = zm.model;
  const T = zone.grid.periods, dt = zone.grid.dtH;
  // buildZoneModel prices degradation and the peak tie-break itself; F1 below carries them instead.
  m.setObjectiveCoef(zm.peakKw, -m.objectiveCoef(zm.peakKw));
  for (let t = 0; t < T; t++) m.setObjectiveCoef(zm.env.dischargeKw.at(t), -m.objectiveCoef(zm.env.dischargeKw.at(t)));
  const lo = new Float64Array(T), hi = new Float64Array(T), net: number[] = [];
  for (let t = 0; t < T; t++) {
    lo[t] = zone.baseNetLoadKw[t] + m.colLowerBound(zm.evKw[t]);
    hi[t] = zone.baseNetLoadKw[t] + m.colUpperBound(zm.evKw[t]);
    const p = m.addVar('zoneNet', [t], { lb: lo[t], ub: hi[t] });
    m.addConstraint('zoneNetDef', [t], [p, zm.evKw[t]], [1, -1], '=', zone.baseNetLoadKw[t]);
    net.push(p);
  }
  const shape = addShapeTerms(m, net, lo, hi, 'pwl', segments);
  const cols = [...zm.evKw, ...Array.from(zm.env.dischargeKw.columns()), zm.peakKw];
  const coefs = [...zm.evKw.map((_, t) => prices[t] * dt), ...zm.evKw.map(() => zone.degradationYuanPerKwh * dt), zone.peakTieBreakYuanPerKw];
  const baseCost = zone.baseNetLoadKw.reduce((a, p, t) => a + prices[t] * p * dt, 0);
  return { zm, net, f: [linear(cols, coefs, baseCost), shape.f2, shape.f3], storage };
}

const payoffs = new WeakMap<ZoneProblem, Normalisation>();

async function zoneNormalisation(zone: ZoneProblem, c: MultiObjectiveCase, solveFn: SolveFn): Promise<Normalisation> {
  let norm = payoffs.get(zone);
  if (!norm) {
    const build = (name: string) => {
      const z = zoneObjectives(zone, { round: 0 }, zone.tariffYuanPerKwh, name, c.variance.pwlSegments);
      return { ...z, model: z.zm.model };
    };
    const evaluate = ({ built, sol }: { built: ReturnType<typeof build>; sol: { value(col: number): number } }) => {
      const netKw = built.net.map((p) => sol.value(p));
      const discharge = Array.from(built.zm.env.dischargeKw.columns(), (col) => sol.value(col));
      const cost = netKw.reduce((a, p, t) => a + zone.tariffYuanPerKwh[t] * p * zone.grid.dtH, 0) + zone.degradationYuanPerKwh * zone.grid.dtH * discharge.reduce((a, b) => a + b, 0);
      const s = shapeOf(netKw);
      return [cost, s.varianceKw2, s.peakValleyKw];
    };
    norm = await payoffTable(build, OBJECTIVE_COUNT, evaluate, solveFn, c.normalisationMinRange, `zone${zone.zoneId}-payoff`);
    payoffs.set(zone, norm);
  }
  return norm;
}

/**
 * multi-objective's parameters in a zone file: the AHP mode its answers weigh the objectives by;
 * absent, the shipped case's `respondMode`. The judgements themselves are the shipped case's.
 */
export const multiObjectiveParamsSchema = z.strictObject({ respondMode: z.enum(['economy', 'response']).optional() });

/** The case's fields respond reads from the shipped case, beside the mode a zone file may set. */
export const RESPOND_SETTINGS = ['ahp', 'variance', 'normalisationMinRange', 'solveTimeLimitS'] as const;

export async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const c = shippedCase();
  const mode = parseWithSchema(multiObjectiveParamsSchema, zone.params ?? {}, `zone ${zone.zoneId}: policy.params`).respondMode ?? c.respondMode;
  const { weights } = modeWeights(c.ahp[mode].judgements, { randomIndex: c.ahp.randomIndex, maxConsistencyRatio: c.ahp.maxConsistencyRatio });
  if (!(weights[0] > 0)) throw new InputError(`the ${mode} mode gives cost no weight, so flatness has no price in yuan`, `ahp.${mode}`);
  const solveFn: SolveFn = (model: ModelBuilder) => solve(model, { exportLp: ctx.exporter, timeLimitS: c.solveTimeLimitS });
  const norm = await zoneNormalisation(zone, c, solveFn);
  // Under consensus ADMM the multiplier λ prices the zone's energy (policy.ts); otherwise the DSO's prices or the tariff.
  const prices = energyPrices(zone, signal);
  const { zm, f, storage } = zoneObjectives(zone, signal, prices, `zone${zone.zoneId}`, c.variance.pwlSegments);
  const toYuan = norm.nadir[0] - norm.ideal[0] < norm.minRange ? 1 : (norm.nadir[0] - norm.ideal[0]) / weights[0];
  addToObjective(zm.model, f[0], 1);
  for (let k = 1; k < OBJECTIVE_COUNT; k++) addToObjective(zm.model, f[k], toYuan * normalisedScale(norm, k, weights[k]));
  const { sol, answer } = await solveZone(zm, zone, prices, ctx);
  if (!storage) return answer;
  return withStorage(answer, storageGridKw(zone.resources!.storage, storage, sol, zone.grid.periods), prices, zone.grid.dtH);
}
