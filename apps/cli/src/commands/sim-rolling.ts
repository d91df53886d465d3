import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '@zonal/core';
import { buildSimReport, withOracle, writeSimReport, type SimReport } from '@zonal/agents';
import {
  DSO_FILE, drawRealisedDay, excludedEvMessages, horizonOf, loadDsoFile, loadZoneDir, negotiateInProcess, rollingReport, runRollingStudy,
  simSetupOf, solveCentralised, splitScenario, uncoordinatedBusLoadKw, writePartyFiles,
  type HorizonSettings, type RollingReport, type Shortfall,
} from '@zonal/coordination';
import { buildDispatchInputs, runDispatch } from '@zonal/dispatch';
import { loadScenario } from '@zonal/scenario';
import { configureSolver } from '@zonal/solver';
import { printJson } from '../run';
import { table } from '../table';

/** What `zonal sim` hands the rolling run (its own options). */
export interface RollingSimOptions { scenario?: string; config?: string; out: string; json?: boolean; horizon?: string; nats?: string; exportLp?: string; mode?: string }

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
 * the hindsight optimum; the three costs in the summary and in report.json under `rolling`. In
 * process: the zones are parties with their own state and the DSO coordinates them by plain calls
 * (the rolling run over NATS is still to come, and the run says so).
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
  mkdirSync(outDir, { recursive: true });
  say(`scenario "${scenario.name}" (seed ${scenario.seed}): splitting into the DSO's and the zones' files…`);
  const partiesDir = join(outDir, 'parties');
  writePartyFiles(partiesDir, await splitScenario(scenario));
  const sim = simSetupOf(loadDsoFile(join(partiesDir, DSO_FILE)), loadZoneDir(partiesDir));
  say(`${sim.zones.length} zones (files in ${partiesDir}): ${sim.parties.map((p) => `${p.config.id} ${p.problem.fleet.size} EVs, ${p.policy.name}`).join('; ')}`);
  const transport = 'in-process';
  say(`horizon rolling: the day re-negotiated every ${horizon.everyPeriods} period(s) on what is known then; transport ${transport} (the zones as parties in this process${o.nats ? '; --nats is not used: the rolling run over NATS is not built yet' : ''})`);
  configureSolver({ workers: Math.min(2, availableParallelism()) });
  const runId = `sim-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

  const oracle = solveCentralised(sim);
  oracle.catch(() => undefined);
  say('day-ahead: negotiating the day on the zones\' forecasts');
  const dayAhead = await negotiateInProcess(sim, sim.parties, {
    onRound: (r) => say(`  day-ahead round ${String(r.round).padStart(3)}: primal ${r.primalResidualKw.toFixed(3)} kW, dual ${r.dualResidualKw.toFixed(3)} kW, cost ${r.totalCostYuan.toFixed(2)} yuan`),
  });
  const realised = drawRealisedDay(scenario, sim.feeder, sim.scenario.zones, horizon);
  const study = await runRollingStudy(sim, realised, {
    everyPeriods: horizon.everyPeriods, dayAhead, log: say,
    onWindow: (w) => say(`  window from period ${String(w.startPeriod).padStart(2)}: ${w.replanned
      ? `${w.converged ? 'converged' : 'NOT converged'} in ${w.rounds} rounds (zones off plan: ${w.offPlanZones.join(', ') || 'none'}), day ${w.dayCostYuan.toFixed(2)} yuan`
      : 'every zone on plan: the agreement stands'}; ${w.realisedEvs} EVs present, ${w.forecastEvs} forecast to come; ${w.seconds.toFixed(2)} s`),
  });
  const before = await runDispatch(buildDispatchInputs(sim.scenario, sim.feeder, uncoordinatedBusLoadKw(sim)));
  const rolling = rollingReport(study, {
    everyPeriods: horizon.everyPeriods, transport, earlyDepartureShare: horizon.earlyDepartureShare,
    realisedDescription: `the scenario's fleet law (evFleet) on the seed's evFleet stream forked as "realised" (its own arrivals, departures and energies; placed by load), ${(100 * horizon.earlyDepartureShare).toFixed(1)}% of EVs leaving early (libs/coordination rolling/realised.ts)`,
  });
  const base = withOracle(buildSimReport({ setup: sim, runId, transport, before, negotiation: dayAhead.negotiation }), await oracle);
  const report: SimReport & { horizon: 'rolling'; rolling: RollingReport } = {
    ...base, excludedEvs: excludedEvMessages(sim),
    source: { ref: o.scenario ?? 'default', dsoFileSha256: createHash('sha256').update(readFileSync(join(partiesDir, DSO_FILE))).digest('hex') },
    horizon: 'rolling', rolling,
  };
  writeSimReport(outDir, report);
  writeRollingCsvs(outDir, rolling);
  if (o.json) printJson(report);
  else printRollingSummary(report, outDir);
  return report.converged && rolling.converged ? 0 : 1;
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
