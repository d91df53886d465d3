import { resolve } from 'node:path';
import type { Command } from 'commander';
import { splitScenario, writePartyFiles } from '@zonal/coordination';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { action } from '../run';
import { summary } from './index';

/**
 * `zonal split [--scenario FILE] --out DIR`: a scenario as its parties' own files — `dso.json` (the
 * network, DERs, tariff, carbon, negotiation settings and zone list: no EV) and per zone
 * `zone-<id>.json` with its sessions in `zone-<id>-sessions.csv` — for `zonal dso --config` and
 * `zonal zone --config` on separate machines.
 */
export function registerSplit(program: Command): void {
  program
    .command('split')
    .description(summary('split'))
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .requiredOption('--out <dir>', 'directory to write the files into')
    .action(action(async (o: { scenario: string; out: string }) => {
      try {
        const split = await splitScenario(loadScenario(o.scenario));
        const files = writePartyFiles(resolve(o.out), split);
        for (const f of files) console.log(f);
        process.stderr.write(`${split.zones.length} zones, ${split.zones.reduce((a, z) => a + z.sessions.length, 0)} sessions; run: zonal dso --config ${resolve(o.out, 'dso.json')} and zonal zone --config ${resolve(o.out, 'zone-<id>.json')} per zone\n`);
        return 0;
      } finally {
        await shutdownSolver();
      }
    }));
}
