export {
  runRollingStudy, rollingReport, rollingReportOf, dsoRollingRecord, horizonOf, DEFAULT_HORIZON, ROLLING_COST_DEFINITION,
  type RollingStudy, type RollingStudyOptions, type RollingReport, type DsoRollingRecord, type RollingCosts, type HorizonSettings,
} from './study';
export {
  runRolling, runRollingDso, inProcessRollingZones, negotiateInProcess, windowStart, windowSetup, dsoWindowSetup, withPastLoad, evaluateRealised, evaluateRealisedDay, carryMethodState,
  type RollingResult, type RollingDsoResult, type RollingZones, type RollingOptions, type WindowRecord, type NegotiatedPlan, type WindowStartMode,
} from './rolling';
export { RollingZoneSide, type WindowAnnounce, type WindowPlan, type RealisedZoneDay } from './zone-side';
export { runHeld, trackProfile, heldPlanOf, dsoDayAheadRecord, heldPlanFromRecords, type HeldResult, type HeldPlan, type DsoDayAheadRecord } from './held';
export { solveHindsight, solveHindsightOf, type Hindsight } from './hindsight';
export { drawRealisedDay, earlyDepartures, forecastAsRealised, type RealisedDay, type RealisedSession, type RealisedDayOptions } from './realised';
export { RollingZone, type ZoneWindow, type Shortfall, type ZoneWindowRecord } from './zone-state';
export { fixDsoPast, checkDsoPast, type DsoPast } from './dso-past';
export type { Piece, PieceSchedule } from './pieces';
export { writeRealisedDay, loadRealisedDay, parseRealisedDay, realisedFileName, REALISED_DAY_KIND } from './realised-file';
