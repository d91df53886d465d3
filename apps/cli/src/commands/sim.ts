import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { answerGateFor, runDsoAgent, startZoneAgent, withOracle, writeSimReport, type SimReport } from '@zonal/agents';
import {
  DEFAULT_BUDGET_S, DSO_FILE, excludedEvMessages, loadDsoFile, loadZoneDir, simSetupOf, solveCentralised, splitScenario, writePartyFiles, zoneFileName,
  type CentralisedResult, type SimSetup,
} from '@zonal/coordination';
import {
  describeAuth, InProcessBus, natsAuthEnv, natsAuthFromOptions, NatsTransport, natsAvailable, startLocalNatsServer, validateReplicas, type LocalNatsServer, type NatsAuth,
} from '@zonal/protocol';
import { clock, loadScenario, type DsoConfig } from '@zonal/scenario';
import { configureSolver, shutdownSolver, solverConfig } from '@zonal/solver';
import { table } from '../table';
import { action, printJson, RunIncomplete } from '../run';
import { DSO_APP, ZONE_APP } from './agents';
import { withNatsAuthOptions } from './nats-options';
import { horizonMode, simRolling } from './sim-rolling';
import { startInProcessLane } from './sim-solver';
import { summary } from './index';

/** Where `zonal sim` looks for NATS first; ZONAL_NATS_URL changes it (the tests point it elsewhere). */
const DEFAULT_NATS = process.env.ZONAL_NATS_URL ?? 'nats://127.0.0.1:4222';

export interface RoundProgress { round: number; primalResidualKw: number; dualResidualKw: number; totalCostYuan: number; centralisedCostYuan?: number }

interface SimOptions { scenario?: string; config?: string; out: string; nats?: string; json?: boolean; mode: string; exportLp?: string; roundsReplicas: string; horizon?: string; zoneProcesses?: string }

export function registerSim(program: Command): void {
  withNatsAuthOptions(program
    .command('sim'))
    .description(summary('sim'))
    .option('--scenario <file>', 'scenario JSON file or built-in name (default: default), split into the parties\' files under OUT/parties')
    .option('--config <dir>', 'instead of --scenario: a directory of parties\' files (zonal split --out DIR)')
    .option('--out <dir>', 'where report.json, the CSVs, the parties\' files and each zone\'s schedules go', 'zonal-report')
    .option('--nats <url>', `NATS server to use (default: ${DEFAULT_NATS} if it answers, else a local nats-server, else in-process)`)
    .option('--mode <mode>', 'negotiate (default) or centralised', 'negotiate')
    .option('--json', 'print the report as one JSON object instead of tables')
    .option('--export-lp <dir>', 'write every model each party solves as CPLEX LP files: DIR/dso/, DIR/zone-<id>/')
    .option('--horizon <mode>', 'day-ahead, or rolling: the day re-negotiated every negotiation.horizon.everyPeriods periods on what has happened, beside the day-ahead plan held and the hindsight optimum (default: the scenario\'s negotiation.horizon.mode)')
    .option('--zone-processes <n>', 'how many processes the zones run in over NATS (each zone its own party in them; default: one per core beside the DSO\'s, at least one per 8 zones)')
    .option('--rounds-replicas <n>', 'replicas of the ZONAL_ROUNDS stream when the DSO creates it (1-5; 3 on a JetStream cluster survives losing a server); an existing stream is used as it is', '1')
    .action(action(async (o: SimOptions) => {
      const stop = stopOnSignals();
      try {
        return await (horizonMode(o) === 'rolling' ? simRolling(o) : sim(o));
      } finally {
        stop();
        await shutdownSolver();
      }
    }));
}

/** Every agent process this run started: stopped on any exit of `zonal sim`, signals included. */
const started = new Set<ChildProcess>();

/** Exit codes on a signal, as shells report them: 128 + the signal's number. */
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * On SIGINT or SIGTERM: stop every agent process (SIGTERM, then SIGKILL after 2 s) and exit with
 * 130 / 143; a nats-server this run started is stopped by its own exit hook. Returns the uninstaller.
 */
function stopOnSignals(): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`zonal sim: ${signal}: stopping the DSO and the zones it started\n`);
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      process.exit(SIGNAL_EXIT[signal] ?? 1);
    }, started.size ? 2000 : 0);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); };
}

