import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRng, InputError } from '@zonal/core';
import { socDependentExactFromDtH, writeSessionsCsv, type EvSpec } from '@zonal/ev';
import { loadScenario, parseWithSchema, ZONE_FORMAT, zoneFileSchema, type Scenario, type TariffBlock, type ZoneConfig } from '@zonal/scenario';
import { LpExporter } from '@zonal/solver';
import type { CaseZone, CaseZoneFields, ZonePolicy } from './policy';

/**
 * A policy's standalone case as one zone of a negotiation (`zonal policy <name> --zone-file`): each
 * policy's `caseZone` maps its case onto the zone file's fields on a 24 h periodic day; this module
 * holds what they share — SPEC's declared zone settings, the case run through `caseZone` with its own
 * seeded generator — and the placing of the zone on a feeder: its id and buses, its EVs spread over
 * the buses round-robin, its grid re-sampled to the DSO's, the zone file and sessions CSV written.
 */

let declared: Scenario | undefined;

/**
 * The default scenario (SPEC §3, §7): the TOU tariff and the zone settings (V2G degradation, peak
 * tie-break, envelope grouping, the day's grid) a case zone takes where its case declares none.
 */
export function declaredZoneSettings(): Pick<Scenario, 'tariff' | 'time'> & Scenario['zones'] {
  declared ??= loadScenario('default');
  return { ...declared.zones, tariff: declared.tariff, time: declared.time };
}

/** A zone file's tariff: the case's blocks (else SPEC's TOU) with the declared demand charge. */
export function zoneTariff(blocks?: readonly TariffBlock[]): ZoneConfig['tariff'] {
  const { tariff } = declaredZoneSettings();
  return { blocks: blocks ? blocks.map((b) => ({ ...b })) : tariff.blocks, demandCharge: tariff.demandCharge };
}

/** The shared fields of a case zone; a policy fills the rest. */
export function caseZoneHeader(policy: string, c: { name: string; seed: number }): Pick<CaseZoneFields, 'description' | 'seed'> {
  return { description: `policy ${policy}'s case "${c.name}" as a zone (zonal policy ${policy} --zone-file)`, seed: c.seed };
}

/** Where a case zone's degradation cost comes from, when its case declares none. */
export function declaredDegradationNote(): string {
  return `the case declares no V2G degradation cost: the zone declares the default scenario's ${declaredZoneSettings().degradationYuanPerKwh} yuan/kWh (SPEC §7.0)`;
}

/** A case (already validated by the policy's caseSchema) as a zone, its EVs drawn from the case's seed. */
export function caseZoneOf(policy: ZonePolicy<unknown>, c: unknown): CaseZone {
  if (!policy.caseZone) throw new InputError(`policy "${policy.name}" cannot turn its case into a zone file`, 'policy');
  const seed = (c as { seed: number }).seed;
  return policy.caseZone(c, { exporter: new LpExporter(undefined), rng: createRng(seed) });
}

export interface CaseZonePlacement {
  id: number;
  /** The zone's feeder buses; the EVs go to them round-robin in session order. */
  buses: readonly number[];
  /** Periods of the zone's day (dt = 24 h / periods), to match the DSO's grid; default the case zone's own. */
  periods?: number;
  /** Names of the id, buses and periods for errors (e.g. the CLI's flags). */
  names?: { id?: string; buses?: string; periods?: string };
}

/** A zone file (sessions still to be written beside it) and its placed sessions. */
export interface PlacedCaseZone {
  config: ZoneConfig;
  sessions: EvSpec[];
  notes: string[];
}

/**
 * The case zone on a feeder: id and buses set, every session on a bus (round-robin: session k on
 * buses[k mod n], in the order given), the base net load re-sampled to `periods` (the mean of each
 * new period, so the day's energy is kept), the tariff kept where its blocks fall on the new grid and
 * otherwise priced per period at the time-weighted mean of its blocks. Refuses a grid on which an
 * EV's SOC-dependent limit is no exact LP (SPEC §6). Validated as a zone file.
 */
