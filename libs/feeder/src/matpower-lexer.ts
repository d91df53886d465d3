/**
 * Splits a MATPOWER case file (a MATLAB function) into statements and numeric matrices, keeping the
 * line each came from. Comments (`%`), continuations (`...`), string literals and `[ ... ];` matrices
 * with `;` or newline row ends are understood; what a statement means is decided elsewhere.
 */
import { InputError } from '@zonal/core';

export interface MatrixRow {
  values: number[];
  line: number;
}

export type Statement =
  | { kind: 'code'; text: string; line: number }
  | { kind: 'matrix'; field: string; rows: MatrixRow[]; line: number; comment: string }
  | { kind: 'cell'; field: string; line: number };

interface LogicalLine {
  code: string;
  comment: string;
  line: number;
}

/** MATLAB: a quote opens a string unless it follows a value (then it is the transpose operator). */
function quoteOpensString(code: string): boolean {
  const prev = code.trimEnd().at(-1);
  return prev === undefined || !/[\w)\]}.']/.test(prev);
}

/**
 * Strips comments, blanks string contents (they never matter here, and so cannot hide a `;` or a
 * bracket) and joins `...` continuations.
 */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let pending: LogicalLine | null = null;
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    let code = '', comment = '', continued = false;
    for (let c = 0; c < raw.length; c++) {
      const ch = raw[c];
      if (ch === '%') {
        comment = raw.slice(c + 1);
        break;
      }
      if (raw.startsWith('...', c)) {
        continued = true;
        comment = raw.slice(c + 3);
        break;
      }
      if (ch === "'" && quoteOpensString(code)) {
        let end = c + 1;
        while (end < raw.length && !(raw[end] === "'" && raw[end + 1] !== "'")) end += raw[end] === "'" ? 2 : 1;
        code += "''";
        c = end;
        continue;
      }
      code += ch;
    }
    const here: LogicalLine = pending
      ? { code: `${pending.code} ${code}`, comment: `${pending.comment} ${comment}`, line: pending.line }
      : { code, comment, line: i + 1 };
    if (continued) pending = here;
    else {
      pending = null;
      out.push(here);
    }
  });
  if (pending) out.push(pending);
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$/;
const SPECIAL: Record<string, number> = { Inf: Infinity, '+Inf': Infinity, '-Inf': -Infinity, inf: Infinity, '-inf': -Infinity, NaN: NaN };

function parseNumber(token: string, line: number, source: string): number {
  if (NUMBER.test(token)) return Number(token.replace(/[dD]/, 'e'));
  if (Object.hasOwn(SPECIAL, token)) return SPECIAL[token];
  throw new InputError(`cannot read "${token}" as a number in a matrix`, `${source}:${line}`);
}

/** Splits `code` on `;` and `,` that are outside brackets and parentheses. */
function splitStatements(code: string): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let c = 0; c < code.length; c++) {
    const ch = code[c];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if ((ch === ';' || ch === ',') && depth === 0) {
      parts.push(code.slice(start, c));
      start = c + 1;
    }
  }
  parts.push(code.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const OPEN_DATA = /^\s*mpc\.(\w+)\s*=\s*([[{])/;

export function lexMatpower(text: string, source: string): Statement[] {
  const lines = logicalLines(text);
  const statements: Statement[] = [];
  let i = 0;
  while (i < lines.length) {
    const { code, comment, line } = lines[i];
    const open = OPEN_DATA.exec(code);
    if (!open) {
      for (const s of splitStatements(code)) statements.push({ kind: 'code', text: s, line });
      i++;
      continue;
    }
    const [head, field, bracket] = open;
    const close = bracket === '[' ? ']' : '}';
    // Collect the body up to the closing bracket, one logical line at a time.
    const body: { code: string; line: number }[] = [];
    let rest = code.slice(head.length), j = i, tail: string | null = null;
    for (;;) {
      const at = rest.indexOf(close);
      if (at >= 0) {
        body.push({ code: rest.slice(0, at), line: lines[j].line });
        tail = rest.slice(at + 1);
        break;
      }
      body.push({ code: rest, line: lines[j].line });
      // The next block starting before this one closed means the rows ran out: a cut-off file.
      if (++j >= lines.length || OPEN_DATA.test(lines[j].code)) break;
      rest = lines[j].code;
    }
    if (tail === null) {
      throw new InputError(`matrix mpc.${field} opened here is never closed with "${close}" (truncated file?)`, `${source}:${line}`);
    }
    if (bracket === '{') statements.push({ kind: 'cell', field, line });
    else statements.push({ kind: 'matrix', field, rows: matrixRows(body, source), line, comment });
    for (const s of splitStatements(tail)) statements.push({ kind: 'code', text: s, line: lines[j].line });
    i = j + 1;
  }
  return statements;
}

function matrixRows(body: { code: string; line: number }[], source: string): MatrixRow[] {
  const rows: MatrixRow[] = [];
  for (const { code, line } of body) {
    for (const rowText of code.split(';')) {
      const tokens = rowText.split(/[\s,]+/).filter((t) => t.length > 0);
      if (tokens.length > 0) rows.push({ values: tokens.map((t) => parseNumber(t, line, source)), line });
    }
  }
  return rows;
}
