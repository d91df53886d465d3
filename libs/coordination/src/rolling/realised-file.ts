import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@zonal/core';
import type { EvSpec } from '@zonal/ev';
import { readJsonFile } from '@zonal/scenario';
import type { RealisedDay, RealisedSession } from './realised';

/**
 * A zone's realised day on disk (`zone-<id>-realised.json`, beside its zone file): what its charge
 * points report of the day as it happens — per session the EV as announced and the boundary at which
 * it left. The harness of `zonal sim --horizon rolling` writes one per zone, only that zone's
 * sessions; the zone reads its own (`zonal zone --realised FILE`). The EVs are written as the
 * harness drew them (JSON numbers round-trip exactly), so the run over NATS lives the same day as the
 * run in process.
 */
export const REALISED_DAY_KIND = 'zonal-realised-day';
export const realisedFileName = (id: number) => `zone-${id}-realised.json`;

export function writeRealisedDay(dir: string, day: RealisedDay): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, realisedFileName(day.zoneId));
  writeFileSync(path, `${JSON.stringify({ kind: REALISED_DAY_KIND, zoneId: day.zoneId, sessions: day.sessions })}\n`);
  return path;
}

export function loadRealisedDay(path: string): RealisedDay {
  return parseRealisedDay(readJsonFile(path), path);
}

const NUMBER_FIELDS = ['arrivalH', 'departureH', 'capacityKwh', 'pChargeMaxKw', 'pDischargeMaxKw', 'eta', 'socMin', 'socMax', 'socArrival', 'socTarget'] as const;
const SPEC_FIELDS = new Set<string>(['id', 'bus', 'v2g', 'socDependent', ...NUMBER_FIELDS]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** A realised-day file's content, checked field by field; an error names the file and the field. */
export function parseRealisedDay(raw: unknown, source: string): RealisedDay {
  const bad = (field: string, message: string): never => { throw new InputError(message, `${source} ${field}`); };
  if (!isRecord(raw)) bad('', `must be a JSON object { "kind": "${REALISED_DAY_KIND}", "zoneId", "sessions" }, got ${show(raw)}`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!['kind', 'zoneId', 'sessions'].includes(key)) bad(key, 'is not a field of a realised day (kind, zoneId, sessions)');
  if (o.kind !== REALISED_DAY_KIND) bad('kind', `must be "${REALISED_DAY_KIND}", got ${show(o.kind)}`);
  if (!Number.isInteger(o.zoneId)) bad('zoneId', `must be an integer zone id, got ${show(o.zoneId)}`);
  if (!Array.isArray(o.sessions)) bad('sessions', `must be an array of { "spec", "leaveBoundary" }, got ${show(o.sessions)}`);
  const ids = new Set<string>();
  const sessions = (o.sessions as unknown[]).map((s, k): RealisedSession => {
    const at = `sessions[${k}]`;
    if (!isRecord(s)) bad(at, `must be an object { "spec", "leaveBoundary" }, got ${show(s)}`);
    const row = s as Record<string, unknown>;
    for (const key of Object.keys(row)) if (key !== 'spec' && key !== 'leaveBoundary') bad(`${at}.${key}`, 'is not a field of a session (spec, leaveBoundary)');
    const lb = row.leaveBoundary;
    if (lb !== null && !(Number.isInteger(lb) && (lb as number) >= 0)) bad(`${at}.leaveBoundary`, `must be a period boundary (an integer >= 0) or null, got ${show(lb)}`);
    if (!isRecord(row.spec)) bad(`${at}.spec`, `must be an object of EV fields, got ${show(row.spec)}`);
    const spec = row.spec as Record<string, unknown>;
    for (const key of Object.keys(spec)) if (!SPEC_FIELDS.has(key)) bad(`${at}.spec.${key}`, `is not an EV field; the fields are ${[...SPEC_FIELDS].join(', ')}`);
    if (typeof spec.id !== 'string' || spec.id === '') bad(`${at}.spec.id`, `must be a non-empty string, got ${show(spec.id)}`);
    if (ids.has(spec.id as string)) bad(`${at}.spec.id`, `EV "${spec.id as string}" is given twice`);
    ids.add(spec.id as string);
    if (!Number.isInteger(spec.bus)) bad(`${at}.spec.bus`, `must be the integer bus the EV is plugged in at, got ${show(spec.bus)}`);
    for (const f of NUMBER_FIELDS) if (typeof spec[f] !== 'number' || !Number.isFinite(spec[f])) bad(`${at}.spec.${f}`, `must be a finite number, got ${show(spec[f])}`);
    if (typeof spec.v2g !== 'boolean') bad(`${at}.spec.v2g`, `must be true or false, got ${show(spec.v2g)}`);
    if (spec.socDependent !== undefined) {
      const c = spec.socDependent;
      if (!isRecord(c) || Object.keys(c).some((key) => key !== 'breakpointKwh' && key !== 'pAboveKw')
        || typeof c.breakpointKwh !== 'number' || !Number.isFinite(c.breakpointKwh) || typeof c.pAboveKw !== 'number' || !Number.isFinite(c.pAboveKw)) {
        bad(`${at}.spec.socDependent`, `must be { "breakpointKwh": number, "pAboveKw": number }, got ${show(c)}`);
      }
    }
    return { spec: spec as unknown as EvSpec, leaveBoundary: lb as number | null };
  });
  return { zoneId: o.zoneId as number, sessions };
}
