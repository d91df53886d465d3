import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { runSplitDispatch, runSplitStudy, splitNetwork, splitSetup, type SplitStudy } from '@zonal/network-split';
import { loadScenario } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';

/** Exit code when ADMM stopped at its round limit: the closing point is reported all the same (see run.ts). */
const EXIT_NOT_CONVERGED = 1;

export function registerNetworkSplit(program: Command): void {
  program
    .command('network-split')
    .description('the feeder split into areas that each solve their own part (LinDistFlow with losses, their zones\' EVs), coordinated on the cut lines by consensus ADMM; rounds, gap to the centralised LP, time')
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--case <feeder>', "the feeder instead of the scenario's network.case: a MATPOWER case file or ieee33 (the scenario's DER buses must be in it)")
    .option('--areas <N>', 'N equal subtree areas, each made a zone of the scenario (default: the scenario\'s own zones are the areas)')
    .option('--max-rounds <N>', 'ADMM rounds per loss-correction round at most (default 300)')
    .option('--no-oracle', 'skip the centralised solves (a network too big for one LP)')
    .option('--json', 'print one JSON object instead of tables')
    .action(action(async (opts: { scenario: string; case?: string; areas?: string; maxRounds?: string; oracle: boolean; json?: boolean }) => {
      const areas = intFlag('areas', opts.areas, 1);
      const maxRounds = intFlag('max-rounds', opts.maxRounds, 1);
      try {
        const setup = await splitSetup(loadScenario(opts.scenario), { caseRef: opts.case, areas });
        const say = (line: string) => { if (!opts.json) console.log(line); };
        const onLossRound = (k: number, r: { rounds: number; costYuan: number; converged: boolean }, vGap: number) =>
          say(`loss round ${k}: ${r.rounds} ADMM round(s)${r.converged ? '' : ' (round limit)'}, cost ${yuan(r.costYuan)} yuan, max |V_LP − V_AC| ${vGap.toExponential(2)} pu`);
        say(`Network split — scenario "${setup.scenario.name}" (seed ${setup.scenario.seed}), feeder ${setup.inputs.net.feeder.name}, ${setup.inputs.net.nBus} buses, ` +
          `${setup.areas.length} areas (${setup.areasFrom === 'zones' ? 'the scenario\'s zones' : 'equal subtrees'})`);
        if (opts.oracle) {
          const study = await runSplitStudy(setup.inputs, setup.zones, setup.areas, { successive: true, maxRounds, onLossRound });
          const report = splitReport(setup.scenario.name, setup.scenario.seed, study);
          if (opts.json) printJson(report);
          else printSplit(report);
          return report.converged ? 0 : notConverged(report.rounds.perLossRound);
        }
        const split = splitNetwork(setup.inputs, setup.areas, setup.zones);
        const run = await runSplitDispatch(setup.inputs, split, { maxRounds, onLossRound });
        const report = {
          scenario: setup.scenario.name, seed: setup.scenario.seed, feeder: setup.inputs.net.feeder.name, buses: setup.inputs.net.nBus,
          areas: split.areas.length, cutLines: split.cutLines.length, converged: run.converged,
          rounds: { admm: run.admmRounds, perLossRound: run.roundsPerLossRound }, costYuan: run.final.costYuan,
          maxAbsVDiffPu: run.maxAbsVDiffPu, closingMismatchKw: run.final.closingMismatchKw, splitS: run.wallMs / 1000,
        };
        if (opts.json) printJson(report);
        else console.log(`split: ${yuan(report.costYuan)} yuan in ${report.rounds.admm} ADMM rounds, ${report.splitS.toFixed(1)} s (no centralised solve: --no-oracle)`);
        return run.converged ? 0 : notConverged(run.roundsPerLossRound);
      } finally {
        await shutdownSolver();
      }
    }));
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
    closingMismatchKw: r.closingMismatchKw,
    timeS: { split: s.run.wallMs / 1000, areaSolves: s.run.areaSolveMs / 1000, centralised: s.centralised.wallMs / 1000, centralisedDispatch: (s.successive?.wallMs ?? 0) / 1000 },
    roundLog: r.roundLog,
  };
}

type SplitReport = ReturnType<typeof splitReport>;

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
    ['max |V_LP − V_AC| (pu)', r.maxAbsVDiffPu.toExponential(2), ''],
    ['LP size (rows × cols)', '', `${r.centralised.rows} × ${r.centralised.cols}`],
  );
  console.log(t.toString());
  console.log(`cut lines: ${r.cutLines}; reference: ${r.rounds.reference}`);
}
