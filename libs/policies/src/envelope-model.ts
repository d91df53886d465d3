import type { AggregateEnvelope, AnchoredEnvelope, TimeGrid } from '@zonal/ev';
import { ModelBuilder, VarBlock } from '@zonal/solver';

/**
 * A fleet's aggregate envelope as model variables (SPEC §6): battery-side charge c[t] ≥ 0 and
 * discharge d[t] ≥ 0 within the summed power limits, energy gained since the envelope's anchor
 * boundary E[k+1] = E[k] + (c[k] − d[k])·dt within [eMin, eMax] at every boundary, E[anchor] = 0.
 * Grid side: c/eta drawn, d·eta returned (SPEC §2's efficiency on both sides).
 */
export interface EnvelopeVars {
  chargeKw: VarBlock; // [T], battery side, indexed by day period
  dischargeKw: VarBlock; // [T], battery side, indexed by day period
  /** Grid-side power of period t = Σ coefs · cols (charging positive). */
  gridTerms(t: number): { cols: number[]; coefs: number[] };
  /** Each envelope group's own charge and discharge columns per day period (one entry without groups). */
  groups: EnvelopeGroupCols[];
}

/** Column of a group's battery-side charge (discharge) in each day period, -1 where it has none. */
export interface EnvelopeGroupCols {
  chargeCols: Int32Array;
  dischargeCols: Int32Array;
}

function blockCols(block: VarBlock, T: number): Int32Array {
  return Int32Array.from({ length: T }, (_, t) => block.at(t));
}

/**
 * One envelope of a group of EVs, computed on a day rotated by `shiftPeriods` (its period τ is the
 * day's period (τ + shift) mod T), so that the anchor E = 0 sits at a boundary where none of the
 * group's EVs is plugged in: then each EV's share is exact, not loosened by a stay across the anchor.
 */
export type EnvelopeGroup = AnchoredEnvelope;

/** One envelope anchored at 00:00 (E[0] = 0), every day period a column. */
export function addEnvelope(m: ModelBuilder, env: AggregateEnvelope, eta: number, grid: TimeGrid, prefix = 'ev'): EnvelopeVars & { energyKwh: VarBlock } {
  const T = grid.periods, dt = grid.dtH;
  const chargeKw = m.addVars(`${prefix}C`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, env.pMaxKw[t]) }));
  const dischargeKw = m.addVars(`${prefix}D`, [T], ([t]) => ({ lb: 0, ub: Math.max(0, -env.pMinKw[t]) }));
  const energyKwh = m.addVars(`${prefix}E`, [T + 1], ([k]) => (k === 0 ? { lb: 0, ub: 0 } : { lb: env.eMinKwh[k], ub: env.eMaxKwh[k] }));
  for (let t = 0; t < T; t++) {
    m.addConstraint(`${prefix}Soc`, [t], [energyKwh.at(t + 1), energyKwh.at(t), chargeKw.at(t), dischargeKw.at(t)], [1, -1, -dt, dt], '=', 0);
  }
  return {
    chargeKw, dischargeKw, energyKwh, gridTerms: (t) => ({ cols: [chargeKw.at(t), dischargeKw.at(t)], coefs: [1 / eta, -eta] }),
    groups: [{ chargeCols: blockCols(chargeKw, T), dischargeCols: blockCols(dischargeKw, T) }],
  };
}

/**
 * Several envelope groups of one fleet as one (or one group anchored elsewhere than 00:00): combined
 * charge and discharge per day period are the sums over the groups (explicit columns, so a policy
 * prices discharge on one block).
 *
 * Each group is written compactly (addGroupColumns): columns only for the periods in which its EVs
 * can charge or discharge, directly on day periods, so a zone of thousands of groups (one per plug-in
 * window and arrival energy, libs/ev groups.ts) stays a small LP.
 */
