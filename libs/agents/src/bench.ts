import { buildNegotiationSetup } from '@zonal/coordination';
import { encode, InProcessBus, PROTOCOL_VERSION, type Message } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { runDsoAgent } from './dso-agent';
import { toSolveReply, toSolveRequest } from './wire';
import { startZoneAgent } from './zone-agent';

export interface NegotiationBenchRow {
  scenario: string;
  zones: number;
  evs: number;
  setupMs: number;
  negotiationMs: number;
  rounds: number;
  gapPct: number;
  messagesPerRound: number;
  /** Encoded size of one round's solve requests and replies. */
  bytesPerRound: number;
}

/** The negotiation of a built-in scenario on the in-process transport (DSO + zone agents). */
export async function benchNegotiation(scenarios: readonly string[] = ['small-test', 'default']): Promise<NegotiationBenchRow[]> {
  const rows: NegotiationBenchRow[] = [];
  for (const name of scenarios) {
    const t0 = performance.now();
    const setup = await buildNegotiationSetup(loadScenario(name));
    const setupMs = performance.now() - t0;
    const bus = new InProcessBus();
    const runId = `bench-${name}`;
    const agents = await Promise.all(setup.zones.map((z) => startZoneAgent({ transport: bus.connect({ runId, name: `zone${z.id}` }), setup, zoneId: z.id })));
    const t1 = performance.now();
    const { report } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), setup, transportLabel: 'in-process' });
    const negotiationMs = performance.now() - t1;
    await Promise.all(agents.map((a) => a.stop()));
    const T = setup.inputs.grid.periods;
    const bytes = setup.zones.reduce((sum, z, k) => {
      const signal = { round: 1, consensus: { referenceKw: Float64Array.from(report.zones[k].targetKw), lambdaYuanPerKwh: new Float64Array(T).fill(0.5), rho: 0.01 } };
      const evKw = Float64Array.from(report.zones[k].achievedKw);
      const answer = { evKw, netLoadKw: evKw, costYuan: 1, degradationYuan: 1, objective: 1 };
      const wrap = (type: 'solveRequest' | 'solveReply', body: unknown) => encode({ v: PROTOCOL_VERSION, type, runId, sender: 'dso', seq: 1, body } as Message).length;
      return sum + wrap('solveRequest', toSolveRequest(z.id, signal, T)) + wrap('solveReply', toSolveReply(z.id, 1, answer));
    }, 0);
    rows.push({
      scenario: name, zones: setup.zones.length, evs: setup.fleet.size, setupMs, negotiationMs, rounds: report.rounds,
      gapPct: report.gapToCentralisedPct, messagesPerRound: 2 * setup.zones.length, bytesPerRound: bytes,
    });
  }
  return rows;
}
