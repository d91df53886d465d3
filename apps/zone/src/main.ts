/**
 * `zonal-zone --zone ID --scenario FILE --nats URL --run-id ID`: one zone aggregator process
 * (SPEC §8). It runs on any machine that reaches the NATS server: it derives its zone, fleet and
 * envelope from the scenario alone, announces itself and answers the DSO until told to shut down.
 */
import { Command } from 'commander';
import { isZonalError } from '@zonal/core';
import { startZoneAgent } from '@zonal/agents';
import { buildNegotiationSetup } from '@zonal/coordination';
import { NatsTransport } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';

const opts = new Command('zonal-zone')
  .requiredOption('--zone <id>', 'zone id (1..number of zones)')
  .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
  .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
  .option('--run-id <id>', 'run id shared with the DSO', 'default')
  .parse(process.argv)
  .opts<{ zone: string; scenario: string; nats: string; runId: string }>();

try {
  const zoneId = Number(opts.zone);
  const setup = await buildNegotiationSetup(loadScenario(opts.scenario));
  if (!Number.isInteger(zoneId) || !setup.zones.some((z) => z.id === zoneId)) {
    throw Object.assign(new Error(`--zone: must be one of ${setup.zones.map((z) => z.id).join(', ')}, got "${opts.zone}"`), { zonal: true });
  }
  const transport = await NatsTransport.connect({ servers: opts.nats, name: `zone${zoneId}`, runId: opts.runId, requireJetStream: false });
  const agent = await startZoneAgent({ transport, setup, zoneId, log: (l) => process.stderr.write(`${l}\n`) });
  const stop = () => void agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await agent.done;
  await transport.close();
  await shutdownSolver();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exitCode = isZonalError(e) || (e as { zonal?: boolean }).zonal ? 2 : 70;
  await shutdownSolver();
}
