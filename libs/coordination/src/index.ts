export { buildNegotiationSetup, partitionInputs, type NegotiationSetup, type ZoneSetup } from './setup';
export { solveCentralised, addZoneTerms, addEnvelopeLink, type CentralisedResult } from './centralised';
export { evaluateSchedules, type Evaluation, type Trade } from './evaluate';
export { negotiate, type ZoneClient, type ZoneReply, type RoundRecord, type NegotiationResult, type NegotiationOptions } from './negotiate';
export { createMethod, type CoordinationMethod, type RoundUpdate } from './methods';
export { inProcessZoneClients } from './in-process';
export { deliverZoneSchedules, deliverZone, batteryKwOfGridKw, feasibleEvCount, type ZoneDelivery } from './deliver';
