/**
 * Solver outcomes a caller can act on, as typed errors. Each names the model and, where HiGHS can
 * tell, the constraint or variable families involved (SPEC §9: never a silent infeasible).
 */
import { ZonalError } from '@zonal/core';

export class SolverError extends ZonalError {
  constructor(
    message: string,
    /** The ModelBuilder's name, e.g. "dso". */
    readonly modelName: string,
    hint?: string,
  ) {
    super(message, undefined, hint);
    this.name = 'SolverError';
  }
}

/** Proven infeasible. `families`: constraint families of HiGHS's irreducible infeasible subsystem. */
export class InfeasibleModelError extends SolverError {
  override name = 'InfeasibleModelError';
  constructor(
    modelName: string,
    readonly families: string[],
    /** Variable families whose bounds take part in the conflict. */
    readonly boundFamilies: string[] = [],
    note?: string,
  ) {
    super(infeasibleMessage(modelName, families, boundFamilies, note), modelName, families.length === 0 ? 'export the model with --export-lp and inspect it' : undefined);
  }
}

function infeasibleMessage(modelName: string, families: string[], boundFamilies: string[], note?: string): string {
  if (families.length === 0 && boundFamilies.length === 0) {
    return `model "${modelName}" is infeasible (${note ?? 'HiGHS found no conflicting subset'})`;
  }
  let msg = `model "${modelName}" is infeasible; conflicting constraints: ${families.length ? families.join(', ') : '(none: bounds alone)'}`;
  if (boundFamilies.length) msg += `; with bounds of: ${boundFamilies.join(', ')}`;
  return note ? `${msg} (${note})` : msg;
}

/** Proven unbounded. `families`: variable families along HiGHS's unbounded ray, when it gives one. */
export class UnboundedModelError extends SolverError {
  override name = 'UnboundedModelError';
  constructor(
    modelName: string,
    readonly families: string[],
    /** HiGHS could not tell unbounded from infeasible, even without presolve. */
    readonly orInfeasible = false,
  ) {
    super(
      `model "${modelName}" is ${orInfeasible ? 'unbounded or infeasible (HiGHS cannot tell which)' : 'unbounded'}${families.length ? `; the objective improves without limit along: ${families.join(', ')}` : ''}`,
      modelName,
      'a variable is missing a bound or a cost is missing from the objective',
    );
  }
}

/** A limit stopped the solve with no usable point: the time limit, or HiGHS's 2 GiB memory. */
export class SolverLimitError extends SolverError {
  override name = 'SolverLimitError';
  constructor(
    message: string,
    modelName: string,
    readonly limit: 'time' | 'memory',
    hint?: string,
  ) {
    super(message, modelName, hint);
  }
}

/** A model HiGHS cannot solve (MIQP, a QP with an unbounded variable), refused before solving. */
export class UnsupportedModelError extends SolverError {
  override name = 'UnsupportedModelError';
}

/** Anything else HiGHS (or its worker) reports. */
export class SolverFailureError extends SolverError {
  override name = 'SolverFailureError';
}
