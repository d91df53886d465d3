import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, type Scenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { decodeState, encodeState, type NegotiationCheckpoint } from './checkpoint';
import { buildSimSetup, type SimSetup } from './harness';
import { inProcessZoneClients } from './in-process';
import { negotiate, type ZoneClient } from './negotiate';

afterAll(() => shutdownSolver());

/**
 * Zones for a run of several rounds: under ADMM the zones' own policies; target-penalty agrees at once
 * on small-test, so there zone 2 always answers 20 kW above the PZ it was sent (an outside party that
 * never complies), which keeps the DSO re-planning for six rounds.
 */
function clientsFor(setup: SimSetup, method: string): ZoneClient[] {
  const clients = inProcessZoneClients(setup);
  if (method === 'admm') return clients;
  return clients.map((c, k): ZoneClient => (k !== 1 ? c : {
    zoneId: c.zoneId,
    async solve(signal, ms) {
      const reply = await c.solve(signal, ms);
      if (reply.status !== 'replied') return reply;
      const base = setup.zones[k].bid.baseNetLoadKw;
      const evKw = signal.targetKw!.map((v, t) => v - base[t] + 20);
      return { status: 'replied', answer: { ...reply.answer, evKw, netLoadKw: evKw.map((v, t) => v + base[t]), busEvKw: undefined } };
    },
  }));
}

