/**
 * Every NATS subject Zonal uses, in one place (STYLE.md lesson 4). Each subject starts with
 * `zonal.<runId>.`, so two runs on one server never see each other's traffic: a transport refuses any
 * subject outside its own run (see `assertInRun`).
 *
 * Ids become subject tokens, so they may not contain `.`, `*`, `>` or whitespace: the token rule is
 * `[A-Za-z0-9_-]{1,64}` for run ids and zone ids alike.
 */
import { InputError } from '@zonal/core';

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const ROOT = 'zonal';

/** Throws an InputError naming `where` unless `value` is a valid subject token (a run or zone id). */
export function validateToken(value: unknown, where: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new InputError(
      `${JSON.stringify(value)} is not a valid id: use 1-64 characters from A-Z a-z 0-9 _ -`,
      where,
    );
  }
  return value;
}

export function isValidToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

export function validateRunId(runId: unknown): string {
  return validateToken(runId, 'runId');
}

export interface RunSubjects {
  readonly runId: string;
  /** `zonal.<runId>`: every subject of the run starts with this plus a dot. */
  readonly prefix: string;
  /** Matches every subject of the run (for monitoring). */
  readonly all: string;
  /** Zone → DSO: the zone's announce (its flexibility envelope); the DSO replies with a status. */
  zoneAnnounce(zoneId: string): string;
  /** Matches every zone's announce subject (what the DSO serves). */
  readonly anyZoneAnnounce: string;
  /** DSO → zone request: targets, prices and consensus terms; the zone replies with its schedule. */
  zoneSolve(zoneId: string): string;
  /** DSO → zone request of a rolling run: open a window, commit its periods, finish the day (`windowRequest`). */
  zoneWindow(zoneId: string): string;
  /** DSO → zone request of the network-split method: the zone's part of the feeder as an area (`areaRequest`). */
  zoneArea(zoneId: string): string;
  /** The DSO's status (published, and served on request). */
  readonly dsoStatus: string;
  /** Served by the DSO of the run while it runs: a second DSO asks here first, and refuses a run id in use. */
  readonly dsoPresence: string;
  /** Round records; the JetStream recorder captures `zonal.*.round`. */
  readonly round: string;
  /** Start / stop / shutdown commands to every agent of the run. */
  readonly control: string;
}

export function subjects(runId: string): RunSubjects {
  const run = validateRunId(runId);
  const prefix = `${ROOT}.${run}`;
  const zone = (zoneId: string, leaf: string) => `${prefix}.zone.${validateToken(zoneId, 'zoneId')}.${leaf}`;
  return {
    runId: run,
    prefix,
    all: `${prefix}.>`,
    zoneAnnounce: (zoneId) => zone(zoneId, 'announce'),
    anyZoneAnnounce: `${prefix}.zone.*.announce`,
    zoneSolve: (zoneId) => zone(zoneId, 'solve'),
    zoneWindow: (zoneId) => zone(zoneId, 'window'),
    zoneArea: (zoneId) => zone(zoneId, 'area'),
    dsoStatus: `${prefix}.dso.status`,
    dsoPresence: `${prefix}.dso.presence`,
    round: `${prefix}.round`,
    control: `${prefix}.control`,
  };
}

/** The subject pattern of round records across all runs (the recorder's stream subject). */
export const ALL_RUNS_ROUND_SUBJECT = `${ROOT}.*.round`;

/**
 * Throws unless `subject` lies inside run `runId`: the guard that keeps runs apart. Wildcards are
 * allowed only after the run prefix, so a transport can never subscribe across runs.
 */
export function assertInRun(subject: string, runId: string): void {
  const prefix = `${ROOT}.${runId}.`;
  const rest = subject.slice(prefix.length);
  const tokens = rest.split('.');
  const wellFormed =
    subject.startsWith(prefix) &&
    rest.length > 0 &&
    tokens.every((t, i) => t === '*' || (t === '>' && i === tokens.length - 1) || /^[A-Za-z0-9_-]+$/.test(t));
  if (!wellFormed) {
    throw new InputError(
      `${JSON.stringify(subject)} is not a subject of run ${runId} (expected ${prefix}…; build subjects with subjects(runId))`,
      'subject',
    );
  }
}
