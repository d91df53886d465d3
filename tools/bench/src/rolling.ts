/**
 * The rolling day (issue 12 item 5): the default scenario's 24 one-period windows after its day-ahead
 * negotiation, in process and over NATS (the DSO and each zone on its own connection to a private
 * nats-server, in this process: the agents' code as `zonal dso` / `zonal zone` run it, without their
 * start-up). Per run: the rolling day's wall time (windows only; the day-ahead apart), windows
 * negotiated, rounds per window, seconds per window, the three costs. Goal: the rolling day over NATS
 * under 30 s.
 */
import { runDsoAgent, runRollingOverTransport, startZoneAgent } from '@zonal/agents';
import {
  buildSimSetup, drawRealisedDay, horizonOf, negotiateInProcess, runRolling,
  type RollingDsoResult, type WindowRecord,
} from '@zonal/coordination';
import { NatsTransport, startNatsServer } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { configureSolver, shutdownSolver } from '@zonal/solver';

export const ROLLING_GOAL_S = 30;

export interface RollingBenchRow {
  transport: string;
  dayAheadS: number;
  rollingDayS: number;
  windows: number;
  negotiated: number;
  rounds: number;
  roundsPerWindow: string;
  secondsPerWindow: string;
  realisedCostYuan: number;
  goalS: number;
  met: string;
}

function row(transport: string, dayAheadS: number, rollingDayS: number, windows: readonly WindowRecord[], costYuan: number): RollingBenchRow {
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    transport, dayAheadS: r2(dayAheadS), rollingDayS: r2(rollingDayS), windows: windows.length, negotiated: windows.filter((w) => w.replanned).length,
    rounds: windows.reduce((a, w) => a + w.rounds, 0), roundsPerWindow: windows.map((w) => w.rounds).join(' '),
    secondsPerWindow: windows.map((w) => w.seconds.toFixed(1)).join(' '), realisedCostYuan: r2(costYuan), goalS: ROLLING_GOAL_S,
    met: rollingDayS <= ROLLING_GOAL_S ? 'yes' : 'no',
  };
}

export async function benchRolling(only?: 'in-process' | 'nats'): Promise<RollingBenchRow[]> {
  configureSolver({ workers: 2 });
  const scenario = loadScenario('default');
  const sim = await buildSimSetup(scenario);
  const realised = drawRealisedDay(scenario, sim.feeder, sim.scenario.zones, horizonOf(scenario.negotiation, 'rolling'));
  const K = horizonOf(scenario.negotiation, 'rolling').everyPeriods;
  const rows: RollingBenchRow[] = [];
  if (only !== 'nats') {
    const t0 = performance.now();
    const dayAhead = await negotiateInProcess(sim, sim.parties);
    const t1 = performance.now();
    const rolling = await runRolling(sim, dayAhead, realised, { everyPeriods: K });
    rows.push(row('in process', (t1 - t0) / 1000, (performance.now() - t1) / 1000, rolling.windows, rolling.costYuan));
  }
  if (only !== 'in-process') {
    const nats = await startNatsServer();
    const runId = `bench-rolling-${Date.now()}`;
    const connect = (name: string) => NatsTransport.connect({ servers: nats.url, name, runId, requireJetStream: false });
    try {
      const zoneTransports = await Promise.all(sim.parties.map((p) => connect(`zone${p.config.id}`)));
      const agents = await Promise.all(sim.parties.map((party, i) => startZoneAgent({ transport: zoneTransports[i], party, rolling: { realised: realised.find((r) => r.zoneId === party.config.id)! } })));
      const dso = await connect('dso');
      const { zones: _z, parties: _p, partition: _q, ...network } = sim;
      const t0 = performance.now();
      let t1 = t0;
      let result: RollingDsoResult | null = null;
      await runDsoAgent({
        transport: dso, network, transportLabel: `nats ${nats.url}`,
        afterNegotiation: async ({ setup, negotiation }) => {
          t1 = performance.now();
          result = await runRollingOverTransport(dso, setup, negotiation, { everyPeriods: K });
        },
      });
      const t2 = performance.now();
      await Promise.all(agents.map((a) => a.done));
      await Promise.all([...zoneTransports, dso].map((t) => t.close()));
      const r = result as RollingDsoResult | null;
      if (!r) throw new Error('the DSO ended without its rolling day');
      rows.push(row('NATS (DSO and zones each on its own connection)', (t1 - t0) / 1000, (t2 - t1) / 1000, r.windows, r.costYuan));
    } finally {
      await nats.stop();
    }
  }
  await shutdownSolver();
  return rows;
}

// `node tools/scripts/run-ts.mjs tools/bench/src/rolling.ts [in-process|nats]`: one run, printed.
if (process.argv[1]?.endsWith('rolling.ts')) {
  const rows = await benchRolling(process.argv[2] as 'in-process' | 'nats' | undefined);
  console.log(JSON.stringify(rows, null, 2));
  process.exit(0);
}