describe.each(['admm', 'target-penalty'] as const)('a DSO restarted from its checkpoint (%s, small-test)', async (method) => {
  const base = loadScenario('small-test');
  const scenario: Scenario = { ...base, negotiation: { ...base.negotiation, method, ...(method === 'target-penalty' ? { maxRounds: 6, stallRounds: 1000 } : {}) } };
  const setup = await buildSimSetup(scenario);
  // Every checkpoint of the run, through the text form the DSO stores (so the round trip is tested too).
  const kept: string[] = [];
  const n = await negotiate(setup, clientsFor(setup, method), { onCheckpoint: (cp) => { kept.push(encodeState(cp)); } });

  it('keeps one checkpoint per round, the last one ending where the run ended', () => {
    expect(kept).toHaveLength(n.rounds.length);
    const last = decodeState<NegotiationCheckpoint>(kept.at(-1)!, 'checkpoint');
    expect(last.round).toBe(n.rounds.length);
    expect(last.converged).toBe(n.converged);
  });

  it('run again from the same setup in the same process, gives the same rounds (the DSO grows its own limit rows, not the setup\'s)', async () => {
    const rowsBefore = setup.inputs.workingSet!.saved();
    const again = await negotiate(setup, clientsFor(setup, method));
    expect(setup.inputs.workingSet!.saved()).toEqual(rowsBefore);
    expect(again.rounds.map((r) => r.totalCostYuan)).toEqual(n.rounds.map((r) => r.totalCostYuan));
    setup.zones.forEach((z, k) => expect(Array.from(again.zoneEvKw[k]), `zone ${z.id}`).toEqual(Array.from(n.zoneEvKw[k])));
    const last = decodeState<NegotiationCheckpoint>(kept.at(-1)!, 'checkpoint');
    // The checkpoint holds the DSO's limit rows: those it started from, then those it found.
    expect(last.limitRows?.rows.slice(0, rowsBefore.rows.length)).toEqual(rowsBefore.rows);
  });

  it('resumed after any round, ends with the same rounds and the same result as the uninterrupted run', async () => {
    expect(n.rounds.length, 'needs a run of two rounds or more to interrupt').toBeGreaterThanOrEqual(2);
    const at = Math.max(1, Math.floor(n.rounds.length / 2));
    // The DSO stops after round `at` (its process dies there); the zones keep running, with what they
    // keep from round to round (their last rounds' bases), and a new DSO resumes from the checkpoint.
    const zones = clientsFor(setup, method);
    const cut: string[] = [];
    let finished = 0;
    const stopped = await negotiate(setup, zones, { onCheckpoint: (cp) => { cut.push(encodeState(cp)); }, stopReason: () => (++finished >= at ? 'the DSO stopped' : null) });
    expect(stopped.rounds).toHaveLength(at);
    const checkpoint = decodeState<NegotiationCheckpoint>(cut[at - 1], 'checkpoint');
    const resumed = await negotiate(setup, zones, { resume: { checkpoint, rounds: stopped.rounds } });
    expect(resumed.rounds.map((r) => r.round)).toEqual(n.rounds.map((r) => r.round));
    expect(resumed.converged).toBe(n.converged);
    resumed.rounds.forEach((r, i) => {
      expect(r.totalCostYuan, `round ${r.round}`).toBeCloseTo(n.rounds[i].totalCostYuan, 6);
      expect(r.primalResidualKw, `round ${r.round}`).toBeCloseTo(n.rounds[i].primalResidualKw, 6);
    });
    expect(resumed.evaluation.totalCostYuan).toBeCloseTo(n.evaluation.totalCostYuan, 6);
    setup.zones.forEach((z, k) => expect(Array.from(resumed.zoneEvKw[k]), `zone ${z.id}`).toEqual(Array.from(n.zoneEvKw[k]).map((v) => expect.closeTo(v, 6))));
  });

  it('resumed with the zones restarted too (their rounds\' bases lost), reaches the same agreement within the negotiation\'s tolerance', async () => {
    const at = Math.max(1, Math.floor(n.rounds.length / 2));
    const checkpoint = decodeState<NegotiationCheckpoint>(kept[at - 1], 'checkpoint');
    const resumed = await negotiate(setup, clientsFor(setup, method), { resume: { checkpoint, rounds: n.rounds.slice(0, at) } });
    expect(resumed.converged).toBe(n.converged);
    // A zone answering cold may stop at another of its LP's optimal points: the same cost, other EV schedules.
    expect(Math.abs(resumed.evaluation.totalCostYuan - n.evaluation.totalCostYuan) / n.evaluation.totalCostYuan).toBeLessThan(1e-4);
  });

  it('resumed from a checkpoint written before it held the DSO\'s limit rows, starts from the setup\'s rows and reaches the same agreement within the negotiation\'s tolerance', async () => {
    const at = Math.max(1, Math.floor(n.rounds.length / 2));
    const { limitRows: _rows, ...older } = decodeState<NegotiationCheckpoint>(kept[at - 1], 'checkpoint');
    const resumed = await negotiate(setup, clientsFor(setup, method), { resume: { checkpoint: older, rounds: n.rounds.slice(0, at) } });
    expect(resumed.converged).toBe(n.converged);
    expect(Math.abs(resumed.evaluation.totalCostYuan - n.evaluation.totalCostYuan) / n.evaluation.totalCostYuan).toBeLessThan(1e-4);
  });

  it('refuses a checkpoint of another method or other zones, by name', async () => {
    const checkpoint = decodeState<NegotiationCheckpoint>(kept[0], 'checkpoint');
    await expect(negotiate(setup, inProcessZoneClients(setup), { resume: { checkpoint: { ...checkpoint, method: 'other' }, rounds: n.rounds.slice(0, 1) } }))
      .rejects.toThrow(/checkpoint.*method other/);
    await expect(negotiate(setup, inProcessZoneClients(setup), { resume: { checkpoint: { ...checkpoint, zoneIds: [99] }, rounds: n.rounds.slice(0, 1) } }))
      .rejects.toThrow(/zones \[99\]/);
    await expect(negotiate(setup, inProcessZoneClients(setup), { resume: { checkpoint, rounds: [] } }))
      .rejects.toThrow(/round 1 completed/);
    await expect(negotiate(setup, inProcessZoneClients(setup), { resume: { checkpoint: { ...checkpoint, limitRows: { shape: 'x', rows: [1.5] } }, rounds: n.rounds.slice(0, 1) } }))
      .rejects.toThrow(/limitRows must be/);
  });
});

