import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '@zonal/core';
import { buildSimReport, readZoneSchedules, withOracle, writeSimReport, type SimReport } from '@zonal/agents';
import {
  DSO_FILE, drawRealisedDay, excludedEvMessages, heldPlanFromRecords, horizonOf, loadDsoFile, loadZoneDir, negotiateInProcess, rollingReport, rollingReportOf, runHeld, runRollingStudy,
  simSetupOf, solveCentralised, solveHindsightOf, splitScenario, uncoordinatedBusLoadKw, writePartyFiles, writeRealisedDay,
  type DsoRollingRecord, type HeldPlan, type HorizonSettings, type RealisedDay, type RollingReport, type Shortfall, type SimSetup,
} from '@zonal/coordination';
import type { EvSpec } from '@zonal/ev';
import { natsAuthFromOptions, validateReplicas } from '@zonal/protocol';
import { buildDispatchInputs, runDispatch } from '@zonal/dispatch';
import { loadScenario } from '@zonal/scenario';
import { configureSolver } from '@zonal/solver';
import { printJson, RunIncomplete } from '../run';
import { table } from '../table';
import { agentRunOf, chooseNats, lpDirs, ORACLE_NICENESS, simOverNats, zoneProcessesOption } from './sim';

/** What `zonal sim` hands the rolling run (its own options). */
export interface RollingSimOptions { scenario?: string; config?: string; out: string; json?: boolean; horizon?: string; nats?: string; exportLp?: string; mode?: string; roundsReplicas?: string; zoneProcesses?: string }

/** `--horizon`: the flag when given (checked), else the scenario's (or the DSO file's) `negotiation.horizon.mode`. */
export function horizonMode(o: RollingSimOptions): HorizonSettings['mode'] {
  if (o.horizon !== undefined) {
    if (o.horizon !== 'day-ahead' && o.horizon !== 'rolling') throw new InputError(`must be day-ahead or rolling, got "${o.horizon}"`, '--horizon');
    return o.horizon;
  }
  if (o.scenario && o.config) return 'day-ahead'; // sim refuses the pair itself
  const negotiation = o.config ? loadDsoFile(join(resolve(o.config), DSO_FILE)).negotiation : loadScenario(o.scenario ?? 'default').negotiation;
  return horizonOf(negotiation).mode;
}

/**
 * `zonal sim --horizon rolling` (issue 12 items 1–3): the day-ahead negotiation on the zones'
 * forecasts, then the day as it happens (drawn from the scenario's fleet law on its own stream),
 * re-negotiated every `everyPeriods` periods with the past fixed, beside the day-ahead plan held and
 * the hindsight optimum; the three costs in the summary and in report.json under `rolling`. The
 * transport is chosen as the day-ahead `zonal sim` chooses it (`chooseNats`). Over NATS the DSO
 * (`zonal dso --horizon rolling`) and the zones (`zonal zone --realised FILE`, each zone's own
 * realised day written beside its zone file) are processes, and the harness, which may see
 * everything, computes the two oracles after them: hindsight from the zones' own
 * `zone-<id>-rolling.json`, the plan held from the day-ahead plan the agents agreed, as they wrote it
 * (the DSO its DERs' dispatch and the zones' EV power in `dso-rolling.json`, each zone its EVs'
 * schedules in `zone-<id>-schedules.csv`). In process the zones are parties with their own state and the DSO
 * coordinates them by plain calls.
 */
