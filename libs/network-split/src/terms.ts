/**
 * What the coordinator itself knows (SPEC §8: the DSO owns the tariff, the carbon scheme and the loss
 * correction's tolerances; it knows the areas only by their declarations): the substation's nominal
 * marginal cost per period, which opens the rounds (coordinator.ts `openingSweep`), and the scale
 * that turns tonnes into kW-equivalents for the residuals.
 */
import type { NetworkScenario } from '@zonal/scenario';

export interface CoordinatorTerms {
  /** Per period: the purchase's tariff plus the carbon base price on its emissions, yuan per kW held over the period. */
  lambdaP: Float64Array;
  carbonPriceYuanPerT: number;
  /** kW-equivalents per tonne of an area's excess (boundary.ts). */
  carbonScaleKwPerT: number;
  /** SPEC §3's successive LP: most re-solves and the voltage tolerance (pu) that ends it. */
  lossCorrection: { maxRounds: number; tolPu: number };
}

/** The terms from the DSO's scenario and its tariff per period (yuan/kWh) over periods of `dtH` hours. */
export function coordinatorTerms(scenario: NetworkScenario, priceYuanPerKwh: Float64Array, dtH: number): CoordinatorTerms {
  const gridEf = scenario.grid.thermalShare * scenario.grid.thermalEmissionTPerMwh;
  const carbonPrice = scenario.carbon.basePriceYuanPerT;
  return {
    lambdaP: Float64Array.from(priceYuanPerKwh, (p) => (p + (carbonPrice * gridEf) / 1000) * dtH),
    carbonPriceYuanPerT: carbonPrice,
    // The purchase whose emissions make a tonne in one period.
    carbonScaleKwPerT: 1000 / (Math.max(gridEf, scenario.carbon.quotaTPerMwh, 1e-6) * dtH),
    lossCorrection: { maxRounds: scenario.network.lossCorrection.maxRounds, tolPu: scenario.network.lossCorrection.tolPu },
  };
}
