/**
 * The NATS transport (nats.js v3, `@nats-io/transport-node`). One connection per agent, named, that
 * reconnects forever (`maxReconnectAttempts: -1`, STACK.md), a timeout on every request, and a check
 * of the server at connect time so a missing feature fails fast with a message saying what to do.
 */
import { InputError, ZonalError } from '@zonal/core';
import {
  ClosedConnectionError,
  connect,
  DrainingConnectionError,
  type NatsConnection,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { describeAuth, natsAuthOptions, type NatsAuth } from './auth';
import { encode } from './codec';
import type { Draft, Message, MessageType } from './messages';
import { assertInRun, type RunSubjects, subjects as runSubjects, validateRunId, validateToken } from './subjects';
import {
  answerRequest,
  deliver,
  describe,
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

/** How long `close()` lets a drain take (ms) before it closes the connection outright. */
const CLOSE_DRAIN_MS = 2000;

/** Oldest server this package is tested against (Debian's 2.9.10; STACK.md). */
export const MIN_SERVER_VERSION = '2.9.0';

export interface NatsConnectOptions {
  servers: string | string[];
  /** Agent name: the `sender` of its messages and (with the run id) the connection name. */
  name: string;
  runId: string;
  /** Deadline for the first connection, in ms. */
  connectTimeoutMs?: number;
  /** Refuse a server without JetStream (default true: the DSO records every round on it). */
  requireJetStream?: boolean;
  /** Credentials (auth.ts); none for an open server. */
  auth?: NatsAuth;
  /**
   * Try the servers in the order given, first to last (say, the nearest server of a cluster first);
   * default: a random order, which spreads a cluster's clients over its servers.
   */
  serversInOrder?: boolean;
}

/**
 * A `--nats` value as servers: a comma-separated list is a cluster's seeds. Reply inboxes are
 * `_INBOX_<name>.…` so that a server's permissions can give each party its own (`zonal nats-config`).
 */
export function natsServers(servers: string | string[]): string[] {
  return (Array.isArray(servers) ? servers : servers.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** What a connection's transport and its views (`as`) share: since when it has had no server (ms since the epoch), or null while it has one. */
interface ConnectionLink { disconnectedAt: number | null }

export class NatsTransport implements Transport {
  readonly subjects: RunSubjects;
  private readonly stamper: Stamper;
  /** A view's own subscriptions, ended by its `close()`; the owner's close drains the connection instead. */
  private readonly mine = new Set<Subscription>();

  private constructor(
    /** The underlying connection, for JetStream (see recorder.ts). */
    readonly connection: NatsConnection,
    readonly runId: string,
    readonly name: string,
    private readonly link: ConnectionLink,
    /** Whether this transport opened the connection (and so closes it), or is a view over another's (`as`). */
    private readonly owner: boolean,
  ) {
    this.subjects = runSubjects(runId);
    this.stamper = new Stamper(runId, name);
    if (owner) void this.watchServer();
  }

  /** The client reconnects for ever; the agents decide how long an outage they wait through (`unreachableForMs`). */
  private async watchServer(): Promise<void> {
    for await (const s of this.connection.status()) {
      if (s.type === 'disconnect') this.link.disconnectedAt ??= Date.now();
      else if (s.type === 'reconnect') this.link.disconnectedAt = null;
    }
  }

  /** How long the connection has been without a server (ms); 0 while connected. */
  unreachableForMs(): number {
    const at = this.link.disconnectedAt;
    return at === null ? 0 : Date.now() - at;
  }

  /**
   * A view of this connection speaking as another agent of the same run: its own `name` (the sender
   * of what it sends, with its own sequence numbers), the same connection — so one process hosts
   * several zones on one connection (`zonal zone --config a.json --config b.json`). Replies to its
   * requests come to the connection's inbox (`_INBOX_<connection name>`: the credential of a
   * multi-zone host, `zonal nats-config --host`). A view's `close()` ends only its own
   * subscriptions; the connection closes once, with the transport that opened it.
   */
  as(name: string): NatsTransport {
    return new NatsTransport(this.connection, this.runId, validateToken(name, 'name'), this.link, false);
  }

  static async connect(options: NatsConnectOptions): Promise<NatsTransport> {
    const runId = validateRunId(options.runId);
    const name = validateToken(options.name, 'name');
    const servers = options.servers;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: natsServers(servers),
        name: `${name}@${runId}`,
        inboxPrefix: `_INBOX_${name}`,
        maxReconnectAttempts: -1,
        timeout: options.connectTimeoutMs ?? 5000,
        noRandomize: options.serversInOrder ?? false,
        ...natsAuthOptions(options.auth),
      });
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new ZonalError(`cannot connect to NATS at ${String(servers)} with ${describeAuth(options.auth)}: ${describe(e)}`, 'nats', 'start a server with `nats-server -js`, or check the credentials (--nats-creds, --nats-nkey, --nats-user, --nats-token)');
    }
    const problem = serverProblem(nc, options.requireJetStream ?? true);
    if (problem) {
      await nc.close();
      throw new ZonalError(problem.message, 'nats', problem.hint);
    }
    return new NatsTransport(nc, runId, name, { disconnectedAt: null }, true);
  }

  request<T extends MessageType = MessageType>(subject: string, draft: Draft, options: RequestOptions<T>) {
    assertInRun(subject, this.runId);
    return this.requestRaw(subject, encode(this.stamper.stamp(draft)), options);
  }

  async requestRaw<T extends MessageType = MessageType>(
    subject: string,
    payload: Uint8Array,
    options: RequestOptions<T>,
  ): Promise<RequestOutcome<Message<T>>> {
    assertInRun(subject, this.runId);
    const timeoutMs = validateTimeoutMs(options.timeoutMs, subject);
    try {
      const reply = await this.connection.request(subject, payload, { timeout: timeoutMs });
      return readReply(reply.data, subject, this.runId, options.expect);
    } catch (e) {
      if (e instanceof TimeoutError) return { ok: false, failure: failures.timeout(subject, timeoutMs) };
      if (e instanceof RequestError && e.isNoResponders()) return { ok: false, failure: failures.noResponders(subject) };
      if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
        return { ok: false, failure: failures.closed(subject) };
      }
      return { ok: false, failure: failures.transport(subject, e) };
    }
  }

  serve(subject: string, handler: Handler, options: ServeOptions = {}): Subscription {
    assertInRun(subject, this.runId);
    return this.track(subject, () =>
      this.connection.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return options.onError?.(error);
          void answerRequest(msg.data, msg.subject, handler, options, {
            stamper: this.stamper,
            maxPayloadBytes: this.connection.info?.max_payload ?? Number.POSITIVE_INFINITY,
          }).then((bytes) => {
            try {
              msg.respond(bytes);
            } catch {
              // The connection closed while the handler ran: nobody is left to answer.
            }
          });
        },
      }),
    );
  }

  publish(subject: string, draft: Draft): void {
    assertInRun(subject, this.runId);
    const payload = encode(this.stamper.stamp(draft));
    this.guard(subject, () => this.connection.publish(subject, payload));
  }

  subscribe(subject: string, listener: (message: Message, subject: string) => void, options: SubscribeOptions = {}): Subscription {
    assertInRun(subject, this.runId);
    return this.track(subject, () =>
      this.connection.subscribe(subject, {
        callback: (error, msg) => {
          if (error) options.onError?.(error);
          else deliver(msg.data, msg.subject, this.runId, listener, options);
        },
      }),
    );
  }

  async flush(): Promise<void> {
    await this.connection.flush();
  }

  /**
   * Drains (lets in-flight handlers answer), then closes. Safe to call twice. A view (`as`) ends its
   * own subscriptions and leaves the connection to its owner.
   */
  async close(): Promise<void> {
    if (!this.owner) {
      for (const sub of this.mine) sub.unsubscribe();
      this.mine.clear();
      // Once close() returns the server must know: a request to a subject this view served then gets
      // "no responders" at once, not a message routed to a subscription that is already gone (and a timeout).
      if (!this.connection.isClosed()) await inTime(this.connection.flush(), CLOSE_DRAIN_MS);
      return;
    }
    if (this.connection.isClosed()) return;
    // Without a server a drain waits for one: give it a moment, then close regardless (never hang on the way out).
    const drained = await inTime(this.connection.drain(), CLOSE_DRAIN_MS);
    if (!drained && !this.connection.isClosed()) await this.connection.close().catch(() => undefined);
  }

  /** Subscribes through `guard`, keeping the subscription until it ends so a view's `close()` can end it. */
  private track(subject: string, subscribe: () => Subscription): Subscription {
    const sub = this.guard(subject, subscribe);
    this.mine.add(sub);
    return {
      unsubscribe: () => {
        this.mine.delete(sub);
        sub.unsubscribe();
      },
    };
  }

  /** Runs a client call, turning its errors (closed, payload too large) into a ZonalError naming the subject. */
  private guard<R>(subject: string, call: () => R): R {
    try {
      return call();
    } catch (e) {
      if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
        throw new ZonalError(`cannot use ${subject}: the transport is closed`, 'transport');
      }
      throw new ZonalError(`cannot use ${subject}: ${describe(e)}`, 'transport');
    }
  }
}

function serverProblem(nc: NatsConnection, requireJetStream: boolean): { message: string; hint: string } | undefined {
  const info = nc.info;
  const server = nc.getServer();
  if (!info) return { message: `NATS server at ${server} sent no INFO`, hint: 'is it a NATS server?' };
  if (compareVersions(info.version, MIN_SERVER_VERSION) < 0) {
    return {
      message: `NATS server at ${server} is version ${info.version}; Zonal needs ${MIN_SERVER_VERSION} or later`,
      hint: 'upgrade nats-server',
    };
  }
  if (requireJetStream && !info.jetstream) {
    return {
      message: `NATS server at ${server} (version ${info.version}) has JetStream disabled; Zonal records every round on JetStream`,
      hint: 'restart it with `nats-server -js` (or `jetstream: enabled` in its config)',
    };
  }
  return undefined;
}

/** Compares dotted numeric versions ("2.9.10" vs "2.10.0"); a pre-release suffix is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split('-')[0].split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** Whether `work` succeeded within `ms` (a lost server must not hold a close); a failure counts as no. */
async function inTime(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const done = work.then(() => true, () => false);
  const ok = await Promise.race([done, new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); })]);
  clearTimeout(timer);
  return ok;
}
