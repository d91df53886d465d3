/**
 * An in-memory stand-in for a NATS server, for unit tests: subjects with NATS wildcards (`*` one
 * token, `>` the rest), asynchronous delivery, request/reply where the first reply wins, "no
 * responders" when nothing listens, and timeouts. Payloads cross the bus as encoded bytes, so every
 * message goes through the same codec and validation as on NATS.
 */
import { ZonalError } from '@zonal/core';
import { encode } from './codec';
import type { Draft, Message, MessageType } from './messages';
import { ALL_RUNS_ROUND_SUBJECT, assertInRun, type RunSubjects, subjects as runSubjects, validateRunId, validateToken } from './subjects';
import {
  answerRequest,
  deliver,
  failures,
  type Handler,
  readReply,
  type RequestOptions,
  type RequestOutcome,
  type ServeOptions,
  Stamper,
  type SubscribeOptions,
  type Subscription,
  type Transport,
  validateTimeoutMs,
} from './transport';

type Reply = (payload: Uint8Array) => void;

const ROUND_PATTERN = ALL_RUNS_ROUND_SUBJECT.split('.');

interface BusListener {
  pattern: string[];
  receive(payload: Uint8Array, subject: string, reply: Reply | undefined): void;
}

/** Does a NATS subject match a subscription pattern? */
export function subjectMatches(pattern: readonly string[], subject: string): boolean {
  const tokens = subject.split('.');
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '>') return tokens.length > i;
    if (i >= tokens.length || (pattern[i] !== '*' && pattern[i] !== tokens[i])) return false;
  }
  return tokens.length === pattern.length;
}

/** nats-server's default `max_payload`, enforced here too so an oversized message fails in unit tests. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export class InProcessBus {
  private readonly listeners = new Set<BusListener>();
  private readonly roundLogs = new Map<string, { payloads: Uint8Array[]; ids: Set<string>; idAt: Map<number, string> }>();

  constructor(readonly maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES) {}

  connect(options: { name: string; runId: string }): InProcessTransport {
    return new InProcessTransport(this, validateRunId(options.runId), validateToken(options.name, 'name'));
  }

  /** @internal used by InProcessTransport. Returns how many listeners the payload went to. */
  send(subject: string, payload: Uint8Array, reply?: Reply): number {
    if (payload.length > this.maxPayloadBytes) {
      throw new ZonalError(`cannot use ${subject}: max_payload size exceeded (${payload.length} > ${this.maxPayloadBytes} bytes)`, 'transport');
    }
    // Like the JetStream stream on `zonal.*.round`, the bus keeps every round-subject payload.
    if (subjectMatches(ROUND_PATTERN, subject)) this.roundLog(subject.split('.')[1]).payloads.push(payload);
    const targets = [...this.listeners].filter((l) => subjectMatches(l.pattern, subject));
    // Asynchronous, like a network hop: a sender never runs its receivers' code in its own stack.
    for (const target of targets) setImmediate(() => this.listeners.has(target) && target.receive(payload, subject, reply));
    return targets.length;
  }

  /** @internal what was sent on one run's round subject, the message ids recorded, and each recorded payload's id by position (see InMemoryRecorder). */
  roundLog(runId: string) {
    let log = this.roundLogs.get(runId);
    if (!log) this.roundLogs.set(runId, (log = { payloads: [], ids: new Set(), idAt: new Map() }));
    return log;
  }

  /** @internal */
  listen(pattern: string, receive: BusListener['receive']): () => void {
    const listener: BusListener = { pattern: pattern.split('.'), receive };
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export class InProcessTransport implements Transport {
  readonly subjects: RunSubjects;
  private readonly stamper: Stamper;
  private readonly unlisteners = new Set<() => void>();
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(
    /** @internal */
    readonly bus: InProcessBus,
    readonly runId: string,
    readonly name: string,
  ) {
    this.subjects = runSubjects(runId);
    this.stamper = new Stamper(runId, name);
  }

  request<T extends MessageType = MessageType>(subject: string, draft: Draft, options: RequestOptions<T>) {
    assertInRun(subject, this.runId);
    return this.requestRaw(subject, encode(this.stamper.stamp(draft)), options);
  }

  requestRaw<T extends MessageType = MessageType>(
    subject: string,
    payload: Uint8Array,
    options: RequestOptions<T>,
  ): Promise<RequestOutcome<Message<T>>> {
    assertInRun(subject, this.runId);
    const timeoutMs = validateTimeoutMs(options.timeoutMs, subject);
    if (this.closed) return Promise.resolve({ ok: false, failure: failures.closed(subject) });
    return new Promise((resolve) => {
      const settle = (outcome: RequestOutcome<Message<T>>) => {
        clearTimeout(timer);
        this.pending.delete(onClose);
        resolve(outcome);
      };
      const onClose = () => settle({ ok: false, failure: failures.closed(subject) });
      const timer = setTimeout(() => settle({ ok: false, failure: failures.timeout(subject, timeoutMs) }), timeoutMs);
      this.pending.add(onClose);
      let answered = false;
      const reply: Reply = (bytes) => {
        if (answered || !this.pending.has(onClose)) return;
        answered = true;
        settle(readReply(bytes, subject, this.runId, options.expect));
      };
      try {
        if (this.bus.send(subject, payload, reply) === 0) settle({ ok: false, failure: failures.noResponders(subject) });
      } catch (e) {
        settle({ ok: false, failure: failures.transport(subject, e) });
      }
    });
  }

  serve(subject: string, handler: Handler, options: ServeOptions = {}): Subscription {
    return this.listen(subject, (payload, actual, reply) => {
      void answerRequest(payload, actual, handler, options, {
        stamper: this.stamper,
        maxPayloadBytes: this.bus.maxPayloadBytes,
      }).then((bytes) => reply?.(bytes));
    });
  }

  publish(subject: string, draft: Draft): void {
    this.assertOpen(subject);
    assertInRun(subject, this.runId);
    this.bus.send(subject, encode(this.stamper.stamp(draft)));
  }

  subscribe(subject: string, listener: (message: Message, subject: string) => void, options: SubscribeOptions = {}): Subscription {
    return this.listen(subject, (payload, actual) => deliver(payload, actual, this.runId, listener, options));
  }

  flush(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const unlisten of this.unlisteners) unlisten();
    this.unlisteners.clear();
    for (const onClose of [...this.pending]) onClose();
  }

  private listen(subject: string, receive: BusListener['receive']): Subscription {
    this.assertOpen(subject);
    assertInRun(subject, this.runId);
    const unlisten = this.bus.listen(subject, receive);
    this.unlisteners.add(unlisten);
    return {
      unsubscribe: () => {
        unlisten();
        this.unlisteners.delete(unlisten);
      },
    };
  }

  private assertOpen(subject: string) {
    if (this.closed) throw new ZonalError(`cannot use ${subject}: the transport is closed`, 'transport');
  }
}
