/**
 * Every coordination round kept on JetStream (SPEC §8 step 5), and read back.
 *
 * Choice: ONE stream, `ZONAL_ROUNDS`, capturing `zonal.*.round`, rather than a stream per run. It is
 * created once and reused (adding it again with the same configuration is a no-op on the server), so
 * runs leave no streams behind to clean up and the server's per-account stream limit is never in
 * play; a run's records are read back through an ordered consumer filtered on `zonal.<runId>.round`
 * (a single filter subject, which server 2.9 supports; `filter_subjects` needs 2.10).
 *
 * Publishing is idempotent: the JetStream message id is `<runId>.<instance>.<round>.<secret>`, where
 * `instance` is a nonce each recorder chooses when it opens and `secret` one it draws for each round
 * (and keeps for that round's retries), so re-recording a round (a retry after a lost ack) within the
 * stream's duplicate window (default 2 min) stores it once, while a restarted or second DSO on the
 * run never has its records taken for duplicates of another's (nor its own for theirs). The round's
 * secret is in no record and drawn only when the round is recorded: a forger who reads the instance
 * off an earlier record (or its message id off the subject) cannot store a later round under this
 * DSO's id first. The server acknowledges a message id it already holds as `duplicate`: `record()`
 * passes that on (a retry of this recorder's own, since no one else can know the id). Reading back keeps the first record of
 * each round and reports the rest (`RoundHistory.duplicates`, `foreign`, `instances`) instead of
 * silently taking them: a forger publishing on the run's round subject is seen, not believed.
 * Run ids must be unique per run: a run id reused later appends to the same history.
 *
 * The stream is created with `replicas` copies (an R3 stream survives the loss of one server of a
 * JetStream cluster); an existing one is used as it is.
 *
 * Records are stamped with `seq = round` and the recorder's instance, and published on the run's round
 * subject, so live subscribers see them too.
 */
import { randomBytes } from 'node:crypto';
import { InputError, ZonalError } from '@zonal/core';
import { jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode, type DecodeError, encode } from './codec';
import { InProcessTransport } from './inProcessTransport';
import { type BodyOf, type Message, PROTOCOL_VERSION } from './messages';
import { NatsTransport } from './natsTransport';
import { ALL_RUNS_ROUND_SUBJECT, subjects, validateRunId, validateToken } from './subjects';
import { describe, type Transport } from './transport';

export const ROUNDS_STREAM = 'ZONAL_ROUNDS';

/** How long one pull waits on the server; the records are already stored, so this only bounds a stalled read. */
const FETCH_EXPIRES_MS = 5000;

/** JetStream's own limit on a stream's replicas. */
const MAX_REPLICAS = 5;

/** JetStream API error: "stream name already in use with a different configuration" (another recorder created it first). */
const STREAM_NAME_IN_USE = 10058;

export type RoundRecord = Message<'roundRecord'>;

/**
 * A run's records as stored. Positions count every message stored on the run's round subject, from 0.
 * A clean history has one record per round, one instance, and nothing in `duplicates`, `foreign` or
 * `skipped`.
 */
export interface RoundHistory {
  runId: string;
  /** One valid record per round — the first stored of that round (not `foreign`) — in stored order. */
  records: RoundRecord[];
  /**
   * Rounds stored more than once, with the position of every copy (the first is the one in `records`):
   * a restarted or second DSO on the run, or a forger publishing on its round subject. A round
   * re-recorded under the same message id (a retry) is stored once by the server and is not here.
   */
  duplicates: { round: number; positions: number[] }[];
  /**
   * Records of a DSO instance other than those `readRounds(runId, { instances })` named (say, forged
   * records of a made-up instance), or of a round `messageIds` lists stored under another id, by
   * position; never in `records` nor `duplicates`. Without either option, none: every instance's
   * records are taken, and `instances` shows how many there were.
   */
  foreign: { position: number; round: number; instance: string | null }[];
  /** Every DSO instance that recorded on the run, in order of its first record; more than one is worth a look. */
  instances: string[];
  /** Anything else found on the run's round subject (not a valid roundRecord), by stored position. */
  skipped: { position: number; error: DecodeError }[];
}

