export {
  runRollingStudy, rollingReport, horizonOf, DEFAULT_HORIZON, ROLLING_COST_DEFINITION,
  type RollingStudy, type RollingStudyOptions, type RollingReport, type RollingCosts, type HorizonSettings,
} from './study';
export { runRolling, negotiateInProcess, windowStart, windowSetup, withPastLoad, evaluateRealised, type RollingResult, type RollingOptions, type WindowRecord, type NegotiatedPlan } from './rolling';
export { runHeld, trackProfile, type HeldResult } from './held';
export { solveHindsight, type Hindsight } from './hindsight';
export { drawRealisedDay, earlyDepartures, forecastAsRealised, type RealisedDay, type RealisedSession, type RealisedDayOptions } from './realised';
export { RollingZone, type ZoneWindow, type Shortfall, type ZoneWindowRecord } from './zone-state';
export { fixDsoPast, checkDsoPast, type DsoPast } from './dso-past';
export type { Piece, PieceSchedule } from './pieces';
