import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '@zonal/core';
import type { z } from 'zod';
import { anchorProfileFiles, readProfileFiles } from './profile-refs';
import { checkProfileLengths, scenarioSchema, type Scenario } from './schema';

const BUILT_IN_DIR = join(import.meta.dirname, '..', 'scenarios');

/** Names of the scenarios shipped with Zonal (`scenarios/<name>.json`). */
export function builtInScenarioPath(name: string): string | undefined {
  const p = join(BUILT_IN_DIR, `${name}.json`);
  return existsSync(p) ? p : undefined;
}

/**
 * Loads a scenario: a built-in name (`default`) or a JSON file path. A file may say
 * `"extends": "default"` (or a path relative to itself) and give only the fields it changes:
 * objects merge key by key, arrays and values replace. A profile may name a CSV time series
 * (profile-refs.ts), relative to the file that names it, read once the files are merged. Errors name
 * the file and the field path (a profile file's: the file, line and column).
 */
export function loadScenario(ref = 'default'): Scenario {
  const raw = readScenarioJson(ref, new Set());
  // A file that extends another and names nothing is its own scenario, not its parent: it takes its
  // file's name (reports would otherwise call every variant of the default "default").
  if (existsSync(ref) && !ownName(ref)) raw.name = basename(ref).replace(/\.json$/i, '');
  return parseScenario(readProfileFiles(raw), describeRef(ref));
}

function ownName(path: string): boolean {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    return typeof json?.name === 'string';
  } catch {
    return true; // readScenarioJson has already said what is wrong with it
  }
}

const checkedScenarioSchema = scenarioSchema.superRefine(checkProfileLengths);

export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  return parseWithSchema(checkedScenarioSchema, raw, source);
}

/** Validates any JSON document (a scenario, a policy case) and names every bad field path. */
export function parseWithSchema<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new InputError(formatIssues(result.error.issues), source);
  return result.data;
}

/** Reads a JSON file, turning a missing file or bad JSON into an error that names the file. */
export function readJsonFile(path: string): unknown {
  if (!existsSync(path)) throw new InputError('no such file', path);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, path);
  }
}

function describeRef(ref: string): string {
  return builtInScenarioPath(ref) && !existsSync(ref) ? `scenario "${ref}"` : ref;
}

function readScenarioJson(ref: string, seen: Set<string>): Record<string, unknown> {
  const path = existsSync(ref) ? resolve(ref) : builtInScenarioPath(ref);
  if (!path) {
    throw new InputError(`no such scenario file or built-in scenario`, ref,
      `built-in scenarios: ${listBuiltIns().join(', ')}`);
  }
  if (seen.has(path)) throw new InputError('"extends" forms a cycle', ref);
  seen.add(path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InputError(`not valid JSON (${(e as Error).message})`, ref);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InputError('a scenario must be a JSON object', ref);
  }
  const { extends: parent, $schema: _schema, ...own } = json as Record<string, unknown>;
  anchorProfileFiles(own, path);
  if (parent === undefined) return own;
  if (typeof parent !== 'string') throw new InputError('"extends" must be a scenario name or path', ref);
  const parentRef = builtInScenarioPath(parent) && !parent.endsWith('.json')
    ? parent
    : isAbsolute(parent) ? parent : join(dirname(path), parent);
  return deepMerge(readScenarioJson(parentRef, seen), own);
}

function listBuiltIns(): string[] {
  return readdirSync(BUILT_IN_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** A JSON object (not an array, nor a ProfileFileRef, which replaces like a value). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

function formatIssues(issues: z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, 8).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    return `${path || '(root)'}: ${i.message}`;
  });
  if (issues.length > 8) lines.push(`… and ${issues.length - 8} more`);
  return lines.length === 1 ? lines[0] : `invalid scenario:\n  ${lines.join('\n  ')}`;
}
