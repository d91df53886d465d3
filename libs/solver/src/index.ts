export { ModelBuilder, ModelNames, type Sense, type VarOptions, type ObjectiveSense, type ModelArrays } from './model';
export { VarBlock } from './var-block';
export { addConvexPiecewise, breakpointsAround } from './piecewise';
export { keepModel, KeptModel, solve, warmSolver, type SolveOptions, type Solution } from './solve';
export type { Algorithm, SimplexBasis, WarmPricing, WarmSimplex } from './protocol';
export { basisWithRows } from './basis';
export { configureSolver, solverConfig, shutdownSolver, solverWorkerStats, type SolverConfig } from './worker-client';
export { LpExporter } from './lp-export';
export { toCplexLp, type LpFormatOptions } from './lp-format';
export { externalSolverAvailable, solveLpFile, type ExternalSolve, type ExternalSolverName } from './external';
export {
  SolverError,
  InfeasibleModelError,
  UnboundedModelError,
  SolverLimitError,
  UnsupportedModelError,
  SolverFailureError,
} from './errors';
export { benchModelBuild, benchSolverWorker, type ModelBuildBenchRow, type SolverWorkerBenchRow } from './bench';
