import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '@zonal/core';
import { checkSchedules, gridLoadKw, sampleDefaultFleet, uncoordinatedProfile } from '@zonal/ev';
import { loadScenario } from '@zonal/scenario';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { atPeriods } from './common';
import type { DsoSignal, ZoneAnswer } from './policy';
import { getPolicy, policyNames } from './registry';
import { zoneProblemOf } from './testing';

/**
 * The contract of every registered policy's `respond` (SPEC §8 step 3, policy.ts): the answer carries
 * every EV's schedule, each one feasible by the independent checker; evKw is exactly what those
 * schedules draw (grid side, EV by EV with its own eta); every EV is either scheduled or left out
 * because it could not be scheduled. Under no signal, a consensus ADMM signal and a target-penalty one.
 *
 * The zone: 60 EVs of the default scenario's fleet (seed 001 laws, 30% V2G), placed on three buses,
 * its envelope groups per window and energy (exact: direct-control's EVs take exactly what it solved).
 */
afterAll(() => shutdownSolver());

const scenario = loadScenario('default');
const grid = { periods: 24, dtH: 1 };
const fleet = sampleDefaultFleet(
  { ...scenario.evFleet, count: 60, v2gShare: 0.3, busLoads: [{ bus: 3, pKw: 90 }, { bus: 7, pKw: 200 }, { bus: 12, pKw: 60 }] },
  createRng(scenario.seed).fork('respond-contract'),
);
const base = atPeriods(scenario.profiles.load, grid, 400);
const zone = zoneProblemOf(fleet, grid, base, { zoneId: 4 });
const unco = uncoordinatedProfile(fleet, grid).gridKw;

const signals: Array<[string, DsoSignal]> = [
  ['no signal (the tariff)', { round: 0 }],
  ['consensus ADMM', {
    round: 1,
    consensus: { referenceKw: Float64Array.from(unco, (kw) => 0.8 * kw + 5), lambdaYuanPerKwh: Float64Array.from(zone.tariffYuanPerKwh, (p, t) => p + 0.02 * (t % 3)), rho: 0.05 },
  }],
  ['target and one-sided penalty (seed 001 scheme)', { round: 1, targetKw: Float64Array.from(base, (b) => b + 40), excessPenaltyYuanPerKwh: 1.68 }],
];

const ctx = () => ({ exporter: new LpExporter(undefined), rng: createRng(7) });

describe.each(policyNames())('%s respond: the contract of its answer', (name) => {
  const policy = getPolicy(name);

  it.each(signals)('under %s: every EV schedule feasible, evKw what they draw, every EV accounted for', async (_, signal) => {
    const answer: ZoneAnswer = await policy.respond(zone, signal, ctx());
    const check = checkSchedules(fleet, grid, answer.schedules);
    expect(check.violations, 'independent feasibility check of the per-EV schedules').toEqual([]);
    // Storage (none in this zone) would count in evKw beside the EVs.
    const evsKw = gridLoadKw(fleet, answer.schedules).totalKw;
    const storageKw = answer.storageKw ?? new Float64Array(grid.periods);
    answer.evKw.forEach((kw, t) => {
      expect(Math.abs(kw - storageKw[t] - evsKw[t]), `period ${t}: evKw against the schedules' grid-side sum`).toBeLessThanOrEqual(1e-9);
      expect(Math.abs(answer.netLoadKw[t] - base[t] - kw), `period ${t}: netLoadKw = base + evKw`).toBeLessThanOrEqual(1e-9);
    });
    const d = answer.delivery;
    expect(d.evs).toBe(fleet.size);
    expect(d.evsScheduled + d.evsLeftOut, 'EVs scheduled + left out').toBe(fleet.size);
    expect(d.evsScheduled).toBe(check.scheduledEvs);
    expect(d.evsScheduled).toBeGreaterThan(fleet.size / 2);
    expect(Number.isFinite(answer.costYuan) && Number.isFinite(answer.objective)).toBe(true);
    if (answer.regulation) {
      // ancillary: every user either took part or charges uncoordinated (a fixed schedule, still in the answer).
      const u = answer.regulation.users;
      expect(u.cbdrOnly + u.dbdrOnly + u.both + u.uncoordinated).toBe(fleet.size);
    }
    if (name === 'direct-control') {
      // Window-energy groups sum exactly (libs/ev groups.ts): the EVs take what the LP solved.
      expect(d.overKwh).toBeLessThanOrEqual(1e-6);
      expect(d.shortfallKwh).toBeLessThanOrEqual(1e-6);
    }
  }, 120_000);
});
