export type { Bus, Branch, Der, Feeder } from './types';
export { loadIeee33 } from './ieee33';
export { parseMatpower, loadMatpowerFile, NOMINAL_BASE_KV, type ParseOptions } from './matpower';
export { loadFeeder, BUILT_IN_FEEDERS } from './load';
export { checkFeederTables, tableLocator, type RowLocator } from './validate';
export { buildRadialNetwork, validateFeeder, type RadialNetwork } from './radial';
export {
  runPowerFlow, solveFeeder, netLoads, DEFAULT_TOL_PU, DEFAULT_MAX_ITER,
  type PowerFlowOptions, type PowerFlowResult, type FeederSolution,
} from './powerflow';
export { makeSyntheticFeeder, type SyntheticFeederOptions } from './synthetic';
export { writeMatpower } from './write-matpower';
export { benchPowerFlow, type PowerFlowBenchRow, type PowerFlowBenchOptions } from './bench';