async function sim(o: SimOptions): Promise<number> {
  const t0 = performance.now();
  const say = (line: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
  if (o.mode !== 'negotiate' && o.mode !== 'centralised') throw new InputError(`must be negotiate or centralised, got "${o.mode}"`, '--mode');
  if (o.scenario && o.config) throw new InputError('give either --scenario FILE or --config DIR', '--config');
  // Refused here, before any process starts, rather than by the DSO once the zones run.
  const roundsReplicas = validateReplicas(o.roundsReplicas, '--rounds-replicas');
  const outDir = resolve(o.out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new InputError('is a file, not a directory', '--out');
  mkdirSync(outDir, { recursive: true });

  // The harness's solver thread started before this module loaded (the command's `prepare`, commands/index.ts).
  // The NATS server is found (or started) beside the split: it waits on sockets and a process, the split on the CPU.
  const auth = natsAuthFromOptions(o as unknown as Record<string, unknown>);
  const natsChoice = o.mode === 'centralised' ? Promise.resolve(null) : chooseNats(o.nats, say, auth);
  natsChoice.catch(() => undefined);

  // The harness runs the parties' own files: a scenario is split into them first (as `zonal split`).
  const partiesDir = o.config ? resolve(o.config) : join(outDir, 'parties');
  let dsoConfig: DsoConfig, zoneProcesses: ReturnType<typeof zoneProcessesOption>;
  try {
    if (!o.config) {
      const scenario = loadScenario(o.scenario ?? 'default');
      say(`scenario "${scenario.name}" (seed ${scenario.seed}): splitting into the DSO's and the zones' files…`);
      writePartyFiles(partiesDir, await splitScenario(scenario));
    }
    dsoConfig = loadDsoFile(join(partiesDir, DSO_FILE));
    zoneProcesses = zoneProcessesOption(o.zoneProcesses, dsoConfig.zones.length);
  } catch (e) {
    // A nats-server started for this run beside the split is not left running.
    await (await natsChoice.catch(() => null))?.local?.stop();
    throw e;
  }
  // The oracle's cost, once the harness has it: the rounds' progress lines show the gap to it.
  let oracleCost: number | undefined;
  const progress = (r: RoundProgress) => {
    const ref = r.centralisedCostYuan ?? oracleCost;
    const gap = ref === undefined ? '' : `, gap to centralised ${((100 * (r.totalCostYuan - ref)) / ref).toFixed(3)}%`;
    say(`round ${String(r.round).padStart(3)}: primal ${r.primalResidualKw.toFixed(3)} kW, dual ${r.dualResidualKw.toFixed(3)} kW, cost ${r.totalCostYuan.toFixed(2)} yuan${gap}`);
  };
  const nats = await natsChoice;
  if (!nats && o.mode === 'negotiate') startInProcessLane();
  const runId = `sim-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  let sim: SimSetup, report: SimReport, oracle: Promise<CentralisedResult>;
  try {
    // Over NATS the agents start first: each loads its own file while the harness loads all of them
    // (its oracle's), rather than after (a quarter of a second of zod and envelopes on the default scenario).
    const agents = nats && await launchAgents(nats.url, auth, runId, partiesDir, outDir, agentRunOf(dsoConfig), lpDirs(o.exportLp), progress, say, roundsReplicas, zoneProcesses);
    try {
      sim = simSetupOf(dsoConfig, loadZoneDir(partiesDir));
    } catch (e) {
      await agents?.abandon();
      throw e;
    }
    say(`${sim.zones.length} zones (files in ${partiesDir}): ${sim.parties.map((p) => `${p.config.id} [${p.config.buses.join(',')}] ${p.problem.fleet.size} EVs, ${p.policy.name}`).join('; ')}`);
    if (o.mode === 'centralised') return centralisedOnly(sim, o.json);

    // Over NATS the oracle is the harness's bookkeeping beside the agents' processes: it gives way to
    // them on a busy machine (4 paired runs on 2 cores: 6.66 s on average against 6.91 s).
    if (agents) configureSolver({ niceness: ORACLE_NICENESS });
    // The oracle is the harness's: it holds every zone file. Solved beside the negotiation.
    const tOracle = performance.now();
    oracle = solveCentralised(sim).then((c) => {
      oracleCost = c.totalCostYuan;
      say(`centralised oracle (the harness's, beside the negotiation): ${c.totalCostYuan.toFixed(2)} yuan, solved in ${((performance.now() - tOracle) / 1000).toFixed(1)} s`);
      return c;
    });
    oracle.catch(() => undefined);
    report = agents ? await agents.finished() : await simInProcess(runId, outDir, sim, oracle, lpDirs(o.exportLp), progress, say);
  } finally {
    await nats?.local?.stop();
  }
  report = { ...withOracle(report, await oracle), excludedEvs: excludedEvMessages(sim), source: { ref: o.config ? partiesDir : o.scenario ?? 'default', dsoFileSha256: sha256(join(partiesDir, DSO_FILE)) } };
  writeSimReport(outDir, report);
  say(`report written (${outDir})`);
  if (o.json) printJson(report);
  else printSummary(report, outDir);
  // A negotiation that stopped short of its tolerances is a result the user must be told of (run.ts).
  return report.converged ? 0 : 1;
}

