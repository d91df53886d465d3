import type { Scenario, TariffBlock } from './schema';

/** Period t covers [t*dt, (t+1)*dt) from 00:00 (SPEC §2). */
export interface TimeGrid {
  periods: number;
  dtH: number;
}

export function timeGrid(s: Pick<Scenario, 'time'>): TimeGrid {
  return { periods: s.time.periods, dtH: s.time.dtH };
}

/**
 * A profile per period: one already given per period (a CSV time series resampled on loading) as is;
 * 24 hourly factors held constant within each hour, sampled at each period's start (SPEC §2).
 */
export function profileAtPeriods(profile: readonly number[], grid: TimeGrid): Float64Array {
  if (profile.length === grid.periods) return Float64Array.from(profile);
  if (profile.length !== 24) throw new Error(`a profile of ${profile.length} values on a grid of ${grid.periods} periods`); // the schema refuses it
  const out = new Float64Array(grid.periods);
  for (let t = 0; t < grid.periods; t++) out[t] = profile[Math.floor(t * grid.dtH + 1e-9) % 24];
  return out;
}

/** The tariff block in force at each period's start. */
export function tariffAtPeriods(blocks: readonly TariffBlock[], grid: TimeGrid): TariffBlock[] {
  const out: TariffBlock[] = [];
  for (let t = 0; t < grid.periods; t++) {
    const h = (t * grid.dtH + 1e-9) % 24;
    const block = blocks.find((b) => h >= b.fromH && h < b.toH);
    if (!block) throw new Error(`no tariff block covers hour ${h}`); // the schema guarantees coverage
    out.push(block);
  }
  return out;
}

/** "HH:MM" of a time in hours, for reports. */
export function clock(hours: number): string {
  const m = Math.round((((hours % 24) + 24) % 24) * 60);
  return `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}
