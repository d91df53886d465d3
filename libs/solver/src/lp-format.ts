/**
 * CPLEX LP text in the subset GLPK 5 reads (SPEC §2), also read by CBC and HiGHS:
 * - no constant in the objective: a variable `const_one`, fixed to 1, carries it;
 * - names from `[A-Za-z0-9_().]` only (the builder refuses other family names);
 * - GLPK has no ranged rows (`lo <= expr <= hi`): a range becomes rows `name.lo` and `name.hi`
 *   (a family cannot contain `.`, so these names are unique);
 * - lines wrapped below 255 characters (CPLEX reads at most 510);
 * - numbers in shortest round-trip form, so every coefficient is read back bit for bit;
 * - no quadratic terms: a QP is refused unless `quadratic: 'cplex'` asks for CPLEX's
 *   `[ ... ] / 2` objective, which HiGHS and CPLEX read but GLPK does not.
 */
import { InputError } from '@zonal/core';
import { UnsupportedModelError } from './errors';
import type { ModelBuilder } from './model';
import { CONSTANT_COLUMN, MAX_NAME_LENGTH, OBJECTIVE_ROW } from './names';

export interface LpFormatOptions {
  /** 'refuse' (default): a QP throws UnsupportedModelError. 'cplex': write CPLEX's quadratic objective. */
  quadratic?: 'refuse' | 'cplex';
}

const MAX_LINE = 250;

export function toCplexLp(model: ModelBuilder, opts: LpFormatOptions = {}): string {
  const m = model.toArrays({ copy: false });
  if (m.hessian && opts.quadratic !== 'cplex') {
    throw new UnsupportedModelError(
      `model "${model.name}" has a quadratic objective: QP is not exported; export its piecewise-linear variant`,
      model.name,
    );
  }
  const colNames = uniqueNames(model, 'variable', m.numCols, (j) => model.colName(j));
  const rowNames = uniqueNames(model, 'constraint', m.numRows, (i) => model.rowName(i));
  const needConstant = m.objectiveConstant !== 0 || m.numCols === 0;
  // A row or objective with no terms still needs one: `0 x` is legal and changes nothing.
  const placeholder = m.numCols > 0 ? colNames[0] : CONSTANT_COLUMN;
  const out = new LineWriter();

  out.line(`\\ Model "${model.name}": ${m.numCols} variables, ${m.numRows} constraints, ${m.values.length} nonzeros (@zonal/solver)`);
  if (m.objectiveConstant !== 0) out.line(`\\ The objective constant ${num(m.objectiveConstant)} is the cost of ${CONSTANT_COLUMN}, fixed to 1.`);
  out.line(m.sense === 'maximize' ? 'Maximize' : 'Minimize');
  out.start(` ${OBJECTIVE_ROW}:`);
  let terms = 0;
  for (let j = 0; j < m.numCols; j++) {
    if (m.colCost[j] !== 0) {
      out.term(m.colCost[j], colNames[j], terms === 0);
      terms++;
    }
  }
  if (needConstant) {
    out.term(m.objectiveConstant, CONSTANT_COLUMN, terms === 0);
    terms++;
  }
  if (terms === 0) out.term(0, placeholder, true);
  if (m.hessian) writeQuadratic(out, m.hessian, colNames, terms > 0);
  out.end();

  out.line('Subject To');
  for (let i = 0; i < m.numRows; i++) {
    const lo = m.rowLower[i];
    const hi = m.rowUpper[i];
    const writeRow = (name: string, op: string, rhs: number) => {
      out.start(` ${name}:`);
      const from = m.rowStarts[i];
      const to = m.rowStarts[i + 1];
      for (let p = from; p < to; p++) out.term(m.values[p], colNames[m.colIndex[p]], p === from);
      if (from === to) out.term(0, placeholder, true);
      out.raw(` ${op} ${num(rhs)}`);
      out.end();
    };
    if (lo === hi) writeRow(rowNames[i], '=', lo);
    else if (lo === -Infinity) writeRow(rowNames[i], '<=', hi);
    else if (hi === Infinity) writeRow(rowNames[i], '>=', lo);
    else {
      writeRow(`${rowNames[i]}.lo`, '>=', lo);
      writeRow(`${rowNames[i]}.hi`, '<=', hi);
    }
  }

  out.line('Bounds');
  for (let j = 0; j < m.numCols; j++) {
    const lb = m.colLower[j];
    const ub = m.colUpper[j];
    const name = colNames[j];
    if (m.colInteger[j] && lb === 0 && ub === 1) continue; // the Binaries section bounds it
    if (lb === 0 && ub === Infinity) continue; // the LP format's default
    if (lb === -Infinity && ub === Infinity) out.line(` ${name} free`);
    else if (lb === ub) out.line(` ${name} = ${num(lb)}`);
    else if (ub === Infinity) out.line(` ${name} >= ${num(lb)}`);
    else out.line(` ${lb === -Infinity ? '-inf' : num(lb)} <= ${name} <= ${num(ub)}`);
  }
  if (needConstant) out.line(` ${CONSTANT_COLUMN} = 1`);

  writeNameList(out, 'Generals', colNames, (j) => m.colInteger[j] === 1 && !(m.colLower[j] === 0 && m.colUpper[j] === 1));
  writeNameList(out, 'Binaries', colNames, (j) => m.colInteger[j] === 1 && m.colLower[j] === 0 && m.colUpper[j] === 1);
  out.line('End');
  return out.text();
}

