/**
 * Every coordination round kept on JetStream (SPEC §8 step 5), and read back.
 *
 * Choice: ONE stream, `ZONAL_ROUNDS`, capturing `zonal.*.round`, rather than a stream per run. It is
 * created once and reused (adding it again with the same configuration is a no-op on the server), so
 * runs leave no streams behind to clean up and the server's per-account stream limit is never in
 * play; a run's records are read back through an ordered consumer filtered on `zonal.<runId>.round`
 * (a single filter subject, which server 2.9 supports; `filter_subjects` needs 2.10).
 *
 * Publishing is idempotent: the JetStream message id is `<runId>.<round>`, so re-recording a round
 * (a retry after a lost ack) within the stream's duplicate window (default 2 min) stores it once.
 * Run ids must be unique per run: a run id reused later appends to the same history.
 *
 * Records are stamped with `seq = round`, and published on the run's round subject, so live
 * subscribers see them too.
 */
import { InputError, ZonalError } from '@zonal/core';
import { jetstream, JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decode, type DecodeError, encode } from './codec';
import { InProcessTransport } from './inProcessTransport';
import { type BodyOf, type Message, PROTOCOL_VERSION } from './messages';
import { NatsTransport } from './natsTransport';
import { ALL_RUNS_ROUND_SUBJECT, subjects, validateRunId } from './subjects';
import { describe, type Transport } from './transport';

export const ROUNDS_STREAM = 'ZONAL_ROUNDS';

/** How long one pull waits on the server; the records are already stored, so this only bounds a stalled read. */
const FETCH_EXPIRES_MS = 5000;

export type RoundRecord = Message<'roundRecord'>;

export interface RoundHistory {
  runId: string;
  /** Valid round records of the run, in the order they were stored. */
  records: RoundRecord[];
  /** Anything else found on the run's round subject (not a valid roundRecord), by stored position. */
  skipped: { position: number; error: DecodeError }[];
}

export interface RoundRecorder {
  /** Stores one round of this recorder's run; `duplicate` is true when that round was already stored. */
  record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean }>;
  readRounds(runId: string): Promise<RoundHistory>;
}

export interface RecorderOptions {
  /** Records older than this are dropped by the server; default: kept forever. */
  maxAgeMs?: number;
  /** Records fetched per JetStream pull while reading back (default 500). */
  fetchBatch?: number;
}

/** The recorder that goes with a transport: JetStream on NATS, the bus's memory in process. */
export async function openRecorder(transport: Transport, options: RecorderOptions = {}): Promise<RoundRecorder> {
  if (transport instanceof NatsTransport) {
    return JetStreamRecorder.open(transport.connection, transport.runId, transport.name, options);
  }
  if (transport instanceof InProcessTransport) return new InMemoryRecorder(transport);
  throw new ZonalError('no round recorder for this kind of transport', 'transport');
}

function stampRecord(runId: string, sender: string, body: BodyOf<'roundRecord'>): RoundRecord {
  return { v: PROTOCOL_VERSION, type: 'roundRecord', runId, sender, seq: body.round, sentAt: new Date().toISOString(), body };
}

function readHistory(runId: string, payloads: Uint8Array[]): RoundHistory {
  const history: RoundHistory = { runId, records: [], skipped: [] };
  payloads.forEach((payload, position) => {
    const decoded = decode(payload, { runId });
    if (decoded.ok && decoded.message.type === 'roundRecord') history.records.push(decoded.message);
    else {
      const error: DecodeError = decoded.ok
        ? { code: 'malformed', where: 'type', message: `type: expected roundRecord, found ${decoded.message.type}` }
        : decoded.error;
      history.skipped.push({ position, error });
    }
  });
  return history;
}

