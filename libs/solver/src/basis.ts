import type { SimplexBasis } from './protocol';

/** HiGHS's basis status of a basic variable (protocol.ts SimplexBasis). */
const BASIC = 1;

/**
 * A basis for a model with the basis's rows and more after them (rows added since the solve it came
 * from): the new rows' slacks basic. At an optimum that basis is dual feasible, so dual simplex goes
 * on from it in a few pivots.
 */
export function basisWithRows(basis: SimplexBasis, numRows: number): SimplexBasis {
  if (basis.rowStatus.length >= numRows) return basis;
  const rowStatus = new Int32Array(numRows).fill(BASIC);
  rowStatus.set(basis.rowStatus);
  return { colStatus: basis.colStatus, rowStatus };
}