export async function simRolling(o: RollingSimOptions): Promise<number> {
  const t0 = performance.now();
  const say = (line: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
  if (o.mode !== undefined && o.mode !== 'negotiate') throw new InputError(`must be negotiate with --horizon rolling, got "${o.mode}"`, '--mode');
  if (o.config) throw new InputError('the rolling horizon draws the realised day from the scenario\'s fleet law, which the parties\' files do not hold: run it with --scenario', '--config');
  if (o.exportLp) throw new InputError('is not available with --horizon rolling yet (each window\'s negotiation would need its own directory)', '--export-lp');
  const outDir = resolve(o.out);
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new InputError('is a file, not a directory', '--out');
  const scenario = loadScenario(o.scenario ?? 'default');
  const horizon = horizonOf(scenario.negotiation, 'rolling');
  if (!Number.isInteger(horizon.everyPeriods) || horizon.everyPeriods > scenario.time.periods) {
    throw new InputError(`must be an integer in [1, ${scenario.time.periods}] (the day's periods), got ${horizon.everyPeriods}`, 'negotiation.horizon.everyPeriods');
  }
  // Refused here, before any process starts.
  const roundsReplicas = validateReplicas(o.roundsReplicas ?? '1', '--rounds-replicas');
  mkdirSync(outDir, { recursive: true });
  say(`scenario "${scenario.name}" (seed ${scenario.seed}): splitting into the DSO's and the zones' files…`);
  const partiesDir = join(outDir, 'parties');
  writePartyFiles(partiesDir, await splitScenario(scenario));
  const sim = simSetupOf(loadDsoFile(join(partiesDir, DSO_FILE)), loadZoneDir(partiesDir));
  say(`${sim.zones.length} zones (files in ${partiesDir}): ${sim.parties.map((p) => `${p.config.id} ${p.problem.fleet.size} EVs, ${p.policy.name}`).join('; ')}`);
  const zoneProcesses = zoneProcessesOption(o.zoneProcesses, sim.zones.length);
  const realised = drawRealisedDay(scenario, sim.feeder, sim.scenario.zones, horizon);
  for (const day of realised) writeRealisedDay(partiesDir, day);
  configureSolver({ workers: Math.min(2, availableParallelism()) });
  const runId = `sim-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const auth = natsAuthFromOptions(o as unknown as Record<string, unknown>);
  const nats = await chooseNats(o.nats, say, auth);
  const realisedDescription = `the scenario's fleet law (evFleet) on the seed's evFleet stream forked as "realised" (its own arrivals, departures and energies; placed by load), ${(100 * horizon.earlyDepartureShare).toFixed(1)}% of EVs leaving early (libs/coordination rolling/realised.ts); each zone's in parties/zone-<id>-realised.json`;
  let out: { base: SimReport; rolling: RollingReport };
  try {
    out = nats
      ? await rollingOverNats({ url: nats.url, auth, runId, partiesDir, outDir, sim, realised, horizon, realisedDescription, say, roundsReplicas, zoneProcesses })
      : await rollingInProcess({ runId, sim, realised, horizon, realisedDescription, say });
  } finally {
    await nats?.local?.stop();
  }
  const report: SimReport & { horizon: 'rolling'; rolling: RollingReport } = {
    ...out.base, excludedEvs: excludedEvMessages(sim),
    source: { ref: o.scenario ?? 'default', dsoFileSha256: createHash('sha256').update(readFileSync(join(partiesDir, DSO_FILE))).digest('hex') },
    horizon: 'rolling', rolling: out.rolling,
  };
  writeSimReport(outDir, report);
  writeRollingCsvs(outDir, out.rolling);
  if (o.json) printJson(report);
  else printRollingSummary(report, outDir);
  return report.converged && out.rolling.converged ? 0 : 1;
}

interface RollingRun { runId: string; sim: SimSetup; realised: RealisedDay[]; horizon: HorizonSettings; realisedDescription: string; say: (line: string) => void }

const windowLine = (w: RollingReport['windows'][number]) => `  window from period ${String(w.startPeriod).padStart(2)}: ${w.replanned
  ? `${w.converged ? 'converged' : 'NOT converged'} in ${w.rounds} rounds (zones off plan: ${w.offPlanZones.join(', ') || 'none'}), day ${w.dayCostYuan.toFixed(2)} yuan`
  : 'every zone on plan: the agreement stands'}; ${w.realisedEvs} EVs present, ${w.forecastEvs} forecast to come; ${w.seconds.toFixed(2)} s`;

/** The rolling day in this process: the zones as parties with their own state, the DSO calling them. */
async function rollingInProcess({ runId, sim, realised, horizon, realisedDescription, say }: RollingRun): Promise<{ base: SimReport; rolling: RollingReport }> {
  const transport = 'in-process';
  say(`horizon rolling: the day re-negotiated every ${horizon.everyPeriods} period(s) on what is known then; transport ${transport} (the zones as parties in this process)`);
  const oracle = solveCentralised(sim);
  oracle.catch(() => undefined);
  say('day-ahead: negotiating the day on the zones\' forecasts');
  const dayAhead = await negotiateInProcess(sim, sim.parties, {
    onRound: (r) => say(`  day-ahead round ${String(r.round).padStart(3)}: primal ${r.primalResidualKw.toFixed(3)} kW, dual ${r.dualResidualKw.toFixed(3)} kW, cost ${r.totalCostYuan.toFixed(2)} yuan`),
  });
  const study = await runRollingStudy(sim, realised, { everyPeriods: horizon.everyPeriods, dayAhead, log: say, onWindow: (w) => say(windowLine(w)) });
  const before = await runDispatch(buildDispatchInputs(sim.scenario, sim.feeder, uncoordinatedBusLoadKw(sim)));
  const rolling = rollingReport(study, { everyPeriods: horizon.everyPeriods, transport, earlyDepartureShare: horizon.earlyDepartureShare, realisedDescription });
  return { base: withOracle(buildSimReport({ setup: sim, runId, transport, before, negotiation: dayAhead.negotiation }), await oracle), rolling };
}

/** What a rolling zone writes of its day (`zone-<id>-rolling.json`, libs/agents zone-agent.ts). */
interface ZoneRollingFile { zone: number; counts?: { evs: number; leftEarly: number; leftOut: number }; shortfalls?: Shortfall[]; hindsightSpecs?: EvSpec[]; incomplete?: string }

/** Windows of the day beyond the negotiation's budget, each this long at most (ms): a window is a short negotiation. */
const WINDOW_BUDGET_MS = 60_000;

/**
 * The rolling day over NATS: the DSO and the zones as processes (sim.ts's `simOverNats`, with
 * `--horizon rolling` and each zone's own `--realised` file), then the harness's oracles.
 */
async function rollingOverNats(r: RollingRun & { url: string; auth: ReturnType<typeof natsAuthFromOptions>; partiesDir: string; outDir: string; roundsReplicas: number; zoneProcesses: number | undefined }): Promise<{ base: SimReport; rolling: RollingReport }> {
  const { sim, horizon, say, outDir, partiesDir } = r;
  const transport = `nats ${r.url}`;
  say(`horizon rolling: the day re-negotiated every ${horizon.everyPeriods} period(s) on what is known then; transport ${transport} (the DSO and the zones as processes; each zone's realised day in its own file)`);
  const dsoFile = join(outDir, 'dso-rolling.json');
  const zoneFile = (id: number) => join(outDir, 'zones', `zone-${id}-rolling.json`);
  const schedulesFile = (id: number) => join(outDir, 'zones', `zone-${id}-schedules.csv`);
  // A file left by an earlier run must not stand in for this run's.
  for (const f of [dsoFile, ...sim.zones.flatMap((z) => [zoneFile(z.id), schedulesFile(z.id)])]) rmSync(f, { force: true });
  const windows = Math.ceil(sim.inputs.grid.periods / horizon.everyPeriods);
  // The harness's day-ahead oracle needs no agent's output: solved while the agents run, giving way to them.
  configureSolver({ niceness: ORACLE_NICENESS });
  const oracle = solveCentralised(sim);
  oracle.catch(() => undefined);
  const dayAhead = await simOverNats(r.url, r.auth, r.runId, partiesDir, outDir, agentRunOf(sim.scenario), lpDirs(undefined),
    (p) => say(`round ${String(p.round).padStart(3)}: primal ${p.primalResidualKw.toFixed(3)} kW, dual ${p.dualResidualKw.toFixed(3)} kW, cost ${p.totalCostYuan.toFixed(2)} yuan`),
    say, r.roundsReplicas, r.zoneProcesses, {
      dsoArgs: ['--horizon', 'rolling'],
      zoneArgs: (ids) => ids.flatMap((id) => ['--realised', join(partiesDir, `zone-${id}-realised.json`)]),
      extraBudgetMs: windows * WINDOW_BUDGET_MS,
    });
  if (!existsSync(dsoFile)) throw new RunIncomplete(`the DSO wrote its day-ahead report but not its rolling day (${dsoFile}): its messages are above`);
  const dso = JSON.parse(readFileSync(dsoFile, 'utf8')) as DsoRollingRecord;
  const files = sim.zones.map((z) => {
    if (!existsSync(zoneFile(z.id))) throw new RunIncomplete(`zone ${z.id} did not write its rolling day (${zoneFile(z.id)}): its messages are above`);
    const f = JSON.parse(readFileSync(zoneFile(z.id), 'utf8')) as ZoneRollingFile;
    if (f.incomplete !== undefined || !f.hindsightSpecs || !f.shortfalls || !f.counts) throw new RunIncomplete(`zone ${z.id}'s rolling day is incomplete: ${f.incomplete ?? 'no shortfalls or EVs in its file'}`);
    return { ...f, hindsightSpecs: f.hindsightSpecs, shortfalls: f.shortfalls, counts: f.counts };
  });
  say(`the processes are done (rolling ${dso.costYuan.toFixed(2)} yuan); the harness's oracles: the centralised optimum, the day-ahead plan held (as the agents agreed it: the DSO's dispatch, the zones' schedules), hindsight from the zones' files`);
  const plan = agreedDayAhead(sim, dso, schedulesFile);
  // Apart from each other: side by side on the harness's solver lanes.
  const [held, hindsight] = await Promise.all([
    runHeld(sim, plan, r.realised, { everyPeriods: horizon.everyPeriods }),
    solveHindsightOf(sim, files.map((f) => f.hindsightSpecs)),
  ]);
  const rolling = rollingReportOf({
    // The day-ahead agreement's own figure, as the DSO reported it.
    dayAheadPlanCostYuan: dayAhead.costs.negotiated.totalWithDegradation + dayAhead.costs.negotiated.penalties,
    rolling: dso, rollingShortfalls: files.flatMap((f) => f.shortfalls),
    zoneCounts: files.map((f) => ({ zoneId: f.zone, ...f.counts })), held, hindsight,
  }, { everyPeriods: horizon.everyPeriods, transport, earlyDepartureShare: horizon.earlyDepartureShare, realisedDescription: r.realisedDescription });
  return { base: withOracle(dayAhead, await oracle), rolling };
}

/**
 * The day-ahead plan the agents agreed over NATS, from what each wrote of its own part: the DSO's
 * dispatch of its DERs and each zone's agreed EV power (`dso-rolling.json`'s `dayAhead`), each
 * zone's per-EV schedules of the answer the agreement held (`zone-<id>-schedules.csv`). A part
 * missing stops the run, naming it: a plan negotiated again here would not be the one agreed.
 */
function agreedDayAhead(sim: SimSetup, dso: DsoRollingRecord, schedulesFile: (zoneId: number) => string): HeldPlan {
  if (!dso.dayAhead) throw new RunIncomplete('the DSO\'s dso-rolling.json has no day-ahead plan (dayAhead): it was written by a DSO that does not record it');
  const grid = sim.inputs.grid;
  return heldPlanFromRecords(sim, dso.dayAhead, (zoneId) => {
    const file = schedulesFile(zoneId);
    if (!existsSync(file)) throw new RunIncomplete(`zone ${zoneId} did not write its day-ahead schedules (${file}): its messages are above`);
    const party = sim.parties.find((p) => p.config.id === zoneId)!;
    return readZoneSchedules(readFileSync(file, 'utf8'), party.problem.fleet, grid);
  });
}

/** windows.csv (one row per window) and shortfalls.csv (one row per EV short of its target, per run). */
function writeRollingCsvs(dir: string, r: RollingReport): void {
  const csv = (head: string[], rows: Array<Array<string | number | boolean | null>>) => `${[head, ...rows].map((row) => row.map((v) => (v === null ? '' : String(v))).join(',')).join('\n')}\n`;
  writeFileSync(join(dir, 'windows.csv'), csv(['startPeriod', 'periods', 'replanned', 'offPlanZones', 'rounds', 'converged', 'dayCostYuan', 'realisedEvs', 'forecastEvs', 'cappedKwh'],
    r.windows.map((w) => [w.startPeriod, w.periods, w.replanned, w.offPlanZones.join(' '), w.rounds, w.converged, Number.isFinite(w.dayCostYuan) ? w.dayCostYuan : '', w.realisedEvs, w.forecastEvs, w.cappedKwh])));
  const rows = (run: string, s: readonly Shortfall[]) => s.map((x) => [run, x.zoneId, x.ev, x.bus, x.leftEarly, x.leftOut ?? '', x.announcedDepartureH, x.leftAtH, x.targetKwh, x.storedKwh, x.shortfallKwh]);
  writeFileSync(join(dir, 'shortfalls.csv'), csv(['run', 'zone', 'ev', 'bus', 'leftEarly', 'leftOut', 'announcedDepartureH', 'leftAtH', 'targetKwh', 'storedKwh', 'shortfallKwh'],
    [...rows('rolling', r.shortfalls.rolling), ...rows('day-ahead held', r.shortfalls.dayAheadHeld)]));
}

const f2 = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function printRollingSummary(r: SimReport & { rolling: RollingReport }, outDir: string): void {
  const g = r.rolling;
  console.log(`\nZonal rolling horizon — scenario "${r.scenario}" (seed ${r.seed}), run ${r.runId}, transport ${g.transport}`);
  console.log(`day-ahead (the zones' forecasts): ${r.method} ${r.converged ? `converged in ${r.rounds} rounds` : 'NOT converged'}; gap to its centralised optimum ${r.gapToCentralisedPct === null ? 'not computed' : `${r.gapToCentralisedPct.toFixed(4)}%`}; planned cost ${f2(g.dayAheadPlanCostYuan)} yuan`);
  const negotiated = g.windows.filter((w) => w.replanned);
  const kept = g.windows.length - negotiated.length;
  console.log(`rolling: ${g.windows.length} windows of ${g.everyPeriods} period(s), ${negotiated.length} negotiated (${negotiated.filter((w) => w.converged).length} converged, ${negotiated.reduce((a, w) => a + w.rounds, 0)} rounds in all)` +
    `${kept ? `, ${kept} kept the standing agreement (no zone off plan)` : ''}`);
  for (const w of negotiated.filter((x) => !x.converged)) {
    console.log(`  window from period ${w.startPeriod} NOT converged${w.deliveryUnmet ? ': its delivered point kept breaking a rating' : w.stalled ? ': stalled' : w.stoppedBy ? `: stopped by ${w.stoppedBy}` : w.unanswered.length ? `: zone(s) ${w.unanswered.join(', ')} never answered acceptably` : ': round limit'}; its zones' last answers were applied`);
  }
  const t = table({ head: ['realised day (yuan)', 'rolling', 'day-ahead held', 'hindsight'], colAligns: ['left', 'right', 'right', 'right'], style: { head: [] } });
  const c = g.costs;
  for (const [label, key] of [['purchase', 'purchase'], ['diesel', 'diesel'], ['curtailment', 'curtailment'], ['carbon', 'carbon'], ['capacity charge', 'demandCharge'], ['EV degradation', 'degradation'], ['penalties (soft limits)', 'penalties'], ['total', 'total']] as const) {
    t.push([label, f2(c.rolling[key]), f2(c.dayAheadHeld[key]), f2(c.hindsight[key])]);
  }
  console.log(t.toString());
  console.log(`rolling ${f2(g.realisedCostYuan)} yuan is ${g.rollingAboveHindsightPct.toFixed(4)}% above hindsight (${f2(g.hindsightCostYuan)}); the day-ahead plan held ${f2(g.dayAheadHeldCostYuan)} is ${g.heldAboveHindsightPct.toFixed(4)}% above; ` +
    `hindsight ≤ rolling ≤ day-ahead held: ${g.ordered ? 'yes' : 'NO'}`);
  const evs = g.realisedDay.zones.reduce((a, z) => a + z.evs, 0), early = g.realisedDay.zones.reduce((a, z) => a + z.leftEarly, 0), out = g.realisedDay.zones.reduce((a, z) => a + z.leftOut, 0);
  const short = (s: readonly Shortfall[]) => `${s.filter((x) => !x.leftOut).length} EV(s) left short (${s.filter((x) => x.leftEarly).length} of them early)`;
  console.log(`realised day: ${evs} EVs plugged in, ${early} leaving before their announced departure, ${out} left out (target unreachable); ` +
    `rolling: ${short(g.shortfalls.rolling)}, ${g.shortfalls.rollingKwh.toFixed(1)} kWh short in all; day-ahead held: ${short(g.shortfalls.dayAheadHeld)}, ${g.shortfalls.dayAheadHeldKwh.toFixed(1)} kWh (by EV in report.json and shortfalls.csv)`);
  console.log(`report: ${join(outDir, 'report.json')} (rolling: the three costs, windows, shortfalls) + windows.csv, shortfalls.csv and the day-ahead's report.html and CSVs`);
}
