/**
 * `zonal-zone --config zone-<id>.json --nats URL --run-id ID [--out DIR]` (or `--zone ID --scenario FILE`):
 * one zone aggregator process (SPEC §8). It runs on any machine that reaches the NATS server, from its
 * own zone file — its EVs, its policy — announces itself (aggregates only) and answers the DSO until
 * told to shut down; then it writes its per-EV schedules under --out. With --scenario the process
 * splits the scenario as `zonal split` does and keeps only its own zone.
 */
import { Command } from 'commander';
import { InputError, isZonalError } from '@zonal/core';
import { startZoneAgent } from '@zonal/agents';
import { loadZoneParty, splitScenario, zonePartyOf, type ZoneParty } from '@zonal/coordination';
import { describeAuth, NATS_AUTH_FLAGS, natsAuthFromOptions, NatsTransport } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';

const command = new Command('zonal-zone')
  .option('--config <file>', 'the zone file (zonal split writes one per zone)')
  .option('--zone <id>', 'with --scenario: which zone of it to run')
  .option('--scenario <file>', 'scenario JSON file or built-in name, split as zonal split does')
  .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
  .requiredOption('--run-id <id>', 'the run id of the DSO to join (zonal dso prints it)')
  .option('--out <dir>', 'write the zone\'s per-EV schedules here when the run ends')
  .option('--export-lp <dir>', 'write every model the zone\'s policy solves as a CPLEX LP file')
  .option('--dso-wait-s <s>', 'stop (exit 3) after this long without a word from the DSO (its heartbeat); a DSO that comes back within it is announced to again', '600')
  .option('--dso-silence-s <s>', 'after this long without a word from the DSO, say so and announce again when it is back', '30');
for (const f of NATS_AUTH_FLAGS) command.option(f.flag, f.description);
const opts = command.parse(process.argv)
  .opts<{ config?: string; zone?: string; scenario?: string; nats: string; runId: string; out?: string; exportLp?: string; dsoWaitS: string; dsoSilenceS: string }>();

async function ownParty(): Promise<ZoneParty> {
  if (opts.config) {
    if (opts.scenario || opts.zone) throw new InputError('give either --config FILE or --zone ID --scenario FILE', '--config');
    return loadZoneParty(opts.config);
  }
  if (!opts.zone) throw new InputError('give --config zone-<id>.json, or --zone ID with --scenario FILE', '--config');
  const split = await splitScenario(loadScenario(opts.scenario ?? 'default'));
  const zone = split.zones.find((z) => String(z.config.id) === opts.zone);
  if (!zone) throw new InputError(`must be one of ${split.zones.map((z) => z.config.id).join(', ')}, got "${opts.zone}"`, '--zone');
  return zonePartyOf(zone.config, zone.sessions);
}

// Closed on every way out: an open NATS connection would keep the process alive after an error.
let transport: NatsTransport | undefined;
try {
  const dsoWaitS = Number(opts.dsoWaitS), dsoSilenceS = Number(opts.dsoSilenceS);
  if (!(dsoWaitS > 0)) throw new InputError(`must be a positive number of seconds, got "${opts.dsoWaitS}"`, '--dso-wait-s');
  if (!(dsoSilenceS > 0)) throw new InputError(`must be a positive number of seconds, got "${opts.dsoSilenceS}"`, '--dso-silence-s');
  const party = await ownParty();
  const zoneId = party.config.id;
  const auth = natsAuthFromOptions(opts);
  transport = await NatsTransport.connect({ servers: opts.nats, name: `zone${zoneId}`, runId: opts.runId, requireJetStream: false, auth });
  process.stderr.write(`zone ${zoneId}: connected to ${opts.nats} with ${describeAuth(auth)}\n`);
  const agent = await startZoneAgent({ transport, party, outDir: opts.out, exportLpDir: opts.exportLp, dsoWaitMs: dsoWaitS * 1000, dsoSilenceMs: dsoSilenceS * 1000, log: (l) => process.stderr.write(`${l}\n`) });
  const stop = () => void agent.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const end = await agent.done;
  await transport.close();
  transport = undefined;
  await shutdownSolver();
  for (const f of end.files) process.stderr.write(`zone ${zoneId}: wrote ${f}\n`);
  if (end.reason === 'refused') process.exitCode = 2;
  if (end.reason === 'failed') process.exitCode = 1;
  if (end.reason === 'dsoGone') {
    process.stderr.write(`zone ${zoneId}: stopped: ${end.detail}\n`);
    process.exitCode = 3;
  }
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  if (isZonalError(e) && e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  process.exitCode = isZonalError(e) ? 2 : 70;
  if (process.env.ZONAL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  await transport?.close().catch(() => undefined);
  await shutdownSolver();
}
