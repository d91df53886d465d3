import { z } from 'zod';
import { hourlyProfile, tariffBlockSchema, timeSchema, type TariffBlock } from '@zonal/scenario';
import type { TimeGrid, TouCode } from '@zonal/ev';

/** Fields every policy case shares: its name, the seed of every draw, the time grid. */
export const caseHeader = {
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.number().int().min(0).max(0xffffffff),
  time: timeSchema,
};

export const tariffBlocks = z.array(tariffBlockSchema).min(1);
export const baseLoadSchema = z.strictObject({ peakKw: z.number().min(0), profile: hourlyProfile });

/** Hourly values held over each period of the grid (SPEC §2). */
export function atPeriods(hourly: readonly number[], grid: TimeGrid, scale = 1): Float64Array {
  const start = grid.startH ?? 0;
  return Float64Array.from({ length: grid.periods }, (_, t) => scale * hourly[Math.floor(start + t * grid.dtH + 1e-9) % 24]);
}

/** The tariff block in force at each period's start, on a grid that may start at any hour (blocks must cover the day). */
function blocksAtPeriods(blocks: readonly TariffBlock[], grid: TimeGrid): TariffBlock[] {
  const start = grid.startH ?? 0;
  return Array.from({ length: grid.periods }, (_, t) => {
    const h = (start + t * grid.dtH + 1e-9) % 24;
    const b = blocks.find((x) => h >= x.fromH && h < x.toH);
    if (!b) throw new Error(`no tariff block covers hour ${h.toFixed(2)}`);
    return b;
  });
}

/** The tariff price in force at each period's start. */
export function pricesAtPeriods(blocks: readonly TariffBlock[], grid: TimeGrid): Float64Array {
  return Float64Array.from(blocksAtPeriods(blocks, grid), (b) => b.priceYuanPerKwh);
}

/** The TOU class (p, o, v) of the tariff block in force at each period's start, as `pricesAtPeriods` prices it. */
export function touCodesAtPeriods(blocks: readonly TariffBlock[], grid: TimeGrid): TouCode[] {
  return blocksAtPeriods(blocks, grid).map((b) => b.code);
}

/** Peak, valley, their difference and the standard deviation of a load profile (kW). */
export function loadShape(kw: ArrayLike<number>) {
  const xs = Array.from(kw);
  const peak = Math.max(...xs), valley = Math.min(...xs);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { peakKw: peak, valleyKw: valley, peakValleyKw: peak - valley, stdKw: std, meanKw: mean };
}
