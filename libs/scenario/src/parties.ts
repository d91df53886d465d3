import { z } from 'zod';
import { checkProfileLengths, scenarioSchema, tariffSchema, timeSchema, type Scenario } from './schema';

/**
 * The parties' own files (SPEC §8 step 0: a party holds only its own data). `zonal split` writes
 * one DSO file and one zone file per zone from a scenario; `zonal dso --config` and `zonal zone
 * --config` run from them, and `zonal sim` runs the same files.
 *
 *  - The DSO file holds the network, its DERs, the tariff, carbon, the negotiation settings and the
 *    zone list (ids and buses): no EV. The DSO knows a zone only through what it announces.
 *  - A zone file holds the zone's id and buses, its charging sessions (inline, a CSV / JSON file
 *    beside it, or a Caltech ACN-Data JSON file), its base net load, its policy and the policy's parameters, its declared marginal
 *    costs and its local storage.
 */

export const DSO_FORMAT = 'zonal-dso/1';
export const ZONE_FORMAT = 'zonal-zone/1';

const busIds = z.array(z.int().min(1)).min(1).superRefine((buses, ctx) => {
  const seen = new Set<number>();
  buses.forEach((b, i) => {
    if (seen.has(b)) ctx.addIssue({ code: 'custom', path: [i], message: `bus ${b} is listed twice` });
    seen.add(b);
  });
});

export const zoneListEntrySchema = z.strictObject({ id: z.int().min(1), buses: busIds });

/** The scenario without its EVs and zone policies: what a DSO dispatches and negotiates with. */
export const dsoFileSchema = scenarioSchema
  .omit({ evFleet: true, zones: true })
  .extend({
    format: z.literal(DSO_FORMAT),
    zones: z.array(zoneListEntrySchema).min(1),
  })
  .superRefine((f, ctx) => {
    checkProfileLengths(f, ctx);
    const ids = new Set<number>(), owner = new Map<number, number>();
    f.zones.forEach((zone, k) => {
      if (ids.has(zone.id)) ctx.addIssue({ code: 'custom', path: ['zones', k, 'id'], message: `zone id ${zone.id} is used twice` });
      ids.add(zone.id);
      for (const b of zone.buses) {
        if (owner.has(b)) ctx.addIssue({ code: 'custom', path: ['zones', k, 'buses'], message: `bus ${b} is in zone ${owner.get(b)} and zone ${zone.id}` });
        owner.set(b, zone.id);
      }
    });
  });

/** What the DSO's dispatch reads of a scenario (no EV, no zone policy): a DSO file is one. */
export type NetworkScenario = Omit<Scenario, 'evFleet' | 'zones'>;
export type DsoConfig = z.infer<typeof dsoFileSchema>;
export type ZoneListEntry = z.infer<typeof zoneListEntrySchema>;

const storageSchema = z.strictObject({
  id: z.string().min(1),
  energyKwh: z.number().positive(),
  powerKw: z.number().min(0),
  eta: z.number().gt(0).max(1),
  socMin: z.number().min(0).max(1),
  socMax: z.number().min(0).max(1),
  socInitial: z.number().min(0).max(1),
}).superRefine((s, ctx) => {
  if (s.socMin > s.socMax) ctx.addIssue({ code: 'custom', path: ['socMin'], message: `(${s.socMin}) must not exceed socMax (${s.socMax})` });
  if (s.socInitial < s.socMin || s.socInitial > s.socMax) ctx.addIssue({ code: 'custom', path: ['socInitial'], message: `(${s.socInitial}) must lie in [socMin, socMax]` });
});

/** Values for session columns a charge-point export leaves out (libs/ev sessions-file.ts). */
export const sessionDefaultsSchema = z.strictObject({
  eta: z.number().gt(0).max(1).optional(),
  minSoc: z.number().min(0).max(1).optional(),
  maxSoc: z.number().min(0).max(1).optional(),
  dischargeKw: z.number().min(0).optional(),
  v2g: z.boolean().optional(),
});