export function addEnvelopeGroups(m: ModelBuilder, groups: readonly EnvelopeGroup[], eta: number, grid: TimeGrid, prefix = 'ev'): EnvelopeVars {
  if (groups.length === 1 && groups[0].shiftPeriods === 0) return addEnvelope(m, groups[0].envelope, eta, grid, prefix);
  const T = grid.periods;
  const block = reusedBlock(groups, grid, prefix);
  if (!block) {
    // The first model to hold these groups has them written into it: many groups arrays are held
    // once (a fleet scheduled once), where a block would only add a copy.
    const written = writeGroups(m, groups, grid, prefix);
    blocksOf(groups).set(blockKey(grid, prefix), 'seen'); // once written without error
    return envelopeVars(eta, written.chargeKw, written.dischargeKw, () => written.parts);
  }
  const { colOffset } = m.append(block.model);
  const chargeKw = new VarBlock(`${prefix}C`, [T], colOffset + block.chargeStart);
  const dischargeKw = new VarBlock(`${prefix}D`, [T], colOffset + block.dischargeStart);
  // Moved to this model's columns when asked for: a DSO's clearing never reads them.
  return envelopeVars(eta, chargeKw, dischargeKw, () => movedParts(block.parts, colOffset, T));
}

function envelopeVars(eta: number, chargeKw: VarBlock, dischargeKw: VarBlock, partsOf: () => EnvelopeGroupCols[]): EnvelopeVars {
  let parts: EnvelopeGroupCols[] | undefined;
  return {
    chargeKw, dischargeKw, gridTerms: (t) => ({ cols: [chargeKw.at(t), dischargeKw.at(t)], coefs: [1 / eta, -eta] }),
    get groups() {
      return parts ??= partsOf();
    },
  };
}

/** The groups' columns in a model their block was appended to at `offset` (-1 stays: no column). */
function movedParts(parts: readonly EnvelopeGroupCols[], offset: number, T: number): EnvelopeGroupCols[] {
  const out = groupColsViews(parts.length, T);
  parts.forEach((p, k) => {
    for (let t = 0; t < T; t++) {
      out[k].chargeCols[t] = p.chargeCols[t] < 0 ? -1 : p.chargeCols[t] + offset;
      out[k].dischargeCols[t] = p.dischargeCols[t] < 0 ? -1 : p.dischargeCols[t] + offset;
    }
  });
  return out;
}

/**
 * `count` groups' column arrays (all -1), views of one buffer: a zone model's thousands of groups
 * would otherwise each allocate two small arrays of their own, every round (a host of 20 zones of
 * 10 000 EVs spent 6 of its 57 s of JavaScript there, and more in the collector).
 */
function groupColsViews(count: number, T: number): EnvelopeGroupCols[] {
  const flat = new Int32Array(2 * count * T).fill(-1);
  return Array.from({ length: count }, (_, k) => ({ chargeCols: flat.subarray(2 * k * T, (2 * k + 1) * T), dischargeCols: flat.subarray((2 * k + 1) * T, (2 * k + 2) * T) }));
}

/** A fleet's groups written as a model of their own, to be appended to each model that holds them. */
interface GroupsBlock {
  model: ModelBuilder;
  parts: EnvelopeGroupCols[];
  chargeStart: number;
  dischargeStart: number;
}

/**
 * The groups' columns and rows, built once per groups array (and prefix and grid) from its second
 * model on and appended to every model that holds them: the DSO's clearing is rebuilt at each loss
 * round and after each delivery check, a zone's model every round, over the same announced groups
 * (26 541 of them and 575 000 columns in the 1 000-bus, 100 000-EV negotiation, where building them
 * each time was a fifth of the run). Announced groups are never changed once made, so the array is
 * the key; 'seen' marks an array whose first model had them written directly.
 */
const blocks = new WeakMap<readonly EnvelopeGroup[], Map<string, GroupsBlock | 'seen'>>();

function blocksOf(groups: readonly EnvelopeGroup[]): Map<string, GroupsBlock | 'seen'> {
  let byKey = blocks.get(groups);
  if (!byKey) blocks.set(groups, byKey = new Map());
  return byKey;
}

