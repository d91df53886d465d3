import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { aggregateEnvelope, anchoredEnvelopeGroups, Fleet, type EnvelopeGrouping, type EvSpec, type TouCode } from '@zonal/ev';
import { getPolicy, type ZoneProblem } from '@zonal/policies';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { deliverZone } from './deliver';

afterAll(() => shutdownSolver());
const grid = { periods: 24, dtH: 1 };
const touCodes: TouCode[] = Array.from({ length: 24 }, (_, h) => (h < 8 ? 'v' : (h >= 8 && h < 12) || (h >= 17 && h < 22) ? 'p' : 'o'));
const tou = Float64Array.from(touCodes, (c) => ({ v: 0.35, p: 1.12, o: 0.68 })[c]);

function zoneOf(specs: EvSpec[], grouping: EnvelopeGrouping): ZoneProblem {
  const fleet = Fleet.fromSpecs(specs);
  return {
    zoneId: 1, grid, envelope: aggregateEnvelope(fleet, grid), envelopeGroups: anchoredEnvelopeGroups(fleet, grid, grouping),
    eta: 0.95, baseNetLoadKw: new Float64Array(24).fill(10), tariffYuanPerKwh: tou, tariffCodes: touCodes, degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
    fleet,
  };
}

describe('envelopes anchored where no EV of the group is plugged in', () => {
  it('split the fleet without losing an EV, anchoring overnight stays away from midnight', () => {
    const specs: EvSpec[] = [
      { id: 'work', arrivalH: 8, departureH: 17, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95, socMin: 0.2, socMax: 1, socArrival: 0.4, socTarget: 0.9, v2g: true },
      { id: 'home', arrivalH: 18, departureH: 31, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95, socMin: 0.2, socMax: 1, socArrival: 0.4, socTarget: 0.9, v2g: true },
      { id: 'long', arrivalH: 7, departureH: 29, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 0, eta: 0.95, socMin: 0.2, socMax: 1, socArrival: 0.4, socTarget: 0.9, v2g: false },
    ];
    const groups = anchoredEnvelopeGroups(Fleet.fromSpecs(specs), grid);
    expect(groups.map((g) => [g.shiftPeriods, g.envelope.evCount])).toEqual([[0, 1], [12, 1], [6, 1]]);
    // The day-indexed power limits of the groups add up to the unanchored envelope's.
    const whole = aggregateEnvelope(Fleet.fromSpecs(specs), grid);
    for (let t = 0; t < 24; t++) {
      const sum = groups.reduce((a, g) => a + g.envelope.pChargeMaxGridKw[(t - g.shiftPeriods + 24) % 24], 0);
      expect(sum).toBeCloseTo(whole.pChargeMaxGridKw[t], 9);
    }
  });

  it('make one EV\'s agreed schedule always deliverable exactly (random stays, V2G or not)', async () => {
    const rng = createRng(11);
    const policy = getPolicy('direct-control');
    const ctx = { exporter: new LpExporter(undefined), rng };
    for (let i = 0; i < 12; i++) {
      const arrivalH = Math.floor(rng.next() * 24), stay = 3 + Math.floor(rng.next() * 18);
      const spec: EvSpec = {
        id: `ev${i}`, arrivalH, departureH: arrivalH + stay, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
        socMin: 0.2, socMax: 1, socArrival: 0.2 + 0.5 * rng.next(), socTarget: 0.9, v2g: rng.next() < 0.5,
      };
      const zone = zoneOf([spec], 'anchor');
      const answer = await policy.respond(zone, { round: 0 }, ctx);
      const delivered = deliverZone(1, Fleet.fromSpecs([spec]), grid, 0.95, answer.evKw);
      expect(delivered.evsFeasible, spec.id).toBe(1);
      expect(delivered.shortfallKwh + delivered.overKwh, `${spec.id} parked ${arrivalH}h for ${stay}h`).toBeLessThan(1e-6);
    }
  });

  it('by whole plug-in window: EVs alike but for their energy deliver the agreed aggregate exactly', async () => {
    const rng = createRng(5);
    const policy = getPolicy('direct-control');
    const specs: EvSpec[] = [];
    for (const [arrivalH, departureH] of [[18, 31], [8, 17]]) {
      for (let i = 0; i < 3; i++) {
        specs.push({
          id: `ev${specs.length}`, arrivalH, departureH, capacityKwh: 60, pChargeMaxKw: 7, pDischargeMaxKw: 7, eta: 0.95,
          socMin: 0.2, socMax: 1, socArrival: 0.2 + 0.5 * rng.next(), socTarget: 0.9, v2g: i < 2,
        });
      }
    }
    const answer = await policy.respond(zoneOf(specs, 'window'), { round: 0 }, { exporter: new LpExporter(undefined), rng });
    const delivered = deliverZone(1, Fleet.fromSpecs(specs), grid, 0.95, answer.evKw);
    expect(delivered.evsFeasible).toBe(specs.length);
    expect(delivered.shortfallKwh + delivered.overKwh).toBeLessThan(1e-6);
  });
});
