import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ZONAL = join(ROOT, 'apps/cli/bin/zonal.mjs');
export const DSO_APP = join(ROOT, 'apps/dso/bin/zonal-dso.mjs');
export const ZONE_APP = join(ROOT, 'apps/zone/bin/zonal-zone.mjs');

export const tmp = (label: string) => mkdtempSync(join(tmpdir(), `zonal-${label}-`));

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number>;
}

const started = new Set<ChildProcess>();

/** Starts a Node entry point as its own process, collecting its output. */
export function start(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  child.on('exit', () => started.delete(child));
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** A scenario file extending a built-in one. */
export function scenarioFile(dir: string, patch: Record<string, unknown>): string {
  const path = join(dir, 'scenario.json');
  writeFileSync(path, JSON.stringify(patch));
  return path;
}

/** Kills every process a test started and that is still running (a failed test must not leave agents behind). */
export function killStarted(): void {
  for (const child of started) child.kill('SIGKILL');
  started.clear();
}

/** Waits until `predicate` holds, polling; fails with `what` after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
