/**
 * Finding a NATS server for `zonal sim`: use one when it answers (`natsAvailable`), otherwise start
 * Debian's `nats-server` on a free loopback port (`startLocalNatsServer`), or say it is not installed.
 * The server is our child: we keep its PID, stop it by that PID, and delete its temporary store.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { natsAuthOptions, type NatsAuth } from './auth';
import { natsServers } from './natsTransport';

/** True when a NATS server answers at `url` within `timeoutMs`; never throws. */
export async function natsAvailable(url: string, timeoutMs: number, auth?: NatsAuth): Promise<boolean> {
  const attempt = connect({ servers: natsServers(url), timeout: timeoutMs, reconnect: false, maxReconnectAttempts: 0, ...natsAuthOptions(auth) });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  try {
    const first = await Promise.race([attempt, deadline]);
    if (first === 'late') {
      // A connection that completes after the deadline is still ours to close.
      attempt.then((nc) => nc.close()).catch(() => undefined);
      return false;
    }
    await first.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface LocalNatsServer {
  url: string;
  pid: number;
  /** The temporary JetStream store (absent without JetStream); deleted by stop(). */
  storeDir?: string;
  /** Stops the server (SIGTERM, then SIGKILL) and deletes its store. Safe to call twice. */
  stop(): Promise<void>;
}

export type LocalNatsStart = { installed: true; server: LocalNatsServer } | { installed: false; reason: string };

export interface LocalNatsOptions {
  /** Path of the nats-server binary; default: `nats-server` on PATH, then /usr/sbin and /usr/local/bin. */
  binary?: string;
  /** Start with JetStream and a temporary store (default true). */
  jetstream?: boolean;
  /** How long to wait for "Server is ready" (default 10 s). */
  readyTimeoutMs?: number;
  /** A configuration file (`-c`: users, permissions, JetStream and its store); the address and port given here win over its own. */
  configFile?: string;
}

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

export function findNatsServer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  return dirs.map((dir) => join(dir, 'nats-server')).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `nats-server -a 127.0.0.1 -p -1` (the server picks a free port and logs it, so there is no
 * race between finding a port and binding it) and resolves once it is ready. Rejects with the
 * server's own log when it fails to start.
 */
export async function startLocalNatsServer(options: LocalNatsOptions = {}): Promise<LocalNatsStart> {
  const binary = options.binary ?? findNatsServer();
  if (!binary || !isExecutable(binary)) {
    const reason = binary ? `${binary} is not an executable file` : 'nats-server is not installed (Debian: apt-get install nats-server)';
    return { installed: false, reason };
  }
  // A configuration file says itself where JetStream keeps its store.
  const jetstream = (options.jetstream ?? true) && !options.configFile;
  const storeDir = jetstream ? mkdtempSync(join(tmpdir(), 'zonal-nats-')) : undefined;
  const args = [...(options.configFile ? ['-c', options.configFile] : []), '-a', '127.0.0.1', '-p', '-1', ...(storeDir ? ['-js', '-sd', storeDir] : [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const removeStore = () => storeDir && rmSync(storeDir, { recursive: true, force: true });
  let exited = child.exitCode !== null;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exitedPromise.then(() => (exited = true));
  // If our own process ends without stop(), the server must not outlive it.
  const onExit = () => {
    if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    removeStore();
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (!exited && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const killTimer = setTimeout(() => !exited && child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(killTimer);
    }
    removeStore();
  };

  try {
    const port = await waitUntilReady(child, options.readyTimeoutMs ?? 10_000, exitedPromise);
    const server: LocalNatsServer = { url: `nats://127.0.0.1:${port}`, pid: child.pid as number, stop };
    if (storeDir) server.storeDir = storeDir;
    return { installed: true, server };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Reads the server log until "Server is ready"; returns the client port it logged. */
function waitUntilReady(
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
  exited: Promise<void>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    let port: number | undefined;
    const timer = setTimeout(() => finish(new Error(`nats-server was not ready within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stderr?.removeListener('data', onData);
      // Keep draining the log after start-up: a full pipe would block the server.
      child.stderr?.resume();
      if (error) reject(error);
      else resolve(port as number);
    };
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
      port ??= Number(/Listening for client connections on [^\s]+:(\d+)/.exec(log)?.[1]) || undefined;
      if (port !== undefined && log.includes('Server is ready')) finish();
    };
    child.stderr?.on('data', onData);
    child.once('error', (e) => finish(new Error(`cannot start nats-server: ${e.message}`)));
    void exited.then(() => finish(new Error(`nats-server exited during start-up:\n${log}`)));
  });
}