/** CPLEX's `+ [ q11 x ^ 2 + 2 q21 x * y ... ] / 2` for the objective term 0.5 x'Qx. */
function writeQuadratic(out: LineWriter, q: { starts: Int32Array; rows: Int32Array; values: Float64Array }, names: string[], afterTerms: boolean): void {
  out.raw(afterTerms ? ' + [' : ' [');
  let first = true;
  for (let j = 0; j + 1 < q.starts.length; j++) {
    for (let p = q.starts[j]; p < q.starts[j + 1]; p++) {
      const i = q.rows[p];
      const coef = i === j ? q.values[p] : 2 * q.values[p];
      out.term(coef, i === j ? `${names[j]} ^ 2` : `${names[i]} * ${names[j]}`, first);
      first = false;
    }
  }
  out.raw(' ] / 2');
}

function writeNameList(out: LineWriter, section: string, names: string[], keep: (j: number) => boolean): void {
  let started = false;
  for (let j = 0; j < names.length; j++) {
    if (!keep(j)) continue;
    if (!started) {
      out.line(section);
      out.start('');
      started = true;
    }
    out.raw(` ${names[j]}`);
  }
  if (started) out.end();
}

function uniqueNames(model: ModelBuilder, kind: 'variable' | 'constraint', n: number, nameOf: (k: number) => string): string[] {
  const twins = kind === 'variable' ? model.duplicateColumns() : model.duplicateRows();
  if (twins) {
    throw new InputError(`two ${kind}s are named ${nameOf(twins[1])}: the LP file would merge them`, `model "${model.name}"`, 'give each index of a family once');
  }
  const names = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const name = nameOf(k);
    if (name.length > MAX_NAME_LENGTH) throw new InputError(`${kind} name ${name.slice(0, 40)}... is longer than ${MAX_NAME_LENGTH} characters`, `model "${model.name}"`);
    names[k] = name;
  }
  return names;
}

/** Shortest text that reads back as the same double; `-0` is written as 0. */
export function num(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`cannot write ${x} as an LP number`);
  return x === 0 ? '0' : String(x);
}

/** Accumulates lines, wrapping long expressions onto continuation lines that start with a space. */
class LineWriter {
  private readonly chunks: string[] = [];
  private current = '';

  line(text: string): void {
    this.chunks.push(text, '\n');
  }

  start(text: string): void {
    this.current = text;
  }

  term(coef: number, name: string, first: boolean): void {
    const sign = coef < 0 ? '-' : first ? '' : '+';
    this.raw(`${sign ? ` ${sign}` : ''} ${num(Math.abs(coef))} ${name}`);
  }

  raw(token: string): void {
    if (this.current.length + token.length > MAX_LINE && this.current.trim().length > 0) {
      this.chunks.push(this.current, '\n');
      this.current = ' ';
    }
    this.current += token;
  }

  end(): void {
    this.chunks.push(this.current, '\n');
    this.current = '';
  }

  text(): string {
    return this.chunks.join('');
  }
}
