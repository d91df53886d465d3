/**
 * `zonal-dso --config dso.json --nats URL --run-id ID [--out DIR] [--oracle DIR]` (or `--scenario FILE`):
 * the DSO coordinator process (SPEC §8). From its own file — network, DERs, tariff, negotiation
 * settings, zone list; no EV — it waits for the zones' announces, negotiates over NATS and writes the
 * report. Given the zone files (`--oracle DIR`) it also solves the centralised optimum of the same
 * zones and reports the gap; `--mode centralised` prints only that optimum. With `--horizon rolling`
 * it then lives the day window by window (README "Rolling horizon"): every `negotiation.horizon.everyPeriods`
 * periods it asks each zone for its window and negotiates the rest of the day again, and at the end
 * writes what it knows of the realised day to `dso-rolling.json` under --out (the harness's report reads it),
 * with the day-ahead agreement it rolled from (its DERs per unit, each zone's EV power: the plan held).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { InputError, isZonalError } from '@zonal/core';
import { runDsoAgent, runRollingOverTransport } from '@zonal/agents';
import { buildDsoNetwork, dsoDayAheadRecord, dsoRollingRecord, horizonOf, loadDsoFile, loadZoneDir, simSetupOf, solveCentralised, splitScenario, zonePartyOf, type DsoNetwork, type DsoRollingRecord, type ZoneParty } from '@zonal/coordination';
import { describeAuth, NATS_AUTH_FLAGS, natsAuthFromOptions, NatsTransport, validateReplicas } from '@zonal/protocol';
import { loadScenario, type DsoConfig } from '@zonal/scenario';
import { shutdownSolver, warmSolver } from '@zonal/solver';

const command = new Command('zonal-dso')
  .option('--config <file>', 'the DSO file (zonal split writes dso.json)')
  .option('--scenario <file>', 'scenario JSON file or built-in name, split as zonal split does (the DSO keeps its own part)')
  .option('--nats <url>', 'NATS server', 'nats://127.0.0.1:4222')
  .option('--run-id <id>', 'run id shared with the zones (default: a new unique one, printed: start the zones with it)')
  .option('--out <dir>', 'write report.json and CSVs here')
  .option('--oracle <dir>', 'a directory with the zones\' files, to solve the centralised optimum and report the gap')
  .option('--mode <mode>', 'negotiate (default) or centralised (needs the zone files: --oracle DIR or --scenario)', 'negotiate')
  .option('--announce-timeout-ms <ms>', 'wait this long for every zone to announce', '60000')
  .option('--export-lp <dir>', 'write every model the DSO solves as a CPLEX LP file (0001-dso.lp, …)')
  .option('--horizon <mode>', 'day-ahead (default), or rolling: after the day-ahead negotiation, the day re-negotiated every negotiation.horizon.everyPeriods periods with the zones\' realised windows (they run with zonal zone --realised FILE)', 'day-ahead')
  .option('--rounds-replicas <n>', 'replicas of the ZONAL_ROUNDS stream when this DSO creates it (1-5; 3 on a JetStream cluster survives losing a server); an existing stream is used as it is', '1');
for (const f of NATS_AUTH_FLAGS) command.option(f.flag, f.description);
const opts = command.parse(process.argv)
  .opts<{ config?: string; scenario?: string; nats: string; runId?: string; out?: string; oracle?: string; mode: string; announceTimeoutMs: string; exportLp?: string; roundsReplicas: string; horizon: string }>();

/** The DSO's own file, and the zone parties only where the caller handed them over for the oracle. */
async function ownPart(): Promise<{ dso: DsoConfig; oracleZones: ZoneParty[] | null }> {
  if (opts.config && opts.scenario) throw new InputError('give either --config dso.json or --scenario FILE', '--config');
  if (opts.config) return { dso: loadDsoFile(opts.config), oracleZones: opts.oracle ? loadZoneDir(opts.oracle) : null };
  const split = await splitScenario(loadScenario(opts.scenario ?? 'default'));
  if (opts.oracle) throw new InputError('goes with --config: with --scenario the zones come from the scenario', '--oracle');
  // With a whole scenario the DSO process keeps its own part; the zones' parts serve only --mode centralised.
  return { dso: split.dso, oracleZones: opts.mode === 'centralised' ? split.zones.map((z) => zonePartyOf(z.config, z.sessions)) : null };
}