export interface ReadRoundsOptions {
  /** The DSO instances whose records are the run's (e.g. a report's `recordInstance`); others are `foreign`. */
  instances?: readonly string[];
  /**
   * The message id the DSO stored each round under (a report's `recordIds`, round → id): a record of
   * a listed round stored under another id is `foreign`, whatever instance it claims — so a forger who
   * copied the DSO's instance and published a round first does not stand for it.
   */
  messageIds?: Readonly<Record<string, string>>;
}

/** A message stored on a run's round subject, with the message id it was published under (null: none). */
interface Stored { data: Uint8Array; id: string | null }

export interface RoundRecorder {
  /** This recorder's nonce: in each record it stores (`body.instance`) and in the record's message id. */
  readonly instance: string;
  /**
   * Stores one round of this recorder's run, under `messageId` (what `readRounds`' `messageIds` takes).
   * `duplicate` is true when the server already held that id: this recorder's own earlier attempt
   * at the round (a retry after a lost ack), since no one else can know the round's secret.
   */
  record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean; messageId: string }>;
  readRounds(runId: string, options?: ReadRoundsOptions): Promise<RoundHistory>;
}

export interface RecorderOptions {
  /** Records older than this are dropped by the server; default: kept forever. */
  maxAgeMs?: number;
  /** Records fetched per JetStream pull while reading back (default 500). */
  fetchBatch?: number;
  /**
   * Copies of the stream kept by a JetStream cluster when this recorder creates it (1–5, default 1;
   * `--rounds-replicas`): 3 survive the loss of a server. An existing stream keeps its own.
   */
  replicas?: number;
}

/** A stream's replicas, a number or a flag's text (`--rounds-replicas`): an integer from 1 to 5, or an error naming `where`. */
export function validateReplicas(value: number | string, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (!(typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_REPLICAS)) {
    throw new InputError(`must be an integer from 1 to ${MAX_REPLICAS} (JetStream's limit), got ${JSON.stringify(value)}`, where);
  }
  return n;
}

/** The recorder that goes with a transport: JetStream on NATS, the bus's memory in process. */
export async function openRecorder(transport: Transport, options: RecorderOptions = {}): Promise<RoundRecorder> {
  if (transport instanceof NatsTransport) {
    return JetStreamRecorder.open(transport.connection, transport.runId, transport.name, options);
  }
  if (transport instanceof InProcessTransport) {
    // The bus keeps one copy of its records whatever `replicas` asks; a bad value is still refused, as on NATS.
    if (options.replicas !== undefined) validateReplicas(options.replicas, 'replicas');
    return new InMemoryRecorder(transport);
  }
  throw new ZonalError('no round recorder for this kind of transport', 'transport');
}

/** A new recorder's instance: 48 random bits, so that two DSOs of one run never share one. */
function newInstance(): string {
  return randomBytes(6).toString('hex');
}

/** The JetStream message id of a round: unique per run, recorder instance and round, with the round's secret. */
function messageId(runId: string, instance: string, round: number, secret: string): string {
  return `${runId}.${instance}.${round}.${secret}`;
}

/** Each round's secret part of its message id: drawn when the round is first recorded, kept for its retries. */
class RoundSecrets {
  private readonly byRound = new Map<number, string>();
  of(round: number): string {
    let secret = this.byRound.get(round);
    if (secret === undefined) {
      secret = randomBytes(8).toString('hex');
      this.byRound.set(round, secret);
    }
    return secret;
  }
}

function stampRecord(runId: string, sender: string, instance: string, body: BodyOf<'roundRecord'>): RoundRecord {
  return { v: PROTOCOL_VERSION, type: 'roundRecord', runId, sender, seq: body.round, sentAt: new Date().toISOString(), body: { ...body, instance } };
}

interface ReadFilter { instances: Set<string> | null; ids: Map<number, string> | null }

function validateReadOptions(options: ReadRoundsOptions): ReadFilter {
  for (const instance of options.instances ?? []) validateToken(instance, 'instances');
  let ids: Map<number, string> | null = null;
  if (options.messageIds !== undefined) {
    ids = new Map();
    for (const [round, id] of Object.entries(options.messageIds)) {
      const r = Number(round);
      if (!Number.isInteger(r) || r < 0 || typeof id !== 'string' || !id) throw new InputError(`must map round numbers to message ids, got ${JSON.stringify(round)}: ${JSON.stringify(id)}`, 'messageIds');
      ids.set(r, id);
    }
  }
  return { instances: options.instances === undefined ? null : new Set(options.instances), ids };
}

