/**
 * What changed between two versions of one LP, for a solver worker that keeps the first in HiGHS:
 * changed costs and bounds, and columns and rows appended after the old ones. An old row whose
 * coefficients changed, a column dropped, a MIP or a QP has no delta: the model travels whole.
 */
import type { ModelArrays } from './model';

/** Entries of a dense vector that changed: their positions (increasing) and new values. */
export interface Changed {
  indices: Int32Array;
  values: Float64Array;
}

export interface ModelDelta {
  /** The new model's size (the old one's plus the appended columns and rows). */
  numCols: number;
  numRows: number;
  /** The new objective constant when it changed, else null. */
  objectiveConstant: number | null;
  /** Over the old columns and rows. */
  colCost: Changed;
  colBounds: { indices: Int32Array; lower: Float64Array; upper: Float64Array };
  rowBounds: { indices: Int32Array; lower: Float64Array; upper: Float64Array };
  /** Appended columns (no coefficients in the old rows: those come with the appended rows). */
  newCols: { cost: Float64Array; lower: Float64Array; upper: Float64Array };
  /** Appended rows, CSR over every column of the new model. */
  newRows: { lower: Float64Array; upper: Float64Array; starts: Int32Array; indices: Int32Array; values: Float64Array };
}

/** The changes that take `before` to `after`, or null when `after` is not `before` with changes of that kind. */
export function modelDelta(before: ModelArrays, after: ModelArrays): ModelDelta | null {
  if (before.hessian || after.hessian || before.sense !== after.sense) return null;
  if (after.numCols < before.numCols || after.numRows < before.numRows) return null;
  if (after.colInteger.includes(1)) return null;
  const oldRows = before.numRows, oldNnz = before.rowStarts[oldRows];
  // The old rows' coefficients, entry for entry: rows are appended whole, so any change there is a new model.
  if (!samePrefix(before.rowStarts, after.rowStarts, oldRows + 1)) return null;
  if (!samePrefix(before.colIndex, after.colIndex, oldNnz) || !samePrefix(before.values, after.values, oldNnz)) return null;

  const colBounds = changedPairs(before.colLower, before.colUpper, after.colLower, after.colUpper, before.numCols);
  const rowBounds = changedPairs(before.rowLower, before.rowUpper, after.rowLower, after.rowUpper, oldRows);
  const start = after.rowStarts[oldRows], end = after.rowStarts[after.numRows];
  return {
    numCols: after.numCols,
    numRows: after.numRows,
    objectiveConstant: Object.is(before.objectiveConstant, after.objectiveConstant) ? null : after.objectiveConstant,
    colCost: changedValues(before.colCost, after.colCost, before.numCols),
    colBounds: { indices: colBounds.indices, lower: colBounds.first, upper: colBounds.second },
    rowBounds: { indices: rowBounds.indices, lower: rowBounds.first, upper: rowBounds.second },
    newCols: {
      cost: after.colCost.slice(before.numCols, after.numCols),
      lower: after.colLower.slice(before.numCols, after.numCols),
      upper: after.colUpper.slice(before.numCols, after.numCols),
    },
    newRows: {
      lower: after.rowLower.slice(oldRows, after.numRows),
      upper: after.rowUpper.slice(oldRows, after.numRows),
      starts: Int32Array.from(after.rowStarts.subarray(oldRows, after.numRows + 1), (s) => s - start),
      indices: after.colIndex.slice(start, end),
      values: after.values.slice(start, end),
    },
  };
}

function samePrefix(a: ArrayLike<number>, b: ArrayLike<number>, n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function changedValues(before: Float64Array, after: Float64Array, n: number): Changed {
  const indices: number[] = [], values: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!Object.is(before[i], after[i])) { indices.push(i); values.push(after[i]); }
  }
  return { indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

/** Positions where either of two parallel vectors changed, with both new values. */
function changedPairs(lo0: Float64Array, hi0: Float64Array, lo1: Float64Array, hi1: Float64Array, n: number) {
  const indices: number[] = [], first: number[] = [], second: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!Object.is(lo0[i], lo1[i]) || !Object.is(hi0[i], hi1[i])) { indices.push(i); first.push(lo1[i]); second.push(hi1[i]); }
  }
  return { indices: Int32Array.from(indices), first: Float64Array.from(first), second: Float64Array.from(second) };
}
