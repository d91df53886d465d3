import { afterAll, describe, expect, it } from 'vitest';
import { aggregateEnvelope, checkSchedules, evScheduleByPeriod, Fleet, type EvSpec } from '@zonal/ev';
import { shutdownSolver } from '@zonal/solver';
import { scheduleZone } from './pipeline';
import { zoneUsers } from './users';

afterAll(() => shutdownSolver());
const grid = { periods: 24, dtH: 1 };

describe('the staged schedule (pipeline.ts)', () => {
  it('nets a V2G user\'s charge and discharge in one period: ADMM\'s pull toward a high reference pays the LP to burn energy, the EV never does both', async () => {
    const spec: EvSpec = {
      id: 'v', arrivalH: 0, departureH: 4, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
      socMin: 0.2, socMax: 1, socArrival: 1, socTarget: 1, v2g: true,
    };
    const fleet = Fleet.fromSpecs([spec]);
    const zone = {
      zoneId: 1, grid, baseNetLoadKw: new Float64Array(24), envelope: aggregateEnvelope(fleet, grid), envelopeGroups: [], eta: 0.95,
      degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0,
    };
    // A full battery and a reference of 20 kW: with no energy price, cycling 7 kW is the only way to lift the
    // draw, by 7(1/eta - eta) = 0.72 kW for 0.35 yuan of degradation, against ρ(20 - x) = 190 yuan/kW of pull.
    const consensus = { referenceKw: new Float64Array(24).fill(20), lambdaYuanPerKwh: new Float64Array(24), rho: 10 };
    const plan = await scheduleZone({
      name: 'ep', grid, fleetSize: 1, users: zoneUsers(fleet, grid, new Array(24).fill('v')), baseKw: zone.baseNetLoadKw,
      pricing: { matrix: [[-0.21, 0.04, 0.07], [0.02, -0.16, 0.06], [0.01, 0.01, -0.11]], min: -0.5, max: 0.5, weight: 0.01 },
      peakTieBreakYuanPerKw: 0, groupUsers: true,
      objective: (fixedEvKw) => ({
        kind: 'zone', zone, targetKw: new Float64Array(24).fill(20), excessPenaltyYuanPerKwh: 1.68, pricesYuanPerKwh: new Float64Array(24), consensus, fixedEvKw,
      }),
    }, undefined);
    const lpBoth = plan.final.directChargeKw[0].some((c, j) => c > 1e-6 && plan.final.directDischargeKw[0][j] > 1e-6);
    expect(lpBoth, 'the LP cycles (else this test shows nothing)').toBe(true);
    expect(checkSchedules(fleet, grid, plan.schedules).violations).toEqual([]);
    // Netting keeps the battery's net power, hence its stored energy, period by period.
    const s = evScheduleByPeriod(plan.schedules, 0);
    plan.final.directChargeKw[0].forEach((c, j) => expect(s.chargeKw[j] - s.dischargeKw[j]).toBeCloseTo(c - plan.final.directDischargeKw[0][j], 12));
  });
});
