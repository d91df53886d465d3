import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { natsAuthEnv, natsAuthFromOptions } from '@zonal/protocol';
import { action } from '../run';
import { withNatsAuthOptions } from './nats-options';
import { summary } from './index';

/** The agent apps' entry points: `zonal zone` and `zonal dso` run them as their own processes. */
export const ZONE_APP = fileURLToPath(new URL('../../../zone/bin/zonal-zone.mjs', import.meta.url));
export const DSO_APP = fileURLToPath(new URL('../../../dso/bin/zonal-dso.mjs', import.meta.url));

/** Runs an agent app in the foreground, forwarding signals; resolves with its exit code. Credentials go by environment, never argv. */
export function runApp(entry: string, args: string[], env: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    resolve(code ?? (signal ? 1 : 0));
  }));
}

/** Flags passed through to an agent app as they were given. */
function pass(flags: Record<string, string | undefined>): string[] {
  return Object.entries(flags).flatMap(([flag, v]) => (v === undefined ? [] : [flag, v]));
}

export function registerAgents(program: Command): void {
  const collect = (value: string, previous: string[]) => [...previous, value];
  withNatsAuthOptions(program
    .command('zone')
    .description(summary('zone'))
    .option('--config <file>', 'the zone file, e.g. parties/zone-1.json; repeat it to run several zones in one process', collect, [])
    .option('--configs <dir>', 'run every zone-<id>.json of this directory in one process')
    .option('--zone <id>', 'instead of --config: this zone of --scenario')
    .option('--zones <ids>', 'instead of --config: these zones of --scenario (comma-separated), in one process')
    .option('--scenario <file>', 'with --zone/--zones: scenario JSON file or built-in name, split as zonal split does')
    .option('--host <name>', 'the process\'s name on NATS when it runs several zones (connection host-<name>, inbox _INBOX_host-<name>: the credential zonal nats-config --host name=… writes)')
    .option('--solver-workers <n>', 'solver threads the process\'s zones share (default: min(2, cores))')
    .option('--nats <url>', 'NATS server URL', 'nats://127.0.0.1:4222')
    .requiredOption('--run-id <id>', 'the run id of the DSO to join (zonal dso prints it)')
    .option('--out <dir>', 'where each zone writes its per-EV schedules when the run ends')
    .option('--realised <file>', 'a rolling run (zonal dso --horizon rolling): the zone\'s own realised day, zone-<id>-realised.json as zonal sim --horizon rolling writes it; repeat it for each zone of the process', collect, [])
    .option('--export-lp <dir>', 'write every model the zones\' policies solve as a CPLEX LP file (several zones: DIR/zone-<id>/)')
    .option('--dso-wait-s <s>', 'stop (exit 3) after this long without a word from the DSO; a DSO back within it is announced to again (default 600)')
    .option('--dso-silence-s <s>', 'after this long without a word from the DSO, say so and announce again when it is back (default 30)'))
    .action(action(async (o: {
      config: string[]; configs?: string; zone?: string; zones?: string; scenario?: string; host?: string; solverWorkers?: string;
      nats: string; runId: string; out?: string; exportLp?: string; dsoWaitS?: string; dsoSilenceS?: string; realised: string[];
    }) =>
      runApp(ZONE_APP, [
        ...o.config.flatMap((f) => ['--config', f]),
        ...o.realised.flatMap((f) => ['--realised', f]),
        ...pass({
          '--configs': o.configs, '--zone': o.zone, '--zones': o.zones, '--scenario': o.scenario, '--host': o.host, '--solver-workers': o.solverWorkers,
          '--nats': o.nats, '--run-id': o.runId, '--out': o.out, '--export-lp': o.exportLp, '--dso-wait-s': o.dsoWaitS, '--dso-silence-s': o.dsoSilenceS,
        }),
      ], natsAuthEnv(natsAuthFromOptions(o)))));
  withNatsAuthOptions(program
    .command('dso')
    .description(summary('dso'))
    .option('--config <file>', 'the DSO file, e.g. parties/dso.json')
    .option('--scenario <file>', 'instead of --config: scenario JSON file or built-in name (the DSO keeps its own part)')
    .option('--nats <url>', 'NATS server URL', 'nats://127.0.0.1:4222')
    .option('--run-id <id>', 'run id shared with the zones (default: a new unique one, printed)')
    .option('--out <dir>', 'write report.json and CSVs here')
    .option('--oracle <dir>', 'the zones\' files (a directory of zone-<id>.json), to solve the centralised optimum and report the gap')
    .option('--announce-timeout-ms <ms>', 'wait this long for every zone to announce', '60000')
    .option('--mode <mode>', 'negotiate or centralised', 'negotiate')
    .option('--horizon <mode>', 'day-ahead, or rolling: after the day-ahead, the day re-negotiated every negotiation.horizon.everyPeriods periods on the zones\' realised windows (start them with --realised); writes dso-rolling.json under --out')
    .option('--export-lp <dir>', 'write every model the DSO solves as a CPLEX LP file (0001-dso.lp, …)')
    .option('--rounds-replicas <n>', 'replicas of the ZONAL_ROUNDS stream when the DSO creates it (1-5, default 1; 3 on a JetStream cluster survives losing a server); an existing stream is used as it is'))
    .action(action(async (o: { config?: string; scenario?: string; nats: string; runId?: string; out?: string; oracle?: string; announceTimeoutMs: string; mode: string; exportLp?: string; roundsReplicas?: string; horizon?: string }) =>
      runApp(DSO_APP, pass({
        '--config': o.config, '--scenario': o.scenario, '--nats': o.nats, '--run-id': o.runId, '--out': o.out,
        '--oracle': o.oracle, '--announce-timeout-ms': o.announceTimeoutMs, '--mode': o.mode, '--export-lp': o.exportLp, '--rounds-replicas': o.roundsReplicas, '--horizon': o.horizon,
      }), natsAuthEnv(natsAuthFromOptions(o)))));
}
