export { scenarioSchema, type Scenario, type EvFleetScenario, type CarbonScenario, type TariffBlock } from './schema';
export { loadScenario, parseScenario, builtInScenarioPath } from './load';
export { timeGrid, profileAtPeriods, tariffAtPeriods, clock, type TimeGrid } from './time';