function blockKey(grid: TimeGrid, prefix: string): string {
  return `${prefix}:${grid.periods}:${grid.dtH}`;
}

/** null until these groups have gone into a model once, their block (built at the second) after. */
function reusedBlock(groups: readonly EnvelopeGroup[], grid: TimeGrid, prefix: string): GroupsBlock | null {
  const byKey = blocksOf(groups), key = blockKey(grid, prefix);
  const entry = byKey.get(key);
  if (entry === undefined) return null;
  if (entry !== 'seen') return entry;
  const m = new ModelBuilder(`${prefix}-groups`);
  const written = writeGroups(m, groups, grid, prefix);
  // Kept as long as the groups are (every round of a negotiation): without the builder's spare room.
  const block = { model: m.compact(), parts: written.parts, chargeStart: written.chargeKw.start, dischargeStart: written.dischargeKw.start };
  byKey.set(key, block);
  return block;
}

/**
 * The families addEnvelopeGroups writes its groups under `prefix` in (each group's columns and rows
 * indexed [group, day period], its total-energy row [group]; the charge and discharge sums [day period]), for code
 * that reads a model's groups back, such as a basis built for it (libs/coordination clearing-start.ts).
 */
export function envelopeGroupFamilies(prefix: string) {
  const group = `${prefix}G`;
  return {
    charge: `${group}C`, discharge: `${group}D`, energy: `${group}E`, soc: `${group}Soc`, total: `${group}Total`,
    chargeSum: `${prefix}Csum`, dischargeSum: `${prefix}Dsum`,
  } as const;
}

/** Every group's columns, then the charge and discharge totals per period and the rows that sum them. */
function writeGroups(m: ModelBuilder, groups: readonly EnvelopeGroup[], grid: TimeGrid, prefix: string): { parts: EnvelopeGroupCols[]; chargeKw: VarBlock; dischargeKw: VarBlock } {
  const T = grid.periods;
  const families = envelopeGroupFamilies(prefix);
  const parts = groupColsViews(groups.length, T);
  groups.forEach((g, k) => addGroupColumns(m, g, grid, families, k, parts[k]));
  const chargeKw = m.addVars(`${prefix}C`, [T], { lb: 0 });
  const dischargeKw = m.addVars(`${prefix}D`, [T], { lb: 0 });
  for (let t = 0; t < T; t++) {
    for (const [total, which] of [[chargeKw, 'chargeCols'], [dischargeKw, 'dischargeCols']] as const) {
      // total = Σ the groups' columns of period t (those that have one), at most the sum of their bounds.
      const cols: number[] = [total.at(t)], coefs: number[] = [1];
      let upper = 0;
      for (const part of parts) {
        const c = part[which][t];
        if (c < 0) continue;
        cols.push(c);
        coefs.push(-1);
        upper += m.colUpperBound(c);
      }
      m.setColBounds(total.at(t), 0, upper);
      m.addConstraint(which === 'chargeCols' ? families.chargeSum : families.dischargeSum, [t], cols, coefs, '=', 0);
    }
  }
  return { parts, chargeKw, dischargeKw };
}

/**
 * One group's envelope on day periods, with columns only where its EVs can move energy: charge and
 * discharge where their limits are not zero, and the energy gained after each such period. Across a
 * period in which no EV of the group is plugged in the energy cannot change, so that boundary's
 * bounds tighten the current energy column instead of adding one; before the first active period the
 * energy is the anchor's 0. Its columns per day period go into `out` (left -1 where it has none).
 */
