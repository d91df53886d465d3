export { carbonCostYuan, ladderPieces, assertConvexLadder, type CarbonLadder, type AffinePiece } from './carbon';
export { buildDispatchInputs, declaredRatingsKva, busPosition, type DispatchInputs, type RenewableUnit, type DieselUnit, type CapacitorBank } from './inputs';
export { buildDispatchModel, boundForQp, branchVars, type DispatchVars, type BuiltDispatch, type FlexibleLoad, type LimitSlacks, type SlackKind } from './model';
export { InjectionTerms, type NetworkFormulation, type NetworkTerms, type NetworkPoint, type LinearTerms } from './network-terms';
export { LimitWorkingSet, LimitRows, NEAR_RATING_SHARE, NEAR_VOLTAGE_PU, type ConstraintMode, type LimitRowCounts, type LimitModel, type SavedLimitRows } from './limits';
export { curtailedKwh, runDispatch, INJECTION_FROM_BUSES, type ConstraintStats, type DispatchBasis, type DispatchOptions, type DispatchResult, type CostTable, type AcCheck, type Violation, type DispatchSchedule } from './dispatch';
export { benchDispatch, type DispatchBenchRow } from './bench';
export { scenarioFleet, uncoordinatedEvLoad, type EvBaseline } from './evBaseline';