/**
 * Sessions from a Caltech ACN-Data JSON file (libs/ev acn-data.ts states every mapping rule and
 * assumption): the file (relative to the zone file), the day, the clock, the buses, and overrides of
 * the assumptions ACN-Data does not cover (charger 6.6 kW, battery 60 kWh, target SOC 0.9).
 */
export const acnSessionsSchema = z.strictObject({
  format: z.literal('acn-data'),
  file: z.string().min(1),
  /** The local date whose arrivals the zone takes; needed when the file spans several. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date "YYYY-MM-DD"').optional(),
  /** IANA zone of the scenario's clock; default each session's own `timezone`. */
  timeZone: z.string().min(1).optional(),
  /** The bus of every session busByStation leaves out. */
  bus: z.int().min(1).optional(),
  /** Bus per ACN stationID or spaceID. */
  busByStation: z.record(z.string(), z.int().min(1)).optional(),
  energy: z.enum(['requested', 'delivered']).optional(),
  departure: z.enum(['disconnect', 'requested']).optional(),
  chargeKw: z.number().positive().max(1000).optional(),
  capacityKwh: z.number().positive().max(1000).optional(),
  targetSoc: z.number().gt(0).max(1).optional(),
});

export const zoneFileSchema = z.strictObject({
  format: z.literal(ZONE_FORMAT),
  id: z.int().min(1),
  description: z.string().optional(),
  /** Where the zone's declared values come from (field path → source), as in a scenario. */
  sources: z.record(z.string(), z.string()).optional(),
  buses: busIds,
  /** Seeds the zone's own random draws (a policy's sampling); printed in its output. */
  seed: z.int().min(0).max(0xffffffff),
  time: timeSchema,
  /** The TOU tariff the zone's users face (the base price of its pricing policies). */
  tariff: tariffSchema,
  /** The zone's fixed net load without EVs (its buses' load less local PV and wind), kW per period. */
  baseNetLoadKw: z.array(z.number()).min(1),
  policy: z.strictObject({ name: z.string().min(1), params: z.unknown().optional() }),
  /** Declared marginal costs the zone announces (SPEC §7.0, §7). */
  degradationYuanPerKwh: z.number().min(0),
  peakTieBreakYuanPerKw: z.number().min(0),
  /** How the zone aggregates its fleet for its announce (libs/ev groups.ts); window-energy is exact. */
  envelopeGrouping: z.enum(['anchor', 'arrival', 'window', 'window-energy']),
  /**
   * The zone's charging sessions: a CSV or JSON file of Zonal's session columns (path relative to the
   * zone file), the records inline, or an ACN-Data file `{ "format": "acn-data", "file": …, … }`.
   */
  sessions: z.union([z.string().min(1), z.array(z.record(z.string(), z.unknown())), acnSessionsSchema]),
  sessionDefaults: sessionDefaultsSchema.optional(),
  storage: z.array(storageSchema).optional(),
}).superRefine((f, ctx) => {
  if (f.baseNetLoadKw.length !== f.time.periods) {
    ctx.addIssue({ code: 'custom', path: ['baseNetLoadKw'], message: `has ${f.baseNetLoadKw.length} values; time.periods is ${f.time.periods}` });
  }
  if (typeof f.sessions === 'object' && !Array.isArray(f.sessions)) {
    const acn = f.sessions, buses = new Set(f.buses);
    if (acn.bus === undefined && acn.busByStation === undefined) {
      ctx.addIssue({ code: 'custom', path: ['sessions', 'bus'], message: 'is needed, or busByStation (stationID or spaceID → bus): every session needs a bus' });
    }
    const stray = (bus: number, path: (string | number)[]) => {
      if (!buses.has(bus)) ctx.addIssue({ code: 'custom', path: ['sessions', ...path], message: `bus ${bus} is not one of the zone's buses (${f.buses.join(', ')})` });
    };
    if (acn.bus !== undefined) stray(acn.bus, ['bus']);
    for (const [station, bus] of Object.entries(acn.busByStation ?? {})) stray(bus, ['busByStation', station]);
  }
});

export type ZoneConfig = z.infer<typeof zoneFileSchema>;
export type SessionDefaults = z.infer<typeof sessionDefaultsSchema>;
export type AcnSessionsConfig = z.infer<typeof acnSessionsSchema>;
