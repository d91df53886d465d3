import { z } from 'zod';

/**
 * The scenario schema: every declared default of SPEC §3–4 (and §6's default fleet) lives in a
 * scenario file validated here, never as a literal in code. Units are in the field names; ranges are
 * physical (a negative capacity or a price of NaN is refused with the field's path).
 */

const kw = (max = 1e7) => z.number().min(0).max(max);
const fraction = z.number().min(0).max(1);
export const hourlyProfile = z.array(fraction).length(24);
/**
 * A scenario profile: 24 hourly factors (held constant within the hour), or one factor per period —
 * what a CSV time series named in a scenario file becomes on loading (profile-refs.ts, profile-file.ts).
 */
const profileFactors = z.array(fraction, { error: 'must be 24 hourly factors or one factor per period (a CSV time series file is read when a scenario or DSO file is loaded from disk)' }).min(1);

/** Each profile has 24 values or time.periods values (SPEC §2). */
export function checkProfileLengths(s: { time: { periods: number }; profiles: Record<string, readonly number[]> }, ctx: z.RefinementCtx): void {
  for (const [name, values] of Object.entries(s.profiles)) {
    if (values.length !== 24 && values.length !== s.time.periods) {
      ctx.addIssue({ code: 'custom', path: ['profiles', name], message: `has ${values.length} values: give 24 hourly factors or one per period (time.periods = ${s.time.periods})` });
    }
  }
}
const hourOfDay = z.number().min(0).max(24);

export const timeSchema = z.strictObject({
  periods: z.number().int().min(1).max(2880),
  dtH: z.number().positive().max(24),
}).refine((t) => Math.abs(t.periods * t.dtH - 24) < 1e-9, {
  message: 'periods × dtH must cover exactly 24 h (SPEC §2: the day is periodic)',
});

export const tariffBlockSchema = z.strictObject({
  code: z.enum(['v', 'o', 'p']),
  fromH: hourOfDay,
  toH: hourOfDay,
  priceYuanPerKwh: z.number().min(0).max(100),
});

export const tariffSchema = z.strictObject({
  blocks: z.array(tariffBlockSchema).min(1),
  demandCharge: z.strictObject({
    enabled: z.boolean(),
    yuanPerKvaMonth: z.number().min(0),
    daysPerMonth: z.number().positive().max(31),
  }),
}).superRefine((tariff, ctx) => {
  // Every hour of the day must be priced exactly once.
  const cover = new Array<number>(24 * 60).fill(0);
  for (const b of tariff.blocks) {
    if (b.toH <= b.fromH) continue;
    for (let m = Math.round(b.fromH * 60); m < Math.round(b.toH * 60); m++) cover[m]++;
  }
  tariff.blocks.forEach((b, i) => {
    if (b.toH <= b.fromH) ctx.addIssue({ code: 'custom', path: ['blocks', i, 'toH'], message: `must be after fromH (${b.fromH})` });
  });
  const gap = cover.findIndex((c) => c !== 1);
  if (gap >= 0) {
    const h = (gap / 60).toFixed(2);
    ctx.addIssue({ code: 'custom', path: ['blocks'], message: `hour ${h} is ${cover[gap] === 0 ? 'not priced by any block' : 'priced by more than one block'}` });
  }
});

const unitAtBus = z.strictObject({ bus: z.number().int().min(1), pMaxKw: kw() });

const dieselSchema = z.strictObject({
  bus: z.number().int().min(1),
  pMinKw: kw(),
  pMaxKw: kw(),
  costYuanPerKwh: z.number().min(0),
  emissionTPerMwh: z.number().min(0),
  mustRun: z.boolean(),
}).refine((d) => d.pMinKw <= d.pMaxKw, { message: 'pMinKw must not exceed pMaxKw', path: ['pMinKw'] });

const capacitorSchema = z.strictObject({
  bus: z.number().int().min(1),
  stepKvar: kw(),
  steps: z.number().int().min(1).max(100),
});

const carbonSchema = z.strictObject({
  quotaTPerMwh: z.number().min(0),
  basePriceYuanPerT: z.number().min(0),
  intervalT: z.number(),
  growth: z.number(),
  salePriceYuanPerT: z.number().min(0),
}).superRefine((c, ctx) => {
  // Seed 001 eq 4 is convex (and so exact as an LP epigraph) only when d > 0, k >= 0 and s <= c.
  if (!(c.intervalT > 0)) ctx.addIssue({ code: 'custom', path: ['intervalT'], message: `must be > 0 for a convex carbon ladder, got ${c.intervalT}` });
  if (!(c.growth >= 0)) ctx.addIssue({ code: 'custom', path: ['growth'], message: `must be >= 0 for a convex carbon ladder (each step dearer than the last), got ${c.growth}` });
  if (c.salePriceYuanPerT > c.basePriceYuanPerT) {
    ctx.addIssue({ code: 'custom', path: ['salePriceYuanPerT'], message: `(${c.salePriceYuanPerT}) must not exceed basePriceYuanPerT (${c.basePriceYuanPerT}): selling quota dearer than buying makes the carbon ladder non-convex` });
  }
});