function readHistory(runId: string, stored: Stored[], filter: ReadFilter): RoundHistory {
  const history: RoundHistory = { runId, records: [], duplicates: [], foreign: [], instances: [], skipped: [] };
  const copies = new Map<number, number[]>();
  const accepted = filter.instances;
  stored.forEach(({ data: payload, id }, position) => {
    const decoded = decode(payload, { runId });
    if (!decoded.ok || decoded.message.type !== 'roundRecord') {
      const error: DecodeError = decoded.ok
        ? { code: 'malformed', where: 'type', message: `type: expected roundRecord, found ${decoded.message.type}` }
        : decoded.error;
      history.skipped.push({ position, error });
      return;
    }
    const record = decoded.message;
    const { round, instance } = record.body;
    if (instance !== undefined && !history.instances.includes(instance)) history.instances.push(instance);
    // A record without an instance (stored before instances existed) cannot be shown to be one of those asked for.
    const expectedId = filter.ids?.get(round);
    if ((accepted && !(instance !== undefined && accepted.has(instance))) || (expectedId !== undefined && id !== expectedId)) {
      history.foreign.push({ position, round, instance: instance ?? null });
      return;
    }
    const positions = copies.get(round);
    if (positions) positions.push(position);
    else {
      copies.set(round, [position]);
      history.records.push(record);
    }
  });
  for (const [round, positions] of copies) if (positions.length > 1) history.duplicates.push({ round, positions });
  return history;
}

export class JetStreamRecorder implements RoundRecorder {
  readonly instance = newInstance();
  private readonly secrets = new RoundSecrets();

  private constructor(
    private readonly js: JetStreamClient,
    private readonly runId: string,
    private readonly sender: string,
    private readonly fetchBatch: number,
  ) {}

  /** Ensures the stream exists (idempotent) and returns a recorder for run `runId`. */
  static async open(nc: NatsConnection, runId: string, sender: string, options: RecorderOptions = {}) {
    const { maxAgeMs, fetchBatch = 500, replicas = 1 } = options;
    if (maxAgeMs !== undefined && !(Number.isFinite(maxAgeMs) && maxAgeMs > 0)) {
      throw new InputError(`must be a positive number of milliseconds, got ${maxAgeMs}`, 'maxAgeMs');
    }
    if (!(Number.isInteger(fetchBatch) && fetchBatch > 0)) {
      throw new InputError(`must be a positive integer, got ${fetchBatch}`, 'fetchBatch');
    }
    validateReplicas(replicas, 'replicas');
    try {
      const jsm = await jetstreamManager(nc);
      // An existing stream is used whatever its replicas and limits (an operator's R3 stream, say):
      // only that it captures the rounds' subjects matters. Reading needs no right to create it.
      const existing = await jsm.streams.info(ROUNDS_STREAM).catch(notFoundAsNull);
      if (existing) checkCaptures(existing.config.subjects);
      else {
        await jsm.streams.add({
          name: ROUNDS_STREAM,
          subjects: [ALL_RUNS_ROUND_SUBJECT],
          num_replicas: replicas,
          // JetStream durations are in nanoseconds.
          ...(maxAgeMs ? { max_age: Math.round(maxAgeMs * 1e6) } : {}),
        }).catch(async (e: unknown) => {
          // Another recorder created it in between, with other options: it is used as it is.
          if (!(e instanceof JetStreamApiError && e.code === STREAM_NAME_IN_USE)) throw e;
          const created = await jsm.streams.info(ROUNDS_STREAM);
          checkCaptures(created.config.subjects);
        });
      }
    } catch (e) {
      if (e instanceof ZonalError) throw e;
      throw new ZonalError(
        `cannot open the JetStream stream ${ROUNDS_STREAM}${replicas > 1 ? ` (creating it with ${replicas} replicas)` : ''}: ${describe(e)}`,
        'jetstream',
        replicas > 1
          ? `a stream of ${replicas} replicas needs a JetStream cluster of at least ${replicas} servers (--rounds-replicas), or create ${ROUNDS_STREAM} yourself`
          : `check that the account has JetStream and room for one more stream, or create ${ROUNDS_STREAM} yourself (subjects ${ALL_RUNS_ROUND_SUBJECT})`,
      );
    }
    return new JetStreamRecorder(jetstream(nc), validateRunId(runId), sender, fetchBatch);
  }

