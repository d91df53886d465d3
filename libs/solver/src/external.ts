/**
 * An independent second solve of an exported LP file by GLPK (`glpsol`, Debian glpk-utils) or CBC
 * (Debian coinor-cbc): the check that a model and its export mean the same thing. For tests and
 * audits; `externalSolverAvailable` lets a test skip with a message when a binary is absent.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ExternalSolverName = 'glpsol' | 'cbc';

export interface ExternalSolve {
  solver: ExternalSolverName;
  status: 'optimal' | 'infeasible' | 'unbounded' | 'other';
  /** As printed by the solver: GLPK's report has 10 significant digits, CBC's solution file 8 decimals. */
  objective: number | null;
  /** The solver's console output and report, for failure messages. */
  output: string;
}

export function externalSolverAvailable(solver: ExternalSolverName): boolean {
  const r = spawnSync(solver, solver === 'glpsol' ? ['--version'] : ['-quit'], { encoding: 'utf8', timeout: 10_000 });
  return !r.error;
}

export function solveLpFile(file: string, solver: ExternalSolverName, timeLimitS = 120): ExternalSolve {
  const dir = mkdtempSync(join(tmpdir(), 'zonal-lp-'));
  try {
    return solver === 'glpsol' ? runGlpsol(file, dir, timeLimitS) : runCbc(file, dir, timeLimitS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `glpsol --lp FILE -o OUT`: the report's `Status:` and `Objective:  obj = V` lines. */
function runGlpsol(file: string, dir: string, timeLimitS: number): ExternalSolve {
  const report = join(dir, 'glpsol.txt');
  const r = spawnSync('glpsol', ['--lp', file, '-o', report, '--tmlim', String(Math.ceil(timeLimitS))], { encoding: 'utf8', timeout: (timeLimitS + 30) * 1000 });
  const console = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  let text = '';
  try {
    text = readFileSync(report, 'utf8');
  } catch {
    return { solver: 'glpsol', status: 'other', objective: null, output: console };
  }
  const statusLine = /^Status:\s+(.+)$/m.exec(text)?.[1].trim() ?? '';
  const objective = /^Objective:\s+\S+\s+=\s+(\S+)/m.exec(text)?.[1];
  let status: ExternalSolve['status'] = 'other';
  if (statusLine === 'OPTIMAL' || statusLine === 'INTEGER OPTIMAL') status = 'optimal';
  else if (/NO (PRIMAL|INTEGER) FEASIBLE/.test(console) || /INFEASIBLE|EMPTY/.test(statusLine)) status = 'infeasible';
  else if (/NO DUAL FEASIBLE|UNBOUNDED/.test(console + statusLine)) status = 'unbounded';
  return { solver: 'glpsol', status, objective: status === 'optimal' && objective ? Number(objective) : null, output: `${console}\n${text}` };
}

/** `cbc FILE solve solu OUT`: the solution file's first line, `Optimal - objective value V`. */
function runCbc(file: string, dir: string, timeLimitS: number): ExternalSolve {
  const solution = join(dir, 'cbc.sol');
  const r = spawnSync('cbc', [file, 'sec', String(Math.ceil(timeLimitS)), 'solve', 'solu', solution], { encoding: 'utf8', timeout: (timeLimitS + 30) * 1000 });
  const console = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  let first = '';
  try {
    first = readFileSync(solution, 'utf8').split('\n')[0];
  } catch {
    return { solver: 'cbc', status: 'other', objective: null, output: console };
  }
  const m = /^(.*?)\s*-\s*objective value\s+(\S+)/.exec(first);
  const word = (m?.[1] ?? first).trim().toLowerCase();
  const status: ExternalSolve['status'] = word === 'optimal' ? 'optimal' : word.startsWith('infeasible') ? 'infeasible' : word.startsWith('unbounded') ? 'unbounded' : 'other';
  return { solver: 'cbc', status, objective: status === 'optimal' && m ? Number(m[2]) : null, output: `${console}\n${first}` };
}
