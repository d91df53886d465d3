import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@zonal/core';
import { writeSessionsCsv } from '@zonal/ev';
import { dsoFileSchema, parseWithSchema, readJsonFile, withProfileFiles, type DsoConfig } from '@zonal/scenario';
import type { SplitScenario } from './split';
import { loadZoneParty, type ZoneParty } from './zone-party';

/**
 * The parties' files on disk (`zonal split --out DIR`): `dso.json`, and per zone `zone-<id>.json`
 * with its sessions beside it in `zone-<id>-sessions.csv` (the columns of libs/ev sessions-file.ts).
 */
export const DSO_FILE = 'dso.json';
export const zoneFileName = (id: number) => `zone-${id}.json`;
export const sessionsFileName = (id: number) => `zone-${id}-sessions.csv`;

/** Writes every party's file; returns the paths written. */
export function writePartyFiles(dir: string, split: SplitScenario): string[] {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError('is a file, not a directory', dir);
  mkdirSync(dir, { recursive: true });
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  const written: string[] = [];
  const put = (name: string, text: string) => { writeFileSync(join(dir, name), text); written.push(join(dir, name)); };
  put(DSO_FILE, json(split.dso));
  for (const z of split.zones) {
    put(sessionsFileName(z.config.id), writeSessionsCsv(z.sessions));
    put(zoneFileName(z.config.id), json({ ...z.config, sessions: sessionsFileName(z.config.id) }));
  }
  return written;
}

/** A DSO file; profiles it names as CSV time series are read relative to it (libs/scenario profile-refs.ts). */
export function loadDsoFile(path: string): DsoConfig {
  return parseWithSchema(dsoFileSchema, withProfileFiles(readJsonFile(path), path), path);
}

/** Every `zone-<id>.json` in a directory (the zone files a harness or an oracle holds), by id. */
export function loadZoneDir(dir: string): ZoneParty[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError('no such directory', dir);
  const files = readdirSync(dir).filter((f) => /^zone-\d+\.json$/.test(f)).sort((a, b) => Number(a.slice(5, -5)) - Number(b.slice(5, -5)));
  if (files.length === 0) throw new InputError('holds no zone-<id>.json file', dir);
  return files.map((f) => loadZoneParty(join(dir, f)));
}
