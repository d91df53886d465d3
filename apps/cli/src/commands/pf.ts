import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { loadFeeder, solveFeeder, type Feeder, type FeederSolution } from '@zonal/feeder';
import { table } from '../table';
import { action, numberFlag, printJson } from '../run';
import { summary } from './index';

/** Exit code for a power flow that did not converge: a result, not bad input (see run.ts). */
const EXIT_NOT_CONVERGED = 1;

export function registerPf(program: Command): void {
  program
    .command('pf')
    .description(summary('pf'))
    .argument('<case>', 'a MATPOWER case file (.m), or "ieee33" for the built-in IEEE 33-bus feeder')
    .option('--scale <S>', 'multiply every load P and Q by S (> 0; default 1)')
    .option('--json', 'print one JSON object: lossKw, lossKvar, vminPu, vminBus, vmPu[], vaDeg[], pSubKw, qSubKvar, iterations, converged')
    .action(action((ref: string, opts: { scale?: string; json?: boolean }) => {
      const scale = numberFlag('scale', opts.scale, 1);
      if (scale <= 0) throw new InputError(`must be > 0, got ${scale}`, '--scale');
      const feeder = loadFeeder(ref);
      const s = solveFeeder(feeder, { scale });
      if (opts.json) printJson(pfReport(s));
      else printPfTable(feeder, scale, s);
      if (s.converged) return 0;
      process.stderr.write(`error: power flow did not converge in ${s.iterations} sweeps (voltage collapse at --scale ${scale}?)\n`);
      return EXIT_NOT_CONVERGED;
    }));
}

/** The `--json` contract; arrays follow the bus order of the case file. */
function pfReport(s: FeederSolution) {
  return {
    lossKw: s.lossKw,
    lossKvar: s.lossKvar,
    vminPu: s.vminPu,
    vminBus: s.vminBus,
    vmPu: Array.from(s.vmPu),
    vaDeg: Array.from(s.vaDeg),
    pSubKw: s.pSubKw,
    qSubKvar: s.qSubKvar,
    iterations: s.iterations,
    converged: s.converged,
  };
}

function printPfTable(feeder: Feeder, scale: number, s: FeederSolution): void {
  const open = feeder.branches.filter((b) => !b.inService).length;
  console.log(`Power flow: ${feeder.name}, ${feeder.buses.length} buses, ${feeder.branches.length - open} branches in service` +
    `${open ? ` (${open} open)` : ''}, ${feeder.baseKv} kV, loads x ${scale}`);
  const t = table({ head: ['quantity', 'value'], colAligns: ['left', 'right'] });
  t.push(
    ['losses (kW)', s.lossKw.toFixed(2)],
    ['losses (kvar)', s.lossKvar.toFixed(2)],
    ['minimum voltage (pu)', `${s.vminPu.toFixed(5)} at bus ${s.vminBus}`],
    ['substation P (kW)', s.pSubKw.toFixed(2)],
    ['substation Q (kvar)', s.qSubKvar.toFixed(2)],
    ['iterations (sweeps)', String(s.iterations)],
    ['converged', s.converged ? 'yes' : 'NO'],
  );
  console.log(t.toString());
}
