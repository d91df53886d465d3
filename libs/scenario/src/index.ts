export { scenarioSchema, tariffSchema, evFleetSchema, evBatteryFields, checkSocOrder, checkProfileLengths, normalHSchema, tariffBlockSchema, timeSchema, hourlyProfile, type Scenario, type EvFleetScenario, type CarbonScenario, type TariffBlock } from './schema';
export { loadScenario, parseScenario, builtInScenarioPath, readJsonFile, parseWithSchema } from './load';
export { timeGrid, profileAtPeriods, tariffAtPeriods, clock, type TimeGrid } from './time';
export {
  dsoFileSchema, zoneFileSchema, zoneListEntrySchema, sessionDefaultsSchema, acnSessionsSchema, DSO_FORMAT, ZONE_FORMAT,
  type DsoConfig, type ZoneConfig, type ZoneListEntry, type NetworkScenario, type SessionDefaults, type AcnSessionsConfig,
} from './parties';
export { parseProfileCsv, readProfileCsv, type ProfileFileOptions } from './profile-file';
export { withProfileFiles } from './profile-refs';
