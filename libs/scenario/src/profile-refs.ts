import { dirname, isAbsolute, join } from 'node:path';
import { dayOfDate, InputError } from '@zonal/core';
import { readProfileCsv } from './profile-file';
import { timeSchema } from './schema';

/**
 * Profiles named as files in a scenario or DSO file. `profiles.load` (or `pv`, `wind`) may be, instead
 * of 24 hourly factors, a CSV time series (profile-file.ts):
 *
 *   "load": "load-15min.csv"
 *   "pv": { "file": "pv-5min.csv", "baseKw": 1200, "date": "2026-06-21" }
 *
 * `file` is relative to the file that names it (an `extends` parent's paths to the parent); `baseKw`
 * divides a series in kW into factors; `date` picks one day of a series of date-times. On loading, the
 * file becomes one factor per period of the scenario's `time` (after `extends` is merged), so the
 * loaded scenario holds arrays only. A later file naming a profile replaces it whole.
 */
export const PROFILE_NAMES = ['load', 'pv', 'wind'] as const;

/** A profile file as named, its path made absolute (an instance, so that `extends` replaces it rather than merging it key by key). */
export class ProfileFileRef {
  constructor(readonly file: string, readonly baseKw: number | undefined, readonly day: number | undefined) {}
}

/** In one file's JSON (not yet merged), turns each profile given as a file into a ProfileFileRef anchored at `path`'s directory. */
export function anchorProfileFiles(json: Record<string, unknown>, path: string): void {
  const profiles = json.profiles;
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) return;
  const entries = profiles as Record<string, unknown>;
  for (const name of PROFILE_NAMES) {
    const v = entries[name];
    if (typeof v === 'string') entries[name] = refOf({ file: v }, name, path);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) entries[name] = refOf(v as Record<string, unknown>, name, path);
  }
}

/** Replaces every ProfileFileRef in a merged scenario by its factors per period (left as is when `time` is invalid: the schema says why). */
export function readProfileFiles(raw: Record<string, unknown>): Record<string, unknown> {
  const profiles = raw.profiles as Record<string, unknown> | undefined;
  if (!profiles || !PROFILE_NAMES.some((name) => profiles[name] instanceof ProfileFileRef)) return raw;
  const time = timeSchema.safeParse(raw.time);
  if (!time.success) return raw;
  const grid = { periods: time.data.periods, dtH: time.data.dtH };
  const read = Object.fromEntries(Object.entries(profiles).map(([name, v]) => [
    name, v instanceof ProfileFileRef ? readProfileCsv(v.file, grid, { baseKw: v.baseKw, day: v.day }) : v,
  ]));
  return { ...raw, profiles: read };
}

/** A DSO or scenario file's JSON with its profile files read (paths relative to `path`). */
export function withProfileFiles(json: unknown, path: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const copy = { ...(json as Record<string, unknown>) };
  if (typeof copy.profiles === 'object' && copy.profiles !== null) copy.profiles = { ...(copy.profiles as object) };
  anchorProfileFiles(copy, path);
  return readProfileFiles(copy);
}

function refOf(v: Record<string, unknown>, name: string, path: string): ProfileFileRef {
  const bad = (field: string, message: string): never => { throw new InputError(`profiles.${name}${field ? `.${field}` : ''}: ${message}`, path); };
  for (const key of Object.keys(v)) {
    if (!['file', 'baseKw', 'date'].includes(key)) bad(key, 'is not a profile file field; they are file, baseKw, date');
  }
  if (typeof v.file !== 'string' || v.file.trim() === '') bad('file', 'must name a CSV time series file (a path relative to this file)');
  const baseKw = v.baseKw;
  if (baseKw !== undefined && !(typeof baseKw === 'number' && baseKw > 0 && baseKw < Infinity)) bad('baseKw', `must be a power > 0 kW, got ${JSON.stringify(baseKw)}`);
  const day = v.date === undefined ? undefined : typeof v.date === 'string' ? dayOfDate(v.date) : undefined;
  if (v.date !== undefined && day === undefined) bad('date', `must be a date "YYYY-MM-DD", got ${JSON.stringify(v.date)}`);
  const file = v.file as string;
  return new ProfileFileRef(isAbsolute(file) ? file : join(dirname(path), file), baseKw as number | undefined, day);
}
