/**
 * `zonal-zone --config zone-<id>.json --nats URL --run-id ID [--out DIR]` (or `--zone ID --scenario FILE`):
 * a zone aggregator process (SPEC §8). It runs on any machine that reaches the NATS server, from its
 * own zone file — its EVs, its policy — announces itself (aggregates only) and answers the DSO until
 * told to shut down; then it writes its per-EV schedules under --out. With --scenario the process
 * splits the scenario as `zonal split` does and keeps only its own zone.
 *
 * One process can host several zones (`--config` repeated, `--configs DIR`, `--zones 1,2,3`): one NATS
 * connection, named `host-<name>` (`--host`, the name `zonal nats-config --host name=1,2,3` gives the
 * credential), which each zone uses through its own view (its own sender, `zone<id>`), and one pool
 * of `--solver-workers` solver threads, so the zones' solves run side by side. Each zone announces,
 * answers and ends for itself; the process exits when every zone has ended, with the worst (highest)
 * of their exit codes, each zone's end said on its own line.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { InputError, isZonalError } from '@zonal/core';
import { hostExitCode, startZoneHost } from '@zonal/agents';
import { loadRealisedDay, loadZoneDir, loadZoneParty, splitScenario, zonePartyOf, type RealisedDay, type ZoneParty } from '@zonal/coordination';
import { areaOfParties, loadAreaFile, LocalArea, serveArea, type AreaPort } from '@zonal/network-split';
import { describeAuth, NATS_AUTH_FLAGS, natsAuthFromOptions, NatsTransport, validateToken } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { configureSolver, shutdownSolver } from '@zonal/solver';

const collect = (value: string, previous: string[]) => [...previous, value];
const command = new Command('zonal-zone')
  .option('--config <file>', 'a zone file (zonal split writes one per zone); repeat it to run several zones in this process', collect, [])
  .option('--configs <dir>', 'run every zone-<id>.json in this directory, in this process')
  .option('--zone <id>', 'with --scenario: which zone of it to run')
  .option('--zones <ids>', 'with --scenario: these zones of it (comma-separated), in this process')
  .option('--scenario <file>', 'scenario JSON file or built-in name, split as zonal split does')
  .option('--host <name>', 'this process\'s name on NATS when it runs several zones: connection host-<name>, reply inbox _INBOX_host-<name> (as zonal nats-config --host name=… names its credential); default: its zone ids')
  .option('--solver-workers <n>', 'solver threads this process runs the zones\' solves on (default: min(2, cores))')
  .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
  .requiredOption('--run-id <id>', 'the run id of the DSO to join (zonal dso prints it)')
  .option('--out <dir>', 'write each zone\'s per-EV schedules here when the run ends')
  .option('--realised <file>', 'a rolling run: the zone\'s own realised day (zone-<id>-realised.json, as zonal sim --horizon rolling writes it), lived window by window after the day-ahead; repeat it for each zone this process runs', collect, [])
  .option('--area <file>', 'serve this area\'s part of the feeder for the network-split method (its file as zonal network-split --area-processes --dir DIR writes it; its zones are the zone files given) until the coordinator\'s shutdown, instead of negotiating')
  .option('--export-lp <dir>', 'write every model the zones\' policies solve as CPLEX LP files (several zones: DIR/zone-<id>/)')
  .option('--dso-wait-s <s>', 'stop (exit 3) after this long without a word from the DSO (its heartbeat); a DSO that comes back within it is announced to again', '600')
  .option('--dso-silence-s <s>', 'after this long without a word from the DSO, say so and announce again when it is back', '30');
for (const f of NATS_AUTH_FLAGS) command.option(f.flag, f.description);
const opts = command.parse(process.argv).opts<{
  config: string[]; configs?: string; zone?: string; zones?: string; scenario?: string; host?: string; solverWorkers?: string;
  nats: string; runId: string; out?: string; exportLp?: string; dsoWaitS: string; dsoSilenceS: string; realised: string[]; area?: string;
}>();

/** The zones this process runs, each from its own file (or its part of --scenario). */
async function ownParties(): Promise<ZoneParty[]> {
  const byFile = opts.config.length > 0 || opts.configs !== undefined;
  const byScenario = opts.zone !== undefined || opts.zones !== undefined || opts.scenario !== undefined;
  if (byFile && byScenario) throw new InputError('give zone files (--config FILE, --configs DIR) or --zone/--zones ID with --scenario FILE, not both', '--config');
  let parties: ZoneParty[];
  if (byFile) {
    parties = [...opts.config.map((f) => loadZoneParty(f)), ...(opts.configs !== undefined ? loadZoneDir(opts.configs) : [])];
  } else {
    if (opts.zone !== undefined && opts.zones !== undefined) throw new InputError('give --zone ID or --zones IDS, not both', '--zones');
    const wanted = (opts.zones ?? opts.zone)?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (!wanted?.length) throw new InputError('give --config zone-<id>.json (repeatable), --configs DIR, or --zone ID / --zones 1,2,3 with --scenario FILE', '--config');
    const split = await splitScenario(loadScenario(opts.scenario ?? 'default'));
    parties = wanted.map((id) => {
      const zone = split.zones.find((z) => String(z.config.id) === id);
      if (!zone) throw new InputError(`must be among ${split.zones.map((z) => z.config.id).join(', ')}, got "${id}"`, opts.zones !== undefined ? '--zones' : '--zone');
      return zonePartyOf(zone.config, zone.sessions);
    });
  }
  const seen = new Set<number>();
  for (const p of parties) {
    if (seen.has(p.config.id)) throw new InputError(`zone ${p.config.id} is given twice (${p.source})`, '--config');
    seen.add(p.config.id);
  }
  return parties;
}