/** `--mode centralised`: the harness's centralised optimum alone, no agents. */
async function centralisedOnly(sim: SimSetup, json: boolean | undefined): Promise<number> {
  const centralised = await solveCentralised(sim);
  const dso = sim.scenario, c = centralised.dispatch.costs;
  const out = { mode: 'centralised', scenario: dso.name, seed: dso.seed, totalCostYuan: centralised.totalCostYuan, degradationYuan: centralised.degradationYuan, objective: centralised.dispatch.objective, costs: c };
  if (json) printJson(out);
  else console.log(`centralised optimum: ${centralised.totalCostYuan.toFixed(2)} yuan (eq 1 ${c.totalYuan.toFixed(2)} + degradation ${centralised.degradationYuan.toFixed(2)})`);
  return 0;
}

/** The nice value of the harness's solves (its oracle's) while the agents' processes run. */
export const ORACLE_NICENESS = 10;

/** A file's SHA-256, hex: which DSO file (and so which scenario) a report came from. */
function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Where each party writes its LP files (`--export-lp DIR`): its own directory, since each numbers its own solves. */
export interface LpDirs { root?: string; dso?: string; zone(id: number): string | undefined }
export function lpDirs(dir: string | undefined): LpDirs {
  const root = dir === undefined ? undefined : resolve(dir);
  return { root, dso: root && join(root, 'dso'), zone: (id) => root && join(root, `zone-${id}`) };
}

/** SPEC §8 / the brief: a server that answers, else Debian's nats-server started here, else in-process. */
export async function chooseNats(explicit: string | undefined, say: (l: string) => void, auth: NatsAuth): Promise<{ url: string; local?: LocalNatsServer } | null> {
  if (explicit) {
    if (!(await natsAvailable(explicit, 3000, auth))) throw new InputError(`no NATS server answers at ${explicit} with ${describeAuth(auth)}`, '--nats');
    say(`using the NATS server at ${explicit} with ${describeAuth(auth)}`);
    return { url: explicit };
  }
  if (await natsAvailable(DEFAULT_NATS, 1000, auth)) {
    say(`using the NATS server at ${DEFAULT_NATS} (pass --nats URL to use another)`);
    return { url: DEFAULT_NATS };
  }
  // ZONAL_NATS_SERVER_BIN: the nats-server binary to start (default: found on PATH or /usr/sbin).
  const started = await startLocalNatsServer(process.env.ZONAL_NATS_SERVER_BIN ? { binary: process.env.ZONAL_NATS_SERVER_BIN } : {});
  if (started.installed) {
    say(`no NATS server at ${DEFAULT_NATS}: started nats-server at ${started.server.url} (pid ${started.server.pid}) for this run; pass --nats URL to use another`);
    return { url: started.server.url, local: started.server };
  }
  say(`no NATS server answers at ${DEFAULT_NATS} and nats-server is not installed (${started.reason}): running on the in-process transport. Install nats-server or pass --nats URL to run the agents as processes.`);
  return null;
}

/** What the harness gives the agents' processes beside their files: which zones, and the negotiation's budget (s). */
export interface AgentRun { zoneIds: number[]; budgetS: number }

/** The agents' run as the DSO's file (or a setup's scenario) declares it. */
export function agentRunOf(dso: { zones: ReadonlyArray<{ id: number }>; negotiation: { budgetS?: number } }): AgentRun {
  return { zoneIds: dso.zones.map((z) => z.id), budgetS: dso.negotiation.budgetS ?? DEFAULT_BUDGET_S };
}

