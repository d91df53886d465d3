import { afterAll, describe, expect, it } from 'vitest';
import { runDispatch } from '@zonal/dispatch';
import type { DsoSignal, ZoneReport } from '@zonal/policies';
import { loadScenario, parseScenario, tariffAtPeriods, timeGrid, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { expectFeasibleOutcome, gap } from '../../test/outcome';
import { addZoneTerms, solveCentralised } from '../centralised';
import { inProcessZoneClients } from '../in-process';
import { negotiate, type NegotiationResult, type ZoneClient } from '../negotiate';
import { buildSimSetup, type SimSetup } from '../harness';

afterAll(() => shutdownSolver());

const base = loadScenario('small-test');
const T = base.time.periods;
const tolKw = base.negotiation.admm.primalTolKw;

/** small-test under target-penalty, with other zone policies or round limits. */
function scenarioWith(policy: string, negotiation: Partial<Scenario['negotiation']> = {}): Scenario {
  return parseScenario({ ...structuredClone(base), zones: { ...base.zones, policy }, negotiation: { ...base.negotiation, method: 'target-penalty', ...negotiation } });
}

/**
 * The in-process zones, with every signal they got kept per round (`signals[round - 1][k]`), and
 * `answer` to stand in for an outside party that answers otherwise than its policy.
 */
function recordingClients(setup: SimSetup, answer?: (k: number, signal: DsoSignal, own: ZoneReport) => ZoneReport) {
  const signals: DsoSignal[][] = [];
  const clients = inProcessZoneClients(setup).map((c, k): ZoneClient => ({
    zoneId: c.zoneId,
    async solve(signal, ms) {
      (signals[signal.round - 1] ??= [])[k] = signal;
      const reply = await c.solve(signal, ms);
      return reply.status === 'replied' && answer ? { status: 'replied', answer: answer(k, signal, reply.answer) } : reply;
    },
  }));
  return { clients, signals };
}

/** Largest excess of each zone's answer over the PZ it was sent (kW): evKw against PZ less the base load. */
function excessKw(setup: SimSetup, signals: DsoSignal[], evKw: ReadonlyArray<ArrayLike<number>>): number[] {
  return setup.zones.map((z, k) => {
    let m = -Infinity;
    for (let t = 0; t < T; t++) m = Math.max(m, evKw[k][t] - (signals[k].targetKw![t] - z.bid.baseNetLoadKw[t]));
    return m;
  });
}

/** What must hold of any target-penalty run: converged exactly when the last round met both conditions. */
function expectHonestRounds(setup: SimSetup, n: NegotiationResult, signals: DsoSignal[][]): void {
  expect(n.rounds.map((r) => r.converged)).toEqual(n.rounds.map((_r, i) => n.converged && i === n.rounds.length - 1));
  n.rounds.forEach((r, i) => {
    // The residual is the largest excess over the PZ sent, more only where the answers broke a limit.
    const ex = Math.max(0, ...excessKw(setup, signals[i], r.zones.map((z) => z.evKw)));
    if (r.converged) {
      expect(r.primalResidualKw, `round ${r.round}: the largest excess`).toBeCloseTo(ex, 6);
      expect(ex, `round ${r.round}`).toBeLessThanOrEqual(tolKw);
    } else {
      expect(r.primalResidualKw, `round ${r.round}: the largest excess`).toBeGreaterThanOrEqual(ex - 1e-6);
    }
  });
  if (n.converged) {
    // The last round's PZ is what the zones kept to, and the outcome the DSO evaluates is feasible on the feeder.
    setup.zones.forEach((z, k) => {
      for (let t = 0; t < T; t++) expect(n.zoneEvKw[k][t], `zone ${z.id} period ${t}`).toBeLessThanOrEqual(n.targetKw[k][t] + tolKw);
    });
    expect(n.evaluation.dispatch.acCheck.violations).toEqual([]);
  } else {
    expect(n.stalled || n.roundLimitHit).toBe(true);
    expect(n.rounds.length).toBeLessThanOrEqual(setup.scenario.negotiation.maxRounds);
  }
}

describe('the target-penalty method (seed 001 eq 9–10, iterated) with direct-control zones (small-test)', async () => {
  const scenario = scenarioWith('direct-control');
  const setup = await buildSimSetup(scenario);
  const central = await solveCentralised(setup);
  const { clients, signals } = recordingClients(setup);
  const n = await negotiate(setup, clients);

  it('converges with every zone within 1 kW of its PZ in every period and no AC violation', () => {
    expect(n.method).toBe('target-penalty');
    expect([n.converged, n.stalled, n.roundLimitHit]).toEqual([true, false, false]);
    expectHonestRounds(setup, n, signals);
    // The last round's cost is its check of the answers: the outcome's cost, to the dispatches' accuracy
    // (the outcome's dispatch may place the EVs on their buses as the zones delivered them).
    const outcome = n.evaluation.totalCostYuan + n.evaluation.dispatch.costs.penaltyYuan;
    expect(Math.abs(n.rounds.at(-1)!.totalCostYuan - outcome) / outcome).toBeLessThan(1e-4);
  });

  it('sends PZ ≥ the zone\'s load in the min-cost clearing of the bids first (eq 9), with w_cg above every tariff price', async () => {
    const tariffMax = Math.max(...tariffAtPeriods(scenario.tariff.blocks, timeGrid(scenario)).map((b) => b.priceYuanPerKwh));
    expect(scenario.negotiation.targetPenalty.excessPenaltyYuanPerKwh).toBeGreaterThan(tariffMax);
    const dso = await runDispatch(setup.inputs, {
      flexible: setup.zones.map((z) => z.flexible),
      extend: (built) => setup.zones.forEach((z, k) => addZoneTerms(built, z, k)),
    });
    setup.zones.forEach((z, k) => {
      for (let t = 0; t < T; t++) expect(signals[0][k].targetKw![t], `zone ${z.id} period ${t}`).toBeGreaterThanOrEqual(z.bid.baseNetLoadKw[t] + dso.flexKw[k][t] - 1e-6);
    });
  });

  it('gives a feasible outcome whose gap to the centralised cost is reported (not asserted: SPEC §8)', () => {
    expectFeasibleOutcome(setup, n, central);
    expect(Number.isFinite(gap(n, central))).toBe(true);
  });

  it('raises PZ where a zone exceeded it, as far as the DSO\'s dispatch takes it, and converges once the zone keeps to it', async () => {
    // Zone 1 draws 30 kW more than PZ in one period in round 1 (inside its envelope), then follows its policy.
    const k = 0, z = setup.zones[k];
    const pz0 = signals[0][k].targetKw!.map((v, t) => v - z.bid.baseNetLoadKw[t]);
    const tStar = pz0.findIndex((v, t) => v + 30 <= z.envelope.pChargeMaxGridKw[t]);
    expect(tStar).toBeGreaterThanOrEqual(0);
    const once = recordingClients(setup, (j, signal, own) => {
      if (j !== k || signal.round !== 1) return own;
      const evKw = Float64Array.from(own.evKw);
      evKw[tStar] = pz0[tStar] + 30;
      return { ...own, evKw, netLoadKw: evKw.map((v, t) => v + z.bid.baseNetLoadKw[t]) };
    });
    const m = await negotiate(setup, once.clients);
    expect(m.rounds[0]).toMatchObject({ converged: false });
    expect(m.rounds[0].primalResidualKw).toBeGreaterThanOrEqual(30 - 1e-6);
    // small-test's feeder has room for 30 kW: the DSO plans it rather than pay w_cg for cutting it.
    expect(once.signals[1][k].targetKw![tStar] - z.bid.baseNetLoadKw[tStar]).toBeGreaterThanOrEqual(pz0[tStar] + 30 - 1e-6);
    expect(m.converged).toBe(true);
    expectHonestRounds(setup, m, once.signals);
  });
});

describe('the target-penalty method with a zone that never keeps to its target (a non-complying outside party)', async () => {
  const setup = await buildSimSetup(scenarioWith('direct-control', { maxRounds: 6, stallRounds: 3 }));
  // Zone 2 always answers 20 kW above the PZ it was sent, in every period.
  const { clients, signals } = recordingClients(setup, (k, signal, own) => {
    if (k !== 1) return own;
    const z = setup.zones[k];
    const evKw = signal.targetKw!.map((v, t) => v - z.bid.baseNetLoadKw[t] + 20);
    return { ...own, evKw, netLoadKw: evKw.map((v, t) => v + z.bid.baseNetLoadKw[t]) };
  });
  const n = await negotiate(setup, clients);

  it('never converges: it stops at the round limit or stalled, reporting at least the 20 kW excess every round', () => {
    expect(n.converged).toBe(false);
    expect(n.stalled || n.roundLimitHit).toBe(true);
    expect(n.rounds.length).toBeLessThanOrEqual(6);
    for (const r of n.rounds) expect(r.primalResidualKw, `round ${r.round}`).toBeGreaterThanOrEqual(20 - 1e-6);
    expectHonestRounds(setup, n, signals);
  });
});

describe('the target-penalty method with elasticity-pricing zones (small-test)', async () => {
  const setup = await buildSimSetup(scenarioWith('elasticity-pricing', { maxRounds: 40 }));
  const { clients, signals } = recordingClients(setup);
  const n = await negotiate(setup, clients);

  it('whatever the outcome, reports converged only with every zone within 1 kW of PZ and no AC violation', () => {
    expectHonestRounds(setup, n, signals);
    // Measured: converged in 19 rounds (the staged schedules come back over PZ by up to 34 kW, then a
    // few kW, until the floors give each zone the room it needs). Not asserted: the policy is not convex.
  });
});