export class JetStreamRecorder implements RoundRecorder {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly runId: string,
    private readonly sender: string,
    private readonly fetchBatch: number,
  ) {}

  /** Ensures the stream exists (idempotent) and returns a recorder for run `runId`. */
  static async open(nc: NatsConnection, runId: string, sender: string, options: RecorderOptions = {}) {
    const { maxAgeMs, fetchBatch = 500 } = options;
    if (maxAgeMs !== undefined && !(Number.isFinite(maxAgeMs) && maxAgeMs > 0)) {
      throw new InputError(`must be a positive number of milliseconds, got ${maxAgeMs}`, 'maxAgeMs');
    }
    if (!(Number.isInteger(fetchBatch) && fetchBatch > 0)) {
      throw new InputError(`must be a positive integer, got ${fetchBatch}`, 'fetchBatch');
    }
    try {
      const jsm = await jetstreamManager(nc);
      // An existing stream is used whatever its replicas and limits (an operator's R3 stream, say):
      // only that it captures the rounds' subjects matters. Reading needs no right to create it.
      const existing = await jsm.streams.info(ROUNDS_STREAM).catch((e: unknown) => {
        if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return null;
        throw e;
      });
      if (existing) {
        const captures = existing.config.subjects?.some((p) => p === ALL_RUNS_ROUND_SUBJECT || p === 'zonal.>' || p === '>') ?? false;
        if (!captures) {
          throw new ZonalError(`the stream ${ROUNDS_STREAM} exists but does not capture ${ALL_RUNS_ROUND_SUBJECT} (its subjects: ${(existing.config.subjects ?? []).join(', ') || 'none'})`, 'jetstream',
            `add ${ALL_RUNS_ROUND_SUBJECT} to its subjects, or delete it (\`nats stream rm ${ROUNDS_STREAM}\`) and let Zonal create it`);
        }
      } else {
        await jsm.streams.add({
          name: ROUNDS_STREAM,
          subjects: [ALL_RUNS_ROUND_SUBJECT],
          // JetStream durations are in nanoseconds.
          ...(maxAgeMs ? { max_age: Math.round(maxAgeMs * 1e6) } : {}),
        });
      }
    } catch (e) {
      if (e instanceof ZonalError) throw e;
      throw new ZonalError(
        `cannot open the JetStream stream ${ROUNDS_STREAM}: ${describe(e)}`,
        'jetstream',
        `if ${ROUNDS_STREAM} exists with another configuration (e.g. another maxAgeMs), open it with the same options or delete it (\`nats stream rm ${ROUNDS_STREAM}\`)`,
      );
    }
    return new JetStreamRecorder(jetstream(nc), validateRunId(runId), sender, fetchBatch);
  }

  async record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean }> {
    const payload = encode(stampRecord(this.runId, this.sender, body));
    const subject = subjects(this.runId).round;
    try {
      const ack = await this.js.publish(subject, payload, { msgID: `${this.runId}.${body.round}` });
      return { duplicate: ack.duplicate };
    } catch (e) {
      throw new ZonalError(`round ${body.round} was not recorded on ${subject}: ${describe(e)}`, 'jetstream');
    }
  }

  async readRounds(runId: string): Promise<RoundHistory> {
    const subject = subjects(runId).round;
    try {
      return readHistory(runId, await this.fetchAll(subject));
    } catch (e) {
      throw new ZonalError(`cannot read the rounds of run ${runId} from ${ROUNDS_STREAM}: ${describe(e)}`, 'jetstream');
    }
  }

  private async fetchAll(subject: string): Promise<Uint8Array[]> {
    const consumer = await this.js.consumers.get(ROUNDS_STREAM, { filter_subjects: subject });
    const payloads: Uint8Array[] = [];
    let pending = (await consumer.info()).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, this.fetchBatch), expires: FETCH_EXPIRES_MS });
      let received = 0;
      for await (const msg of batch) {
        payloads.push(msg.data);
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
  constructor(private readonly transport: InProcessTransport) {}

  async record(body: BodyOf<'roundRecord'>): Promise<{ duplicate: boolean }> {
    const { runId, name, bus } = this.transport;
    const payload = encode(stampRecord(runId, name, body));
    const log = bus.roundLog(runId);
    if (log.rounds.has(body.round)) return { duplicate: true };
    log.rounds.add(body.round);
    bus.send(this.transport.subjects.round, payload);
    return { duplicate: false };
  }

  async readRounds(runId: string): Promise<RoundHistory> {
    return readHistory(validateRunId(runId), [...this.transport.bus.roundLog(runId).payloads]);
  }
}
