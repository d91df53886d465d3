import type { DefaultFleetParams, Seed002FleetParams } from '../sampling';
import type { EvSpec } from '../types';

/**
 * Test fixtures only: the shipped numbers live in the scenario files (libs/scenario), not in this lib.
 * These copy SPEC §6 so the tests can check the samplers against the SPEC's own statistics.
 */
export const DEFAULT_FLEET_PARAMS: DefaultFleetParams = {
  count: 3000,
  residentialShare: 0.6,
  residential: { arrivalH: { mean: 17.6, sd: 3.4 }, departureH: { mean: 8.9, sd: 3.2 } },
  workplace: { arrivalH: { mean: 9, sd: 1 }, departureH: { mean: 18, sd: 1 } },
  capacityKwh: 60,
  pChargeMaxKw: 7,
  pDischargeMaxKw: 7,
  eta: 0.95,
  socMin: 0.2,
  socMax: 1.0,
  socTarget: 0.9,
  arrivalSoc: { fullSoc: 0.9, socPerKm: 0.15 / 60, floorSoc: 0.2 },
  dailyKm: { logMu: 3.2, logSigma: 0.88 },
  v2gShare: 0.3,
};

export const SEED002_FLEET_PARAMS: Seed002FleetParams = {
  count: 50,
  arrivalH: { mean: 8, sd: 1.5 },
  departureH: { mean: 18, sd: 1.5 },
  initialSocRatePerSoc: 0.3,
  capacityKwh: 60,
  pChargeMaxKw: 7,
  pDischargeMaxKw: 7,
  eta: 0.95,
  socMin: 0.2,
  socMax: 1.0,
  socTarget: 0.9,
  v2gShare: 1,
};

/** IEEE 33-bus loads in kW (MATPOWER case33bw, buses 1..33): placement tests. */
export const IEEE33_LOADS_KW = [
  0, 100, 90, 120, 60, 60, 200, 200, 60, 60, 45, 60, 60, 120, 60, 60, 60, 90, 90, 90, 90, 90, 90, 420, 420, 60, 60, 60,
  120, 200, 150, 210, 60,
];

/** A 60 kWh, 7 kW charge-only EV parked 18:00-07:00 from 30% to a 90% target; override what a test needs. */
export function ev(overrides: Partial<EvSpec> = {}): EvSpec {
  return {
    id: 'A', arrivalH: 18, departureH: 31, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 0, eta: 0.95,
    socMin: 0.2, socMax: 1, socArrival: 0.3, socTarget: 0.9, v2g: false, ...overrides,
  };
}