/**
 * `--realised FILE` (repeatable): each zone's own realised day, by zone id. A file must be for one of
 * the zones this process runs, at most one per zone, and then every zone needs one (a rolling run).
 */
function realisedDays(parties: readonly ZoneParty[]): Map<number, RealisedDay> {
  const days = new Map<number, RealisedDay>();
  if (opts.realised.length === 0) return days;
  const ids = parties.map((p) => p.config.id);
  for (const file of opts.realised) {
    const day = loadRealisedDay(file);
    if (!ids.includes(day.zoneId)) throw new InputError(`is zone ${day.zoneId}'s realised day, and this process runs zone${ids.length === 1 ? '' : 's'} ${ids.join(', ')}: give each zone its own file`, `--realised ${file}`);
    if (days.has(day.zoneId)) throw new InputError(`zone ${day.zoneId}'s realised day is given twice`, `--realised ${file}`);
    days.set(day.zoneId, day);
  }
  const missing = ids.filter((id) => !days.has(id));
  if (missing.length) throw new InputError(`a rolling run needs every zone's realised day: none given for zone(s) ${missing.join(', ')}`, '--realised');
  return days;
}

/** The connection's name: `zone<id>` for one zone (its own credential's inbox), `host-<name>` for several. */
function connectionName(parties: readonly ZoneParty[]): string {
  if (opts.host !== undefined) return `host-${validateToken(opts.host, '--host')}`;
  if (parties.length === 1) return `zone${parties[0].config.id}`;
  const ids = parties.map((p) => p.config.id);
  const all = ids.join('-');
  return `host-${all.length <= 58 ? all : `${ids[0]}-to-${ids.at(-1)}`}`;
}

function solverWorkers(): number {
  if (opts.solverWorkers === undefined) return Math.min(2, availableParallelism());
  const n = Number(opts.solverWorkers);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InputError(`must be an integer from 1 to 64, got "${opts.solverWorkers}"`, '--solver-workers');
  return n;
}

/**
 * `--area FILE`: the zones' part of the feeder served as one area of the network-split method
 * (libs/network-split), built from the area's file and the zones' own files, until the coordinator
 * sends shutdown on the run's control subject (exit 0), a signal (0), or `waitMs` pass without a
 * request (exit 3: the coordinator is gone).
 */
