/**
 * What every chaos scenario runs on: its own processes (agents, `zonal`, nats-servers on free loopback
 * ports), each remembered by PID and killed when the scenario ends — however it ends, a hang included.
 * Nothing here touches a server the suite did not start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { findNatsServer } from '@zonal/protocol';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const ZONAL = join(ROOT, 'apps/cli/bin/zonal.mjs');
export const DSO_APP = join(ROOT, 'apps/dso/bin/zonal-dso.mjs');
export const ZONE_APP = join(ROOT, 'apps/zone/bin/zonal-zone.mjs');

/** A scenario that outlives its own timeout is stopped: its waits throw this. */
export class Stopped extends Error {}

export interface Proc {
  label: string;
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** The exit code, or 128 + the signal's number as a shell reports it. */
  exited: Promise<number>;
  running(): boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** A free loopback port (the nats-server restarted on it, the cluster's routes listed in advance). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether process `pid` still exists (a zombie counts as gone: it runs nothing). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The PIDs of `pid`'s children, from /proc. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A nats-server of the suite's own, on a port chosen here so that it can be restarted on the same one. */
export class NatsServer {
  child!: ChildProcess;
  private log = '';
  private exitedAt: Promise<void> = Promise.resolve();
  private alive = false;

  private constructor(readonly name: string, readonly port: number, private readonly args: string[]) {}

  get url(): string { return `nats://127.0.0.1:${this.port}`; }
  get pid(): number { return this.child.pid as number; }
  get running(): boolean { return this.alive; }
  get lastLog(): string { return this.log; }

  /** `jetstream` gives it a store under `dir`; `configFile` brings its own (users, cluster, JetStream). */
  static async start(o: { name: string; dir: string; jetstream?: boolean; configFile?: string; port?: number }): Promise<NatsServer> {
    const port = o.port ?? await freePort();
    const store = join(o.dir, `${o.name}-store`);
    const args = [...(o.configFile ? ['-c', o.configFile] : []), '-a', '127.0.0.1', '-p', String(port), ...(o.jetstream && !o.configFile ? ['-js', '-sd', store] : [])];
    const server = new NatsServer(o.name, port, args);
    await server.launch();
    return server;
  }

  /** Starts it (again: same port, same store). */
  async launch(): Promise<void> {
    const binary = findNatsServer();
    if (!binary) throw new Error('nats-server is not installed (Debian: apt-get install nats-server)');
    this.log = '';
    const child = spawn(binary, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.alive = true;
    this.exitedAt = new Promise((resolve) => child.once('exit', () => { this.alive = false; resolve(); }));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server ${this.name} not ready within 20 s:\n${this.log}`)), 20_000);
      child.stderr!.on('data', (d: Buffer) => {
        this.log = (this.log + d.toString()).slice(-8000);
        if (this.log.includes('Server is ready')) { clearTimeout(timer); resolve(); }
      });
      void this.exitedAt.then(() => { clearTimeout(timer); reject(new Error(`nats-server ${this.name} exited during start-up:\n${this.log}`)); });
    });
  }

  /** Stops it by its PID: SIGTERM (an operator's stop), SIGKILL after 5 s; or SIGKILL at once. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (!this.alive) return;
    process.kill(this.pid, signal);
    const timer = setTimeout(() => this.alive && process.kill(this.pid, 'SIGKILL'), 5000);
    await this.exitedAt;
    clearTimeout(timer);
  }
}

/**
 * One scenario's world: a temporary directory, the processes and servers it started, the NATS
 * connections it opened. `cleanup()` ends them all, by PID.
 */
export class Ctx {
  readonly dir: string;
  private readonly procs = new Set<Proc>();
  private readonly servers = new Set<NatsServer>();
  private readonly connections = new Set<NatsConnection>();
  stopped = false;

  constructor(readonly label: string, readonly env: NodeJS.ProcessEnv = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `zonal-chaos-${label}-`));
  }

  /** Starts a Node entry point (an agent app, the CLI) as its own process, collecting its output. */
  start(label: string, entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env: { ...process.env, ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '', done = false;
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
    }));
    const proc: Proc = { label, child, pid: child.pid as number, stdout: () => out, stderr: () => err, exited, running: () => !done };
    this.procs.add(proc);
    return proc;
  }

  async nats(o: { name: string; jetstream?: boolean; configFile?: string; port?: number }): Promise<NatsServer> {
    this.check();
    const server = await NatsServer.start({ ...o, dir: this.dir });
    this.servers.add(server);
    return server;
  }

  /** A plain client connection (an outsider's, or the suite's watcher), closed at cleanup. */
  async connect(options: ConnectionOptions): Promise<NatsConnection> {
    this.check();
    const nc = await connect({ timeout: 5000, ...options });
    this.connections.add(nc);
    return nc;
  }

  file(name: string, content: unknown): string {
    const path = join(this.dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }

  readJson<T>(path: string): T | null {
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as T : null;
  }

  /**
   * Polls `predicate` every 50 ms; throws naming `what` after `ms`, or once the scenario is stopped.
   * The default is long: on a loaded 2-core machine five processes take a minute to reach round 1.
   */
  async until(predicate: () => boolean, what: string, ms = 180_000): Promise<void> {
    const t0 = Date.now();
    while (!predicate()) {
      this.check();
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
      await sleep(50);
    }
  }

  /** A process's exit code, or an error naming it after `ms`. */
  async exit(p: Proc, ms = 240_000): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${p.label} (pid ${p.pid}) still running after ${ms / 1000} s`)), ms); });
    try {
      return await Promise.race([p.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  check(): void {
    if (this.stopped) throw new Stopped(`scenario ${this.label} stopped`);
  }

  /** The processes this scenario started that are still running. */
  leftRunning(): Proc[] {
    return [...this.procs].filter((p) => p.running());
  }

  /** Ends everything; with `keepDir`, leaves the directory with every process's output under logs/. */
  async cleanup(keepDir = false): Promise<void> {
    this.stopped = true;
    for (const p of this.procs) if (p.running()) p.child.kill('SIGKILL');
    if (keepDir) {
      for (const p of this.procs) this.file(`logs/${p.label.replace(/\W+/g, '-')}-${p.pid}.log`, `${p.stderr()}\n--- stdout ---\n${p.stdout()}`);
      for (const s of this.servers) this.file(`logs/nats-${s.name}.log`, s.lastLog);
    }
    await Promise.all([...this.connections].map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
    await Promise.all([...this.servers].map((s) => s.stop('SIGKILL').catch(() => undefined)));
    await Promise.all([...this.procs].map((p) => p.exited));
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
