/**
 * Issue 11 item 5: a city's network end to end over NATS. A seeded synthetic network of 10 radial
 * feeders × 1 000 buses under one substation, 100 subtree zones and 1 000 000 EVs (the default
 * scenario's EV penetration; libs/agents synthetic-scenario.ts) is split into the parties' files as
 * `zonal split` writes them, then run as a deployment would: a private nats-server, the DSO as one
 * process (`zonal-dso --config dso.json`) and the zones grouped into a few host processes (`zonal-zone
 * --config … --config … --host NAME`: one connection and a pool of solver workers each).
 *
 * Reported: wall time from starting the processes to the DSO's exit with its report written (split
 * into start-up and announces, rounds, and the evaluation and report after the last round), peak
 * resident memory of every process (VmHWM of /proc/<pid>/status, polled while it runs — worker threads
 * included, being threads of it — and nats-server's), and messages and bytes per round as a watcher
 * subscribed to `zonal.<runId>.>` and to the DSO's reply inbox sees them (solve requests, their
 * replies, the round record). Goals: under 120 s and 8 GB in all.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticNegotiationScenario } from '@zonal/agents';
import { DSO_FILE, splitScenario, writePartyFiles, zoneFileName } from '@zonal/coordination';
import { startNatsServer } from '@zonal/protocol';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DSO_APP = join(ROOT, 'apps/dso/bin/zonal-dso.mjs');
const ZONE_APP = join(ROOT, 'apps/zone/bin/zonal-zone.mjs');

/** The private server's max_payload (bytes): see benchScale. */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;

/** Issue 11 item 5's goals for the whole run. */
export const SCALE_GOAL_S = 120;
export const SCALE_GOAL_GB = 8;

export interface ScaleBenchOptions {
  feeders: number;
  busesPerFeeder: number;
  zones: number;
  evs: number;
  /** Zone host processes; the zones are split evenly over them. */
  hosts: number;
  /**
   * Solver threads per host (`--solver-workers`). Default: the cores shared out over the hosts, at
   * least one each — as a deployment of several hosts on one machine would set it. The zone app's own
   * default, min(2, cores), gave 4 hosts 8 threads on 2 cores: 2 hosts of 10 zones, 200 000 EVs, took
   * 94.0 s and 1.10–1.15 GB a host with 2 threads each, 84.2 s and 0.99 GB with 1.
   */
  solverWorkers?: number;
  seed: number;
  /** The negotiation's wall-clock budget (s): past it the DSO stops, not converged, and reports. */
  budgetS: number;
  /** How long the DSO waits for a zone's reply (ms): a host answers its zones one solver thread at a time. */
  zoneTimeoutMs: number;
  /** How long the DSO waits for every announce (s). */
  announceTimeoutS: number;
  /** Past this (s) the run is stopped and reported as far as it got. */
  limitS: number;
  /** Where the parties' files and the report go (default: a folder in the OS temp dir, removed after). */
  dir?: string;
}

export const SCALE_DEFAULTS: ScaleBenchOptions = {
  feeders: 10, busesPerFeeder: 1000, zones: 100, evs: 1_000_000, hosts: 4, seed: 20251123,
  budgetS: 1800, zoneTimeoutMs: 300_000, announceTimeoutS: 600, limitS: 3600,
};

export interface ScaleBenchRow {
  network: string;
  evs: number;
  processes: string;
  /** Generating the network and fleet and writing the parties' files (the harness's part, not timed in the run). */
  setupS: number;
  /** Processes started → DSO exited with its report written (a string when the run was stopped at `limitS`). */
  wallS: number | string;
  /** Processes started → the DSO has every zone's announce (loading each zone's file, its envelope groups, a warm solve). */
  startAndAnnounceS: number | string;
  /** From every announce to the last round's record: the DSO's baseline and clearing, then the rounds. */
  negotiationS: number | null;
  rounds: number;
  /** Mean of rounds 2…N (round 1 also carries the baseline and the clearing of the bids). */
  sPerRound: number | null;
  /** The last round's record → the DSO's exit: evaluation of the delivered point, report files. */
  evaluationAndReportS: number | null;
  converged: string;
  peakRssGbTotal: number;
  peakRssMbPerProcess: string;
  /** CPU time of each process (all its threads, solver workers included), as last read while it ran: what dominates. */
  cpuSPerProcess: string;
  messagesPerRound: number;
  kbPerRound: number;
  /** Every message the watcher saw, heartbeats and announces included. */
  messagesTotal: number;
  mbTotal: number;
  announcesMb: number;
  /** The DSO's state kept after each round (JetStream key-value puts), per round. */
  stateKbPerRound: number;
  goal: string;
  met: string;
}

