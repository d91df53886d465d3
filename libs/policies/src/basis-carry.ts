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
  const families = envelopeGroupFamilies(prefix);
  // The families indexed [group, …]: their first index is the group's position, translated to the parent's.
  const grouped = new Set<string>([families.charge, families.discharge, families.energy, families.soc, families.total]);
  const oldCols = new Map<string, number>(), oldRows = new Map<string, number>();
  for (let j = 0; j < from.names.numCols; j++) oldCols.set(from.names.colName(j), from.basis.colStatus[j]);
  for (let i = 0; i < from.names.numRows; i++) oldRows.set(from.names.rowName(i), from.basis.rowStatus[i]);
  const m = to.model;
  const colStatus = new Int32Array(m.numCols), rowStatus = new Int32Array(m.numRows);
  for (let j = 0; j < m.numCols; j++) {
    colStatus[j] = oldCols.get(keyIn(m.colFamily(j), m.colName(j), grouped, () => parent[m.colIndexAt(j, 0)])) ?? LOWER;
  }
  for (let i = 0; i < m.numRows; i++) {
    rowStatus[i] = oldRows.get(keyIn(m.rowFamily(i), m.rowName(i), grouped, () => parent[m.rowIndexAt(i, 0)])) ?? BASIC;
  }
  return { colStatus, rowStatus };
}

/** The name in `from` of an entry of `to`: its own, or for a group's entry its parent group's. */
function keyIn(family: string, name: string, grouped: ReadonlySet<string>, parentOf: () => number): string {
  if (!grouped.has(family)) return name;
  // `family(k.t)` or `family(k)`: the group's position is the first index.
  const open = family.length + 1;
  const end = name.indexOf('.', open);
  return `${family}(${parentOf()}${end < 0 ? ')' : name.slice(end)}`;
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
