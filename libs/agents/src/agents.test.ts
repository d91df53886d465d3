import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceOf, buildDsoNetwork, buildSimSetup, solveCentralised, type SimSetup } from '@zonal/coordination';
import { checkSchedules, gridLoadKw } from '@zonal/ev';
import { encode, InProcessBus, PROTOCOL_VERSION, type Message } from '@zonal/protocol';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { shutdownSolver, solveLpFile } from '@zonal/solver';
import { runDsoAgent } from './dso-agent';
import { fromAnnounceBody, fromSolveReply, fromSolveRequest, toAnnounceBody, toSolveReply, toSolveRequest } from './wire';
import { readZoneSchedules, startZoneAgent } from './zone-agent';

afterAll(() => shutdownSolver());

/** Every zone of a harness setup as an agent, and the DSO from its own network, on one in-process bus. */
async function runInProcess(sim: SimSetup, runId: string, opts: { outDir?: string; oracle?: boolean; lpDir?: string } = {}) {
  const bus = new InProcessBus();
  const zones = await Promise.all(sim.parties.map((party) => startZoneAgent({
    transport: bus.connect({ runId, name: `zone${party.config.id}` }), party, outDir: opts.outDir && join(opts.outDir, 'zones'),
    exportLpDir: opts.lpDir && join(opts.lpDir, `zone-${party.config.id}`),
  })));
  const oracle = opts.oracle ? () => solveCentralised(sim) : undefined;
  const outcome = await runDsoAgent({
    // small-test's 2 s zone timeout is for kill tests: here a slow answer on a loaded machine is no incident.
    transport: bus.connect({ runId, name: 'dso' }), network: buildDsoNetwork({ ...sim.scenario, negotiation: { ...sim.scenario.negotiation, zoneTimeoutMs: 120_000 } }, sim.feeder), transportLabel: 'in-process',
    outDir: opts.outDir, oracle, exportLpDir: opts.lpDir && join(opts.lpDir, 'dso'),
  });
  const ends = await Promise.all(zones.map((a) => a.done));
  return { ...outcome, ends };
}

describe('wire mapping', () => {
  it('carries a consensus signal and a target-penalty signal through the protocol bodies unchanged', () => {
    const T = 4;
    const consensus = { round: 3, consensus: { referenceKw: Float64Array.from([1, 2, 3, 4]), lambdaYuanPerKwh: Float64Array.from([0.3, 0.4, 0.5, 0.6]), rho: 0.02 } };
    expect(fromSolveRequest(toSolveRequest(7, consensus, T))).toEqual(consensus);
    const target = { round: 1, targetKw: Float64Array.from([10, 20, 30, 40]), excessPenaltyYuanPerKwh: 1.68 };
    expect(fromSolveRequest(toSolveRequest(7, target, T))).toEqual(target);
    // The DSO's caps: a period without one (Infinity) travels as null and comes back as Infinity.
    const capped = { ...consensus, evCaps: [{ buses: [21, 22], maxKw: Float64Array.from([5, Infinity, 0, 7.5]) }] };
    const body = toSolveRequest(7, capped, T);
    expect(body.evCaps).toEqual([{ buses: [21, 22], maxPKw: [5, null, 0, 7.5] }]);
    expect(JSON.parse(JSON.stringify(body)).evCaps[0].maxPKw).toEqual([5, null, 0, 7.5]);
    expect(fromSolveRequest(body)).toEqual(capped);
  });

  it('carries a zone\'s announce to the DSO as the same bid the harness builds from the zone file', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    for (const party of sim.parties) {
      const local = announceOf(party);
      const body = toAnnounceBody(local);
      const message = { v: PROTOCOL_VERSION, type: 'announce', runId: 'r', sender: 'z', seq: 0, body } as Message;
      expect(encode(message).length, `zone ${party.config.id} announce`).toBeLessThan(1024 * 1024);
      const remote = fromAnnounceBody(body);
      expect(remote.bid.envelopeGroups).toHaveLength(local.bid.envelopeGroups.length);
      // The DSO's groups are the zone's (sent over their active span only): every bound equal.
      remote.bid.envelopeGroups.forEach((g, k) => {
        const mine = local.bid.envelopeGroups[k];
        expect(g.shiftPeriods).toBe(mine.shiftPeriods);
        for (const key of ['pMinKw', 'pMaxKw', 'eMinKwh', 'eMaxKwh', 'pChargeMaxGridKw', 'pDischargeMaxGridKw'] as const) {
          Array.from(g.envelope[key]).forEach((v, t) => expect(Math.abs(v - mine.envelope[key][t]), `zone ${party.config.id} group ${k} ${key}[${t}]`).toBeLessThan(1e-12));
        }
      });
      expect(Array.from(remote.bid.envelope.pChargeMaxGridKw)).toEqual(Array.from(local.bid.envelope.pChargeMaxGridKw));
      expect([remote.evCount, remote.evsLeftOut]).toEqual([local.evCount, local.evsLeftOut]);
    }
  });

  it('maps a solve reply back to the report it came from, delivery figures included', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const zone = sim.zones[0];
    const evKw = Float64Array.from({ length: 24 }, (_, t) => t - 5);
    const report = {
      evKw, netLoadKw: evKw.map((x, t) => x + zone.bid.baseNetLoadKw[t]), costYuan: 12.5, degradationYuan: 2.5, objective: 12.5,
      delivery: { evs: 10, evsScheduled: 9, evsFeasible: 9, evsLeftOut: 1, overKwh: 0, shortfallKwh: 0 },
    };
    expect(fromSolveReply(toSolveReply(zone.id, 1, report), zone.bid)).toEqual(report);
  });
});