describe('the state codec', () => {
  it('keeps typed arrays and non-finite numbers through text', () => {
    const value = { a: Float64Array.from([1.5, -0, Infinity, NaN]), b: [1, -Infinity], c: null, d: 'x' };
    const back = decodeState<typeof value>(encodeState(value), 'state');
    expect(back.a).toBeInstanceOf(Float64Array);
    expect(Array.from(back.a)).toEqual([1.5, 0, Infinity, NaN]);
    expect(back.b).toEqual([1, -Infinity]);
    expect(back.c).toBeNull();
    expect(back.d).toBe('x');
  });

  it('says what it could not read', () => {
    expect(() => decodeState('{', 'the DSO state of run r1')).toThrow(/the DSO state of run r1 cannot be read back/);
  });
});

describe('stops and marks that the loop makes itself (small-test, ADMM)', async () => {
  const base = loadScenario('small-test');

  it('stops at its wall-clock budget, not converged, saying so', async () => {
    const setup = await buildSimSetup({ ...base, negotiation: { ...base.negotiation, budgetS: 1e-6 } });
    const n = await negotiate(setup, inProcessZoneClients(setup));
    expect(n.rounds).toHaveLength(1);
    expect(n.converged).toBe(false);
    expect(n.roundLimitHit).toBe(false);
    expect(n.stoppedBy).toMatch(/wall-clock budget of 1e-9 s|wall-clock budget of 0\.000001 s/);
  });

  it('stops when the caller gives a reason', async () => {
    const setup = await buildSimSetup(base);
    const n = await negotiate(setup, inProcessZoneClients(setup), { stopReason: () => 'the NATS server unreachable for 30 s' });
    expect(n.rounds).toHaveLength(1);
    expect(n.stoppedBy).toBe('the NATS server unreachable for 30 s');
    expect(n.converged).toBe(false);
  });

  it('marks a zone that keeps sending the same answer while off the DSO\'s ask as stalled, and reports it', async () => {
    // ρ held at 1e-4: the DSO's pull toward the zone's answer stays too weak to follow it within the run.
    const admm = { ...base.negotiation.admm, rho0YuanPerKwhPerKw: 1e-4, rhoBoundsYuanPerKwhPerKw: [1e-4, 1e-4] as [number, number] };
    const setup = await buildSimSetup({ ...base, negotiation: { ...base.negotiation, stallRounds: 3, maxRounds: 6, admm } });
    const clients = inProcessZoneClients(setup);
    const stuck = setup.zones[0].id;
    // Zone 0 answers once as if its valley energy (00:00–08:00) cost 5 yuan/kWh more than the DSO
    // says (a feasible answer, far off the ask: its EVs charge by day), then repeats that answer
    // whatever it is asked. (The same 5 yuan/kWh on every period moved the answer by only 3 kW RMS,
    // which a DSO free to choose among equally cheap periods could come within 1 kW of.)
    const honest = inProcessZoneClients(setup)[0];
    let first: Awaited<ReturnType<ZoneClient['solve']>> | undefined;
    const valleyDearer = (v: number, t: number) => v + (t < 8 ? 5 : 0);
    clients[0] = {
      zoneId: stuck,
      solve: async (signal, ms) => (first ??= await honest.solve({ ...signal, consensus: { ...signal.consensus!, lambdaYuanPerKwh: signal.consensus!.lambdaYuanPerKwh.map(valleyDearer) } }, ms)),
    };
    const n = await negotiate(setup, clients);
    expect(n.converged).toBe(false);
    const marks = n.incidents.filter((i) => i.status === 'stalled');
    expect(marks.map((i) => i.zoneId)).toEqual([stuck]);
    expect(marks[0].round).toBe(3);
    expect(marks[0].detail).toMatch(new RegExp(`zone ${stuck}: its answer has not moved since round 1`));
    expect(n.stalledZones).toEqual([expect.objectContaining({ zoneId: stuck, sinceRound: 1 })]);
  });
});
