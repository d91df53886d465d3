import { InputError, isZonalError } from '@zonal/core';

/**
 * Exit codes: 0 ok, 1 a result the user asked to be told about (e.g. not converged), 2 bad input,
 * 3 a run that could not complete (a party or the server gone, the wall-clock budget spent), 70 a bug.
 */
export const EXIT_BAD_INPUT = 2;
export const EXIT_INCOMPLETE = 3;
export const EXIT_BUG = 70;

/** A run that could not complete for what happened around it, not for a bug: one line, exit 3. */
export class RunIncomplete extends Error {}

/**
 * Runs a command's action and turns every failure into one clear line on stderr and a non-zero
 * exit code. Bad input (a ZonalError) never shows a stack trace; anything else is a bug, and its
 * stack is shown only with ZONAL_DEBUG=1.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void> | number | void) {
  return async (...args: A): Promise<void> => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

export function reportError(e: unknown): number {
  if (isZonalError(e)) {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    return EXIT_BAD_INPUT;
  }
  if (e instanceof RunIncomplete) {
    process.stderr.write(`error: ${e.message}\n`);
    return EXIT_INCOMPLETE;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`internal error: ${err.message}\n`);
  if (process.env.ZONAL_DEBUG) process.stderr.write(`${err.stack}\n`);
  else process.stderr.write('This is a bug in zonal; run with ZONAL_DEBUG=1 for details and report it.\n');
  return EXIT_BUG;
}

/** Writes exactly one JSON object on stdout (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
}

/** Parses a numeric flag, naming the flag when it is not a finite number. */
export function numberFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v)) {
    throw new InputError(`must be a number, got "${raw}"`, `--${name}`);
  }
  return v;
}