/** Agents' processes as `launchAgents` started them. */
interface LaunchedAgents { finished(): Promise<SimReport>; abandon(): Promise<void> }

/** What a run adds to the agents' command lines (sim-rolling.ts: `--horizon rolling`, each zone's `--realised`) and to the budget (ms). */
export interface AgentExtras { dsoArgs?: string[]; zoneArgs?: (ids: readonly number[]) => string[]; extraBudgetMs?: number }

export async function simOverNats(...args: Parameters<typeof launchAgents>): Promise<SimReport> {
  return (await launchAgents(...args)).finished();
}

/**
 * The DSO's and the zones' processes started over NATS (resolves once they are spawned): `finished()`
 * is their report when they are done; `abandon()`, when the harness fails before then, stops every
 * process and no longer shows their output.
 */
async function launchAgents(url: string, auth: NatsAuth, runId: string, partiesDir: string, outDir: string, run: AgentRun, lp: LpDirs,
  progress: (r: RoundProgress) => void, say: (l: string) => void, roundsReplicas: number, zoneProcesses: number | undefined, extras: AgentExtras = {}): Promise<LaunchedAgents> {
  const watcher = await NatsTransport.connect({ servers: url, name: 'sim', runId, requireJetStream: false, auth });
  const rounds = watcher.subscribe(watcher.subjects.round, (m) => { if (m.type === 'roundRecord') progress(m.body); });
  await watcher.flush();
  const common = ['--nats', url, '--run-id', runId];
  // Set by abandon(): the agents' last lines are then not the harness's output.
  let quiet = false;
  const spawnApp = (entry: string, args: string[], label: string, onLine?: (line: string) => void): ChildProcess => {
    // Credentials go to the agents by environment, never on their command line (visible to `ps`).
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...natsAuthEnv(auth) } });
    started.add(child);
    child.on('exit', () => started.delete(child));
    child.stderr!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        onLine?.(line);
        if (!quiet && !line.startsWith('round ')) say(`  [${label}] ${line}`);
      }
    });
    return child;
  };
  // Zones share processes (`zonal zone --config a --config b …`: one connection, a pool of solver
  // workers each): one per core beside the DSO's by default, up to ZONES_PER_PROCESS zones each.
  const groups = zoneGroups(run.zoneIds, zoneProcesses);
  say(`run ${runId}: starting the DSO and ${groups.length} zone process${groups.length === 1 ? '' : 'es'}${groups.length < run.zoneIds.length ? ` for ${run.zoneIds.length} zones` : ''}`);
  const lpArgs = (dir: string | undefined) => (dir ? ['--export-lp', dir] : []);
  // A zone that refuses its input (exit 2) would only be waited for: stop the run and say why.
  let refused: string | undefined;
  // Called from the zones' output and exits, which come after the DSO has been started below.
  function refuse(why: string): void {
    if (refused || dso.exitCode !== null) return;
    refused = why;
    dso.kill('SIGTERM');
  }
  const zones = groups.map((ids) => {
    if (ids.length === 1) return spawnApp(ZONE_APP, ['--config', join(partiesDir, zoneFileName(ids[0])), ...extras.zoneArgs?.(ids) ?? [], '--out', join(outDir, 'zones'), ...lpArgs(lp.zone(ids[0])), ...common], `zone ${ids[0]}`);
    // A host ends when all its zones have: a zone of it that the DSO refused is told by its line.
    return spawnApp(ZONE_APP, [...ids.flatMap((id) => ['--config', join(partiesDir, zoneFileName(id))]), ...extras.zoneArgs?.(ids) ?? [], '--host', `sim-${ids[0]}-${ids.at(-1)}`,
      '--solver-workers', String(hostSolverWorkers(groups.length)), '--out', join(outDir, 'zones'), ...lpArgs(lp.root), ...common],
      `zones ${ids[0]}-${ids.at(-1)}`, (line) => {
        const m = /^zone (\d+): the DSO refused the announce/.exec(line);
        if (m) refuse(`zone ${m[1]} refused its input (its message is above)`);
      });
  });
  const dso = spawnApp(DSO_APP, ['--config', join(partiesDir, DSO_FILE), '--out', outDir, ...lpArgs(lp.dso), '--rounds-replicas', String(roundsReplicas), ...extras.dsoArgs ?? [], ...common], 'dso');
  zones.forEach((z, k) => z.on('exit', (code) => {
    if (code === 2) refuse(groups[k].length === 1 ? `zone ${groups[k][0]} refused its input (its message is above)` : `zones ${groups[k].join(', ')}: one refused its input (its message is above)`);
  }));
  // Awaited from the start, so no exit passes unheard while the harness loads its files.
  const report = (async (): Promise<SimReport> => {
    // The run's wall-clock budget: the negotiation's own, and time to start, announce and report.
    const budgetMs = run.budgetS * 1000 + SIM_GRACE_MS + (extras.extraBudgetMs ?? 0);
    let overBudget = false;
    const watchdog = setTimeout(() => {
      overBudget = true;
      say(`the run is past its budget of ${budgetMs / 1000} s: stopping the DSO and the zones`);
      for (const c of started) if (c.exitCode === null) c.kill('SIGTERM');
      setTimeout(() => { for (const c of started) if (c.exitCode === null) c.kill('SIGKILL'); }, 2000).unref();
    }, budgetMs);
    const dsoCode = await new Promise<number>((res) => dso.on('exit', (code) => res(code ?? 1)));
    clearTimeout(watchdog);
    // Zones leave on the DSO's shutdown message; any that linger are stopped.
    await Promise.all(zones.map((z) => new Promise<void>((res) => {
      if (z.exitCode !== null || z.signalCode !== null) return res();
      const timer = setTimeout(() => z.kill('SIGTERM'), 5000);
      z.on('exit', () => { clearTimeout(timer); res(); });
    })));
    rounds.unsubscribe();
    await watcher.close();
    if (refused) throw new InputError(refused, 'zonal sim');
    if (overBudget) throw new RunIncomplete(`the run did not finish within its budget of ${budgetMs / 1000} s (negotiation.budgetS + ${SIM_GRACE_MS / 1000} s to start and report); every process it started is stopped`);
    // Exit 1 with this run's report is a negotiation that did not converge: a result, summed up below.
    const reportFile = join(outDir, 'report.json');
    const written = (dsoCode === 0 || dsoCode === 1) && existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) as SimReport : null;
    if (written?.runId === runId) return written;
    throw new RunIncomplete(`the DSO process exited with code ${dsoCode} before writing its report (its messages are above); every process this run started is stopped`);
  })();
  report.catch(() => undefined);
  return {
    finished: () => report,
    async abandon() {
      quiet = true;
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await report.catch(() => undefined);
    },
  };
}

