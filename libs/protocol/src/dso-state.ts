/**
 * The DSO's negotiation state, kept where a restarted DSO finds it: a JetStream key-value bucket on
 * NATS (`ZONAL_DSO_STATE`), the bus's memory in process. Per run id:
 *
 *   `<runId>.announce.<zoneId>`  each zone's announce as the DSO accepted it (written once, before round 1)
 *   `<runId>.round.<n>`          round n's record, written as the round completes
 *   `<runId>.state`              the state after the last completed round (written after its record)
 *   `<runId>.finished`           written when the report is: the run id is spent
 *
 * Values are text the caller encodes (the coordination lib's state codec): this module only stores
 * them. The state is written after the round's record, so a state naming round n always has rounds
 * 1..n beside it. Only the DSO writes here (`zonal nats-config` gives no one else the bucket).
 */
import { Kvm, type KV } from '@nats-io/kv';
import { InProcessTransport } from './inProcessTransport';
import { NatsTransport } from './natsTransport';
import type { Transport } from './transport';

export const DSO_STATE_BUCKET = 'ZONAL_DSO_STATE';

export interface SavedRun {
  /** The encoded state after the last completed round, or null when the run has announces but no round yet. */
  state: string | null;
  /** Encoded round records 1..n, in order. */
  rounds: string[];
  /** Each zone's accepted announce body (JSON text), by zone id. */
  announces: Map<string, string>;
  /** When the report was written (ISO time), or null: a finished run id is not resumed. */
  finishedAt: string | null;
}

export interface DsoStateStore {
  /** What is kept of the run, or null when nothing is. */
  load(): Promise<SavedRun | null>;
  saveAnnounce(zoneId: string, body: string): Promise<void>;
  saveRound(round: number, record: string, state: string): Promise<void>;
  finish(): Promise<void>;
  /** The largest value the store takes (bytes): a larger state cannot be kept. */
  readonly maxValueBytes: number;
}

export interface DsoStateOptions {
  /** Copies kept by a JetStream cluster when this creates the bucket (1–5, default 1). */
  replicas?: number;
}

/** The store that goes with a transport: a JetStream key-value bucket on NATS, memory in process. */
export async function openDsoStateStore(transport: Transport, options: DsoStateOptions = {}): Promise<DsoStateStore> {
  if (transport instanceof NatsTransport) {
    const kvm = new Kvm(transport.connection);
    // create() opens the bucket when it exists with any settings; it fails only without JetStream.
    const kv = await kvm.create(DSO_STATE_BUCKET, { history: 1, replicas: options.replicas ?? 1 });
    return new KvStateStore(kv, transport.runId, transport.connection.info?.max_payload ?? 1024 * 1024);
  }
  if (transport instanceof InProcessTransport) return new MemoryStateStore(memoryFor(transport));
  throw new Error('openDsoStateStore: unsupported transport');
}

class KvStateStore implements DsoStateStore {
  private readonly encoder = new TextEncoder();

  constructor(private readonly kv: KV, private readonly runId: string, readonly maxValueBytes: number) {}

  private key(...parts: Array<string | number>): string {
    return [this.runId, ...parts].join('.');
  }

  private async text(key: string): Promise<string | null> {
    const e = await this.kv.get(key);
    return e && e.operation === 'PUT' ? e.string() : null;
  }

  async load(): Promise<SavedRun | null> {
    const announces = new Map<string, string>();
    const prefix = this.key('announce', '');
    for await (const k of await this.kv.keys(this.key('announce', '*'))) {
      const body = await this.text(k);
      if (body !== null) announces.set(k.slice(prefix.length), body);
    }
    const state = await this.text(this.key('state'));
    const finishedAt = await this.text(this.key('finished'));
    if (!announces.size && state === null && finishedAt === null) return null;
    const rounds: string[] = [];
    for (let n = 1; ; n++) {
      const r = await this.text(this.key('round', n));
      if (r === null) break;
      rounds.push(r);
    }
    return { state, rounds, announces, finishedAt };
  }

  async saveAnnounce(zoneId: string, body: string): Promise<void> {
    await this.kv.put(this.key('announce', zoneId), this.encoder.encode(body));
  }

  async saveRound(round: number, record: string, state: string): Promise<void> {
    await this.kv.put(this.key('round', round), this.encoder.encode(record));
    await this.kv.put(this.key('state'), this.encoder.encode(state));
  }

  async finish(): Promise<void> {
    await this.kv.put(this.key('finished'), this.encoder.encode(new Date().toISOString()));
  }
}

/** In process: the state lives as long as the bus (a DSO restarted on the same bus finds it). */
class MemoryStateStore implements DsoStateStore {
  readonly maxValueBytes = Infinity;

  constructor(private readonly run: SavedRun) {}

  async load(): Promise<SavedRun | null> {
    const r = this.run;
    return r.announces.size || r.state !== null || r.finishedAt !== null ? { ...r, rounds: [...r.rounds], announces: new Map(r.announces) } : null;
  }

  async saveAnnounce(zoneId: string, body: string): Promise<void> {
    this.run.announces.set(zoneId, body);
  }

  async saveRound(round: number, record: string, state: string): Promise<void> {
    this.run.rounds[round - 1] = record;
    this.run.state = state;
  }

  async finish(): Promise<void> {
    this.run.finishedAt = new Date().toISOString();
  }
}

const memories = new WeakMap<object, Map<string, SavedRun>>();

function memoryFor(transport: InProcessTransport): SavedRun {
  const bus = transport.bus;
  let runs = memories.get(bus);
  if (!runs) memories.set(bus, (runs = new Map()));
  let run = runs.get(transport.runId);
  if (!run) runs.set(transport.runId, (run = { state: null, rounds: [], announces: new Map(), finishedAt: null }));
  return run;
}
