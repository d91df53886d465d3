export { splitNetwork, radialAreas, type AreaSpec, type AreaData, type AreaBoundary, type CutLine, type NetworkSplit } from './areas';
export { boundaryIndex, copyOrder, LINE_QUANTITIES, type BoundaryIndex, type BoundaryLine, type LineQuantity } from './boundary';
export { buildAreaModel, solveArea, ownPositions, type AreaSignal, type AreaAnswer, type AreaCosts, type AreaModel } from './area-model';
export { coordinate, SPLIT_DEFAULTS, type SplitOptions, type SplitResult, type SplitRound, type SplitState } from './coordinator';
export { solveCentralisedReference, type CentralisedReference } from './centralised';
export { coordinateSplit, runSplitDispatch, wholeFeederCheck, acFlows, type SplitCoordination, type SplitDispatchOptions, type SplitDispatchResult } from './dispatch-split';
export { LocalArea, areaSweep, type AreaPort, type AreaReply } from './area-port';
export { coordinatorTerms, type CoordinatorTerms } from './terms';
export { runSplitStudy, splitSetup, type SplitStudy, type SplitStudyOptions, type SplitSetup } from './study';
