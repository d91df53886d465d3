import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DSO_FILE, loadDsoFile, loadZoneDir } from '@zonal/coordination';
import { buildDispatchInputs, runDispatch } from '@zonal/dispatch';
import { loadFeeder } from '@zonal/feeder';
import { NatsTransport, openRecorder, startNatsServer, type LocalNatsServer } from '@zonal/protocol';
import { shutdownSolver } from '@zonal/solver';
import { killStarted, start, tmp, ZONAL } from './harness';

let nats: LocalNatsServer;
beforeAll(async () => { nats = await startNatsServer(); });
afterAll(async () => { killStarted(); await nats?.stop(); await shutdownSolver(); });

interface Report { runId: string; converged: boolean; rounds: number; gapToCentralisedPct: number; transport: string; zones: unknown[]; incidents: unknown[] }

async function sim(scenario: string) {
  const out = tmp('sim');
  const p = start(ZONAL, ['sim', '--scenario', scenario, '--nats', nats.url, '--out', out, '--json']);
  const code = await p.exited;
  expect(code, p.stderr()).toBe(0);
  const report = JSON.parse(p.stdout().trim()) as Report;
  expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).runId).toBe(report.runId);
  return { report, stderr: p.stderr(), out };
}

/**
 * The feeder as the zones' own schedule files say their EVs draw: every EV's battery-side charge and
 * discharge (zone-<id>-schedules.csv) taken to the grid side with its own eta, summed per bus and
 * period, dispatched as a fixed load — a path of its own, not the DSO's evaluation.
 */
async function redispatchDelivered(out: string) {
  const parties = join(out, 'parties');
  const dso = loadDsoFile(join(parties, DSO_FILE));
  const feeder = loadFeeder(dso.network.case);
  const T = dso.time.periods;
  const evKw = Array.from({ length: T }, () => new Float64Array(feeder.buses.length));
  for (const party of loadZoneDir(parties)) {
    const fleet = party.problem.fleet;
    const etaOf = new Map(fleet.id.map((id, i) => [id, fleet.eta[i]]));
    const rows = readFileSync(join(out, 'zones', `zone-${party.config.id}-schedules.csv`), 'utf8').trim().split('\n').slice(1);
    for (const row of rows) {
      const [id, bus, period, charge, discharge] = row.split(',');
      const eta = etaOf.get(id)!;
      evKw[Number(period)][feeder.buses.findIndex((b) => b.id === Number(bus))] += Number(charge) / eta - Number(discharge) * eta;
    }
  }
  return runDispatch(buildDispatchInputs(dso, feeder, evKw));
}

async function roundsOnJetStream(runId: string) {
  const t = await NatsTransport.connect({ servers: nats.url, name: 'reader', runId });
  try {
    return (await (await openRecorder(t)).readRounds(runId)).records;
  } finally {
    await t.close();
  }
}

describe('zonal sim over a real NATS server (DSO and zones as separate processes)', () => {
  // One run of the default scenario, read by the tests below (each takes about a minute on 2 cores).
  let defaultRun: ReturnType<typeof sim> | undefined;
  const runDefault = () => (defaultRun ??= sim('default'));

  it('converges on the default scenario within 0.5% of the centralised optimum (SPEC §8), every round on JetStream', async () => {
    const { report, stderr } = await runDefault();
    expect(report.transport).toBe(`nats ${nats.url}`);
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
    expect(report.incidents).toEqual([]);
    expect(stderr).toMatch(/round +1: primal/);
    const records = await roundsOnJetStream(report.runId);
    expect(records.map((r) => r.body.round)).toEqual(Array.from({ length: report.rounds }, (_, i) => i + 1));
    expect(records.at(-1)!.body.converged).toBe(true);
  });

  it('prints the operating point the EVs deliver: an independent re-dispatch of their per-EV schedules gives its costs and violations', async () => {
    const { out } = await runDefault();
    const full = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(full.operatingPoint).toBe('delivered');
    const d = await redispatchDelivered(out);
    const printed = full.costs.negotiated;
    // The same LP reached by another path (fixed loads, not fixed flexible loads): equal to 1e-6 relative.
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));
    expect(rel(printed.total, d.costs.totalYuan)).toBeLessThan(1e-6);
    expect(Math.abs(printed.penalties - d.costs.penaltyYuan)).toBeLessThan(1e-3);
    expect(full.ac.violations).toBe(d.acCheck.violations.length);
    expect(rel(full.ac.lossKwh, d.acCheck.lossKwh)).toBeLessThan(1e-6);
    expect(rel(full.emissionsT.after, d.emissionsT)).toBeLessThan(1e-6);
    // Seed 001's headline on the default scenario: coordination lowers the cost, the substation peak and
    // CO2, and leaves no violation (capacity charge, transformer rating and battery wear declared).
    expect(full.ac.violations).toBe(0);
    expect(printed.totalWithDegradation + printed.penalties).toBeLessThan(full.costs.beforeCoordination.total + full.costs.beforeCoordination.penalties);
    expect(full.peakShaving.peakPurchaseAfterKw).toBeLessThan(full.peakShaving.peakPurchaseBeforeKw);
    expect(full.emissionsT.after).toBeLessThan(full.emissionsT.before);
    expect(full.periods).toHaveLength(24);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('keeps two runs on the same server apart', async () => {
    const [a, b] = await Promise.all([sim('small-test'), sim('small-test')]);
    expect(a.report.runId).not.toBe(b.report.runId);
    for (const { report } of [a, b]) {
      // Under load a zone may miss a round's deadline (reported as an incident); the runs must still
      // converge, each on its own records.
      expect(report.converged).toBe(true);
      expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
      const records = await roundsOnJetStream(report.runId);
      expect(records.every((r) => r.runId === report.runId)).toBe(true);
      expect(records).toHaveLength(report.rounds);
    }
  });

  it('stopped by SIGTERM or SIGINT, stops every process it started and exits 143 / 130', async () => {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const out = tmp('signal');
      const p = start(ZONAL, ['sim', '--scenario', 'small-test', '--nats', nats.url, '--out', out]);
      // Wait until the agents run, then stop the harness alone (not its process group).
      const deadline = Date.now() + 60_000;
      while (!/round +1: primal|announced/.test(p.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const runId = /run (sim-[a-z0-9-]+)/.exec(p.stderr())?.[1];
      expect(runId, p.stderr()).toBeDefined();
      p.child.kill(signal);
      expect(await p.exited, p.stderr()).toBe(code);
      expect(p.stderr()).toMatch(new RegExp(`${signal}: stopping the DSO and the zones`));
      const left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(runId!) && !l.includes('ps -eo'));
      expect(left).toEqual([]);
    }
  });
});
