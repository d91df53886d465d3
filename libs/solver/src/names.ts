/**
 * Names of variables and constraints: a family plus an index, `V(12.3)`, generated on demand.
 * They go into CPLEX LP files read by GLPK 5 and CBC (SPEC §2), so a family is refused unless the
 * whole name stays inside `[A-Za-z0-9_().]`, starts with a letter or underscore, and cannot be read
 * as a section keyword of the LP format.
 */
import { InputError } from '@zonal/core';

/** A family is an identifier: the `(`, `.` and `)` of names belong to the index. */
const FAMILY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** CPLEX LP section keywords (GLPK 5 and CBC readers), plus the two names the exporter uses itself. */
const RESERVED = new Set([
  'min', 'minimum', 'minimize', 'minimise', 'max', 'maximum', 'maximize', 'maximise',
  'st', 'subject', 'such', 'bound', 'bounds', 'free', 'inf', 'infinity',
  'gen', 'general', 'generals', 'int', 'integer', 'integers', 'bin', 'binary', 'binaries',
  'semi', 'semis', 'semicontinuous', 'sos', 'end',
  'obj', 'const_one',
]);

/** The name of the column that carries the objective constant in exported files (GLPK rejects constants). */
export const CONSTANT_COLUMN = 'const_one';
/** The name of the objective row in exported files. */
export const OBJECTIVE_ROW = 'obj';

/** CPLEX LP names are at most 255 characters. */
export const MAX_NAME_LENGTH = 255;
const MAX_FAMILY_LENGTH = 128;

export function checkFamily(modelName: string, kind: 'variable' | 'constraint', family: string): void {
  const where = `model "${modelName}" ${kind} family "${family}"`;
  if (typeof family !== 'string' || family.length === 0) throw new InputError('empty family name', where);
  if (family.length > MAX_FAMILY_LENGTH) {
    throw new InputError(`family name is longer than ${MAX_FAMILY_LENGTH} characters`, where);
  }
  if (!FAMILY_PATTERN.test(family)) {
    throw new InputError(
      'a family name is a letter or "_" followed by letters, digits or "_" (LP files allow no other characters)',
      where,
      `use "${suggestFamily(family)}"`,
    );
  }
  if (RESERVED.has(family.toLowerCase())) {
    throw new InputError('this family name is a keyword of the CPLEX LP format (or used by the exporter)', where);
  }
}

function suggestFamily(family: string): string {
  const mapped = family.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(mapped) ? mapped : `_${mapped}`;
}

/**
 * Indices are non-negative integers (a minus sign is not a legal name character). Returns what is
 * wrong, or null; the caller builds the error, so the common case allocates nothing.
 */
export function indexProblem(index: ArrayLike<number>): string | null {
  for (let k = 0; k < index.length; k++) {
    const v = index[k];
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) return `index [${Array.from(index).join(', ')}] must be non-negative integers (below 2^31)`;
  }
  return null;
}

/** `family(i.j.k)`, or the bare family for an empty index: the index is pool[from..to). */
export function formatName(family: string, pool: { get(k: number): number }, from: number, to: number): string {
  if (to === from) return family;
  let s = `${family}(${pool.get(from)}`;
  for (let k = from + 1; k < to; k++) s += `.${pool.get(k)}`;
  return `${s})`;
}