/** Runs the benchmark once (minutes) and returns its one row. */
export async function benchScale(options: Partial<ScaleBenchOptions> = {}): Promise<ScaleBenchRow[]> {
  const o = { ...SCALE_DEFAULTS, ...options };
  const say = (line: string) => process.stderr.write(`  [scale] ${line}\n`);
  const dir = o.dir ?? join(tmpdir(), `zonal-scale-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const parties = join(dir, 'parties'), out = join(dir, 'out');

  const t0 = performance.now();
  say(`generating ${o.feeders} feeders × ${o.busesPerFeeder} buses, ${o.zones} zones, ${o.evs} EVs…`);
  const syn = syntheticNegotiationScenario({ feeders: o.feeders, buses: o.busesPerFeeder, zones: o.zones, evs: o.evs, seed: o.seed, dir });
  const scenario = { ...syn.scenario, negotiation: { ...syn.scenario.negotiation, budgetS: o.budgetS, zoneTimeoutMs: o.zoneTimeoutMs } };
  const split = await splitScenario(scenario, syn.feeder);
  writePartyFiles(parties, split);
  const setupS = (performance.now() - t0) / 1000;
  const ids = split.zones.map((z) => z.config.id);
  say(`parties' files written in ${setupS.toFixed(1)} s (${parties})`);

  // The processes start together: the bundle is brought up to date once here, not raced by each of them.
  execFileSync(process.execPath, [join(ROOT, 'tools/scripts/build.mjs')], { cwd: ROOT, stdio: 'ignore' });
  const children: Array<{ name: string; child: ChildProcess; peakKb: number; cpuS: number }> = [];
  // A zone of 10 000 EVs announces ≈ 1 MB of envelope groups (window-energy), at or over nats-server's
  // default max_payload of 1 MB: the server takes 8 MB, as a deployment of such zones would set it.
  const conf = join(dir, 'nats-server.conf');
  writeFileSync(conf, `max_payload: ${MAX_PAYLOAD_BYTES}\njetstream: { store_dir: ${JSON.stringify(join(dir, 'jetstream'))} }\n`);
  const nats = await startNatsServer({ configFile: conf });
  // Stopped (Ctrl-C), the benchmark stops what it started.
  const onSignal = () => { for (const c of children) c.child.kill('SIGKILL'); void nats.stop().finally(() => process.exit(130)); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runId = `scale-${Date.now().toString(36)}`;
  let natsPeakKb = 0;
  try {
    const traffic = await watchTraffic(nats.url, runId);
    const common = ['--nats', nats.url, '--run-id', runId];
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    // ZONAL_SCALE_NODE_ARGS: node flags for every process started (e.g. "--cpu-prof --cpu-prof-dir=DIR" to profile them).
    const nodeArgs = (process.env.ZONAL_SCALE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const startProcess = (name: string, entry: string, args: string[]) => {
      const child = spawn(process.execPath, [...nodeArgs, entry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const rec = { name, child, peakKb: 0, cpuS: 0, stderr: '' };
      const log = createWriteStream(join(logs, `${name}.log`));
      child.stderr!.on('data', (d: Buffer) => {
        log.write(d);
        rec.stderr = (rec.stderr + d.toString()).slice(-20_000);
        for (const line of d.toString().split('\n')) if (/announced \(|error|refused|cannot|timeout|stopped|converged|all \d+ zones/i.test(line)) say(`${name}: ${line}`);
      });
      children.push(rec);
      return rec;
    };
    const tStart = performance.now();
    const groups = evenGroups(ids, o.hosts);
    const dso = startProcess('dso', DSO_APP, ['--config', join(parties, DSO_FILE), '--out', out, '--announce-timeout-ms', String(o.announceTimeoutS * 1000), ...common]);
    const solverWorkers = o.solverWorkers ?? Math.max(1, Math.floor(availableParallelism() / o.hosts));
    const hosts = groups.map((g, k) => startProcess(`host-${k + 1}`, ZONE_APP, [
      ...g.flatMap((id) => ['--config', join(parties, zoneFileName(id))]), '--host', `bench-${k + 1}`,
      '--solver-workers', String(solverWorkers), ...common,
    ]));
    // VmHWM only grows: polled until each process exits, the last value read is its peak.
    const sample = () => {
      for (const c of children) {
        if (c.child.exitCode !== null || !c.child.pid) continue;
        c.peakKb = Math.max(c.peakKb, peakKb(c.child.pid));
        c.cpuS = Math.max(c.cpuS, cpuS(c.child.pid));
      }
      natsPeakKb = Math.max(natsPeakKb, peakKb(nats.pid));
    };
    const poll = setInterval(sample, 200);
    let announcedAt: number | null = null;
    dso.child.stderr!.on('data', (d: Buffer) => { if (announcedAt === null && /all \d+ zones announced/.test(d.toString())) announcedAt = performance.now(); });
    // A run past the limit is stopped and reported as far as it got: its phase, its rounds, its memory.
    let limitTimer: NodeJS.Timeout | undefined;
    const dsoCode = await Promise.race([
      new Promise<number>((res) => dso.child.on('exit', (code) => res(code ?? 1))),
      new Promise<null>((res) => { limitTimer = setTimeout(() => res(null), o.limitS * 1000); }),
    ]);
    clearTimeout(limitTimer);
    const tEnd = performance.now();
    if (dsoCode === null) {
      sample();
      for (const c of children) c.child.kill('SIGKILL');
    }
    await Promise.all(hosts.map((h) => new Promise<void>((res) => {
      if (h.child.exitCode !== null || h.child.signalCode !== null) return res();
      const timer = setTimeout(() => h.child.kill('SIGTERM'), 10_000);
      h.child.on('exit', () => { clearTimeout(timer); res(); });
    })));
    clearInterval(poll);
    await traffic.close();
    // A DSO that failed (exit 2, 3, 70: no report) is a result too: when, and its last words.
    const finished = dsoCode === 0 || dsoCode === 1;
    const report = !finished ? null
      : JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { converged: boolean; rounds: number; stoppedBy?: string; stalled?: boolean; roundLimitHit?: boolean };
    for (const h of hosts) if (h.child.exitCode !== 0 && finished) say(`${h.name} exited with code ${h.child.exitCode}`);

    const roundsAt = traffic.roundTimes;
    const rounds = report?.rounds ?? roundsAt.length;
    const lastRound = roundsAt.at(-1) ?? tEnd;
    const perRound = traffic.perRound();
    const processes = [...children.map((c) => ({ name: c.name, kb: c.peakKb })), { name: 'nats-server', kb: natsPeakKb }];
    const totalGb = processes.reduce((a, p) => a + p.kb, 0) / 1024 / 1024;
    const wallS = (tEnd - tStart) / 1000;
    const lastWords = dso.stderr.trim().split('\n').filter((l) => !l.startsWith('round ') && !l.startsWith('hint: ')).at(-1) ?? '';
    return [{
      network: `${o.feeders} feeders × ${o.busesPerFeeder} buses (${syn.feeder.buses.length} buses), ${ids.length} zones`,
      evs: o.evs,
      processes: `dso + ${hosts.length} hosts (${groups.map((g) => g.length).join('/')} zones, ${solverWorkers} solver thread${solverWorkers > 1 ? 's' : ''} each) + nats-server`,
      setupS,
      wallS: dsoCode === null ? `> ${o.limitS} (stopped)` : finished ? wallS : `${wallS.toFixed(0)} (the DSO failed)`,
      startAndAnnounceS: announcedAt === null ? `> ${wallS.toFixed(0)}` : (announcedAt - tStart) / 1000,
      negotiationS: roundsAt.length ? (lastRound - (announcedAt ?? tStart)) / 1000 : null,
      rounds,
      sPerRound: roundsAt.length > 1 ? (roundsAt.at(-1)! - roundsAt[0]) / (roundsAt.length - 1) / 1000 : null,
      evaluationAndReportS: finished ? (tEnd - lastRound) / 1000 : null,
      converged: dsoCode === null ? `not finished: stopped after ${o.limitS} s with ${roundsAt.length} round(s) done; the DSO's last line: "${lastWords}"`
        : report === null ? `no: the DSO exited with code ${dsoCode} after ${roundsAt.length} round(s): "${lastWords}"`
        : report.converged ? 'yes' : `no (${report.stoppedBy ?? (report.stalled ? 'stalled' : report.roundLimitHit ? 'round limit' : 'see report')})`,
      peakRssGbTotal: totalGb,
      peakRssMbPerProcess: processes.map((p) => `${p.name} ${(p.kb / 1024).toFixed(0)}`).join(', '),
      cpuSPerProcess: children.map((c) => `${c.name} ${c.cpuS.toFixed(0)}`).join(', '),
      messagesPerRound: perRound.messages,
      kbPerRound: perRound.bytes / 1024,
      messagesTotal: traffic.total.messages,
      mbTotal: traffic.total.bytes / 1024 / 1024,
      announcesMb: traffic.announceBytes / 1024 / 1024,
      stateKbPerRound: rounds > 0 ? traffic.state.bytes / rounds / 1024 : 0,
      goal: `under ${SCALE_GOAL_S} s and ${SCALE_GOAL_GB} GB in all`,
      met: `time ${finished && wallS < SCALE_GOAL_S ? 'yes' : 'no'}, memory ${totalGb < SCALE_GOAL_GB ? 'yes' : 'no'}`,
    }];
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await nats.stop();
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `ids` in `count` even runs of consecutive ids. */
function evenGroups(ids: readonly number[], count: number): number[][] {
  const n = Math.min(count, ids.length);
  return Array.from({ length: n }, (_, k) => ids.slice(Math.floor((k * ids.length) / n), Math.floor(((k + 1) * ids.length) / n)));
}

/** Whether `needle` occurs in the first 256 bytes of `data` (a message's envelope header comes first). */
function includes(data: Uint8Array, needle: Uint8Array): boolean {
  const end = Math.min(data.length, 256) - needle.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** A process's CPU time so far (s: user + system, every thread), 0 once it is gone. */
function cpuS(pid: number): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** USER_HZ: Linux reports /proc times in 1/100 s on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** A process's peak resident set (kB), 0 once it is gone. */
function peakKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Count { messages: number; bytes: number }

/**
 * Counts what crosses the server for the run: every subject of it (`zonal.<runId>.>`: announces,
 * solve requests, the DSO's status, round records, control) and the replies to the DSO's requests
 * (its inbox `_INBOX_dso.>`: the zones' solve replies, on a private server only this run's).
 * A round's traffic is what the watcher saw between one round record and the next.
 */
async function watchTraffic(url: string, runId: string) {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers: url, name: 'scale-watcher' });
  const total: Count = { messages: 0, bytes: 0 };
  const roundTimes: number[] = [];
  /** Solve requests, their replies and round records, per round window. */
  const windows: Count[] = [{ messages: 0, bytes: 0 }];
  let announceBytes = 0;
  const state: Count = { messages: 0, bytes: 0 };
  const roundSubject = `zonal.${runId}.round`;
  const count = (subject: string, bytes: number) => {
    total.messages++;
    total.bytes += bytes;
    if (subject.endsWith('.announce')) announceBytes += bytes;
    if (subject.endsWith('.solve') || subject.startsWith('_INBOX_dso.') || subject === roundSubject) {
      const w = windows.at(-1)!;
      w.messages++;
      w.bytes += bytes;
    }
    if (subject === roundSubject) {
      roundTimes.push(performance.now());
      windows.push({ messages: 0, bytes: 0 });
    }
  };
  nc.subscribe(`zonal.${runId}.>`, { callback: (e, m) => { if (!e) count(m.subject, m.data.length); } });
  // The DSO's inbox also takes JetStream's acknowledgements of its records: only the run's own messages (the zones' replies) count.
  const runTag = new TextEncoder().encode(`"runId":"${runId}"`);
  nc.subscribe('_INBOX_dso.>', { callback: (e, m) => { if (!e && includes(m.data, runTag)) count(m.subject, m.data.length); } });
  // The DSO's state after each round (its JetStream key-value bucket): kept beside the negotiation, counted apart.
  nc.subscribe('$KV.ZONAL_DSO_STATE.>', { callback: (e, m) => { if (!e && m.subject.includes(`.${runId}.`)) { state.messages++; state.bytes += m.data.length; } } });
  await nc.flush();
  return {
    total, roundTimes, state,
    get announceBytes() { return announceBytes; },
    /** Mean over the completed rounds (each round's requests, replies and its record). */
    perRound(): Count {
      const done = windows.slice(0, roundTimes.length);
      if (!done.length) return { messages: 0, bytes: 0 };
      return { messages: done.reduce((a, w) => a + w.messages, 0) / done.length, bytes: done.reduce((a, w) => a + w.bytes, 0) / done.length };
    },
    close: () => nc.drain(),
  };
}

// `node tools/scripts/run-ts.mjs tools/bench/src/scale.ts [feeders buses zones evs hosts solverThreads]`: one run, as JSON.
if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [feeders, busesPerFeeder, zones, evs, hosts, solverWorkers] = process.argv.slice(2).map(Number);
  const rows = await benchScale({
    ...(feeders ? { feeders } : {}), ...(busesPerFeeder ? { busesPerFeeder } : {}), ...(zones ? { zones } : {}), ...(evs ? { evs } : {}), ...(hosts ? { hosts } : {}),
    ...(solverWorkers ? { solverWorkers } : {}),
    ...(process.env.SCALE_DIR ? { dir: process.env.SCALE_DIR } : {}),
  });
  console.log(JSON.stringify(rows, null, 2));
  process.exit(0);
}
