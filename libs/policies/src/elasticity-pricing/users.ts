import { classifyFleet, evRegion, Fleet, type EvRegion, type TimeGrid, type TouCode, type UserClass } from '@zonal/ev';
import type { TariffBlock } from '@zonal/scenario';
import { PRICE_CLASSES } from './response';

/**
 * The zone's users as the elasticity-pricing model sees them (SPEC §7.1, seed 001 §2.8): price-
 * responsive users (not V2G-enrolled) with their class (types 1–4, @zonal/ev classifyFleet), their
 * plugged periods and energy need; V2G-enrolled users, dispatched directly, with their exact
 * power–energy region (seed 003 §3 closed form, @zonal/ev evRegion); and the users left out.
 */
export interface PricedUser {
  /** Position in the fleet. */
  index: number;
  id: string;
  type: UserClass;
  /** Day periods plugged in, in time order from arrival, and the price class (0 p, 1 o, 2 v) of each. */
  periods: Int32Array;
  priceClass: Int8Array;
  /** Battery-side limits and energy to add by departure (fixed by travel). */
  pMaxKw: number;
  eta: number;
  needKwh: number;
  /** Baseline share of the need in p, o, v: the share of plugged periods in each (response.ts). */
  shares: [number, number, number];
}

export interface DirectUser {
  index: number;
  id: string;
  type: UserClass;
  region: EvRegion;
  eta: number;
}

export interface ZoneUsers {
  priced: PricedUser[];
  direct: DirectUser[];
  /** Reasons, e.g. "EV 12 is parked 11:48–12:06, which holds no whole 60-minute period: dropped". */
  excluded: string[];
}

/** The TOU code in force at each period's start. */
export function touCodes(blocks: readonly TariffBlock[], grid: TimeGrid): TouCode[] {
  return Array.from({ length: grid.periods }, (_, t) => {
    const h = ((grid.startH ?? 0) + t * grid.dtH + 1e-9) % 24;
    const b = blocks.find((x) => h >= x.fromH && h < x.toH);
    if (!b) throw new Error(`no tariff block covers hour ${h.toFixed(2)}`);
    return b.code;
  });
}

export function zoneUsers(fleet: Fleet, grid: TimeGrid, codes: readonly TouCode[]): ZoneUsers {
  const types = classifyFleet(fleet, { grid, codes });
  const specs = Fleet.toSpecs(fleet);
  const out: ZoneUsers = { priced: [], direct: [], excluded: [] };
  specs.forEach((spec, i) => {
    const region = evRegion(spec, grid);
    if (region.problem) {
      out.excluded.push(region.problem.message);
      return;
    }
    const type = types[i] as UserClass;
    if (spec.v2g) {
      out.direct.push({ index: i, id: spec.id, type, region, eta: spec.eta });
      return;
    }
    const L = region.periods.length;
    const priceClass = Int8Array.from(region.periods, (t) => PRICE_CLASSES.indexOf(codes[t]));
    const shares: [number, number, number] = [0, 0, 0];
    priceClass.forEach((c) => (shares[c] += 1 / L));
    out.priced.push({
      index: i, id: spec.id, type, periods: region.periods, priceClass, pMaxKw: region.pMaxKw, eta: spec.eta,
      needKwh: Math.max(0, region.eMinKwh[L] - region.eMinKwh[0]), shares,
    });
  });
  return out;
}