describe('a zone whose announce cannot be sent', () => {
  it('ends at once, saying why and what fits it, instead of retrying for ever', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus(10_000); // a server whose max_payload is far below a zone's announce
    const agent = await startZoneAgent({ transport: bus.connect({ runId: 'tiny', name: 'zone1' }), party: sim.parties[0] });
    const end = await agent.done;
    expect(end.reason).toBe('failed');
    if (end.reason === 'failed') expect(end.detail).toMatch(/max_payload.*envelope groups; a coarser envelopeGrouping/);
  });
});

describe('a zone asked again (its answer lost, say with a cluster server)', () => {
  it('answers the same request from the same solve, and a new request from a new one', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus(), runId = 'again', lpDir = mkdtempSync(join(tmpdir(), 'zonal-again-'));
    const dso = bus.connect({ runId, name: 'dso' });
    // The zone announces once its warm-up solve is done: from then on, each solve it makes is one more LP file.
    const announced = new Promise<void>((resolve) => { dso.serve(dso.subjects.anyZoneAnnounce, () => { resolve(); return { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }; }); });
    const agent = await startZoneAgent({ transport: bus.connect({ runId, name: 'zone1' }), party: sim.parties[0], exportLpDir: lpDir });
    await announced;
    const solves = () => readdirSync(lpDir).length;
    const periods = sim.zones[0].bid.grid.periods;
    const ask = (round: number) => dso.request(dso.subjects.zoneSolve('1'),
      { type: 'solveRequest', body: toSolveRequest(1, { round, consensus: { referenceKw: new Float64Array(periods).fill(50), lambdaYuanPerKwh: new Float64Array(periods).fill(0.5), rho: 0.01 } }, periods) }, { timeoutMs: 60_000, expect: 'solveReply' });
    const before = solves();
    const [first, again] = await Promise.all([ask(1), ask(1)]);
    const once = solves();
    expect(once).toBeGreaterThan(before);
    expect(first.ok && again.ok && again.reply.body).toEqual(first.ok && first.reply.body);
    expect((await ask(1)).ok).toBe(true);
    expect(solves()).toBe(once);
    expect((await ask(2)).ok).toBe(true);
    expect(solves()).toBeGreaterThan(once);
    await agent.stop();
  });
});

