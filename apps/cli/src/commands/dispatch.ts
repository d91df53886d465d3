import type { Command } from 'commander';
import { InputError } from '@zonal/core';
import { buildDispatchInputs, INJECTION_FROM_BUSES, runDispatch, uncoordinatedEvLoad, type DispatchResult } from '@zonal/dispatch';
import { loadFeeder } from '@zonal/feeder';
import { clock, loadScenario } from '@zonal/scenario';
import { LpExporter, shutdownSolver, SolverLimitError } from '@zonal/solver';
import { table } from '../table';
import { action, printJson } from '../run';
import { summary } from './index';

export function registerDispatch(program: Command): void {
  program
    .command('dispatch')
    .description(summary('dispatch'))
    .option('--scenario <file>', 'scenario JSON file or built-in name', 'default')
    .option('--case <feeder>', "the feeder instead of the scenario's network.case: a MATPOWER case file or ieee33 (the scenario's DER buses must be in it)")
    .option('--json', 'print one JSON object instead of tables')
    .option('--export-lp <dir>', 'write every solved model as a CPLEX LP file (0001-dso.lp, ...)')
    .option('--constraints <mode>', 'lazy: voltage and line-rating rows added where the flows come near them (default); full: every row up front (the same optimum, more memory)', 'lazy')
    .option('--formulation <form>', `injection: the LP holds what the dispatch decides, the flows and voltages as expressions in it; branch: a column for every flow and voltage (the same optimum, a larger LP); auto: injection from ${INJECTION_FROM_BUSES} buses`, 'auto')
    .action(action(async (opts: { scenario: string; case?: string; json?: boolean; exportLp?: string; constraints: string; formulation: string }) => {
      if (opts.constraints !== 'lazy' && opts.constraints !== 'full') throw new InputError(`must be lazy or full, got "${opts.constraints}"`, '--constraints');
      if (opts.formulation !== 'injection' && opts.formulation !== 'branch' && opts.formulation !== 'auto') throw new InputError(`must be auto, injection or branch, got "${opts.formulation}"`, '--formulation');
      const { constraints, formulation } = opts;
      try {
        const scenario = loadScenario(opts.scenario);
        const feeder = loadFeeder(opts.case ?? scenario.network.case);
        const ev = uncoordinatedEvLoad(scenario, feeder);
        const inputs = buildDispatchInputs(scenario, feeder, ev.busLoadKw);
        const exporter = new LpExporter(opts.exportLp, 'dso');
        const result = await runDispatch(inputs, { exporter, constraints, formulation }).catch((e: unknown) => {
          if (e instanceof SolverLimitError && e.limit === 'memory' && constraints === 'full') {
            throw new SolverLimitError(`${e.message}, every voltage and rating row built`, e.modelName, 'memory', 'leave out --constraints full: lazy, the default, reaches the same optimum with the rows the flows come near');
          }
          throw e;
        });
        const report = dispatchReport(scenario.name, scenario.seed, feeder.name, scenario.time.dtH, ev, result, exporter.files);
        if (opts.json) printJson(report);
        else printDispatchTables(report);
      } finally {
        await shutdownSolver();
      }
    }));
}

type EvBaseline = ReturnType<typeof uncoordinatedEvLoad>;

function dispatchReport(scenario: string, seed: number, feeder: string, dtH: number, ev: EvBaseline, r: DispatchResult, lpFiles: string[]) {
  const c = r.costs;
  return {
    scenario,
    seed,
    feeder,
    dtH,
    evs: { count: ev.count, infeasible: ev.infeasible, energyKwh: ev.energyKwh, mode: 'uncoordinated' },
    objective: r.objective,
    costs: {
      purchase: c.purchaseYuan,
      diesel: c.dieselYuan,
      curtailment: c.curtailmentYuan,
      carbon: c.carbonYuan,
      demandCharge: c.demandChargeYuan,
      total: c.totalYuan,
      penalties: c.penaltyYuan,
    },
    carbon: { emissionsT: r.emissionsT, quotaT: r.quotaT, excessT: r.excessT },
    rounds: r.rounds,
    constraints: r.constraintStats,
    acCheck: r.acCheck,
    schedule: r.schedule,
    lpFiles,
  };
}

