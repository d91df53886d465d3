import { z } from 'zod';
import { checkSocOrder, evBatteryFields, normalHSchema } from '@zonal/scenario';
import { baseLoadSchema, caseHeader, tariffBlocks } from '../common';
import { judgementIssues, type AhpLimits } from './ahp';

/**
 * The multi-objective case (SPEC §7.4, seed 002 §3): every number of the study, units in the names.
 */
const fraction = z.number().min(0).max(1);

/** Seed 002 fleet (SPEC §6), the fields of @zonal/ev's Seed002FleetParams. */
const seed002FleetSchema = z.strictObject({
  // Per-EV variables (and binaries in the repair): a building's car park, not a feeder's fleet.
  count: z.number().int().min(1).max(500),
  arrivalH: normalHSchema,
  departureH: normalHSchema,
  initialSocRatePerSoc: z.number().min(0).max(100),
  ...evBatteryFields,
  v2gShare: fraction,
}).superRefine(checkSocOrder);

const bessSchema = z.strictObject({
  capacityKwh: z.number().positive().max(1e6),
  /** Battery side, each way. */
  pMaxKw: z.number().min(0).max(1e6),
  eta: z.number().gt(0).max(1),
  socMin: fraction,
  socMax: fraction,
  /** SOC at 00:00 and again at 24:00 (SPEC §2: storage ends the day where it began). */
  socStart: fraction,
}).superRefine((b, ctx) => {
  if (b.socMin > b.socMax) ctx.addIssue({ code: 'custom', path: ['socMin'], message: `(${b.socMin}) must not exceed socMax (${b.socMax})` });
  if (b.socStart < b.socMin || b.socStart > b.socMax) {
    ctx.addIssue({ code: 'custom', path: ['socStart'], message: `(${b.socStart}) must lie in [socMin, socMax] = [${b.socMin}, ${b.socMax}]` });
  }
});

/** A judgement: a number or a fraction such as "7/2" (SPEC writes the shipped matrices that way). */
const FRACTION = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)\s*$/;
const JUDGEMENT_FORM = 'must be a number or a fraction such as "7/2"';
const judgement = z.union([
  z.number(),
  z.string().regex(FRACTION, JUDGEMENT_FORM).transform((s) => {
    const [, p, q] = FRACTION.exec(s)!;
    return Number(p) / Number(q);
  }),
], { error: JUDGEMENT_FORM });
const pairwiseMatrix = z.array(z.array(judgement));
/** One matrix per expert; the mode's weights are the experts' mean (seed 002 §2.3 step 4). */
const modeJudgements = z.strictObject({ judgements: z.array(pairwiseMatrix).min(1) });

export const OBJECTIVE_COUNT = 3;

const ahpSchema = z.strictObject({
  /** Saaty's random index for three objectives. */
  randomIndex: z.number().positive(),
  maxConsistencyRatio: z.number().positive().max(1),
  economy: modeJudgements,
  response: modeJudgements,
}).superRefine((ahp, ctx) => {
  const limits: AhpLimits = { randomIndex: ahp.randomIndex, maxConsistencyRatio: ahp.maxConsistencyRatio };
  for (const mode of ['economy', 'response'] as const) {
    ahp[mode].judgements.forEach((matrix, e) => {
      for (const issue of judgementIssues(matrix, OBJECTIVE_COUNT, limits)) {
        ctx.addIssue({ code: 'custom', path: [mode, 'judgements', e, ...issue.path], message: issue.message });
      }
    });
  }
});

export const caseSchema = z.strictObject({
  ...caseHeader,
  tariff: tariffBlocks,
  buildingLoadKw: baseLoadSchema,
  pvKw: baseLoadSchema,
  bess: bessSchema,
  fleet: seed002FleetSchema,
  /** Seed 002 C_deg = c_coeff/100 · |ΔSOC| · C_replace, charged on discharged energy only (SPEC §7.4). */
  degradation: z.strictObject({ cCoeffPct: z.number().min(0), replacementCostYuan: z.number().min(0) }),
  peakTieBreakYuanPerKw: z.number().min(0),
  variance: z.strictObject({
    /** `pwl`: an LP that GLPK can re-check; `qp`: exact, convex, not exportable. */
    form: z.enum(['pwl', 'qp']),
    pwlSegments: z.number().int().min(1).max(1000),
  }),
  /** F~ = 0 when F_nadir − F* is below this. */
  normalisationMinRange: z.number().min(0),
  ahp: ahpSchema,
  pareto: z.strictObject({
    /** Weight-sweep grid on the simplex: every ω with entries in multiples of this step. */
    weightStep: z.number().gt(0).max(1).refine((s) => Math.abs(1 / s - Math.round(1 / s)) < 1e-9, { message: 'must divide 1 (e.g. 0.25, 0.2, 0.1)' }),
  }),
  repair: z.strictObject({
    deviationPenaltyYuanPerKwh: z.number().positive(),
    /** LP re-solves with burning battery-periods locked, when the fixed profile cannot be made. */
    maxResolves: z.number().int().min(0).max(20),
  }),
  /** The mode `respond` uses in the negotiation. */
  respondMode: z.enum(['economy', 'response']),
  solveTimeLimitS: z.number().positive().max(600),
}).superRefine((c, ctx) => {
  // Every period must be priced exactly once, or the cost is undefined.
  for (let t = 0; t < c.time.periods; t++) {
    const h = t * c.time.dtH + 1e-9;
    const n = c.tariff.filter((b) => h >= b.fromH && h < b.toH).length;
    if (n !== 1) {
      ctx.addIssue({ code: 'custom', path: ['tariff'], message: `hour ${(h - 1e-9).toFixed(2)} is ${n === 0 ? 'not priced by any block' : 'priced by more than one block'}` });
      return;
    }
  }
});

export type MultiObjectiveCase = z.infer<typeof caseSchema>;
export type ModeName = 'economy' | 'response';