/**
 * Solver threads for each of `hosts` zone processes: the cores beside the DSO's shared out, one at
 * least, two at most (`zonal zone`'s own default). On this 2-core machine one, not two: the host's
 * second thread only fought the DSO's clearing for a core (default scenario over NATS, 4 paired runs:
 * 7.13 s on average against 7.51 s).
 */
function hostSolverWorkers(hosts: number): number {
  return Math.max(1, Math.min(2, Math.floor((availableParallelism() - 1) / hosts)));
}

/** Most zones `zonal sim` runs in one zone process; more zones are split evenly over ceil(zones / this) processes. */
const ZONES_PER_PROCESS = 8;

/**
 * The zones' processes: `processes` of them (default: one per core beside the DSO's, at least
 * ceil(zones / ZONES_PER_PROCESS)), each an even run of consecutive zones. Every zone stays its own
 * party (its own file, identity and state, zone-host.ts); what a process shares is a connection and
 * a solver pool. On this 2-core machine, one process for the default 4 zones ran `zonal sim` in 41-50 s
 * under load where four processes took 62-70 s: each process compiles HiGHS and loads the bundle,
 * and four of them fought over two cores.
 */
export function zoneGroups(ids: readonly number[], processes = defaultZoneProcesses(ids.length)): number[][] {
  const count = Math.max(1, Math.min(ids.length, Math.max(processes, Math.ceil(ids.length / ZONES_PER_PROCESS))));
  return Array.from({ length: count }, (_, k) => ids.slice(Math.floor((k * ids.length) / count), Math.floor(((k + 1) * ids.length) / count)));
}

function defaultZoneProcesses(zones: number): number {
  return Math.min(zones, Math.max(1, availableParallelism() - 1));
}

/** `--zone-processes`: an integer from 1 to the number of zones. */
export function zoneProcessesOption(value: string | undefined, zones: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > zones) throw new InputError(`must be an integer from 1 to ${zones} (the zones), got "${value}"`, '--zone-processes');
  return n;
}

