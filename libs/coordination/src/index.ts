export {
  buildDsoNetwork, negotiationSetup, zoneSetupOf, refuseAnnounce, uncoordinatedBusLoadKw,
  type DsoNetwork, type NegotiationSetup, type ZoneSetup, type ZoneAnnounce,
} from './setup';
export { loadZoneParty, zonePartyOf, announceOf, announcedEnvelope, envelopeOfGroups, type ZoneParty } from './zone-party';
export { splitScenario, partitionInputs, type SplitScenario } from './split';
export { buildSimSetup, simSetupOf, excludedEvMessages, type SimSetup } from './harness';
export { solveCentralised, addZoneTerms, addEnvelopeLink, type CentralisedResult } from './centralised';
export { clearByColumns, ColumnPool, type ColumnClearing, type ColumnClearingOptions } from './clearing-columns';
export { evaluateSchedules, type Evaluation, type Trade } from './evaluate';
export { negotiate, zoneReportOf, DEFAULT_BUDGET_S, type ZoneClient, type ZoneReply, type RoundRecord, type NegotiationResult, type NegotiationOptions } from './negotiate';
export { createMethod, type CoordinationMethod, type RoundUpdate } from './methods';
export { inProcessZoneClients } from './in-process';
export { deliverZoneSchedules, deliverZone, batteryKwOfGridKw, feasibleEvCount, type ZoneDelivery } from './deliver';
export { writePartyFiles, loadDsoFile, loadZoneDir, DSO_FILE, zoneFileName, sessionsFileName } from './party-files';
export { encodeState, decodeState, CHECKPOINT_VERSION, type NegotiationCheckpoint } from './checkpoint';
export {
  runRollingStudy, rollingReport, rollingReportOf, dsoRollingRecord, writeRealisedDay, loadRealisedDay, parseRealisedDay, realisedFileName, REALISED_DAY_KIND, horizonOf, DEFAULT_HORIZON, ROLLING_COST_DEFINITION, runRolling, runHeld, trackProfile, heldPlanOf, dsoDayAheadRecord, heldPlanFromRecords, solveHindsight, negotiateInProcess, windowStart, windowSetup, withPastLoad, evaluateRealised,
  drawRealisedDay, earlyDepartures, forecastAsRealised, RollingZone, fixDsoPast, checkDsoPast,
  runRollingDso, inProcessRollingZones, solveHindsightOf, dsoWindowSetup, evaluateRealisedDay, RollingZoneSide, type RollingZones, type RollingDsoResult, type WindowAnnounce, type WindowPlan, type RealisedZoneDay,
  type RollingStudy, type RollingStudyOptions, type RollingReport, type DsoRollingRecord, type HorizonSettings, type RollingCosts, type RollingResult, type RollingOptions, type WindowRecord, type NegotiatedPlan,
  type HeldResult, type HeldPlan, type DsoDayAheadRecord, type Hindsight, type RealisedDay, type RealisedSession, type RealisedDayOptions, type ZoneWindow, type Shortfall, type ZoneWindowRecord, type DsoPast,
  type Piece, type PieceSchedule,
} from './rolling';
