/**
 * One transport interface with two implementations (STYLE.md lesson 5): NATS for real runs, an
 * in-process bus for unit tests. Both share the serving and reply-reading logic below, so they behave
 * the same: a malformed, wrong-version or wrong-run request is answered with an `error` reply by the
 * transport itself and the service keeps serving; a request's failure (timeout, no responder, error
 * reply) is a typed value naming the subject, never an exception (STYLE.md lesson 11).
 */
import { InputError, isZonalError, ZonalError } from '@zonal/core';
import { decode, type DecodeError, encode } from './codec';
import type { Draft, ErrorBody, Message, MessageType } from './messages';
import { PROTOCOL_VERSION } from './messages';
import type { RunSubjects } from './subjects';

export interface RequestOptions<T extends MessageType> {
  /** Every request has a deadline (SPEC §9: an agent that stops answering is timed out). */
  timeoutMs: number;
  /** The reply type wanted; any other type (except an error reply) is an 'unexpectedReply' failure. */
  expect?: T;
}

export type RequestFailure =
  | { kind: 'timeout'; subject: string; timeoutMs: number; message: string }
  | { kind: 'noResponders'; subject: string; message: string }
  | { kind: 'errorReply'; subject: string; error: ErrorBody; message: string }
  | { kind: 'badReply'; subject: string; error: DecodeError; message: string }
  | { kind: 'unexpectedReply'; subject: string; replyType: MessageType; message: string }
  | { kind: 'closed'; subject: string; message: string }
  | { kind: 'transport'; subject: string; message: string };

export type RequestOutcome<M = Message> = { ok: true; reply: M } | { ok: false; failure: RequestFailure };

export interface ServeContext {
  subject: string;
}

/** Answers one decoded request. May throw: the transport turns that into a 'refused' (InputError) or 'internal' error reply. */
export type Handler = (message: Message, context: ServeContext) => Draft | Promise<Draft>;

export interface ServeOptions {
  /** Message types this service accepts; any other is refused with a 'malformed' error naming `type`. */
  accepts?: readonly MessageType[];
  /**
   * Told of every exception a handler threw (already answered as an 'internal' error reply; `message`
   * is the request) and of errors of the subscription itself (no `message`).
   */
  onError?: (error: unknown, message?: Message) => void;
}

export interface SubscribeOptions {
  /** Told of every message on the subject that failed to decode (there is no one to reply to). */
  onInvalid?: (error: DecodeError, subject: string) => void;
  /** Told of exceptions the listener threw; without it they are rethrown, since they are bugs. */
  onError?: (error: unknown) => void;
}

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Every method refuses (InputError) a subject outside the transport's run. `request` and `publish`
 * throw a ZonalError naming the field when the draft itself is invalid (NaN, short series): that is
 * the sender's bug, never the receiver's problem. Failures of the exchange are values.
 */
export interface Transport {
  readonly runId: string;
  /** This agent's name: the `sender` of every message it sends. */
  readonly name: string;
  readonly subjects: RunSubjects;
  request<T extends MessageType = MessageType>(
    subject: string,
    draft: Draft,
    options: RequestOptions<T>,
  ): Promise<RequestOutcome<Message<T>>>;
  /** Sends raw bytes as a request (tools and tests that must send what `encode` would refuse). */
  requestRaw<T extends MessageType = MessageType>(
    subject: string,
    payload: Uint8Array,
    options: RequestOptions<T>,
  ): Promise<RequestOutcome<Message<T>>>;
  /**
   * Answers requests on `subject` (wildcards allowed inside the run). Await `flush()` before telling
   * anyone you serve: on NATS the subscription reaches the server asynchronously.
   */
  serve(subject: string, handler: Handler, options?: ServeOptions): Subscription;
  publish(subject: string, draft: Draft): void;
  subscribe(subject: string, listener: (message: Message, subject: string) => void, options?: SubscribeOptions): Subscription;
  /** Resolves once everything published so far has left this agent. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** How long the transport has been cut off from its server (ms); absent or 0 where it cannot be (in process). */
  unreachableForMs?(): number;
}

/** Stamps drafts with this agent's envelope header and a per-sender sequence number. */
export class Stamper {
  private seq = 0;
  constructor(
    readonly runId: string,
    readonly sender: string,
  ) {}

  stamp(draft: Draft): Message {
    this.seq += 1;
    return {
      v: PROTOCOL_VERSION,
      type: draft.type,
      runId: this.runId,
      sender: this.sender,
      seq: this.seq,
      sentAt: new Date().toISOString(),
      body: draft.body,
    } as Message;
  }
}

export function validateTimeoutMs(timeoutMs: unknown, subject: string): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new ZonalError(`request to ${subject} needs a positive finite timeoutMs, got ${String(timeoutMs)}`, 'timeoutMs');
  }
  return timeoutMs;
}