type DispatchReport = ReturnType<typeof dispatchReport>;

function limitRows(c: DispatchResult['constraintStats']): string {
  const held = c.limitRows.polygon + c.limitRows.voltage, all = c.fullLimitRows.polygon + c.fullLimitRows.voltage;
  return c.mode === 'full' ? `all ${all} (full)` : `${held} of ${all} (lazy)`;
}

const yuan = (v: number) => v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function printDispatchTables(r: DispatchReport): void {
  const ac = r.acCheck;
  console.log(`Low-carbon economic dispatch — scenario "${r.scenario}" (seed ${r.seed}), feeder ${r.feeder}`);
  console.log(`EVs: ${r.evs.count} uncoordinated (full power on arrival), ${(r.evs.energyKwh / 1000).toFixed(1)} MWh/day` +
    (r.evs.infeasible.length ? `; ${r.evs.infeasible.length} infeasible EV(s) dropped (first: ${r.evs.infeasible[0]})` : ''));
  const costs = table({ head: ['cost (yuan/day)', 'before coordination'], colAligns: ['left', 'right'] });
  costs.push(
    ['purchase', yuan(r.costs.purchase)],
    ['diesel', yuan(r.costs.diesel)],
    ['curtailment', yuan(r.costs.curtailment)],
    ['carbon', yuan(r.costs.carbon)],
  );
  if (r.costs.demandCharge) costs.push(['demand charge', yuan(r.costs.demandCharge)]);
  costs.push(['total', yuan(r.costs.total)], ['penalties (soft limits)', yuan(r.costs.penalties)], ['optimiser objective', yuan(r.objective)]);
  console.log(costs.toString());
  console.log(`carbon: emissions ${r.carbon.emissionsT.toFixed(3)} t, quota ${r.carbon.quotaT.toFixed(3)} t, excess ${r.carbon.excessT.toFixed(3)} t`);

  const check = table({ head: ['AC check of the dispatched point', ''], colAligns: ['left', 'right'] });
  check.push(
    ['AC power flow converged', ac.converged ? 'yes' : 'NO'],
    ['losses AC / LP (kWh/day)', `${ac.lossKwh.toFixed(2)} / ${ac.lpLossKwh.toFixed(2)}`],
    ['reactive losses AC (kvarh/day)', ac.lossKvarh.toFixed(2)],
    ['minimum voltage (pu)', `${ac.vminPu.toFixed(5)} at bus ${ac.vminBusId}, ${clock(ac.vminPeriod * r.dtH)}`],
    ['max |V_LP − V_AC| (pu)', ac.maxAbsVDiffPu.toExponential(2)],
    ['successive-LP rounds (LP solves)', `${r.rounds} (${r.constraints.solves})`],
    ['voltage + rating rows in the LP', limitRows(r.constraints)],
    ['violations (bus-hours)', String(ac.violations.length)],
  );
  console.log(check.toString());
  if (ac.violations.length) {
    const v = table({ head: ['violation', 'bus', 'time', 'AC value', 'limit'] });
    for (const x of ac.violations.slice(0, 30)) {
      const unit = x.kind === 'rating' || x.kind === 'substation' ? 'kVA' : 'pu';
      v.push([x.kind, x.busId, clock(x.hour), `${x.value.toFixed(4)} ${unit}`, `${x.limit.toFixed(4)} ${unit}`]);
    }
    console.log(v.toString());
    if (ac.violations.length > 30) console.log(`… ${ac.violations.length - 30} more (all in --json)`);
  }
  if (r.lpFiles.length) console.log(`LP files: ${r.lpFiles.join(', ')}`);
}
