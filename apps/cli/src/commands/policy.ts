import type { Command } from 'commander';
import Table from 'cli-table3';
import { createRng } from '@zonal/core';
import { defaultCasePath, getPolicy, policyNames, type PolicyReport } from '@zonal/policies';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';
import { LpExporter, shutdownSolver } from '@zonal/solver';
import { action, printJson } from '../run';

export function registerPolicy(program: Command): void {
  program
    .command('policy')
    .argument('<name>', `zone policy: ${policyNames().join(', ')}`)
    .description('run one zone policy standalone on its source document\'s case (SPEC §7) and print that document\'s table')
    .option('--scenario <file>', 'policy case JSON (default: the shipped case of the policy)')
    .option('--json', 'print one JSON object instead of tables')
    .option('--export-lp <dir>', 'write every solved model as a CPLEX LP file (0001-<policy>.lp, ...)')
    .action(action(async (name: string, opts: { scenario?: string; json?: boolean; exportLp?: string }) => {
      try {
        const policy = getPolicy(name);
        const path = opts.scenario ?? defaultCasePath(name);
        if (!path) throw new Error(`policy ${name} ships no default case`);
        const c = parseWithSchema(policy.caseSchema, readJsonFile(path), path) as { seed: number };
        const exporter = new LpExporter(opts.exportLp, name);
        const report = await policy.runCase(c, { exporter, rng: createRng(c.seed) });
        if (opts.json) printJson({ policy: report.policy, case: report.caseName, seed: report.seed, objective: report.objective, ...report.rows, notes: report.notes, lpFiles: exporter.files });
        else printReport(report, exporter.files);
      } finally {
        await shutdownSolver();
      }
    }));
}

function printReport(r: PolicyReport, lpFiles: string[]): void {
  console.log(`policy ${r.policy} — case "${r.caseName}" (seed ${r.seed})`);
  for (const t of r.tables) {
    console.log(`\n${t.title}`);
    const table = new Table({ head: t.head, style: { head: [] } });
    for (const row of t.rows) table.push(row.map(String));
    console.log(table.toString());
  }
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`optimiser objective (last solve): ${r.objective.toFixed(4)}`);
  if (lpFiles.length) console.log(`LP files: ${lpFiles.join(', ')}`);
}