function addGroupColumns(m: ModelBuilder, group: EnvelopeGroup, grid: TimeGrid, family: ReturnType<typeof envelopeGroupFamilies>, k: number, out: EnvelopeGroupCols): void {
  const { envelope: env, shiftPeriods } = group;
  const T = grid.periods, dt = grid.dtH;
  const { chargeCols, dischargeCols } = out;
  if (boundsOnlyAtEnd(env, dt)) {
    // Box and total energy say it all: one row instead of an energy column per period.
    const cols: number[] = [];
    for (let tau = 0; tau < T; tau++) {
      if (env.pMaxKw[tau] > 0) cols.push(chargeCols[(tau + shiftPeriods) % T] = m.addVar(family.charge, [k, (tau + shiftPeriods) % T], { lb: 0, ub: env.pMaxKw[tau] }));
    }
    m.addRangeConstraint(family.total, [k], cols, cols.map(() => dt), env.eMinKwh[T], env.eMaxKwh[T]);
    return;
  }
  let energy = -1;
  for (let tau = 0; tau < T; tau++) {
    const t = (tau + shiftPeriods) % T;
    const up = Math.max(0, env.pMaxKw[tau]), down = Math.max(0, -env.pMinKw[tau]);
    const lo = env.eMinKwh[tau + 1], hi = env.eMaxKwh[tau + 1];
    if (up === 0 && down === 0) {
      if (energy >= 0) tightenBounds(m, energy, lo, hi);
      else if (lo > 0 || hi < 0) energy = m.addVar(family.energy, [k, t], { lb: lo, ub: hi }); // infeasible; HiGHS names it
      continue;
    }
    // next − energy − c·dt + d·dt = 0
    const next = m.addVar(family.energy, [k, t], { lb: lo, ub: hi });
    const cols = [next], coefs = [1];
    if (energy >= 0) {
      cols.push(energy);
      coefs.push(-1);
    }
    if (up > 0) {
      chargeCols[t] = m.addVar(family.charge, [k, t], { lb: 0, ub: up });
      cols.push(chargeCols[t]);
      coefs.push(-dt);
    }
    if (down > 0) {
      dischargeCols[t] = m.addVar(family.discharge, [k, t], { lb: 0, ub: down });
      cols.push(dischargeCols[t]);
      coefs.push(dt);
    }
    m.addConstraint(family.soc, [k, t], cols, coefs, '=', 0);
    energy = next;
  }
}

/** Intersects a column's bounds with [lo, hi]; bounds crossed by rounding alone (1e-9 kWh) meet in the middle. */
function tightenBounds(m: ModelBuilder, col: number, lo: number, hi: number): void {
  let lb = Math.max(lo, m.colLowerBound(col)), ub = Math.min(hi, m.colUpperBound(col));
  if (lb > ub && lb - ub <= 1e-9 * (1 + Math.abs(ub))) lb = ub = (lb + ub) / 2;
  m.setColBounds(col, lb, ub);
}

/** boundsOnlyAtEnd's work array, grown as needed. */
let afterScratch = new Float64Array(0);

/**
 * True when a charge-only envelope's energy bounds before the last boundary follow from its power
 * limits and its final bounds (as for EVs alike in window, charger, need and room: libs/ev groups.ts
 * 'window-energy'): energy gained by boundary k is then at least eMin[T] − (most it can still gain)
 * and at most min(most it can have gained, eMax[T]) anyway.
 */
function boundsOnlyAtEnd(env: AggregateEnvelope, dt: number): boolean {
  const T = env.pMaxKw.length;
  if (env.pMinKw.some((p) => p < 0)) return false;
  const tol = 1e-9 * (1 + Math.abs(env.eMaxKwh[T]));
  // Called for each of a zone's thousands of groups at every model it builds: one scratch, not an array each.
  if (afterScratch.length < T + 1) afterScratch = new Float64Array(T + 1);
  const after = afterScratch;
  after[T] = 0;
  for (let k = T - 1; k >= 0; k--) after[k] = after[k + 1] + Math.max(0, env.pMaxKw[k]) * dt;
  let before = 0;
  for (let k = 0; k <= T; k++) {
    const impliedLo = Math.max(0, env.eMinKwh[T] - after[k]), impliedHi = Math.min(before, env.eMaxKwh[T]);
    if (env.eMinKwh[k] > impliedLo + tol || env.eMaxKwh[k] < impliedHi - tol) return false;
    if (k < T) before += Math.max(0, env.pMaxKw[k]) * dt;
  }
  return true;
}
