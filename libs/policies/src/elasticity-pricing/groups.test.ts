import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { aggregateEnvelope, sampleDefaultFleet } from '@zonal/ev';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { defaultCasePath } from '../cases';
import { atPeriods, pricesAtPeriods } from '../common';
import { elasticityCaseSchema } from './case';
import { groupPricedUsers, splitGroupCharge, type PricedGroup } from './groups';
import { scheduleZone, type PipelineInput } from './pipeline';
import { renormalisedClassEnergy } from './response';
import { solveStage } from './tracking-lp';
import { touCodes, zoneUsers, type PricedUser } from './users';

afterAll(() => shutdownSolver());
const E = [[-0.21, 0.04, 0.07], [0.02, -0.16, 0.06], [0.01, 0.01, -0.11]];
const noChange = { lo: [0, 0, 0], hi: [0, 0, 0] };

/** A one-class (valley) user parked periods 0..L-1 at 7 kW, whose need is all in that class. */
function valleyUser(index: number, needKwh: number, L = 2): PricedUser {
  return {
    index, id: `u${index}`, type: 1, periods: Int32Array.from({ length: L }, (_, j) => j), priceClass: new Int8Array(L).fill(2),
    pMaxKw: 7, eta: 1, needKwh, shares: [0, 0, 1],
  };
}

describe('exact groups of price-responsive users (groups.ts)', () => {
  it('groups users whose class energies share a full-power band, and no others: 0 and 14 kWh over two 7 kW hours would sum to (14, 0), which neither can take', () => {
    const groups = groupPricedUsers([3, 5, 0, 14, 8, 13].map((kwh, i) => valleyUser(i, kwh)), E, noChange, 1);
    const byMembers = groups.map((g) => g.members.map((u) => u.needKwh).sort((a, b) => a - b));
    // Bands of one 7 kWh step: [0, 7] holds 0, 3, 5; [7, 14] holds 8 and 13; 14 opens band [14, 21].
    expect(byMembers).toHaveLength(3);
    expect(byMembers).toEqual(expect.arrayContaining([[0, 3, 5], [8, 13], [14]]));
    const g = groups.find((x) => x.members.length === 3)!;
    expect(g.user.needKwh).toBe(8);
    expect(g.user.pMaxKw).toBe(21);
  });

  it('a user whose class energy crosses a band edge somewhere in the box of x stays alone', () => {
    // Shares p 1/2, v 1/2 of 13.6 kWh: E_v(0) = 6.8 kWh, and x_v = -0.5 lifts it past 7.
    const u = (index: number): PricedUser => ({ ...valleyUser(index, 13.6), type: 3, priceClass: Int8Array.from([0, 2]), shares: [0.5, 0, 0.5] });
    expect(renormalisedClassEnergy(13.6, [0.5, 0, 0.5], E, [0.5, 0, -0.5])[2]).toBeGreaterThan(7);
    expect(groupPricedUsers([u(0), u(1)], E, { lo: [-0.5, -0.5, -0.5], hi: [0.5, 0.5, 0.5] }, 1)).toHaveLength(2);
    expect(groupPricedUsers([u(0), u(1)], E, noChange, 1)).toHaveLength(1);
  });

  it('hands any point of the group\'s box-and-total region to its members exactly (random groups and points)', () => {
    const arb = fc.record({
      L: fc.integer({ min: 1, max: 6 }),
      band: fc.integer({ min: 0, max: 5 }),
      fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
      moves: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 30 }),
    });
    fc.assert(fc.property(arb, ({ L, band, fractions, moves }) => {
      const b = Math.min(band, L - 1);
      const members = fractions.map((f, i) => valleyUser(i, 7 * (b + f), L));
      const g: PricedGroup = { user: { ...members[0], needKwh: members.reduce((a, u) => a + u.needKwh, 0), pMaxKw: 7 * members.length }, members };
      // A point of the aggregate region: the even spread, then random transfers within the box.
      const cap = 7 * members.length;
      const y = new Float64Array(L).fill(g.user.needKwh / L);
      for (const [from, to, share] of moves) {
        const i = from % L, j = to % L;
        const amount = share * Math.min(y[i], cap - y[j]);
        y[i] -= amount;
        y[j] += amount;
      }
      const split = splitGroupCharge(g, y, (u) => [0, 0, u.needKwh], 1);
      split.forEach((e, k) => {
        e.forEach((kw) => {
          expect(kw).toBeGreaterThanOrEqual(-1e-9);
          expect(kw).toBeLessThanOrEqual(7 + 1e-9);
        });
        expect(e.reduce((a, v) => a + v, 0)).toBeCloseTo(members[k].needKwh, 8);
      });
      for (let t = 0; t < L; t++) expect(split.reduce((a, e) => a + e[t], 0)).toBeCloseTo(y[t], 8);
    }), { numRuns: 300 });
  });

  it('gives the pricing LP and every class stage the per-user optimum on a 300-EV zone (negotiation objective, binding PZ)', async () => {
    const path = defaultCasePath('elasticity-pricing')!;
    const c = parseWithSchema(elasticityCaseSchema, readJsonFile(path), path);
    const grid = { periods: 24, dtH: 1 };
    const fleet = sampleDefaultFleet({ ...c.fleet, count: 300 }, createRng(11));
    const baseKw = atPeriods(c.baseLoadKw.profile, grid, c.baseLoadKw.peakKw / 2);
    const zone = {
      zoneId: 1, grid, baseNetLoadKw: baseKw, envelope: aggregateEnvelope(fleet, grid), envelopeGroups: [], eta: c.fleet.eta,
      degradationYuanPerKwh: 0.05, peakTieBreakYuanPerKw: 0.001,
    };
    const targetKw = new Float64Array(24).fill(baseKw.reduce((a, p) => a + p, 0) / 24 + 60);
    const input = (groupUsers: boolean): PipelineInput => ({
      name: 'ep', grid, fleetSize: fleet.size, users: zoneUsers(fleet, grid, touCodes(c.tariff, grid)), baseKw,
      pricing: { matrix: c.elasticityMatrix, ...c.relativePriceChange, weight: c.priceChangeWeight }, peakTieBreakYuanPerKw: 0.001,
      objective: (fixedEvKw) => ({ kind: 'zone', zone, targetKw, excessPenaltyYuanPerKwh: 1.68, pricesYuanPerKwh: pricesAtPeriods(c.tariff, grid), fixedEvKw }),
      groupUsers,
    });
    const grouped = await scheduleZone(input(true), undefined), perUser = await scheduleZone(input(false), undefined);
    expect(grouped.joint.objective).toBeCloseTo(perUser.joint.objective, 6);
    // Every class stage of the grouped run re-solved user by user on the same fixed load: the same optimum.
    const { users, objective, pricing } = input(false);
    let fixedEvKw = new Float64Array(24), solved = 0;
    for (const stage of grouped.stages.slice(0, -1)) {
      if (!stage.result) continue;
      const alone = await solveStage({
        name: 'ep', grid, fixedKw: baseKw.map((p, t) => p + fixedEvKw[t]), priced: users.priced.filter((u) => stage.types.includes(u.type)), direct: [],
        pricing: { kind: 'fixed', matrix: pricing.matrix, x: grouped.x, weight: pricing.weight }, peakTieBreakYuanPerKw: 0.001, objective: objective(fixedEvKw),
      }, undefined);
      expect(Math.abs(alone.objective - stage.result.objective), stage.label).toBeLessThan(1e-7 * Math.abs(alone.objective));
      fixedEvKw = fixedEvKw.map((p, t) => p + stage.result!.evGridKw[t]);
      solved++;
    }
    expect(solved).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
