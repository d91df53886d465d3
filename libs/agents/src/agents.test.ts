import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildNegotiationSetup, deliverZoneSchedules } from '@zonal/coordination';
import { InProcessBus } from '@zonal/protocol';
import { loadScenario, parseScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { runDsoAgent } from './dso-agent';
import { fromSolveReply, fromSolveRequest, toSolveReply, toSolveRequest } from './wire';
import { startZoneAgent } from './zone-agent';

afterAll(() => shutdownSolver());

describe('wire mapping', () => {
  it('carries a consensus signal and a target-penalty signal through the protocol bodies unchanged', () => {
    const T = 4;
    const consensus = { round: 3, consensus: { referenceKw: Float64Array.from([1, 2, 3, 4]), lambdaYuanPerKwh: Float64Array.from([0.3, 0.4, 0.5, 0.6]), rho: 0.02 } };
    expect(fromSolveRequest(toSolveRequest(7, consensus, T))).toEqual(consensus);
    const target = { round: 1, targetKw: Float64Array.from([10, 20, 30, 40]), excessPenaltyYuanPerKwh: 1.68 };
    expect(fromSolveRequest(toSolveRequest(7, target, T))).toEqual(target);
  });
});

describe('the seed\'s target/penalty method through the protocol', () => {
  it('reaches every zone and gets every answer (its requests validate on the wire)', async () => {
    const scenario = loadScenario('small-test');
    const setup = await buildNegotiationSetup(parseScenario({ ...scenario, negotiation: { ...scenario.negotiation, method: 'target-penalty' } }));
    const bus = new InProcessBus();
    const runId = 'agents-tp';
    const zones = await Promise.all(setup.zones.map((z) => startZoneAgent({ transport: bus.connect({ runId, name: `zone${z.id}` }), setup, zoneId: z.id })));
    const { report } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), setup, transportLabel: 'in-process' });
    await Promise.all(zones.map((a) => a.done));
    expect(report.method).toBe('target-penalty');
    expect(report.incidents).toEqual([]);
    expect(report.rounds).toBe(1);
  });
});

describe('DSO and zone agents on the in-process transport', async () => {
  const setup = await buildNegotiationSetup(loadScenario('small-test'));
  const bus = new InProcessBus();
  const runId = 'agents-test';
  const zones = await Promise.all(setup.zones.map((z) => startZoneAgent({ transport: bus.connect({ runId, name: `zone${z.id}` }), setup, zoneId: z.id })));
  const out = mkdtempSync(join(tmpdir(), 'zonal-agents-'));
  const { report, files } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), setup, transportLabel: 'in-process', outDir: out });

  it('converges within 0.5% of the centralised optimum and writes report.json with gapToCentralisedPct', () => {
    expect(report.converged).toBe(true);
    expect(Math.abs(report.gapToCentralisedPct)).toBeLessThanOrEqual(0.5);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['costs.csv', 'report.json', 'rounds.csv', 'trades.csv', 'zones.csv']);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.gapToCentralisedPct).toBeCloseTo(report.gapToCentralisedPct, 12);
    expect(readFileSync(join(out, 'zones.csv'), 'utf8').trim().split('\n')).toHaveLength(1 + setup.zones.length * 24);
  });

  it('reports the zones\' schedules as they replied, and the zones stop on the DSO\'s shutdown', async () => {
    for (const [k, z] of report.zones.entries()) {
      expect(z.achievedKw).toHaveLength(24);
      const env = setup.zones[k].envelope;
      z.achievedKw.forEach((x, t) => {
        expect(x).toBeLessThanOrEqual(env.pChargeMaxGridKw[t] + 1e-6);
        expect(x).toBeGreaterThanOrEqual(-env.pDischargeMaxGridKw[t] - 1e-6);
      });
    }
    await Promise.all(zones.map((a) => a.done));
  });

  it('reports, per zone, the agreed schedule delivered to its EVs (deliverZoneSchedules on the achieved schedules)', () => {
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as typeof report;
    const delivered = deliverZoneSchedules(setup, report.zones.map((z) => z.achievedKw));
    json.zones.forEach((z, k) => {
      const d = delivered[k];
      // Through JSON as the report went (-0 is written as 0).
      expect(z.delivery).toEqual(JSON.parse(JSON.stringify({
        evsFeasible: d.evsFeasible, evsScheduled: d.evsScheduled, shortfallKwh: d.shortfallKwh, overKwh: d.overKwh,
        requestedChargeKwh: d.requestedChargeKwh, gridShortfallKwh: d.gridShortfallKwh, gridOverKwh: d.gridOverKwh, shortfallKw: Array.from(d.shortfallKw),
      })));
      expect(z.delivery.evsFeasible).toBe(z.scheduledEvs);
    });
  });

  it('maps a solve reply back to the answer it came from', () => {
    const zone = setup.zones[0];
    const answer = { evKw: Float64Array.from({ length: 24 }, (_, t) => t - 5), netLoadKw: new Float64Array(24), costYuan: 12.5, degradationYuan: 2.5, objective: 12.5 };
    answer.netLoadKw = answer.evKw.map((x, t) => x + zone.problem.baseNetLoadKw[t]);
    expect(fromSolveReply(toSolveReply(zone.id, 1, answer), zone)).toEqual(answer);
  });
});
