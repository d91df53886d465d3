import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The repository root, for spawning the CLI as a user would. */
export const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

/** Runs `zonal ARGS…` as a separate process through the real entry point (the bundle dist/cli.mjs, rebuilt when a source changed). */
export function zonal(...args: string[]) {
  return zonalWithEnv({}, ...args);
}

export function zonalWithEnv(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, ['apps/cli/bin/zonal.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 170_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout holds exactly one JSON object on one line, and nothing else (the `--json` contract). */
export function onlyJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

/** Bad input: exit code 2, one clear message, no stack trace, nothing on stdout. */
export function expectCleanError(r: ReturnType<typeof zonal>, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error|Error:/);
  expect(r.stdout).toBe('');
}