export const normalHSchema = z.strictObject({ mean: z.number().min(-24).max(48), sd: z.number().min(0).max(24) });

/** An EV's battery and charger (SPEC §6), shared by every fleet a scenario or a policy case samples. */
export const evBatteryFields = {
  capacityKwh: z.number().positive().max(1000),
  pChargeMaxKw: z.number().positive().max(1000),
  pDischargeMaxKw: z.number().min(0).max(1000),
  eta: z.number().gt(0).max(1),
  socMin: fraction,
  socMax: fraction,
  socTarget: fraction,
};

/** socMin ≤ socMax and socTarget ≤ socMax, named by field. */
export function checkSocOrder(f: { socMin: number; socMax: number; socTarget: number }, ctx: z.RefinementCtx): void {
  if (f.socMin > f.socMax) ctx.addIssue({ code: 'custom', path: ['socMin'], message: `(${f.socMin}) must not exceed socMax (${f.socMax})` });
  if (f.socTarget > f.socMax) ctx.addIssue({ code: 'custom', path: ['socTarget'], message: `(${f.socTarget}) must not exceed socMax (${f.socMax})` });
}

export const evFleetSchema = z.strictObject({
  count: z.number().int().min(0).max(10_000_000),
  residentialShare: fraction,
  residential: z.strictObject({ arrivalH: normalHSchema, departureH: normalHSchema }),
  workplace: z.strictObject({ arrivalH: normalHSchema, departureH: normalHSchema }),
  ...evBatteryFields,
  arrivalSoc: z.strictObject({
    fullSoc: fraction,
    socPerKm: z.number().min(0),
    floorSoc: fraction,
  }),
  dailyKm: z.strictObject({ logMu: z.number(), logSigma: z.number().min(0) }),
  v2gShare: fraction,
  placement: z.literal('by-load'),
}).superRefine(checkSocOrder);

const networkSchema = z.strictObject({
  case: z.string().min(1),
  loadScale: z.number().positive().max(100),
  voltageBandPu: z.tuple([z.number().min(0.5).max(1.5), z.number().min(0.5).max(1.5)])
    .refine(([lo, hi]) => lo < hi, { message: 'lower limit must be below the upper limit' }),
  voltagePenaltyYuanPerPuBusH: z.number().min(0),
  lineRating: z.strictObject({
    baseCaseMultiple: z.number().positive(),
    polygonSides: z.number().int().min(4).max(256),
    overloadPenaltyYuanPerKvaH: z.number().min(0),
  }),
  /** Successive-LP loss correction (SPEC §3): re-solve with AC branch currents until |V_LP − V_AC| ≤ tolPu. */
  lossCorrection: z.strictObject({ maxRounds: z.number().int().min(0).max(50), tolPu: z.number().positive() }),
  /** An AC voltage or flow is reported as a violation only past the limit by more than this (pu). */
  violationTolPu: z.number().min(0).max(0.01),
  /**
   * The substation transformer: |S| of the purchase at most `ratingKva` (an inscribed polygon in the
   * LP, like the line ratings), soft at `overloadPenaltyYuanPerKvaH`; the AC check reports overloads.
   */
  substation: z.strictObject({
    ratingKva: z.number().positive(),
    polygonSides: z.number().int().min(4).max(256),
    overloadPenaltyYuanPerKvaH: z.number().min(0),
  }).optional(),
});

const partitionSchema = z.strictObject({
  resolutions: z.array(z.number().positive()).min(1),
  rngSeeds: z.array(z.number().int().min(0).max(0xffffffff)).min(1),
  weights: z.strictObject({ modularity: z.number().min(0), flexibility: z.number().min(0), balance: z.number().min(0) }),
  sizePenalty: z.strictObject({ minBuses: z.number().int().min(1), maxBuses: z.number().int().min(1), perZone: z.number().min(0) }),
  wA: fraction,
  wE: fraction,
  gamma: z.number().positive(),
});

const zonesSchema = z.strictObject({
  /** Zone policy of every zone agent (SPEC §7; `zonal policy --help` lists them). */
  policy: z.string().min(1),
  degradationYuanPerKwh: z.number().min(0),
  peakTieBreakYuanPerKw: z.number().min(0),
  /** How finely each zone's fleet is split into envelopes: anchor | arrival | window | window-energy (libs/ev groups.ts). */
  envelopeGrouping: z.enum(['anchor', 'arrival', 'window', 'window-energy']),
  partition: partitionSchema,
  /** Explicit zones (bus ids) instead of the computed partition. */
  buses: z.array(z.array(z.number().int().min(1)).min(1)).min(1).optional(),
});