/**
 * The serving side shared by every transport: decode, check run and type, call the handler, and
 * always produce reply bytes — an error reply when anything went wrong.
 */
export async function answerRequest(
  payload: Uint8Array,
  subject: string,
  handler: Handler,
  options: ServeOptions,
  { stamper, maxPayloadBytes }: { stamper: Stamper; maxPayloadBytes: number },
): Promise<Uint8Array> {
  const decoded = decode(payload, { runId: stamper.runId });
  if (!decoded.ok) return encodeError(stamper, decoded.error);
  const message = decoded.message;
  const inReplyTo = { type: message.type, seq: message.seq, sender: message.sender };
  if (options.accepts && !options.accepts.includes(message.type)) {
    return encodeError(stamper, {
      code: 'malformed',
      where: 'type',
      message: `type: ${subject} accepts ${options.accepts.join(', ')}, not ${message.type}`,
      inReplyTo,
    });
  }
  try {
    const reply = encode(stamper.stamp(await handler(message, { subject })));
    // An oversized reply cannot be sent at all: the requester would only see a timeout.
    if (reply.length > maxPayloadBytes) {
      throw new ZonalError(`the reply to ${message.type} is ${reply.length} bytes, over the server's max_payload of ${maxPayloadBytes}`);
    }
    return reply;
  } catch (e) {
    options.onError?.(e, message);
    const where = isZonalError(e) ? e.where : undefined;
    const text = isZonalError(e) ? e.message : `internal error while answering ${message.type}: ${describe(e)}`;
    // A well-formed request the service will not take (an InputError, e.g. an announce that does not
    // fit the DSO's zone list) is 'refused': the sender should stop, not retry.
    const code = e instanceof InputError ? 'refused' : 'internal';
    return encodeError(stamper, { code, message: text, ...(where ? { where } : {}), inReplyTo });
  }
}

function encodeError(stamper: Stamper, error: DecodeError | ErrorBody): Uint8Array {
  return encode(stamper.stamp({ type: 'error', body: error }));
}

/** The requesting side shared by every transport: turn reply bytes into an outcome. */
export function readReply<T extends MessageType>(
  payload: Uint8Array,
  subject: string,
  runId: string,
  expect: T | undefined,
): RequestOutcome<Message<T>> {
  const decoded = decode(payload, { runId });
  if (!decoded.ok) {
    const failure: RequestFailure = {
      kind: 'badReply',
      subject,
      error: decoded.error,
      message: `unreadable reply from ${subject}: ${decoded.error.message}`,
    };
    return { ok: false, failure };
  }
  const reply = decoded.message;
  if (reply.type === 'error' && expect !== 'error') {
    const at = reply.body.where ? ` (at ${reply.body.where})` : '';
    const message = `${subject} refused the request [${reply.body.code}]${at}: ${reply.body.message}`;
    return { ok: false, failure: { kind: 'errorReply', subject, error: reply.body, message } };
  }
  if (expect !== undefined && reply.type !== expect) {
    const message = `${subject} answered with ${reply.type}, expected ${expect}`;
    return { ok: false, failure: { kind: 'unexpectedReply', subject, replyType: reply.type, message } };
  }
  return { ok: true, reply: reply as Message<T> };
}

export const failures = {
  timeout: (subject: string, timeoutMs: number): RequestFailure => ({
    kind: 'timeout',
    subject,
    timeoutMs,
    message: `no reply from ${subject} within ${timeoutMs} ms`,
  }),
  noResponders: (subject: string): RequestFailure => ({
    kind: 'noResponders',
    subject,
    message: `no agent is serving ${subject}`,
  }),
  closed: (subject: string): RequestFailure => ({
    kind: 'closed',
    subject,
    message: `cannot request ${subject}: the transport is closed`,
  }),
  transport: (subject: string, error: unknown): RequestFailure => ({
    kind: 'transport',
    subject,
    message: `request to ${subject} failed: ${describe(error)}`,
  }),
};

/** The reply, or a ZonalError naming the subject: for callers where a failed request is fatal. */
export function unwrapReply<M>(outcome: RequestOutcome<M>): M {
  if (outcome.ok) return outcome.reply;
  throw new ZonalError(outcome.failure.message, outcome.failure.subject);
}

/** Delivers one published payload to a subscriber: decode, then the listener or `onInvalid`. */
export function deliver(
  payload: Uint8Array,
  subject: string,
  runId: string,
  listener: (message: Message, subject: string) => void,
  options: SubscribeOptions,
): void {
  const decoded = decode(payload, { runId });
  try {
    if (decoded.ok) listener(decoded.message, subject);
    else options.onInvalid?.(decoded.error, subject);
  } catch (e) {
    // A listener that throws is a bug: without onError it surfaces as an uncaught exception, outside
    // the transport's delivery loop (so neither transport swallows it nor dies inside the client).
    if (options.onError) options.onError(e);
    else
      setImmediate(() => {
        throw e;
      });
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
