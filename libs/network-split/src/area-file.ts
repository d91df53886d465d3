/**
 * An area's own file (`area-<id>.json`, as `zonal network-split --area-processes --dir DIR` writes
 * it): its part of the feeder as the DSO's dispatch model reads it — its buses and ghost ends, the branches into them,
 * their loads, DERs and ratings, the DSO's terms as they fall on it (areas.ts), its boundary — and the
 * DSO's zone-list entries of its zones. No EV: a zone agent holding the file builds each of its
 * zones' flexible load from its own zone file, as the DSO would from its announce (`areaOfParties`).
 * What `zonal zone --area FILE` serves.
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '@zonal/core';
import { announceOf, zoneSetupOf, type DsoNetwork, type ZoneParty } from '@zonal/coordination';
import type { DispatchInputs } from '@zonal/dispatch';
import { buildRadialNetwork, type Feeder } from '@zonal/feeder';
import { dsoFileSchema, parseWithSchema, readJsonFile, type ZoneListEntry } from '@zonal/scenario';
import type { AreaData } from './areas';

export const AREA_FILE_FORMAT = 'zonal-area';
export const AREA_FILE_VERSION = 1;

/** An area's file as read: its data without zones, and the zone-list entries its zones must match. */
export interface AreaNetwork extends Omit<AreaData, 'zones'> {
  zoneList: ZoneListEntry[];
  source: string;
}

const finite = z.number();
const series = z.array(finite);
const position = z.int().min(0);
// JSON has no Infinity: an unrated branch (and the slack's entry) is written as null.
const rating = z.number().positive().nullable();

const areaFileSchema = z.strictObject({
  format: z.literal(AREA_FILE_FORMAT),
  version: z.literal(AREA_FILE_VERSION),
  id: z.int(),
  isRoot: z.boolean(),
  boundary: z.strictObject({
    areaId: z.int(),
    periods: z.int().min(1),
    dtH: z.number().positive(),
    cutLines: z.array(z.strictObject({ from: z.int().min(1), to: z.int().min(1), ownEnd: z.enum(['from', 'to']), wScaleKwPerPu2: z.number().positive() })),
    carbon: z.enum(['owner', 'contributor']),
    carbonContributors: z.array(z.int()),
  }),
  ghostParentPos: z.int().min(-1),
  ghostChildPos: z.array(position),
  fullPos: z.array(position),
  bigKw: z.number().positive(),
  /** The DSO's terms as they fall on this area, as a DSO file with the area's zones as its zone list. */
  dso: z.unknown(),
  feeder: z.unknown(),
  loadPKw: z.array(series),
  loadQKvar: z.array(series),
  evPKw: z.array(series),
  renewables: z.array(z.strictObject({ kind: z.enum(['pv', 'wind']), busId: z.int(), busPos: position, availableKw: z.array(z.number().min(0)) })),
  diesels: z.array(z.strictObject({
    busId: z.int(), busPos: position, pMinKw: z.number().min(0), pMaxKw: z.number().min(0), costYuanPerKwh: finite, emissionTPerMwh: z.number().min(0), mustRun: z.boolean(),
  })),
  priceYuanPerKwh: series,
  sMaxKva: z.array(rating),
  ratingScale: z.strictObject({ branch: z.array(series), substation: series, voltageMarginPu: z.array(series).optional() }).optional(),
});

/** Writes `area`'s own file (its zones' EVs stay out: only their zone-list entries go in). */
export function writeAreaFile(path: string, area: AreaData): void {
  const inp = area.inputs;
  const { net: _net, workingSet: _ws, capacitors: _caps, scenario, ...rest } = inp;
  const arrays = (a: readonly Float64Array[]) => a.map((x) => Array.from(x));
  const file = {
    format: AREA_FILE_FORMAT, version: AREA_FILE_VERSION,
    id: area.id, isRoot: area.isRoot, boundary: area.boundary,
    ghostParentPos: area.ghostParentPos, ghostChildPos: area.ghostChildPos, fullPos: Array.from(area.fullPos), bigKw: area.bigKw,
    dso: { ...scenario, format: dsoFileSchema.shape.format.value, zones: area.zones.map((z) => ({ id: z.id, buses: z.buses })) },
    feeder: inp.net.feeder,
    loadPKw: arrays(rest.loadPKw), loadQKvar: arrays(rest.loadQKvar), evPKw: arrays(rest.evPKw),
    renewables: rest.renewables.map((u) => ({ ...u, availableKw: Array.from(u.availableKw) })),
    diesels: rest.diesels,
    priceYuanPerKwh: Array.from(rest.priceYuanPerKwh),
    sMaxKva: Array.from(rest.sMaxKva, (v) => (Number.isFinite(v) ? v : null)),
    ...(rest.ratingScale ? {
      ratingScale: {
        branch: arrays(rest.ratingScale.branch), substation: Array.from(rest.ratingScale.substation),
        ...(rest.ratingScale.voltageMarginPu ? { voltageMarginPu: arrays(rest.ratingScale.voltageMarginPu) } : {}),
      },
    } : {}),
  };
  writeFileSync(path, `${JSON.stringify(file)}\n`);
}

