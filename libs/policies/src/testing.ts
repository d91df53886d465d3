import { aggregateEnvelope, anchoredEnvelopeGroups, type EnvelopeGrouping, type Fleet, type TimeGrid, type TouCode } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { pricesAtPeriods, touCodesAtPeriods } from './common';
import type { ZoneProblem, ZoneResources } from './policy';

/**
 * Test support: a zone aggregator's problem (SPEC §8 step 0) built from its own EVs the way a zone
 * file builds it (libs/coordination zone-party.ts): envelope groups that partition the fleet and name
 * their EVs, the envelope as their sum, the tariff with its TOU classes. Not exported from the barrel.
 */
export interface ZoneProblemOptions {
  zoneId?: number;
  /** Default: the default scenario's TOU tariff (SPEC §3) at the grid's periods. */
  tariffYuanPerKwh?: Float64Array;
  /** Default: from the default tariff, or (with a tariff of one's own) by price rank (touCodesByPrice). */
  tariffCodes?: readonly TouCode[];
  /** Default 0.05 yuan/kWh (SPEC §7.0). */
  degradationYuanPerKwh?: number;
  /** Default 0.001 yuan/kW (SPEC §7). */
  peakTieBreakYuanPerKw?: number;
  /** Default 'window-energy': groups that sum exactly (libs/ev groups.ts). */
  grouping?: EnvelopeGrouping;
  params?: unknown;
  resources?: ZoneResources;
}

export function zoneProblemOf(fleet: Fleet, grid: TimeGrid, baseNetLoadKw: Float64Array, opts: ZoneProblemOptions = {}): ZoneProblem {
  const blocks = loadScenario('default').tariff.blocks;
  const tariffYuanPerKwh = opts.tariffYuanPerKwh ?? pricesAtPeriods(blocks, grid);
  const tariffCodes = opts.tariffCodes ?? (opts.tariffYuanPerKwh ? touCodesByPrice(opts.tariffYuanPerKwh) : touCodesAtPeriods(blocks, grid));
  return {
    zoneId: opts.zoneId ?? 1, grid, baseNetLoadKw,
    envelope: aggregateEnvelope(fleet, grid),
    envelopeGroups: anchoredEnvelopeGroups(fleet, grid, opts.grouping ?? 'window-energy'),
    // A zone's EVs share one efficiency (zone-party.ts refuses a mix).
    eta: fleet.size > 0 ? fleet.eta[0] : 0.95,
    degradationYuanPerKwh: opts.degradationYuanPerKwh ?? 0.05,
    peakTieBreakYuanPerKw: opts.peakTieBreakYuanPerKw ?? 0.001,
    fleet, tariffYuanPerKwh, tariffCodes,
    ...(opts.params !== undefined ? { params: opts.params } : {}),
    ...(opts.resources ? { resources: opts.resources } : {}),
  };
}

/** TOU classes of a price series: its dearest periods peak, its cheapest valley, the rest off-peak. */
export function touCodesByPrice(prices: ArrayLike<number>): TouCode[] {
  const xs = Array.from(prices);
  const hi = Math.max(...xs), lo = Math.min(...xs);
  return xs.map((p) => (p === hi && hi > lo ? 'p' : p === lo ? 'v' : 'o'));
}
