export { scenarioSchema, tariffSchema, evFleetSchema, evBatteryFields, checkSocOrder, normalHSchema, tariffBlockSchema, timeSchema, hourlyProfile, type Scenario, type EvFleetScenario, type CarbonScenario, type TariffBlock } from './schema';
export { loadScenario, parseScenario, builtInScenarioPath, readJsonFile, parseWithSchema } from './load';
export { timeGrid, profileAtPeriods, tariffAtPeriods, clock, type TimeGrid } from './time';
