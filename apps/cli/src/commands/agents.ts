import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { action } from '../run';

/** The agent apps' entry points: `zonal zone` and `zonal dso` run them as their own processes. */
export const ZONE_APP = fileURLToPath(new URL('../../../zone/bin/zonal-zone.mjs', import.meta.url));
export const DSO_APP = fileURLToPath(new URL('../../../dso/bin/zonal-dso.mjs', import.meta.url));

/** Runs an agent app in the foreground, forwarding signals; resolves with its exit code. */
export function runApp(entry: string, args: string[]): Promise<number> {
  const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    resolve(code ?? (signal ? 1 : 0));
  }));
}

export function registerAgents(program: Command): void {
  program
    .command('zone')
    .description('run one zone aggregator agent (its policy from the scenario) against a NATS server')
    .requiredOption('--zone <id>', 'zone id (see zonal partition)')
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--nats <url>', 'NATS server URL', 'nats://127.0.0.1:4222')
    .option('--run-id <id>', 'run id shared by the DSO and the zones of one run', 'default')
    .action(action(async (o: { zone: string; scenario: string; nats: string; runId: string }) =>
      runApp(ZONE_APP, ['--zone', o.zone, '--scenario', o.scenario, '--nats', o.nats, '--run-id', o.runId])));
  program
    .command('dso')
    .description('run the DSO coordinator against a NATS server (or --mode centralised: the monolithic solve)')
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--nats <url>', 'NATS server URL', 'nats://127.0.0.1:4222')
    .option('--run-id <id>', 'run id shared by the DSO and the zones of one run', 'default')
    .option('--out <dir>', 'write report.json and CSVs here')
    .option('--mode <mode>', 'negotiate or centralised', 'negotiate')
    .action(action(async (o: { scenario: string; nats: string; runId: string; out?: string; mode: string }) =>
      runApp(DSO_APP, ['--scenario', o.scenario, '--nats', o.nats, '--run-id', o.runId, '--mode', o.mode, ...(o.out ? ['--out', o.out] : [])])));
}