async function serveOwnArea(transport: NatsTransport, file: string, parties: ZoneParty[], label: string, waitMs: number): Promise<number> {
  const area = new LocalArea(areaOfParties(loadAreaFile(file), parties));
  let lastWord = Date.now();
  const answering: AreaPort = {
    id: area.id, isRoot: area.isRoot, boundary: area.boundary,
    solve: (s) => { lastWord = Date.now(); return area.solve(s); },
    correctLosses: (x, f) => { lastWord = Date.now(); return area.correctLosses(x, f); },
  };
  serveArea(transport, answering, { onError: (e) => process.stderr.write(`${label}: ${(e as Error).message}\n`) });
  await transport.flush();
  const a = area.area;
  process.stderr.write(`${label}: serving area ${a.id} (${a.fullPos.length - a.ghostChildPos.length - (a.isRoot ? 0 : 1)} buses, ${a.boundary.cutLines.length} cut line(s)) on ${transport.subjects.zoneArea(String(a.id))}\n`);
  return new Promise<number>((resolve) => {
    transport.subscribe(transport.subjects.control, (m) => { if (m.type === 'control' && m.body.command === 'shutdown') resolve(0); });
    const watch = setInterval(() => { if (Date.now() - lastWord > waitMs) { process.stderr.write(`${label}: no word from the coordinator for ${waitMs / 1000} s: stopping\n`); resolve(3); } }, 1000);
    watch.unref();
    process.once('SIGTERM', () => resolve(0));
    process.once('SIGINT', () => resolve(0));
  });
}

// Closed on every way out: an open NATS connection would keep the process alive after an error.
let transport: NatsTransport | undefined;
try {
  const dsoWaitS = Number(opts.dsoWaitS), dsoSilenceS = Number(opts.dsoSilenceS);
  if (!(dsoWaitS > 0)) throw new InputError(`must be a positive number of seconds, got "${opts.dsoWaitS}"`, '--dso-wait-s');
  if (!(dsoSilenceS > 0)) throw new InputError(`must be a positive number of seconds, got "${opts.dsoSilenceS}"`, '--dso-silence-s');
  const workers = solverWorkers();
  configureSolver({ workers });
  const parties = await ownParties();
  const realised = realisedDays(parties);
  const ids = parties.map((p) => p.config.id);
  const name = connectionName(parties);
  const label = parties.length === 1 ? `zone ${ids[0]}` : `${name} (zones ${ids.join(', ')})`;
  const auth = natsAuthFromOptions(opts);
  transport = await NatsTransport.connect({ servers: opts.nats, name, runId: opts.runId, requireJetStream: false, auth });
  process.stderr.write(`${label}: connected to ${opts.nats} with ${describeAuth(auth)}\n`);
  if (opts.area !== undefined) {
    process.exitCode = await serveOwnArea(transport, opts.area, parties, label, dsoWaitS * 1000);
    await transport.close();
    transport = undefined;
    await shutdownSolver();
    process.exit();
  }
  const shared = transport;
  const host = await startZoneHost({
    parties,
    transportFor: (p) => (parties.length === 1 && opts.host === undefined ? shared : shared.as(`zone${p.config.id}`)),
    // Each exporter numbers (and first clears) its own directory: several zones each get their own.
    exportLpDirFor: (id) => (opts.exportLp === undefined || parties.length === 1 ? opts.exportLp : join(opts.exportLp, `zone-${id}`)),
    realisedFor: (id) => realised.get(id),
    outDir: opts.out, dsoWaitMs: dsoWaitS * 1000, dsoSilenceMs: dsoSilenceS * 1000, log: (l) => process.stderr.write(`${l}\n`),
    // One zone more than solver threads works on an answer at a time: it builds its model while the others solve.
    solverThreads: workers,
  });
  const stop = () => void host.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const ends = await host.done;
  await transport.close();
  transport = undefined;
  await shutdownSolver();
  for (const { zoneId, end, exitCode } of ends) {
    for (const f of end.files) process.stderr.write(`zone ${zoneId}: wrote ${f}\n`);
    if (end.reason === 'dsoGone') process.stderr.write(`zone ${zoneId}: stopped: ${end.detail}\n`);
    if (parties.length > 1) process.stderr.write(`zone ${zoneId}: ended: ${end.reason}${'detail' in end ? ` (${end.detail})` : ''}, exit code ${exitCode}\n`);
  }
  process.exitCode = hostExitCode(ends);
  if (parties.length > 1) process.stderr.write(`${label}: every zone ended; exit code ${process.exitCode} (the worst of ${ends.map((e) => `zone ${e.zoneId}: ${e.exitCode}`).join(', ')})\n`);
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  if (isZonalError(e) && e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  process.exitCode = isZonalError(e) ? 2 : 70;
  if (process.env.ZONAL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  await transport?.close().catch(() => undefined);
  await shutdownSolver();
}
