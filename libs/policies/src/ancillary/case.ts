import { z } from 'zod';
import { evFleetSchema } from '@zonal/scenario';
import { caseHeader, tariffBlocks } from '../common';

/**
 * The ancillary case (SPEC §7.5). Seed 003 survives only as headings and its revenue table, so every
 * number here is declared by SPEC §7.5; the fields carry their units.
 */
const price = z.number().min(0).max(100);
const windowH = z.strictObject({ fromH: z.number().min(0).max(24), toH: z.number().min(0).max(24) });

export const ancillaryCaseSchema = z.strictObject({
  ...caseHeader,
  /** Grid purchase price of the EVs' charging (SPEC §3 TOU). */
  tariff: tariffBlocks,
  /** Each Monte Carlo sample draws this fleet afresh (seed 001 laws, SPEC §6). */
  fleet: evFleetSchema,
  monteCarloSamples: z.number().int().min(1).max(10_000),
  /** Charging-based DR sells valley filling here; discharging-based DR sells peak shaving there. */
  cbdrWindowH: windowH,
  dbdrWindowH: windowH,
  regulationEnergyYuanPerKwh: z.strictObject({ valley: price, peak: price }),
  capacityYuanPerKwPerH: price,
  peakRegulationCostYuanPerKwh: price,
  willingness: z.strictObject({
    thresholdYuanPerKwh: price,
    saturationYuanPerKwh: price,
    shareAtSaturation: z.number().gt(0).max(1),
  }),
  incentiveLevels: z.strictObject({
    fromYuanPerKwh: price,
    toYuanPerKwh: price,
    stepYuanPerKwh: z.number().gt(0).max(100),
  }),
  peakTieBreakYuanPerKw: z.number().min(0).max(1),
}).superRefine((c, ctx) => {
  const dt = c.time.dtH;
  for (let t = 0; t < c.time.periods; t++) {
    const n = c.tariff.filter((b) => t * dt >= b.fromH && t * dt < b.toH).length;
    if (n !== 1) {
      ctx.addIssue({ code: 'custom', path: ['tariff'], message: `hour ${t * dt} is ${n === 0 ? 'not priced by any block' : 'priced by more than one block'}` });
      break;
    }
  }
  const onGrid = (h: number) => Math.abs(h / dt - Math.round(h / dt)) < 1e-9;
  for (const key of ['cbdrWindowH', 'dbdrWindowH'] as const) {
    const w = c[key];
    if (!(w.toH > w.fromH)) ctx.addIssue({ code: 'custom', path: [key, 'toH'], message: `must be after fromH (${w.fromH}); a window does not wrap past midnight` });
    for (const end of ['fromH', 'toH'] as const) {
      if (!onGrid(w[end])) ctx.addIssue({ code: 'custom', path: [key, end], message: `${w[end]} h is not a period boundary of the ${dt} h grid` });
    }
  }
  const a = c.cbdrWindowH, b = c.dbdrWindowH;
  if (a.fromH < b.toH && b.fromH < a.toH) {
    ctx.addIssue({ code: 'custom', path: ['dbdrWindowH'], message: `overlaps cbdrWindowH (${a.fromH}–${a.toH} h): a period sells either valley or peak regulation` });
  }
  if (c.capacityYuanPerKwPerH > c.peakRegulationCostYuanPerKwh) {
    ctx.addIssue({
      code: 'custom', path: ['capacityYuanPerKwPerH'],
      message: `(${c.capacityYuanPerKwPerH}) exceeds peakRegulationCostYuanPerKwh (${c.peakRegulationCostYuanPerKwh}): offering capacity that is never delivered would pay without bound`,
    });
  }
  const w = c.willingness;
  if (!(w.saturationYuanPerKwh > w.thresholdYuanPerKwh)) {
    ctx.addIssue({ code: 'custom', path: ['willingness', 'saturationYuanPerKwh'], message: `(${w.saturationYuanPerKwh}) must exceed thresholdYuanPerKwh (${w.thresholdYuanPerKwh})` });
  }
  const g = c.incentiveLevels;
  const steps = (g.toYuanPerKwh - g.fromYuanPerKwh) / g.stepYuanPerKwh;
  if (g.toYuanPerKwh < g.fromYuanPerKwh) {
    ctx.addIssue({ code: 'custom', path: ['incentiveLevels', 'toYuanPerKwh'], message: `(${g.toYuanPerKwh}) must not be below fromYuanPerKwh (${g.fromYuanPerKwh})` });
  } else if (Math.abs(steps - Math.round(steps)) > 1e-6) {
    ctx.addIssue({ code: 'custom', path: ['incentiveLevels', 'stepYuanPerKwh'], message: `${g.stepYuanPerKwh} does not divide ${g.fromYuanPerKwh}..${g.toYuanPerKwh} into whole steps` });
  } else if (Math.round(steps) > 40) {
    ctx.addIssue({ code: 'custom', path: ['incentiveLevels', 'stepYuanPerKwh'], message: `gives ${Math.round(steps) + 1} levels; at most 41 (the CBDR+DBDR search solves one LP per pair of levels)` });
  }
});

export type AncillaryCase = z.infer<typeof ancillaryCaseSchema>;