  async record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean; messageId: string }> {
    const payload = encode(stampRecord(this.runId, this.sender, this.instance, body));
    const subject = subjects(this.runId).round;
    const msgID = messageId(this.runId, this.instance, body.round, this.secrets.of(body.round));
    try {
      const ack = await this.js.publish(subject, payload, { msgID });
      return { duplicate: ack.duplicate, messageId: msgID };
    } catch (e) {
      throw new ZonalError(`round ${body.round} was not recorded on ${subject}: ${describe(e)}`, 'jetstream');
    }
  }

  async readRounds(runId: string, options: ReadRoundsOptions = {}): Promise<RoundHistory> {
    const subject = subjects(runId).round;
    const accepted = validateReadOptions(options);
    try {
      return readHistory(runId, await this.fetchAll(subject), accepted);
    } catch (e) {
      throw new ZonalError(`cannot read the rounds of run ${runId} from ${ROUNDS_STREAM}: ${describe(e)}`, 'jetstream');
    }
  }

  private async fetchAll(subject: string): Promise<Stored[]> {
    const consumer = await this.js.consumers.get(ROUNDS_STREAM, { filter_subjects: subject });
    const payloads: Stored[] = [];
    let pending = (await consumer.info()).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, this.fetchBatch), expires: FETCH_EXPIRES_MS });
      let received = 0;
      for await (const msg of batch) {
        payloads.push({ data: msg.data, id: msg.headers?.get('Nats-Msg-Id') || null });
        received += 1;
        pending = msg.info.pending;
        if (pending === 0) break;
      }
      if (received === 0) throw new Error(`reading stalled with ${pending} records left`);
    }
    await consumer.delete().catch(() => undefined);
    return payloads;
  }
}

/**
 * The same contract in memory. The InProcessBus keeps everything sent on a `zonal.<runId>.round`
 * subject, as the JetStream stream does, so a stray publication there is kept (and skipped on reading)
 * in both. Duplicates are detected forever here, within the duplicate window on JetStream.
 */
export class InMemoryRecorder implements RoundRecorder {
  readonly instance = newInstance();
  private readonly secrets = new RoundSecrets();

  constructor(private readonly transport: InProcessTransport) {}

  async record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean; messageId: string }> {
    const { runId, name, bus } = this.transport;
    const payload = encode(stampRecord(runId, name, this.instance, body));
    const log = bus.roundLog(runId);
    const id = messageId(runId, this.instance, body.round, this.secrets.of(body.round));
    if (log.ids.has(id)) return { duplicate: true, messageId: id };
    log.ids.add(id);
    log.idAt.set(log.payloads.length, id);
    bus.send(this.transport.subjects.round, payload);
    return { duplicate: false, messageId: id };
  }

  async readRounds(runId: string, options: ReadRoundsOptions = {}): Promise<RoundHistory> {
    const log = this.transport.bus.roundLog(validateRunId(runId));
    return readHistory(runId, log.payloads.map((data, position) => ({ data, id: log.idAt.get(position) ?? null })), validateReadOptions(options));
  }
}

function notFoundAsNull(e: unknown): null {
  if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return null;
  throw e;
}

/** An existing stream is used whatever its replicas and limits; only that it captures the rounds' subjects matters. */
function checkCaptures(streamSubjects: string[] | undefined): void {
  const captures = streamSubjects?.some((p) => p === ALL_RUNS_ROUND_SUBJECT || p === 'zonal.>' || p === '>') ?? false;
  if (!captures) {
    throw new ZonalError(`the stream ${ROUNDS_STREAM} exists but does not capture ${ALL_RUNS_ROUND_SUBJECT} (its subjects: ${(streamSubjects ?? []).join(', ') || 'none'})`, 'jetstream',
      `add ${ALL_RUNS_ROUND_SUBJECT} to its subjects, or delete it (\`nats stream rm ${ROUNDS_STREAM}\`) and let Zonal create it`);
  }
}
