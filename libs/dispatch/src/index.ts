export { carbonCostYuan, ladderPieces, assertConvexLadder, type CarbonLadder, type AffinePiece } from './carbon';
export { buildDispatchInputs, declaredRatingsKva, busPosition, type DispatchInputs, type RenewableUnit, type DieselUnit, type CapacitorBank } from './inputs';
export { buildDispatchModel, boundForQp, type DispatchVars, type BuiltDispatch, type FlexibleLoad } from './model';
export { LimitWorkingSet, LimitRows, NEAR_RATING_SHARE, NEAR_VOLTAGE_PU, type ConstraintMode, type LimitRowCounts } from './limits';
export { curtailedKwh, runDispatch, type ConstraintStats, type DispatchBasis, type DispatchOptions, type DispatchResult, type CostTable, type AcCheck, type Violation, type DispatchSchedule } from './dispatch';
export { benchDispatch, type DispatchBenchRow } from './bench';
export { scenarioFleet, uncoordinatedEvLoad, type EvBaseline } from './evBaseline';
