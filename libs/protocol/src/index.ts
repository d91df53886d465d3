export {
  ALL_RUNS_ROUND_SUBJECT,
  assertInRun,
  isValidToken,
  subjects,
  validateRunId,
  validateToken,
  type RunSubjects,
} from './subjects';
export {
  announceBody,
  areaReplyBody,
  areaRequestBody,
  bodySchemas,
  controlBody,
  ERROR_CODES,
  errorBody,
  isMessageType,
  MESSAGE_TYPES,
  messageSchemas,
  ORDER_TOLERANCE,
  PROTOCOL_VERSION,
  roundRecordBody,
  SCHEDULE_STATUSES,
  solveReplyBody,
  solveRequestBody,
  statusBody,
  type BodyOf,
  type Draft,
  type EnvelopeHeader,
  type ErrorBody,
  type ErrorCode,
  type Message,
  type MessageType,
} from './messages';
export { decode, encode, formatPath, type DecodeError, type DecodeExpectations, type DecodeResult } from './codec';
export {
  unwrapReply,
  type Handler,
  type RequestFailure,
  type RequestOptions,
  type RequestOutcome,
  type ServeContext,
  type ServeOptions,
  type SubscribeOptions,
  type Subscription,
  type Transport,
} from './transport';
export { InProcessBus, InProcessTransport, subjectMatches } from './inProcessTransport';
export { compareVersions, MIN_SERVER_VERSION, NatsTransport, type NatsConnectOptions } from './natsTransport';
export {
  InMemoryRecorder,
  JetStreamRecorder,
  openRecorder,
  ROUNDS_STREAM,
  validateReplicas,
  type ReadRoundsOptions,
  type RecorderOptions,
  type RoundHistory,
  type RoundRecord,
  type RoundRecorder,
} from './recorder';
export {
  findNatsServer,
  natsAvailable,
  startLocalNatsServer,
  type LocalNatsOptions,
  type LocalNatsServer,
  type LocalNatsStart,
} from './probe';
export { startNatsServer } from './testing/natsServer';
export { natsServers } from './natsTransport';
export { describeAuth, NATS_AUTH_ENV, NATS_AUTH_FLAGS, natsAuthEnv, natsAuthFrom, natsAuthFromOptions, natsAuthOptions, type NatsAuth } from './auth';
export {
  dsoPermissions,
  hostPermissions,
  natsServerConfig,
  newPartyKey,
  observerPermissions,
  zonePermissions,
  type PartyKey,
  type Permissions,
} from './server-config';
export { openDsoStateStore, DSO_STATE_BUCKET, type DsoStateStore, type SavedRun, type DsoStateOptions } from './dso-state';