/** Beyond the negotiation's budget, what a run gets to start, announce and write its report (ms). */
const SIM_GRACE_MS = 120_000;

async function simInProcess(runId: string, outDir: string, sim: SimSetup, oracle: Promise<CentralisedResult>, lp: LpDirs,
  progress: (r: RoundProgress) => void, say: (l: string) => void): Promise<SimReport> {
  const bus = new InProcessBus();
  // The DSO first: a zone that announces to no DSO yet waits half a second before it tries again.
  let listening!: () => void;
  const heard = new Promise<void>((resolve) => { listening = resolve; });
  const dsoRun = runDsoAgent({
    transport: bus.connect({ runId, name: 'dso' }), network: sim, transportLabel: 'in-process', outDir, exportLpDir: lp.dso,
    log: (l) => say(`  [dso] ${l}`), onRound: progress, oracle: () => oracle, onListening: listening,
  });
  dsoRun.catch(() => undefined);
  // A DSO that fails before it listens ends the run here, with its own error.
  await Promise.race([heard, dsoRun]);
  // The zones share the process's solver threads: one more than those works on an answer at a time (AnswerGate).
  const answerGate = answerGateFor(sim.parties.length, solverConfig().workers);
  const agents = await Promise.all(sim.parties.map((party) => startZoneAgent({
    transport: bus.connect({ runId, name: `zone${party.config.id}` }), party, outDir: join(outDir, 'zones'), exportLpDir: lp.zone(party.config.id), answerGate,
  })));
  try {
    const { report } = await dsoRun;
    await Promise.all(agents.map((a) => a.done));
    return report;
  } finally {
    // A DSO that failed mid-run leaves its zones waiting for a restart; here there is none to wait for.
    await Promise.all(agents.map((a) => a.stop()));
  }
}

const f2 = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** What the zones reported of their EVs' schedules (SPEC §8 step 3), summed over the zones. */
function deliveryLine(zones: SimReport['zones']): string {
  const rows = zones.flatMap((z) => (z.delivery ? [z.delivery] : []));
  const total = (key: 'evsFeasible' | 'evsScheduled' | 'shortfallKwh' | 'overKwh') => rows.reduce((a, d) => a + d[key], 0);
  const feasible = total('evsFeasible'), scheduled = total('evsScheduled');
  const evs = feasible === scheduled ? `all ${scheduled} scheduled EVs proven feasible in their zones` : `only ${feasible} of ${scheduled} scheduled EVs feasible (see report.json)`;
  const silent = zones.length - rows.length;
  return `EV delivery: ${evs}; the EVs take ${total('overKwh').toFixed(6)} kWh beyond and ${total('shortfallKwh').toFixed(6)} kWh short of the aggregates their zones solved` +
    `${silent ? `; ${silent} zone(s) never answered` : ''}`;
}