// Closed on every way out: an open NATS connection would keep the process alive after an error.
let transport: NatsTransport | undefined;
try {
  const { dso, oracleZones } = await ownPart();
  const network: DsoNetwork = buildDsoNetwork(dso);
  const oracle = oracleZones ? () => solveCentralised(simSetupOf(dso, oracleZones, network.feeder)) : undefined;
  if (opts.mode === 'centralised') {
    if (!oracle) throw new InputError('needs the zones\' files: pass --oracle DIR (or --scenario FILE)', '--mode centralised');
    const c = await oracle();
    process.stdout.write(`${JSON.stringify({ mode: 'centralised', scenario: dso.name, seed: dso.seed, totalCostYuan: c.totalCostYuan, degradationYuan: c.degradationYuan, objective: c.dispatch.objective, costs: c.dispatch.costs })}\n`);
  } else if (opts.mode === 'negotiate') {
    if (opts.horizon !== 'day-ahead' && opts.horizon !== 'rolling') throw new InputError(`must be day-ahead or rolling, got "${opts.horizon}"`, '--horizon');
    const everyPeriods = horizonOf(dso.negotiation, 'rolling').everyPeriods;
    if (opts.horizon === 'rolling' && !(Number.isInteger(everyPeriods) && everyPeriods >= 1 && everyPeriods <= network.inputs.grid.periods)) {
      throw new InputError(`must be an integer in [1, ${network.inputs.grid.periods}] (the day's periods), got ${everyPeriods}`, 'negotiation.horizon.everyPeriods');
    }
    const timeoutMs = Number(opts.announceTimeoutMs);
    if (!(timeoutMs > 0)) throw new InputError(`must be a positive number of milliseconds, got "${opts.announceTimeoutMs}"`, '--announce-timeout-ms');
    const roundsReplicas = validateReplicas(opts.roundsReplicas, '--rounds-replicas');
    const auth = natsAuthFromOptions(opts);
    // Run ids are unique unless given: two DSOs left on a shared default would mix their zones.
    const runId = opts.runId ?? `run-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (!opts.runId) process.stderr.write(`dso: run id ${runId} (start the zones with --run-id ${runId})\n`);
    // Start the solver while the zones start and announce (warmSolver: the worker and HiGHS's
    // instance). It was the feeder's dispatch without EVs, to have V8 optimise HiGHS too: on 2 busy
    // cores that solve was still running when the zones had announced, and the clearing queued
    // behind it for a second.
    void warmSolver().catch(() => undefined);
    // Without JetStream the run goes on, its rounds unrecorded (the agent says so).
    transport = await NatsTransport.connect({ servers: opts.nats, name: 'dso', runId, auth, requireJetStream: false });
    process.stderr.write(`dso: connected to ${opts.nats} with ${describeAuth(auth)}\n`);
    let rolling: DsoRollingRecord | null = null;
    const dsoLog = (l: string) => process.stderr.write(`dso: ${l}\n`);
    const { report } = await runDsoAgent({
      transport, network, transportLabel: `nats ${opts.nats}`, outDir: opts.out, announceTimeoutMs: timeoutMs, oracle, exportLpDir: opts.exportLp, roundsReplicas,
      log: dsoLog,
      ...(opts.horizon === 'rolling' ? {
        afterNegotiation: async ({ setup, negotiation }) => {
          dsoLog(`rolling: the day re-negotiated every ${everyPeriods} period(s) on the zones' realised windows`);
          const r = await runRollingOverTransport(transport!, setup, negotiation, {
            everyPeriods,
            onWindow: (w) => dsoLog(`window from period ${w.startPeriod}: ${w.replanned ? `${w.converged ? 'converged' : 'NOT converged'} in ${w.rounds} rounds (zones off plan: ${w.offPlanZones.join(', ') || 'none'})` : 'every zone on plan: the agreement stands'}; ${w.seconds.toFixed(2)} s`),
          });
          // The day-ahead plan it rolled from goes with it: the harness holds that plan (the plan held), not one negotiated again.
          rolling = { ...dsoRollingRecord(r, everyPeriods), dayAhead: dsoDayAheadRecord(setup, negotiation) };
          dsoLog(`rolling: the realised day cost ${r.costYuan.toFixed(2)} yuan${r.converged ? '' : ' (a window did NOT converge)'}`);
          if (opts.out) {
            mkdirSync(opts.out, { recursive: true });
            writeFileSync(join(opts.out, 'dso-rolling.json'), `${JSON.stringify(rolling)}\n`);
          }
        },
      } : {}),
      onRound: (r) => process.stderr.write(`round ${r.round}: primal ${r.primalResidualKw.toFixed(3)} kW, dual ${r.dualResidualKw.toFixed(3)} kW, cost ${r.totalCostYuan.toFixed(2)} yuan\n`),
    });
    await transport.close();
    transport = undefined;
    const rolled = rolling as DsoRollingRecord | null;
    process.stdout.write(`${JSON.stringify({ mode: 'negotiate', converged: report.converged, rounds: report.rounds, gapToCentralisedPct: report.gapToCentralisedPct,
      ...(rolled ? { rolling: { realisedCostYuan: rolled.costYuan, converged: rolled.converged, windows: rolled.windows.length } } : {}) })}\n`);
    // Not converged (round limit, stalled, a silent zone, an undeliverable point) is a result to be told of.
    if (!report.converged || (rolled && !rolled.converged)) process.exitCode = 1;
  } else {
    throw new InputError(`must be negotiate or centralised, got "${opts.mode}"`, '--mode');
  }
  await shutdownSolver();
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  if (isZonalError(e) && e.hint) process.stderr.write(`hint: ${e.hint}\n`);
  process.exitCode = isZonalError(e) ? 2 : 70;
  if (process.env.ZONAL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
  await transport?.close().catch(() => undefined);
  await shutdownSolver();
}