/** Reads an area's file; every error names the file and the field. */
export function loadAreaFile(path: string): AreaNetwork {
  const f = parseWithSchema(areaFileSchema, readJsonFile(path), path);
  const dso = parseWithSchema(dsoFileSchema, f.dso, `${path}: dso`);
  const where = (field: string) => `${path}: ${field}`;
  let net;
  try {
    net = buildRadialNetwork(f.feeder as Feeder);
  } catch (e) {
    throw new InputError(`is not a feeder: ${(e as Error).message}`, where('feeder'));
  }
  const n = net.nBus, T = f.boundary.periods;
  if (f.boundary.areaId !== f.id) throw new InputError(`declares area ${f.boundary.areaId}, the file is area ${f.id}`, where('boundary.areaId'));
  if (dso.time.periods !== T || Math.abs(dso.time.dtH - f.boundary.dtH) > 1e-12) throw new InputError(`runs ${dso.time.periods} periods of ${dso.time.dtH} h, the boundary ${T} of ${f.boundary.dtH} h`, where('dso.time'));
  const perPeriod: Array<[string, number[][]]> = [['loadPKw', f.loadPKw], ['loadQKvar', f.loadQKvar], ['evPKw', f.evPKw], ...(f.ratingScale ? [['ratingScale.branch', f.ratingScale.branch] as [string, number[][]]] : [])];
  for (const [name, rows] of perPeriod) {
    if (rows.length !== T) throw new InputError(`has ${rows.length} periods, the area ${T}`, where(name));
    const t = rows.findIndex((r) => r.length !== n);
    if (t >= 0) throw new InputError(`[${t}] has ${rows[t].length} buses, the area's feeder ${n}`, where(name));
  }
  const lengths: Array<[string, number, number]> = [['priceYuanPerKwh', f.priceYuanPerKwh.length, T], ['sMaxKva', f.sMaxKva.length, n], ['fullPos', f.fullPos.length, n],
    ...f.renewables.map((u, k) => [`renewables[${k}].availableKw`, u.availableKw.length, T] as [string, number, number])];
  for (const [name, got, want] of lengths) if (got !== want) throw new InputError(`has ${got} entries, expected ${want}`, where(name));
  const positions: Array<[string, number]> = [['ghostParentPos', f.ghostParentPos], ...f.ghostChildPos.map((p, k) => [`ghostChildPos[${k}]`, p] as [string, number]),
    ...f.renewables.map((u, k) => [`renewables[${k}].busPos`, u.busPos] as [string, number]), ...f.diesels.map((d, k) => [`diesels[${k}].busPos`, d.busPos] as [string, number])];
  for (const [name, p] of positions) if (p >= n) throw new InputError(`is bus position ${p}; the area's feeder has ${n}`, where(name));
  const f64 = (rows: number[][]) => rows.map((r) => Float64Array.from(r));
  const inputs: DispatchInputs = {
    scenario: dso, net, grid: { periods: T, dtH: f.boundary.dtH },
    loadPKw: f64(f.loadPKw), loadQKvar: f64(f.loadQKvar), evPKw: f64(f.evPKw),
    renewables: f.renewables.map((u) => ({ ...u, availableKw: Float64Array.from(u.availableKw) })),
    diesels: f.diesels, capacitors: [],
    priceYuanPerKwh: Float64Array.from(f.priceYuanPerKwh),
    sMaxKva: Float64Array.from(f.sMaxKva, (v) => v ?? Infinity),
    ...(f.ratingScale ? {
      ratingScale: {
        branch: f64(f.ratingScale.branch), substation: Float64Array.from(f.ratingScale.substation),
        ...(f.ratingScale.voltageMarginPu ? { voltageMarginPu: f64(f.ratingScale.voltageMarginPu) } : {}),
      },
    } : {}),
  };
  return {
    id: f.id, isRoot: f.isRoot, inputs, boundary: f.boundary, ghostParentPos: f.ghostParentPos, ghostChildPos: f.ghostChildPos,
    fullPos: Int32Array.from(f.fullPos), bigKw: f.bigKw, zoneList: dso.zones, source: path,
  };
}

/**
 * The area with its zones, each built from its own zone file as the DSO builds a zone from its
 * announce (coordination `zoneSetupOf`), on the area's feeder: the zones must be exactly the file's.
 */
export function areaOfParties(area: AreaNetwork, parties: readonly ZoneParty[]): AreaData {
  const want = area.zoneList.map((z) => z.id).sort((a, b) => a - b), got = parties.map((p) => p.config.id).sort((a, b) => a - b);
  if (want.length !== got.length || want.some((id, i) => id !== got[i])) {
    throw new InputError(`area ${area.id} holds zone(s) ${want.join(', ')}; this process runs zone(s) ${got.join(', ')}`, area.source, 'give the area the zone files of exactly its zones');
  }
  const network: DsoNetwork = {
    scenario: area.inputs.scenario as DsoNetwork['scenario'], feeder: area.inputs.net.feeder, net: area.inputs.net, inputs: area.inputs, tieLines: [],
  };
  const byId = new Map(parties.map((p) => [p.config.id, p]));
  const { zoneList: _z, source: _s, ...data } = area;
  return { ...data, zones: area.zoneList.map((z) => zoneSetupOf(network, announceOf(byId.get(z.id)!))) };
}