const negotiationSchema = z.strictObject({
  method: z.enum(['admm', 'target-penalty']),
  maxRounds: z.number().int().min(1).max(10_000),
  /**
   * Stop, reported as stalled, when the best primal residual of the last this-many rounds is no better
   * than 0.9 × the best before them: a zone policy that is not convex (elasticity-pricing's staged
   * schedule) can circle a few kW from agreement for ever.
   */
  stallRounds: z.number().int().min(2).max(10_000),
  zoneTimeoutMs: z.number().int().min(50).max(600_000),
  /**
   * The negotiation's wall-clock budget (s): past it the DSO stops after the round in hand, reported
   * as not converged (`stoppedBy`), so a run whose zones or server went away ends instead of waiting
   * through every round's zone timeout. Default 600 s.
   */
  budgetS: z.number().positive().max(7 * 24 * 3600).optional(),
  admm: z.strictObject({
    rho0YuanPerKwhPerKw: z.number().positive(),
    /** ρ stays within these (residual balancing and a zone that never moves cannot drive it to 1e10). */
    rhoBoundsYuanPerKwhPerKw: z.tuple([z.number().positive(), z.number().positive()])
      .refine(([lo, hi]) => lo <= hi, { message: 'the lower bound must not exceed the upper' }),
    overRelaxation: z.number().min(1).max(1.9),
    residualBalancing: z.strictObject({ mu: z.number().gt(1), tau: z.number().gt(1) }),
    primalTolKw: z.number().positive(),
    dualTolKw: z.number().positive(),
    relCostTol: z.number().positive(),
    /**
     * How the DSO clears the zones' bids before round 1 (methods/admm.ts): one LP holding every
     * announced envelope group, coarser sums of them beyond 30 000 (`lp`, the default), or column
     * generation over the announced groups (`columns`, clearing-columns.ts: the LP's optimum, with no
     * LP holding the groups; measured no faster up to 100 000 EVs, and not yet through a city's).
     */
    clearing: z.enum(['lp', 'columns']).optional(),
    /**
     * Where the LP clearing of many announced groups starts (methods/admm.ts, clearing-start.ts):
     * `sums` from the clearing over the zones' `arrival` sums (its basis, losses and limit rows, each
     * group set where that clearing's prices put it), `cold` from HiGHS's slack basis, `auto` (the
     * default) from the sums once the zones announce 10 000 groups or more. The same LP optimum
     * either way; the sums' start saves most of its pivots at that size, and costs more than it
     * saves below it.
     */
    clearingStart: z.enum(['auto', 'sums', 'cold']).optional(),
    /**
     * Whether the DSO hands a zone its headroom on the branches only that zone's EVs load, once an
     * answer's EVs come near it (coordination ev-caps.ts; the zone keeps its EVs at those buses
     * within it). Default true; false leaves where a zone's EVs draw to the delivery checks alone.
     */
    evCaps: z.boolean().optional(),
  }).superRefine((a, ctx) => {
    const [lo, hi] = a.rhoBoundsYuanPerKwhPerKw;
    if (a.rho0YuanPerKwhPerKw < lo || a.rho0YuanPerKwhPerKw > hi) {
      ctx.addIssue({ code: 'custom', path: ['rho0YuanPerKwhPerKw'], message: `(${a.rho0YuanPerKwhPerKw}) must lie within rhoBoundsYuanPerKwhPerKw [${lo}, ${hi}]` });
    }
  }),
  targetPenalty: z.strictObject({ excessPenaltyYuanPerKwh: z.number().min(0) }),
  /**
   * Day-ahead (absent, or `day-ahead`): one negotiation over the day on the zones' forecasts. Rolling:
   * the zones and the DSO negotiate the day again every `everyPeriods` periods with the past fixed to
   * what was realised (libs/coordination rolling/); `zonal sim --horizon` overrides the mode. The
   * realised day is drawn from the fleet law on its own stream, and a share `earlyDepartureShare` of
   * its EVs leaves before its announced departure (the rule: libs/coordination rolling/realised.ts).
   */
  horizon: z.strictObject({
    mode: z.enum(['day-ahead', 'rolling']),
    everyPeriods: z.number().int().min(1).max(2880).optional(),
    earlyDepartureShare: fraction.optional(),
  }).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /**
   * Where each declared value comes from: a field path (`tariff.demandCharge`) and its source, in
   * words. Carried into the parties' files and the report, so a reader can audit every choice.
   */
  sources: z.record(z.string(), z.string()).optional(),
  seed: z.number().int().min(0).max(0xffffffff),
  time: timeSchema,
  network: networkSchema,
  profiles: z.strictObject({ load: profileFactors, pv: profileFactors, wind: profileFactors }),
  tariff: tariffSchema,
  ders: z.strictObject({
    pv: z.array(unitAtBus),
    wind: z.array(unitAtBus),
    diesel: z.array(dieselSchema),
    capacitors: z.array(capacitorSchema),
  }),
  grid: z.strictObject({
    thermalShare: fraction,
    thermalEmissionTPerMwh: z.number().min(0),
  }),
  carbon: carbonSchema,
  curtailment: z.strictObject({ costYuanPerKwh: z.number().min(0) }),
  evFleet: evFleetSchema,
  zones: zonesSchema,
  negotiation: negotiationSchema,
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type PartitionScenario = z.infer<typeof partitionSchema>;
export type NegotiationScenario = z.infer<typeof negotiationSchema>;
export type EvFleetScenario = z.infer<typeof evFleetSchema>;
export type CarbonScenario = z.infer<typeof carbonSchema>;
export type TariffBlock = z.infer<typeof tariffBlockSchema>;