function printSummary(r: SimReport, outDir: string): void {
  console.log(`\nZonal negotiation — scenario "${r.scenario}" (seed ${r.seed}), run ${r.runId}, transport ${r.transport}`);
  console.log(`method ${r.method}: ${r.converged ? `converged in ${r.rounds} rounds` : r.stoppedBy ? `NOT converged: stopped by ${r.stoppedBy}` : r.unanswered?.length ? `NOT converged: zone(s) ${r.unanswered.join(', ')} never gave an acceptable answer (stopped after ${r.rounds} rounds)` : r.deliveryUnmet ? `NOT converged: after ${r.deliveryChecks.length} re-plans the point the EVs deliver still breaks a rating (stopped after ${r.rounds} rounds)` : r.stalled ? `NOT converged: no progress in the last rounds, stopped after ${r.rounds} (residual ${r.roundLog.at(-1)?.primalResidualKw.toFixed(2)} kW)` : `NOT converged: round limit ${r.maxRounds} reached`}; gap to the centralised optimum ${r.gapToCentralisedPct === null ? 'not computed' : `${r.gapToCentralisedPct.toFixed(4)}%`}`);
  const c = r.costs;
  const oracle = (v: number | undefined) => (v === undefined ? '–' : f2(v));
  // The result is the delivered point; the DSO's model of the agreed aggregates stands beside it only where it differs.
  const point = r.operatingPoint === 'delivered' ? 'delivered' : 'negotiated';
  const agreed = c.agreed;
  const costs = table({
    head: ['cost (yuan/day)', 'before coordination', point, ...(agreed ? ['agreed aggregates'] : []), 'centralised'],
    colAligns: ['left', 'right', 'right', ...(agreed ? ['right' as const] : []), 'right'], style: { head: [] },
  });
  const row = (label: string, before: string, after: number, agreedValue: number | undefined, central: number | undefined) =>
    costs.push([label, before, f2(after), ...(agreed ? [oracle(agreedValue)] : []), oracle(central)]);
  for (const [label, key] of [['purchase', 'purchase'], ['diesel', 'diesel'], ['curtailment', 'curtailment'], ['carbon', 'carbon'], ['capacity charge', 'demandCharge'], ['total (seed 001)', 'total']] as const) {
    row(label, f2(c.beforeCoordination[key]), c.negotiated[key], agreed?.[key], c.centralised?.[key]);
  }
  row('EV degradation', '0.00', c.negotiated.degradation, agreed?.degradation, c.centralised?.degradation);
  row('total + degradation', f2(c.beforeCoordination.total), c.negotiated.totalWithDegradation, agreed?.totalWithDegradation, c.centralised?.totalWithDegradation);
  row('penalties (soft limits)', f2(c.beforeCoordination.penalties), c.negotiated.penalties, agreed?.penalties, c.centralised?.penalties);
  console.log(costs.toString());
  const before = c.beforeCoordination.total + c.beforeCoordination.penalties;
  const after = c.negotiated.totalWithDegradation + c.negotiated.penalties;
  console.log(`cost reduction by coordination: ${c.reductionPct.toFixed(1)}% (${(100 * (before - after) / before).toFixed(1)}% with the penalties); ` +
    `substation peak ${r.peakShaving.peakPurchaseBeforeKw.toFixed(0)} → ${r.peakShaving.peakPurchaseAfterKw.toFixed(0)} kW (${r.peakShaving.purchaseReductionPct.toFixed(1)}% shaved)`);
  console.log(seedTable(r).toString());

  const zones = table({ head: ['zone', 'policy', 'buses', 'EVs', 'target kWh (charge / discharge)', 'achieved kWh', 'RMS mismatch kW'], style: { head: [] } });
  // Energy: each period's kW times its length (kWh per period = kW at 1 h, a quarter of it at 0.25 h).
  const dtH = r.run.dtH;
  const split = (xs: number[]) => `${(dtH * xs.filter((x) => x > 0).reduce((a, b) => a + b, 0)).toFixed(0)} / ${(-dtH * xs.filter((x) => x < 0).reduce((a, b) => a + b, 0)).toFixed(0)}`;
  for (const z of r.zones) zones.push([z.id, z.policy, z.buses.join(','), `${z.scheduledEvs}/${z.evs}`, split(z.targetKw), split(z.achievedKw), z.mismatchRmsKw.toFixed(3)]);
  console.log(zones.toString());
  console.log(deliveryLine(r.zones));
  if (r.trades.length) {
    const trades = table({ head: ['tie line', 'zones', 'energy kWh/day', 'value yuan', 'avg price', 'congestion rent'], style: { head: [] } });
    for (const t of r.trades) trades.push([`${t.from}-${t.to}`, `${t.fromZone}→${t.toZone}`, t.energyKwh.toFixed(0), f2(t.valueYuan), t.avgPriceYuanPerKwh.toFixed(3), f2(t.congestionRentYuan)]);
    console.log(trades.toString());
  }
  console.log(`AC check: losses ${r.ac.lossKwh.toFixed(1)} kWh/day (LP ${r.ac.lpLossKwh.toFixed(1)}), minimum voltage ${r.ac.vminPu.toFixed(4)} pu at bus ${r.ac.vminBus}, ${clock(r.ac.vminHour)}; ` +
    `max |V_LP − V_AC| ${r.ac.maxAbsVDiffPu.toExponential(1)} pu; violations ${r.ac.violations} (before coordination: ${r.acBefore.violations}, vmin ${r.acBefore.vminPu.toFixed(4)} pu)`);
  if (r.evCaps?.length) console.log(evCapsLine(r.evCaps));
  for (const d of r.deliveryChecks ?? []) console.log(`round ${d.round}: agreed, but the point the EVs deliver broke ${d.violations} limit(s); the DSO tightened ${d.tightened.join(', ')} in its model and went on`);
  const kept = r.deliveryKept;
  if (kept) {
    console.log(`round ${kept.round}: agreed on a point whose delivery still breaks ${kept.violations} soft limit(s) (penalties ${f2(kept.penaltyYuan)} yuan, in the costs above): ` +
      `re-planning had stopped lowering what it costs (${f2(kept.deliveredCostYuan)} yuan against ${f2(kept.bestCostYuan)} at the best check before, within negotiation.admm.relCostTol)`);
  }
  if (r.incidents.length) console.log(`incidents: ${r.incidents.map((i) => `round ${i.round} zone ${i.zoneId} ${i.status}${i.status === 'refused' || i.status === 'stalled' ? ` (${i.detail})` : ''}`).join('; ')}`);
  if (r.transport === 'in-process' && r.incidents.some((i) => i.status === 'timeout')) {
    // In process every zone waits its turn on the same cores as the DSO: a timeout there says the
    // machine was busy, not that a zone failed, and it sends the run down another path.
    console.log(`zones timed out on the in-process transport, where they share this machine's cores with the DSO and each other: raise the scenario's negotiation.zoneTimeoutMs for a run that does not depend on the machine's load, or run the zones as processes (--nats)`);
  }
  if (r.excludedEvs.length) console.log(`${r.excludedEvs.length} EV(s) left out of every envelope (listed in report.json), e.g. ${r.excludedEvs[0]}`);
  console.log(`report: ${join(outDir, 'report.json')} and ${join(outDir, 'report.html')} (+ periods.csv, buses.csv, branches.csv, violations.csv, rounds.csv, costs.csv, zones.csv, trades.csv, trade-prices.csv)`);
}

