import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { runSplitDispatch, runSplitStudy, splitNetwork, splitSetup, type SplitDispatchOptions, type SplitSetup, type SplitStudy, type SplitTransport } from '@zonal/network-split';
import { InProcessBus, natsAuthFromOptions, NatsTransport, type LocalNatsServer } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { configureSolver, shutdownSolver } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';
import { withNatsAuthOptions } from './nats-options';
import { chooseNats } from './sim';
import { runAreaProcesses } from './split-processes';
import { summary } from './index';

/** Exit code when ADMM stopped at its round limit: the closing point is reported all the same (see run.ts). */
const EXIT_NOT_CONVERGED = 1;

/** How long the coordinator waits for one area's answer (a solve of a 1 000-bus area takes seconds; a dead area is named, not waited for). */
const AREA_TIMEOUT_MS = 300_000;

export function registerNetworkSplit(program: Command): void {
  withNatsAuthOptions(program
    .command('network-split')
    .description(summary('network-split'))
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--case <feeder>', "the feeder instead of the scenario's network.case: a MATPOWER case file or ieee33 (the scenario's DER buses must be in it)")
    .option('--areas <N>', 'N equal subtree areas, each made a zone of the scenario (default: the scenario\'s own zones are the areas)')
    .option('--max-rounds <N>', 'ADMM rounds per loss-correction round at most (default 300)')
    .option('--no-oracle', 'skip the centralised solves (a network too big for one LP)')
    .option('--parties', 'run each area as a party on a connection of its own, the coordinator reaching it by messages only: over the NATS server that answers (or nats-server started here), else the in-process bus')
    .option('--area-processes', 'deploy it: write each party\'s files (zones with their EVs, each area\'s part of the feeder) and run every area as its own zonal zone --area process over NATS, coordinated from here by messages alone (no centralised oracle: this process holds no area\'s data)')
    .option('--dir <dir>', 'with --area-processes: where the parties\' files go (default: a new folder in the OS temp dir)')
    .option('--nats <url>', 'with --parties or --area-processes: the NATS server to use')
    .option('--json', 'print one JSON object instead of tables'))
    .action(action(async (opts: { scenario: string; case?: string; areas?: string; maxRounds?: string; oracle: boolean; json?: boolean; parties?: boolean; areaProcesses?: boolean; dir?: string; nats?: string }) => {
      const areas = intFlag('areas', opts.areas, 1);
      const maxRounds = intFlag('max-rounds', opts.maxRounds, 1);
      if (opts.nats !== undefined && !opts.parties && !opts.areaProcesses) throw new InputError('only with --parties or --area-processes (the areas are in this process otherwise)', '--nats');
      if (opts.parties && opts.areaProcesses) throw new InputError('give --parties (areas in this process, over messages) or --area-processes (each its own process), not both', '--area-processes');
      if (opts.dir !== undefined && !opts.areaProcesses) throw new InputError('only with --area-processes', '--dir');
      let local: LocalNatsServer | undefined;
      // The areas of one pass solve side by side: a solver thread per core (two at most, as zonal sim).
      configureSolver({ workers: Math.min(2, availableParallelism()) });
      try {
        const setup = await splitSetup(loadScenario(opts.scenario), { caseRef: opts.case, areas });
        const say = (line: string) => { if (!opts.json) console.log(line); };
        const onLossRound = (k: number, r: { rounds: number; costYuan: number; converged: boolean }, vGap: number) =>
          say(`loss round ${k}: ${r.rounds} ADMM round(s)${r.converged ? '' : ' (round limit)'}, cost ${yuan(r.costYuan)} yuan, max |V_LP − V_AC| ${vGap.toExponential(2)} pu`);
        let over: SplitTransport | undefined, transport = 'in process (no messages)';
        if (opts.areaProcesses) return await deployed(setup, opts, maxRounds, onLossRound, say, (l) => { local = l; });
        if (opts.parties) {
          const runId = `split-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
          const auth = natsAuthFromOptions(opts as unknown as Record<string, unknown>);
          const nats = await chooseNats(opts.nats, say, auth);
          local = nats?.local;
          if (nats) {
            over = { connect: (name) => NatsTransport.connect({ servers: nats.url, name, runId, requireJetStream: false, auth }), timeoutMs: AREA_TIMEOUT_MS };
            transport = `NATS ${nats.url}, run ${runId}`;
          } else {
            const bus = new InProcessBus();
            over = { connect: async (name) => bus.connect({ name, runId }), timeoutMs: AREA_TIMEOUT_MS };
            transport = `in-process bus, run ${runId}`;
          }
        }
        say(`Network split — scenario "${setup.scenario.name}" (seed ${setup.scenario.seed}), feeder ${setup.inputs.net.feeder.name}, ${setup.inputs.net.nBus} buses, ` +
          `${setup.areas.length} areas (${setup.areasFrom === 'zones' ? 'the scenario\'s zones' : 'equal subtrees'})`);
        if (opts.oracle) {
          const study = await runSplitStudy(setup.inputs, setup.zones, setup.areas, { successive: true, maxRounds, onLossRound, over });
          const report = { ...splitReport(setup.scenario.name, setup.scenario.seed, study), transport };
          if (opts.json) printJson(report);
          else printSplit(report);
          return report.converged ? 0 : notConverged(report.rounds.perLossRound);
        }
        const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
        const run = await runSplitDispatch(setup.inputs, split, { maxRounds, onLossRound, over });
        const report = {
          scenario: setup.scenario.name, seed: setup.scenario.seed, feeder: setup.inputs.net.feeder.name, buses: setup.inputs.net.nBus, transport,
          areas: split.areas.length, cutLines: split.cutLines.length, converged: run.converged,
          rounds: { admm: run.admmRounds, perLossRound: run.roundsPerLossRound }, costYuan: run.final.costYuan,
          maxAbsVDiffPu: run.maxAbsVDiffPu, closingMismatchKw: run.final.closingMismatchKw, splitS: run.wallMs / 1000,
        };
        if (opts.json) printJson(report);
        else console.log(`split: ${yuan(report.costYuan)} yuan in ${report.rounds.admm} ADMM rounds, ${report.splitS.toFixed(1)} s (no centralised solve: --no-oracle)`);
        return run.converged ? 0 : notConverged(run.roundsPerLossRound);
      } finally {
        await local?.stop();
        await shutdownSolver();
      }
    }));
}

/** `--area-processes`: every area its own process (split-processes.ts); the split's own figures, no oracle. */
async function deployed(setup: SplitSetup, opts: { nats?: string; dir?: string; json?: boolean }, maxRounds: number | undefined, onLossRound: SplitDispatchOptions['onLossRound'],
  say: (l: string) => void, started: (l: LocalNatsServer | undefined) => void): Promise<number> {
  const runId = `split-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const auth = natsAuthFromOptions(opts as unknown as Record<string, unknown>);
  const nats = await chooseNats(opts.nats, say, auth);
  started(nats?.local);
  if (!nats) throw new InputError('needs a NATS server for its processes: none answers and nats-server cannot start here', '--area-processes', 'install nats-server, pass --nats URL, or use --parties (the areas in this process, over the in-process bus)');
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), `zonal-${runId}-`)));
  const run = await runAreaProcesses(setup, dir, { url: nats.url, auth }, runId, AREA_TIMEOUT_MS, { maxRounds, onLossRound }, say);
  const report = {
    scenario: setup.scenario.name, seed: setup.scenario.seed, feeder: setup.inputs.net.feeder.name, buses: setup.inputs.net.nBus,
    transport: `NATS ${nats.url}, run ${runId}, ${setup.areas.length} area processes`, dir,
    areas: setup.areas.length, converged: run.converged, rounds: { admm: run.admmRounds, perLossRound: run.roundsPerLossRound, areaSolves: run.areaSolves, reference: POWERMODELSADA_DC_ROUNDS },
    lossRounds: run.lossRounds, costYuan: run.final.costYuan, costs: run.final.costs, maxAbsVDiffPu: run.maxAbsVDiffPu, closingMismatchKw: run.final.closingMismatchKw, splitS: run.wallMs / 1000,
  };
  if (opts.json) printJson(report);
  else console.log(`split over ${report.transport}: ${yuan(report.costYuan)} yuan in ${report.rounds.admm} ADMM rounds (${report.rounds.perLossRound.join(', ')}), areas' max |V_LP − V_AC| ${report.maxAbsVDiffPu.toExponential(2)} pu, ${report.splitS.toFixed(1)} s; files in ${dir}`);
  return run.converged ? 0 : notConverged(run.roundsPerLossRound);
}

function intFlag(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min) throw new InputError(`must be an integer >= ${min}, got "${raw}"`, `--${name}`);
  return v;
}

function notConverged(rounds: number[]): number {
  process.stderr.write(`error: ADMM stopped at its round limit before its tolerances (rounds per loss round: ${rounds.join(', ')}); the closing sweep's point is reported\n`);
  return EXIT_NOT_CONVERGED;
}

/** PowerModelsADA's published ADMM rounds on DC-OPF (docs, comparison.md: 2–4 areas, PGLib cases of 14–300 buses). */
const POWERMODELSADA_DC_ROUNDS = '14–204 rounds for 2–4 areas (DC-OPF, PowerModelsADA)';

function splitReport(scenario: string, seed: number, s: SplitStudy) {
  const r = s.run.final;
  return {
    scenario, seed, feeder: s.feeder, buses: s.buses, periods: s.periods,
    areas: s.areas, cutLines: s.cutLines, converged: s.run.converged,
    rounds: { admm: s.run.admmRounds, perLossRound: s.run.roundsPerLossRound, areaSolves: s.run.areaSolves, reference: POWERMODELSADA_DC_ROUNDS },
    lossRounds: s.run.lossRounds,
    costYuan: s.splitCostYuan, costs: r.costs,
    centralised: { objectiveYuan: s.centralised.objective, rows: s.centralised.rows, cols: s.centralised.cols },
    gapPct: s.gapPct,
    successive: s.successive,
    maxAbsVDiffPu: s.run.maxAbsVDiffPu,
    wholeFeederVDiffPu: s.run.wholeVDiffPu,
    closingMismatchKw: r.closingMismatchKw,
    timeS: { split: s.run.wallMs / 1000, areaSolves: s.run.areaSolveMs / 1000, centralised: s.centralised.wallMs / 1000, centralisedDispatch: (s.successive?.wallMs ?? 0) / 1000 },
    roundLog: r.roundLog,
  };
}

type SplitReport = ReturnType<typeof splitReport> & { transport: string };

const pct = (v: number) => `${v >= 0 ? '+' : ''}${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(1) : v.toFixed(4)}%`;
const yuan = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function printSplit(r: SplitReport): void {
  const areas = table({ head: ['area', 'buses', 'zones'], colAligns: ['right', 'right', 'left'] });
  for (const a of r.areas) areas.push([a.id, a.buses, a.zones.join(', ')]);
  console.log(areas.toString());
  const t = table({ head: ['', 'split', 'centralised'], colAligns: ['left', 'right', 'right'] });
  t.push(
    ['cost (yuan/day, same LP)', yuan(r.costYuan), yuan(r.centralised.objectiveYuan)],
    ['gap', pct(r.gapPct), ''],
    ['gap to the whole successive-LP dispatch', r.successive ? pct(r.successive.gapPct) : '', r.successive ? yuan(r.successive.objective) : ''],
    ['ADMM rounds (per loss round)', `${r.rounds.admm} (${r.rounds.perLossRound.join(', ')}) + 2 sweeps`, ''],
    ['area LP solves (all areas)', String(r.rounds.areaSolves), ''],
    ['loss-correction rounds', String(r.lossRounds), r.successive ? String(r.successive.lossRounds) : ''],
    ['time (s)', r.timeS.split.toFixed(1), `${r.timeS.centralised.toFixed(2)} (one LP)`],
    ['largest copy mismatch at the end (kW)', r.closingMismatchKw.toExponential(1), ''],
    ['max |V_LP − V_AC| (pu): areas\' own sweeps / whole feeder', `${r.maxAbsVDiffPu.toExponential(2)} / ${r.wholeFeederVDiffPu.toExponential(2)}`, ''],
    ['LP size (rows × cols)', '', `${r.centralised.rows} × ${r.centralised.cols}`],
  );
  console.log(t.toString());
  console.log(`cut lines: ${r.cutLines}; reference: ${r.rounds.reference}`);
  console.log(`areas reached: ${r.transport}`);
}
