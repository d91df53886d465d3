export type { EvSpec, TimeGrid, EvProblem, EvProblemKind } from './types';
export { gridKw } from './types';
export { Fleet, validateFleet, socDependentLimitOf } from './fleet';
export { clock, gridInfo, plugWindow, type GridInfo, type PlugWindow } from './grid';
export {
  sampleDefaultFleet, sampleSeed002Fleet, largestRemainder, truncatedExponential, stayFromClocks,
  type DefaultFleetParams, type Seed002FleetParams, type EvBatteryParams, type NormalH, type BusLoad,
} from './sampling';
export { type EvSchedules, netKwByPeriod, evScheduleByPeriod, gridLoadKw } from './schedules';
export { uncoordinatedProfile, type UncoordinatedProfile } from './uncoordinated';
export { checkSchedules, type ScheduleCheck, type ScheduleViolation, type CheckTolerances } from './checkSchedules';
export { evRegion, checkEvFeasibility, aggregateEnvelope, emptyEnvelope, type EvRegion, type AggregateEnvelope } from './region';
export {
  disaggregate, disaggregateGroups, prepareGroupDisaggregation, type Disaggregation, type DisaggregateOptions, type PreparedGroupDisaggregation, type PrepareOptions,
} from './disaggregate';
export {
  socDependentLpRows, socDependentMilpRows, socDependentExactFromDtH, socDependentReachKwh, type SocDependentLimit, type EnergyStepRow,
} from './socDependent';
export { classifyUser, classifyFleet, type TouCode, type TouPeriods, type UserClass } from './userClass';
export { benchEv, type EvBenchRow } from './bench';
export { anchoredEnvelopeGroups, type AnchoredEnvelope, type EnvelopeGrouping } from './groups';
export {
  parseSessionsCsv, parseSessionsJson, readSessionsFile, writeSessionsCsv, type SessionDefaults,
} from './sessions-file';
export { parseAcnSessions, readAcnSessionsFile, ACN_ASSUMPTIONS, type AcnSessionOptions } from './acn-data';