/** Seed 001's comparison, before coordination and at the operating point: what the feeder sees. */
function seedTable(r: SimReport) {
  const t = table({ head: ['the feeder', 'before coordination', r.operatingPoint === 'delivered' ? 'delivered' : 'negotiated', 'change'], colAligns: ['left', 'right', 'right', 'right'], style: { head: [] } });
  const change = (b: number, a: number) => (Math.abs(b) < 1e-9 ? (Math.abs(a) < 1e-9 ? '0' : '–') : `${a >= b ? '+' : ''}${(100 * (a - b) / Math.abs(b)).toFixed(1)}%`);
  const push = (label: string, b: number, a: number, digits: number) => t.push([label, b.toFixed(digits), a.toFixed(digits), change(b, a)]);
  const p = r.peakShaving;
  push('substation peak purchase (kW)', p.peakPurchaseBeforeKw, p.peakPurchaseAfterKw, 0);
  push(`substation peak |S| (kVA${r.substation.ratingKva === null ? '' : `, rating ${r.substation.ratingKva.toFixed(0)}`})`, r.substation.peakKvaBefore, r.substation.peakKvaAfter, 0);
  push('gross load peak (kW)', p.peakLoadBeforeKw, p.peakLoadAfterKw, 0);
  push('EV peak (kW)', p.evPeakBeforeKw, p.evPeakAfterKw, 0);
  push('CO2 (t)', r.emissionsT.before, r.emissionsT.after, 3);
  push('curtailment (kWh)', r.curtailmentKwh.before, r.curtailmentKwh.after, 1);
  push('losses (kWh)', r.acBefore.lossKwh, r.ac.lossKwh, 1);
  push('minimum voltage (pu)', r.acBefore.vminPu, r.ac.vminPu, 4);
  t.push(['violations (voltage, rating)', String(r.acBefore.violations), String(r.ac.violations), '']);
  return t;
}

/** The DSO's caps in one line: per zone, the buses below each capped branch (the first few zones). */
export function evCapsLine(caps: NonNullable<SimReport['evCaps']>): string {
  const byZone = new Map<number, string[]>();
  for (const c of caps) byZone.set(c.zoneId, [...(byZone.get(c.zoneId) ?? []), c.buses.join(',')]);
  const shown = [...byZone].slice(0, 3).map(([id, sets]) => `zone ${id} at buses ${sets.join(' | ')}`);
  const more = byZone.size > 3 ? `, and ${byZone.size - 3} more zone(s)` : '';
  return `the DSO capped what the EVs below ${caps.length} branch(es) only their zone loads may draw, and the zones kept it: ${shown.join('; ')}${more}`;
}