export function placeCaseZone(policy: ZonePolicy<unknown>, cz: CaseZone, placement: CaseZonePlacement): PlacedCaseZone {
  const names = { id: 'id', buses: 'buses', periods: 'time.periods', ...placement.names };
  const { id, buses } = placement;
  if (!(Number.isInteger(id) && id >= 1)) throw new InputError(`must be a zone id (an integer >= 1), got ${id}`, names.id);
  if (buses.length === 0) throw new InputError('must name at least one bus', names.buses);
  buses.forEach((b, k) => {
    if (!(Number.isInteger(b) && b >= 1)) throw new InputError(`must be feeder bus ids (integers >= 1), got ${b}`, names.buses);
    if (buses.indexOf(b) !== k) throw new InputError(`lists bus ${b} twice`, names.buses);
  });
  const periods = placement.periods ?? cz.zone.time.periods;
  if (!(Number.isInteger(periods) && periods >= 1 && periods <= 2880)) throw new InputError(`must be a whole number of periods in 1..2880, got ${periods}`, names.periods);
  const dtH = 24 / periods;
  const notes = [...cz.notes];
  for (const ev of cz.sessions) {
    if (!ev.socDependent) continue;
    const fromH = socDependentExactFromDtH({ capacityKwh: ev.capacityKwh, breakpointKwh: ev.socDependent.breakpointKwh, pBelowKw: ev.pChargeMaxKw, pAboveKw: ev.socDependent.pAboveKw });
    if (dtH < fromH - 1e-9) {
      throw new InputError(
        `${periods} periods are steps of ${dtH} h: EV ${ev.id}'s SOC-dependent charging limit is an exact LP only for steps of at least ${fromH} h (SPEC §6)`,
        names.periods, `use at most ${Math.floor(24 / fromH + 1e-9)} periods`,
      );
    }
  }
  const tariff = tariffOnGrid(cz.zone.tariff, periods);
  if (tariff !== cz.zone.tariff) notes.push(`the case's tariff has blocks that do not fall on ${dtH} h periods: each period is priced at the time-weighted mean of its blocks`);
  const fromPeriods = cz.zone.time.periods;
  if (periods !== fromPeriods) {
    notes.push(`the case zone's ${fromPeriods} periods of ${24 / fromPeriods} h re-sampled to ${periods} of ${dtH} h: the base net load is each new period's mean`);
  }
  const sessions = cz.sessions.map((ev, k) => ({ ...ev, bus: buses[k % buses.length] }));
  const raw = {
    format: ZONE_FORMAT, id, ...cz.zone, buses: [...buses], time: { periods, dtH }, tariff,
    baseNetLoadKw: resample(cz.zone.baseNetLoadKw, periods), sessions: [],
  };
  const config = parseWithSchema(zoneFileSchema, raw, `policy ${policy.name}'s case zone`);
  if (policy.paramsSchema && config.policy.params !== undefined) parseWithSchema(policy.paramsSchema, config.policy.params, `policy ${policy.name}'s case zone: policy.params`);
  return { config, sessions, notes };
}

/** The sessions file written beside a zone file OUT.json: OUT-sessions.csv. */
export function caseZoneSessionsFileName(zoneFile: string): string {
  return `${basename(zoneFile).replace(/\.json$/i, '')}-sessions.csv`;
}

/** Writes the zone file and its sessions CSV beside it; returns both paths. */
export function writeCaseZone(zoneFile: string, placed: PlacedCaseZone, where = 'zone file'): { zoneFile: string; sessionsFile: string } {
  if (!/\.json$/i.test(zoneFile)) throw new InputError(`must name a .json file, got "${zoneFile}"`, where);
  const dir = dirname(zoneFile), sessionsName = caseZoneSessionsFileName(zoneFile);
  const sessionsFile = join(dir, sessionsName);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(sessionsFile, writeSessionsCsv(placed.sessions));
    writeFileSync(zoneFile, `${JSON.stringify({ ...placed.config, sessions: sessionsName }, null, 2)}\n`);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot be written: ${(e as Error).message}`, where);
  }
  return { zoneFile, sessionsFile };
}

/** Per-period means of a day's piecewise-constant series on `periods` equal periods. */
export function resample(values: readonly number[], periods: number): number[] {
  const n = values.length;
  if (n === periods) return [...values];
  const from = 24 / n, to = 24 / periods;
  return Array.from({ length: periods }, (_, t) => {
    const a = t * to, b = a + to;
    let sum = 0;
    for (let s = Math.max(0, Math.floor(a / from) - 1); s < n && s * from < b; s++) {
      const overlap = Math.min(b, (s + 1) * from) - Math.max(a, s * from);
      if (overlap > 0) sum += values[s] * overlap;
    }
    return sum / to;
  });
}

/**
 * The tariff as priced on `periods` periods (SPEC §2: a block holds from its start): unchanged when
 * every block boundary is a period boundary, otherwise one block per period at the time-weighted mean
 * price, with the class (p, o, v) of the block that covers most of it; equal neighbours merged.
 */
export function tariffOnGrid(tariff: ZoneConfig['tariff'], periods: number): ZoneConfig['tariff'] {
  const dt = 24 / periods;
  const onGrid = (h: number) => Math.abs(h / dt - Math.round(h / dt)) < 1e-9;
  if (tariff.blocks.every((b) => onGrid(b.fromH) && onGrid(b.toH))) return tariff;
  const blocks: TariffBlock[] = [];
  for (let t = 0; t < periods; t++) {
    const a = t * dt, b = a + dt;
    let price = 0, best: TariffBlock | undefined, bestH = 0;
    for (const x of tariff.blocks) {
      const h = Math.min(b, x.toH) - Math.max(a, x.fromH);
      if (h <= 0) continue;
      price += (x.priceYuanPerKwh * h) / dt;
      if (h > bestH + 1e-12) [best, bestH] = [x, h];
    }
    price = Math.round(price * 1e9) / 1e9; // a mean of prices, kept free of binary noise in the file
    const last = blocks.at(-1);
    if (last && last.code === best!.code && last.priceYuanPerKwh === price) last.toH = b;
    else blocks.push({ code: best!.code, fromH: a, toH: t === periods - 1 ? 24 : b, priceYuanPerKwh: price });
  }
  blocks[blocks.length - 1].toH = 24;
  return { ...tariff, blocks };
}