describe('the seed\'s target/penalty method through the protocol', () => {
  it('reaches every zone and gets every answer (its requests validate on the wire)', async () => {
    const scenario = loadScenario('small-test');
    const sim = await buildSimSetup(parseScenario({ ...scenario, negotiation: { ...scenario.negotiation, method: 'target-penalty' } }));
    const { report } = await runInProcess(sim, 'agents-tp');
    expect(report.method).toBe('target-penalty');
    expect(report.incidents).toEqual([]);
    expect(report.rounds).toBe(1);
    // No zone files were handed to the DSO: it reports no gap rather than one it cannot know.
    expect(report.gapToCentralisedPct).toBeNull();
    expect(report.costs.centralised).toBeNull();
  });
});

describe('seed 001\'s aggregator model inside the negotiation (elasticity-pricing zones)', () => {
  it('each zone classifies its own users, sets its class price changes within ±50% and reports them per zone', async () => {
    const scenario = loadScenario('small-test');
    const sim = await buildSimSetup(parseScenario({ ...scenario, zones: { ...scenario.zones, policy: 'elasticity-pricing' }, negotiation: { ...scenario.negotiation, maxRounds: 2 } }));
    const { report } = await runInProcess(sim, 'agents-elasticity');
    expect(report.rounds).toBe(2);
    for (const [k, z] of report.zones.entries()) {
      const p = z.pricing!;
      expect(p, `zone ${z.id}`).toBeDefined();
      const users = p.usersByType['1'] + p.usersByType['2'] + p.usersByType['3'] + p.usersByType['4'] + p.v2gDirect;
      expect(users, `zone ${z.id}: every scheduled user typed once`).toBe(z.delivery!.evsScheduled);
      expect(users + z.delivery!.evsLeftOut).toBe(sim.parties[k].problem.fleet.size);
      for (const c of ['p', 'o', 'v'] as const) {
        expect(Math.abs(p.priceChangePct[c])).toBeLessThanOrEqual(50 + 1e-9);
        expect(p.classEnergyKwh.before[c]).toBeGreaterThanOrEqual(0);
      }
      // Elasticity only shifts energy between classes: each user's total is fixed by travel.
      const total = (e: { p: number; o: number; v: number }) => e.p + e.o + e.v;
      expect(Math.abs(total(p.classEnergyKwh.after) - total(p.classEnergyKwh.before))).toBeLessThan(1e-6 * total(p.classEnergyKwh.before));
      expect(z.delivery!.evsFeasible).toBe(z.delivery!.evsScheduled);
    }
  });
});

