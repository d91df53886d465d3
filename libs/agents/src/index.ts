export { startZoneAgent, readZoneSchedules, type ZoneAgentOptions, type RunningZoneAgent, type ZoneAgentEnd } from './zone-agent';
export { startZoneHost, zoneExitCode, hostExitCode, type ZoneHostOptions, type RunningZoneHost, type HostedZoneEnd } from './zone-host';
export { runDsoAgent, type DsoAgentOptions, type DsoOutcome } from './dso-agent';
export { transportZoneClients } from './zone-clients';
export { buildSimReport, withOracle, writeSimReport, type SimReport } from './report';
export { toSolveRequest, fromSolveRequest, toSolveReply, fromSolveReply, toAnnounceBody, fromAnnounceBody } from './wire';
export { benchNegotiation, benchSyntheticNegotiation, type NegotiationBenchRow } from './bench';
export { syntheticNegotiationScenario, subtreeZones, type SyntheticScenarioOptions, type SyntheticScenario } from './synthetic-scenario';
export { transportRollingZones, runRollingOverTransport, acceptedRounds, answerWindow, rollingZoneOf, WINDOW_TIMEOUT_MS } from './rolling';
