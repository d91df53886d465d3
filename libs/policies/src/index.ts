export type { ZonePolicy, CaseZone, CaseZoneFields, PolicyContext, PolicyReport, ReportTable, ZoneBid, ZoneProblem, ZoneResources, DsoSignal, ZoneAnswer, ZoneReport, ZoneDeliveryFigures, ZonePricing, ZoneRegulation } from './policy';
export { ZoneSolveMemory } from './policy';
export { getPolicy, policyNames } from './registry';
export { defaultCasePath } from './cases';
export { addEnvelope, addEnvelopeGroups, envelopeGroupFamilies, type EnvelopeVars, type EnvelopeGroup } from './envelope-model';
export { cheapestGroupSchedule, cheapestGroupSchedules, type GroupResponse } from './group-response';
export { buildZoneModel, solveZone, solveZoneModel, zoneCostYuan, deliverToEvs, answerFromSchedules, type ZoneModel, type ZoneModelOptions, type Flexibility } from './zone-model';
export { atPeriods, pricesAtPeriods, loadShape } from './common';
export { benchFleetScheduling, benchFleetScale, type FleetSchedulingRow, type FleetSchedulingBenchOptions, type FleetScaleRow, type FleetScaleOptions } from './direct-control/bench';
export {
  caseZoneOf, placeCaseZone, writeCaseZone, caseZoneSessionsFileName, declaredZoneSettings, tariffOnGrid, resample,
  type CaseZonePlacement, type PlacedCaseZone,
} from './case-zone';