describe('DSO and zone agents on the in-process transport', async () => {
  const sim = await buildSimSetup(loadScenario('small-test'));
  const out = mkdtempSync(join(tmpdir(), 'zonal-agents-'));
  const lpDir = join(out, 'lp');
  const { report, files, ends } = await runInProcess(sim, 'agents-test', { outDir: out, oracle: true, lpDir });

  it('converges within 0.5% of the centralised optimum and writes report.json with gapToCentralisedPct', () => {
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct!)).toBeLessThanOrEqual(0.5);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['branches.csv', 'buses.csv', 'costs.csv', 'periods.csv', 'report.html', 'report.json', 'rounds.csv', 'trade-prices.csv', 'trades.csv', 'violations.csv', 'zones.csv']);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.gapToCentralisedPct).toBeCloseTo(report.gapToCentralisedPct!, 12);
    // Penalties included; a gap below zero says why (the oracle minimises this very total).
    const c = report.costs, central = c.centralised!;
    const expected = 100 * ((c.negotiated.totalWithDegradation + c.negotiated.penalties) - (central.totalWithDegradation + central.penalties)) / (central.totalWithDegradation + central.penalties);
    expect(report.gapToCentralisedPct!).toBeCloseTo(expected, 10);
    expect(json.gapDefinition).toMatch(/soft-limit penalties/);
    if (report.gapToCentralisedPct! < 0) expect(json.gapNote).toMatch(/successive LPs/);
    expect(readFileSync(join(out, 'zones.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + sim.zones.length * 24);
  });

  it('reports the zones\' schedules as they replied, inside their envelopes; the zones stop on the DSO\'s shutdown', () => {
    for (const [k, z] of report.zones.entries()) {
      expect(z.achievedKw).toHaveLength(24);
      const env = sim.zones[k].envelope;
      z.achievedKw.forEach((x, t) => {
        expect(x).toBeLessThanOrEqual(env.pChargeMaxGridKw[t] + 1e-6);
        expect(x).toBeGreaterThanOrEqual(-env.pDischargeMaxGridKw[t] - 1e-6);
      });
    }
    expect(ends.map((e) => e.reason)).toEqual(sim.zones.map(() => 'shutdown'));
  });

  it('exports every model each party solved; GLPK re-solves the DSO\'s last one (the evaluated point) to its cost', () => {
    const dso = readdirSync(join(lpDir, 'dso')).sort();
    expect(dso.length).toBeGreaterThanOrEqual(1 + 1 + report.rounds + 1); // before, clearing, a step per round, evaluation
    for (const z of sim.zones) expect(readdirSync(join(lpDir, `zone-${z.id}`)).length, `zone ${z.id}`).toBeGreaterThanOrEqual(report.rounds);
    const glpk = solveLpFile(join(lpDir, 'dso', dso.at(-1)!), 'glpsol');
    const cost = report.costs.negotiated.total + report.costs.negotiated.penalties;
    expect(Math.abs(glpk.objective! - cost) / cost).toBeLessThan(1e-6);
  });

  it('writes the operating point period by period: supply meets load and losses, each zone agreed and delivered', () => {
    expect(report.periods).toHaveLength(24);
    expect(readFileSync(join(out, 'periods.csv'), 'utf8').trim().split('\n')).toHaveLength(25);
    for (const p of report.periods) {
      // The LP balances with its own loss estimate; the AC losses are within the loss correction's tolerance of it.
      const supplyKw = p.purchaseKw + p.dieselKw + p.pvKw + p.windKw;
      expect(Math.abs(supplyKw - p.loadKw - p.lossKw), `period ${p.period}`).toBeLessThan(0.01 * p.lossKw + 1e-6);
      expect(p.vminPu).toBeGreaterThan(0.85);
      p.zones.forEach((z, k) => expect(z.deliveredKw).toBe(report.zones[k].achievedKw[p.period]));
    }
    expect(report.periods.reduce((a, p) => a + p.lossKw, 0)).toBeCloseTo(report.ac.lossKwh, 6);
    expect(Math.min(...report.periods.map((p) => p.vminPu))).toBeCloseTo(report.ac.vminPu, 12);
    expect(report.emissionsT.before).toBeGreaterThan(0);
    expect(report.emissionsT.after).toBeGreaterThan(0);
    expect(report.run).toMatchObject({ evs: 300, zones: sim.zones.length, periods: 24, dtH: 1 });
  });

  it('lists every bus\'s voltage and every branch\'s loading per period, and the violations one by one', () => {
    expect(report.buses).toHaveLength(33);
    expect(report.buses.every((b) => b.vmPu.length === 24)).toBe(true);
    expect(Math.min(...report.buses.flatMap((b) => b.vmPu))).toBeCloseTo(report.ac.vminPu, 12);
    expect(report.branches).toHaveLength(32); // a radial feeder of 33 buses
    expect(report.branches.every((b) => b.ratingKva > 0 && b.loadingPct.length === 24 && b.loadingPct.every((x) => x >= 0))).toBe(true);
    expect(report.violations.after).toHaveLength(report.ac.violations);
    expect(report.violations.before).toHaveLength(report.acBefore.violations);
    for (const v of report.violations.before) {
      const vm = report.buses.find((b) => b.bus === v.busId);
      expect(vm).toBeDefined();
      expect(v.period).toBeLessThan(24);
    }
  });

  it('keeps each zone\'s delivery as the zone reported it: every scheduled EV feasible, nothing beyond or short of the aggregate', () => {
    for (const [k, z] of report.zones.entries()) {
      const party = sim.parties[k];
      expect(z.delivery).not.toBeNull();
      expect(z.delivery!.evs).toBe(party.problem.fleet.size);
      expect(z.delivery!.evsFeasible).toBe(z.delivery!.evsScheduled);
      expect(z.delivery!.evsScheduled + z.delivery!.evsLeftOut).toBe(party.problem.fleet.size);
      expect(z.delivery!.overKwh).toBeLessThanOrEqual(1e-6);
      expect(z.delivery!.shortfallKwh).toBeLessThanOrEqual(1e-6);
    }
  });

  it('each zone writes its own per-EV schedules: they pass the feasibility checker and sum to what it agreed', () => {
    for (const [k, end] of ends.entries()) {
      const { fleet, grid } = sim.parties[k].problem;
      const schedules = readZoneSchedules(readFileSync(end.files.find((f) => f.endsWith('-schedules.csv'))!, 'utf8'), fleet, grid);
      const check = checkSchedules(fleet, grid, schedules);
      expect(check.violations, `zone ${k + 1}`).toEqual([]);
      expect(check.scheduledEvs).toBe(report.zones[k].delivery!.evsScheduled);
      const drawn = gridLoadKw(fleet, schedules).totalKw;
      drawn.forEach((v, t) => expect(Math.abs(v - report.zones[k].achievedKw[t]), `zone ${k + 1} period ${t}`).toBeLessThan(1e-6));
    }
  });
});

