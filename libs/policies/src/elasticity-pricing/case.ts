import { z } from 'zod';
import { evFleetSchema } from '@zonal/scenario';
import { loadShippedCase } from '../cases';
import { baseLoadSchema, caseHeader, tariffBlocks } from '../common';

/**
 * The elasticity-pricing case (SPEC §7.1, seed 001 §2.7–2.8): one aggregation zone, its base load and
 * EV fleet, the TOU tariff as base charging price, the elasticity matrix, and the zone target PZ.
 */
const row = z.tuple([z.number().min(-10).max(10), z.number().min(-10).max(10), z.number().min(-10).max(10)]);

const priceChangeMin = z.number().min(-1).max(0);
const priceChangeMax = z.number().min(0).max(10);
const priceChangeWeight = z.number().min(0).max(1e6);

const zoneTarget = z.discriminatedUnion('kind', [
  /**
   * Declared default: flatten the zone's uncoordinated net load (base + EVs charging on arrival):
   * PZ(t) = (1 - share) * U(t) + share * mean(U). share 1 is a flat line at the day's mean.
   */
  z.strictObject({ kind: z.literal('flatten'), share: z.number().min(0).max(1) }),
  /** PZ given hour by hour (held over each period of the hour). */
  z.strictObject({ kind: z.literal('hourly'), kw: z.array(z.number().min(-1e7).max(1e7)).length(24) }),
]);

export const elasticityCaseSchema = z.strictObject({
  ...caseHeader,
  /** The base charging price of each class is the grid TOU (SPEC §7.1); blocks carry the class codes. */
  tariff: tariffBlocks,
  baseLoadKw: baseLoadSchema,
  fleet: evFleetSchema,
  /** Rows and columns in the order p, o, v (seed 001 eq 35). */
  elasticityMatrix: z.tuple([row, row, row]),
  relativePriceChange: z.strictObject({ min: priceChangeMin, max: priceChangeMax }),
  /** Weight of sum_class |relative price change| in the objective (kWh of deviation per unit). */
  priceChangeWeight,
  /**
   * Weight per kWh discharged by a V2G user (kWh of deviation). Must exceed 1/eta - eta: charging and
   * discharging at once lifts the draw by that much per kWh cycled, which would otherwise "track" PZ by
   * burning energy.
   */
  v2gDischargeWeightPerKwh: z.number().min(0).max(1e6),
  zoneTarget,
  peakTieBreakYuanPerKw: z.number().min(0).max(1),
}).superRefine((c, ctx) => {
  const burn = 1 / c.fleet.eta - c.fleet.eta;
  if (!(c.v2gDischargeWeightPerKwh > burn)) {
    ctx.addIssue({
      code: 'custom', path: ['v2gDischargeWeightPerKwh'],
      message: `(${c.v2gDischargeWeightPerKwh}) must exceed 1/eta - eta = ${burn.toFixed(4)}, or the LP tracks PZ by charging and discharging at once`,
    });
  }
  for (let t = 0; t < c.time.periods; t++) {
    const h = t * c.time.dtH;
    const n = c.tariff.filter((b) => h >= b.fromH && h < b.toH).length;
    if (n !== 1) {
      ctx.addIssue({ code: 'custom', path: ['tariff'], message: `hour ${h} is ${n === 0 ? 'not priced by any block' : 'priced by more than one block'}` });
      break;
    }
  }
  const codes = new Set(c.tariff.map((b) => b.code));
  for (const code of ['p', 'o', 'v'] as const) {
    if (!codes.has(code)) ctx.addIssue({ code: 'custom', path: ['tariff'], message: `has no "${code}" block: the elasticity matrix prices p, o and v` });
  }
});

export type ElasticityCase = z.infer<typeof elasticityCaseSchema>;

/** The shipped case (cases/elasticity-pricing.json): the defaults of a zone's parameters. */
export function shippedCase(): ElasticityCase {
  return loadShippedCase('elasticity-pricing', elasticityCaseSchema);
}

/**
 * w_cg, yuan per kWh over PZ (SPEC §8): 1.5x the peak tariff, so exceeding PZ never beats buying at
 * peak. The shipped case has no field for it (its standalone target carries no price), so the
 * default is declared here; a zone file sets `excessPenaltyYuanPerKwh`.
 */
const EXCESS_PENALTY_DEFAULT_YUAN_PER_KWH = 1.68;

/**
 * The policy's parameters in a zone file (`policy.params`, SPEC §7.1 in the negotiation). Every field
 * is optional; its default is the shipped case's (read when a zone file leaves it out), w_cg's SPEC §8's.
 * w_cg applies when the DSO's signal carries no penalty of its own (round 0, consensus ADMM).
 */
export const elasticityParamsSchema = z.strictObject({
  elasticityMatrix: z.tuple([row, row, row]).default(() => shippedCase().elasticityMatrix),
  relativePriceChange: z.strictObject({
    min: priceChangeMin.default(() => shippedCase().relativePriceChange.min),
    max: priceChangeMax.default(() => shippedCase().relativePriceChange.max),
  }).default(() => ({ ...shippedCase().relativePriceChange })),
  /** Yuan per unit of sum_class |relative price change| (SPEC §7.1: 0.01). */
  priceChangeWeight: priceChangeWeight.default(() => shippedCase().priceChangeWeight),
  excessPenaltyYuanPerKwh: z.number().min(0).max(1e6).default(EXCESS_PENALTY_DEFAULT_YUAN_PER_KWH),
});

export type ElasticityParams = z.infer<typeof elasticityParamsSchema>;
