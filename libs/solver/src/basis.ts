import type { SimplexBasis } from './protocol';

/** HiGHS's basis status of a basic variable (protocol.ts SimplexBasis). */
const BASIC = 1;

/** HiGHS's basis status of a nonbasic variable at its lower bound. */
const LOWER = 0;

/**
 * A basis for a model with the basis's rows and columns and more after them (rows added since the
 * solve it came from, and columns with them: the injection formulation's limit rows bring their slack
 * columns): the new rows' slacks basic, the new columns nonbasic at their lower bound. At an optimum
 * that basis is dual feasible when the new columns cost nothing or more at their lower bound (a
 * penalty slack at 0), so dual simplex goes on from it in a few pivots.
 */
export function basisWithRows(basis: SimplexBasis, numRows: number, numCols = basis.colStatus.length): SimplexBasis {
  if (basis.rowStatus.length >= numRows && basis.colStatus.length >= numCols) return basis;
  const rowStatus = new Int32Array(Math.max(numRows, basis.rowStatus.length)).fill(BASIC);
  rowStatus.set(basis.rowStatus);
  const colStatus = new Int32Array(Math.max(numCols, basis.colStatus.length)).fill(LOWER);
  colStatus.set(basis.colStatus);
  return { colStatus, rowStatus };
}