describe('zones that start before the DSO', () => {
  it('announce as soon as the DSO comes up (its first status), not after their pause between attempts', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus();
    const zoneLines: string[] = [];
    const zones = await Promise.all(sim.parties.map((party) => startZoneAgent({
      transport: bus.connect({ runId: 'late-dso', name: `zone${party.config.id}` }), party, announceRetryMs: 600_000, log: (l) => zoneLines.push(l),
    })));
    await new Promise((r) => setTimeout(r, 300)); // each zone has found no DSO and pauses for 600 s
    const dsoLines: string[] = [];
    // The DSO waits 60 s for announces: only zones its status woke can be heard in time.
    await runDsoAgent({
      transport: bus.connect({ runId: 'late-dso', name: 'dso' }), transportLabel: 'in-process', announceTimeoutMs: 60_000, log: (l) => dsoLines.push(l),
      network: buildDsoNetwork({ ...sim.scenario, negotiation: { ...sim.scenario.negotiation, zoneTimeoutMs: 120_000 } }, sim.feeder),
    });
    expect(dsoLines.some((l) => l.includes(`all ${sim.parties.length} zones announced`))).toBe(true);
    expect(dsoLines.some((l) => /announced again/.test(l))).toBe(false);
    for (const p of sim.parties) expect(zoneLines.filter((l) => l.startsWith(`zone ${p.config.id}: announced (`))).toHaveLength(1);
    await Promise.all(zones.map((z) => z.done));
  });
});

describe('one DSO per run id', () => {
  it('a second DSO on a run id another DSO serves refuses to start, naming the run id', async () => {
    const sim = await buildSimSetup(loadScenario('small-test'));
    const bus = new InProcessBus();
    const network = buildDsoNetwork(sim.scenario, sim.feeder);
    // The first waits for announces that never come, then ends saying so.
    const first = runDsoAgent({ transport: bus.connect({ runId: 'shared', name: 'dso' }), network, transportLabel: 'in-process', announceTimeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 1500));
    await expect(runDsoAgent({ transport: bus.connect({ runId: 'shared', name: 'dso2' }), network, transportLabel: 'in-process', announceTimeoutMs: 500 }))
      .rejects.toThrow(/run id "shared" is in use: another DSO answers on it \(waiting\)/);
    await expect(first).rejects.toThrow(/no zone announced itself/);
    // Another run id is free.
    await expect(runDsoAgent({ transport: bus.connect({ runId: 'other', name: 'dso' }), network, transportLabel: 'in-process', announceTimeoutMs: 200 }))
      .rejects.toThrow(/no zone announced itself/);
  });
});
