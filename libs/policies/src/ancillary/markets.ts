import { loadShippedCase } from '../cases';
import { ancillaryCaseSchema, type AncillaryCase } from './case';
import type { MarketPrices } from './market-lp';

/** Periods of a grid whose start lies in a window of clock hours (windows do not wrap, case.ts). */
export function windowPeriods(w: { fromH: number; toH: number }, periods: number, dtH: number, startH = 0): number[] {
  const out: number[] = [];
  for (let t = 0; t < periods; t++) {
    const h = (startH + t * dtH + 1e-9) % 24;
    if (h >= w.fromH && h < w.toH) out.push(t);
  }
  return out;
}

/** The case's regulation markets (SPEC §7.5) on a grid, with `tariff` as the purchase price. */
export function marketPrices(c: AncillaryCase, tariff: Float64Array, periods: number, dtH: number, startH = 0): MarketPrices {
  return {
    tariffYuanPerKwh: tariff,
    cbdrPeriods: windowPeriods(c.cbdrWindowH, periods, dtH, startH),
    dbdrPeriods: windowPeriods(c.dbdrWindowH, periods, dtH, startH),
    valleyEnergyYuanPerKwh: c.regulationEnergyYuanPerKwh.valley,
    peakEnergyYuanPerKwh: c.regulationEnergyYuanPerKwh.peak,
    capacityYuanPerKwPerH: c.capacityYuanPerKwPerH,
    peakRegulationCostYuanPerKwh: c.peakRegulationCostYuanPerKwh,
    peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
  };
}

/** The shipped case (cases/ancillary.json): the markets, willingness and incentive levels a zone uses in the negotiation. */
export function shippedAncillaryCase(): AncillaryCase {
  return loadShippedCase('ancillary', ancillaryCaseSchema);
}
