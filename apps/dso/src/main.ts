/**
 * `zonal-dso --scenario FILE --nats URL --run-id ID [--out DIR] [--mode negotiate|centralised]`:
 * the DSO coordinator process (SPEC §8). `negotiate` waits for the zones' announces, runs the
 * negotiation over NATS and writes the report; `centralised` solves the monolithic problem of the
 * same scenario over the same aggregate envelopes and prints its costs.
 */
import { Command } from 'commander';
import { isZonalError } from '@zonal/core';
import { runDsoAgent } from '@zonal/agents';
import { buildNegotiationSetup, solveCentralised } from '@zonal/coordination';
import { NatsTransport } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';

const opts = new Command('zonal-dso')
  .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
  .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
  .option('--run-id <id>', 'run id shared with the zones', 'default')
  .option('--out <dir>', 'write report.json and CSVs here')
  .option('--mode <mode>', 'negotiate (default) or centralised', 'negotiate')
  .option('--announce-timeout-ms <ms>', 'wait this long for every zone to announce', '60000')
  .parse(process.argv)
  .opts<{ scenario: string; nats: string; runId: string; out?: string; mode: string; announceTimeoutMs: string }>();

try {
  const setup = await buildNegotiationSetup(loadScenario(opts.scenario));
  if (opts.mode === 'centralised') {
    const c = await solveCentralised(setup);
    process.stdout.write(`${JSON.stringify({ mode: 'centralised', scenario: setup.scenario.name, seed: setup.scenario.seed, totalCostYuan: c.totalCostYuan, degradationYuan: c.degradationYuan, objective: c.dispatch.objective, costs: c.dispatch.costs })}\n`);
  } else if (opts.mode === 'negotiate') {
    const transport = await NatsTransport.connect({ servers: opts.nats, name: 'dso', runId: opts.runId });
    const { report } = await runDsoAgent({
      transport, setup, transportLabel: `nats ${opts.nats}`, outDir: opts.out,
      announceTimeoutMs: Number(opts.announceTimeoutMs),
      log: (l) => process.stderr.write(`dso: ${l}\n`),
      onRound: (r) => process.stderr.write(`round ${r.round}: primal ${r.primalResidualKw.toFixed(3)} kW, dual ${r.dualResidualKw.toFixed(3)} kW, cost ${r.totalCostYuan.toFixed(2)} yuan\n`),
    });
    await transport.close();
    process.stdout.write(`${JSON.stringify({ mode: 'negotiate', converged: report.converged, rounds: report.rounds, gapToCentralisedPct: report.gapToCentralisedPct })}\n`);
  } else {
    throw Object.assign(new Error(`--mode: must be negotiate or centralised, got "${opts.mode}"`), { zonal: true });
  }
  await shutdownSolver();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = isZonalError(e) || (e as { zonal?: boolean }).zonal ? 2 : 70;
  await shutdownSolver();
}
