import type { ModelBuilder, ModelNames, SimplexBasis } from '@zonal/solver';
import { envelopeGroupFamilies, type EnvelopeGroup } from './envelope-model';

/** HiGHS's basis statuses (solver protocol.ts SimplexBasis). */
const LOWER = 0, BASIC = 1;

/** A solved zone model, as a later model of another shape can start from it (kept without the model's numbers). */
export interface SolvedZoneModel {
  names: ModelNames;
  basis: SimplexBasis;
  /** For each EV of the fleet (its position), the group of the model that held it; -1 for none. */
  groupOfEv: Int32Array;
}

/** What a model's basis is kept as between rounds, for a model of another shape to start from. */
export function solvedZoneModel(model: ModelBuilder, basis: SimplexBasis, groups: readonly EnvelopeGroup[]): SolvedZoneModel | null {
  let size = 0;
  for (const g of groups) {
    if (!g.evs) return null;
    for (let i = 0; i < g.evs.length; i++) size = Math.max(size, g.evs[i] + 1);
  }
  const groupOfEv = new Int32Array(size).fill(-1);
  groups.forEach((g, k) => { for (let i = 0; i < g.evs!.length; i++) groupOfEv[g.evs![i]] = k; });
  return { names: model.names(), basis, groupOfEv };
}

/**
 * The basis of `from` carried to `to`, the same zone's model over other envelope groups (its groups
 * split by the buses the DSO capped since: bus-groups.ts): a start a few pivots from `to`'s optimum
 * where a cold start takes thousands (synthetic 1 000-bus case: ≈ 10 000 dual simplex iterations a
 * zone, at every cap that joins).
 *
 * Every column and row outside the groups takes the status of its namesake in `from` (the signal's
 * terms, the zone's power and peak); each group of `to` takes, column by column and row by row, the
 * statuses of the group of `from` that held its first EV (a split group's EVs are all in one group of
 * the coarser grouping, both being window-energy groupings of the same fleet). What `from` had no
 * namesake for (a cap's rows, their penalty columns) starts basic (rows) or at its lower bound
 * (columns). The count of basic columns may be off where a group split in several: HiGHS takes the
 * basis as an "alien" one, completes or trims it, and goes on by simplex to the same optimum.
 *
 * null when a group of `to` has no EV that `from`'s groups held (no parent can be named): the solve starts cold.
 */
export function carriedBasis(from: SolvedZoneModel, to: { model: ModelBuilder; groups: readonly EnvelopeGroup[] }, prefix = 'ev'): SimplexBasis | null {
  const parent = parentGroups(from.groupOfEv, to.groups);
  if (!parent) return null;
  const f = envelopeGroupFamilies(prefix);
  // The families indexed [group, day period] (or [group]): a zone's tens of thousands of such entries
  // are looked up in a table by number, every other entry by its name.
  const slots = new Map<string, number>([f.charge, f.discharge, f.energy, f.soc, f.total].map((family, k) => [family, k]));
  const totalSlot = slots.get(f.total)!; // indexed [group] alone
  const n = from.names;
  const { groups, periods } = extent(n, slots);
  // Status by [family, group, period] (-1: no such entry), for the columns and for the rows.
  const colTable = new Int8Array(slots.size * groups * periods).fill(-1), rowTable = new Int8Array(colTable.length).fill(-1);
  const at = (slot: number, group: number, period: number) => (slot * groups + group) * periods + period;
  // An entry's place in the tables, -1 for an entry outside the groups, -2 for a group entry past them.
  const entry = (x: { family: (i: number) => string; index: (i: number, d: number) => number }, i: number, groupOf: (k: number) => number) => {
    const slot = slots.get(x.family(i));
    if (slot === undefined) return -1;
    const g = groupOf(x.index(i, 0)), t = slot === totalSlot ? 0 : x.index(i, 1);
    return g < groups && t < periods ? at(slot, g, t) : -2;
  };
  const oldCols = { family: (j: number) => n.colFamily(j), index: (j: number, d: number) => n.colIndexAt(j, d) };
  const oldRows = { family: (r: number) => n.rowFamily(r), index: (r: number, d: number) => n.rowIndexAt(r, d) };
  const named = { cols: new Map<string, number>(), rows: new Map<string, number>() };
  for (let j = 0; j < n.numCols; j++) {
    const k = entry(oldCols, j, (g) => g);
    if (k >= 0) colTable[k] = from.basis.colStatus[j];
    else named.cols.set(n.colName(j), from.basis.colStatus[j]);
  }
  for (let r = 0; r < n.numRows; r++) {
    const k = entry(oldRows, r, (g) => g);
    if (k >= 0) rowTable[k] = from.basis.rowStatus[r];
    else named.rows.set(n.rowName(r), from.basis.rowStatus[r]);
  }
  const m = to.model;
  const newCols = { family: (j: number) => m.colFamily(j), index: (j: number, d: number) => m.colIndexAt(j, d) };
  const newRows = { family: (r: number) => m.rowFamily(r), index: (r: number, d: number) => m.rowIndexAt(r, d) };
  const colStatus = new Int32Array(m.numCols), rowStatus = new Int32Array(m.numRows);
  for (let j = 0; j < m.numCols; j++) {
    const k = entry(newCols, j, (g) => parent[g]);
    const status = k >= 0 ? colTable[k] : k === -1 ? named.cols.get(m.colName(j)) : undefined;
    colStatus[j] = status === undefined || status < 0 ? LOWER : status;
  }
  for (let r = 0; r < m.numRows; r++) {
    const k = entry(newRows, r, (g) => parent[g]);
    const status = k >= 0 ? rowTable[k] : k === -1 ? named.rows.get(m.rowName(r)) : undefined;
    rowStatus[r] = status === undefined || status < 0 ? BASIC : status;
  }
  return { colStatus, rowStatus };
}

/** How many groups and day periods the group families of a model's names span. */
function extent(n: ModelNames, slots: ReadonlyMap<string, number>): { groups: number; periods: number } {
  let groups = 0, periods = 1;
  for (let j = 0; j < n.numCols; j++) {
    if (!slots.has(n.colFamily(j))) continue;
    groups = Math.max(groups, n.colIndexAt(j, 0) + 1);
    periods = Math.max(periods, n.colIndexAt(j, 1) + 1);
  }
  for (let r = 0; r < n.numRows; r++) if (slots.has(n.rowFamily(r))) groups = Math.max(groups, n.rowIndexAt(r, 0) + 1);
  return { groups, periods };
}

/** For each group of `next`, the group that held its first EV before; null when one cannot be named. */
function parentGroups(groupOfEv: Int32Array, next: readonly EnvelopeGroup[]): Int32Array | null {
  const parent = new Int32Array(next.length);
  for (let k = 0; k < next.length; k++) {
    const first = next[k].evs?.[0];
    const p = first === undefined || first >= groupOfEv.length ? -1 : groupOfEv[first];
    if (p < 0) return null;
    parent[k] = p;
  }
  return parent;
}
