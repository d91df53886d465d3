/**
 * `zonal network-split --area-processes`: the network-split method deployed as the parties would run
 * it. The harness writes each party's files (the zones' own files with their EVs, `zonal split`'s;
 * each area's part of the feeder, `area-<id>.json`), starts one `zonal zone --area` process per area
 * on the NATS server, and coordinates from this process by messages alone: it holds no area's data,
 * so there is no centralised oracle here (`--parties` runs the areas in this process and has one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { InputError } from '@zonal/core';
import { splitScenario, writePartyFiles, zoneFileName } from '@zonal/coordination';
import { coordinateSplit, coordinatorTerms, remoteArea, splitNetwork, writeAreaFile, type SplitCoordination, type SplitDispatchOptions, type SplitSetup } from '@zonal/network-split';
import { natsAuthEnv, NatsTransport, type NatsAuth } from '@zonal/protocol';
import { ZONE_APP } from './agents';

/** How long the area processes get to load their files and serve (each builds its zones' envelopes). */
const START_WAIT_MS = 120_000;

export interface AreaProcessesRun extends SplitCoordination {
  files: string[];
}

export async function runAreaProcesses(setup: SplitSetup, dir: string, nats: { url: string; auth: NatsAuth }, runId: string, timeoutMs: number,
  opts: SplitDispatchOptions, say: (line: string) => void): Promise<AreaProcessesRun> {
  const files = writePartyFiles(dir, await splitScenario(setup.scenario));
  const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
  for (const a of split.areas) {
    const path = join(dir, `area-${a.id}.json`);
    writeAreaFile(path, a);
    files.push(path);
  }
  say(`wrote the parties' files in ${dir}: ${split.areas.length} areas, each with its zones' own files; starting one zonal zone --area process per area`);
  const children: ChildProcess[] = [];
  const exited = new Map<number, number | null>();
  const dso = await NatsTransport.connect({ servers: nats.url, name: 'dso', runId, requireJetStream: false, auth: nats.auth });
  try {
    split.areas.forEach((a) => {
      const args = [...a.zones.flatMap((z) => ['--config', join(dir, zoneFileName(z.id))]), '--area', join(dir, `area-${a.id}.json`), '--nats', nats.url, '--run-id', runId];
      // Credentials go by environment, never on the command line (visible to `ps`).
      const child = spawn(process.execPath, [ZONE_APP, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...natsAuthEnv(nats.auth) } });
      child.stderr!.on('data', (d: Buffer) => { for (const line of d.toString().split('\n')) if (line.trim()) say(`  [area ${a.id}] ${line}`); });
      child.on('exit', (code) => exited.set(a.id, code));
      children.push(child);
    });
    const ports = await Promise.all(split.areas.map(async (a) => {
      try {
        return await remoteArea(dso, a.id, timeoutMs, { waitForServeMs: START_WAIT_MS });
      } catch (e) {
        const code = exited.get(a.id);
        throw new InputError(code === undefined ? (e as Error).message : `its process exited with code ${code} before serving (its messages are above)`, `area ${a.id}`);
      }
    }));
    const run = await coordinateSplit(ports, coordinatorTerms(setup.inputs.scenario, setup.inputs.priceYuanPerKwh, setup.inputs.grid.dtH), opts);
    return { ...run, files };
  } finally {
    dso.publish(dso.subjects.control, { type: 'control', body: { command: 'shutdown', reason: 'the split is done' } });
    await dso.flush().catch(() => undefined);
    await Promise.all(children.map((c) => new Promise<void>((res) => {
      if (c.exitCode !== null || c.signalCode !== null) return res();
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.on('exit', () => { clearTimeout(timer); res(); });
    })));
    await dso.close();
  }
}
