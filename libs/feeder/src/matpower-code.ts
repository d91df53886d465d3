/**
 * The executable statements a MATPOWER case file may hold besides its data. Newer MATPOWER feeder
 * cases (case69, case85, case141 v2, case33bw, ...) end with code that converts ohms to per-unit and
 * kW (or kVA at a power factor) to MW/MVAr. This file recognises exactly the forms such code uses:
 *
 *   [PQ, PV, ..., MU_VMIN] = idx_bus;            (and idx_brch, idx_gen: column names)
 *   Vbase = mpc.bus(1, BASE_KV) * 1e3;            (scalar assignment)
 *   mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);
 *   mpc.bus(:, QD) = mpc.bus(:, PD) * sin(acos(pf));
 *
 * i.e. scalar arithmetic (+ - * / ^, sin cos tan asin acos atan sqrt abs exp) and column blocks scaled
 * or combined element-wise. Anything else is refused as "unknown code at line N", never guessed at.
 */
import { InputError } from '@zonal/core';

/** A block of matrix entries (rows of values) or a scalar. */
type Value = number | number[][];

export interface CaseWorkspace {
  /** mpc numeric fields: baseMVA as a scalar, bus/gen/branch/... as matrices. */
  matrices: Map<string, number[][]>;
  scalars: Map<string, number>;
  /** Workspace variables (pf, Vbase, column names from idx_bus, ...). */
  vars: Map<string, number>;
  /** Matrices that some statement wrote to. */
  modified: Set<string>;
}

// Output order of MATPOWER's idx_bus, idx_brch and idx_gen: the i-th output is column i (the first
// four of idx_bus are the bus-type codes PQ=1, PV=2, REF=3, NONE=4).
const IDX_FUNCTIONS: Record<string, number[]> = {
  idx_bus: [1, 2, 3, 4, ...Array.from({ length: 17 }, (_, i) => i + 1)],
  idx_brch: Array.from({ length: 21 }, (_, i) => i + 1),
  idx_gen: Array.from({ length: 25 }, (_, i) => i + 1),
};

const FUNCTIONS: Record<string, (x: number) => number> = {
  sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sqrt: Math.sqrt, abs: Math.abs, exp: Math.exp,
};

class Unknown extends Error {}

type Token = { kind: 'num'; value: number } | { kind: 'id'; name: string } | { kind: 'op'; op: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_]\w*)|(\.\*|\.\/|\.\^|[-+*/^()[\],:.]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Unknown(`unexpected "${text.slice(at).trim()[0]}"`);
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]) });
    else if (m[2] !== undefined) tokens.push({ kind: 'id', name: m[2] });
    else tokens.push({ kind: 'op', op: m[3] });
    at = re.lastIndex;
  }
  return tokens;
}

function combine(a: Value, b: Value, f: (x: number, y: number) => number, op: string): Value {
  if (typeof a === 'number' && typeof b === 'number') return f(a, b);
  if (typeof a === 'number') return (b as number[][]).map((row) => row.map((y) => f(a, y)));
  if (typeof b === 'number') return a.map((row) => row.map((x) => f(x, b)));
  const elementwise = op !== '*' && op !== '/' && op !== '^';
  if (!elementwise) throw new Unknown(`matrix "${op}" between two blocks`);
  if (a.length !== b.length || a[0].length !== b[0].length) throw new Unknown('blocks of different sizes');
  return a.map((row, i) => row.map((x, j) => f(x, b[i][j])));
}

const BINARY: Record<string, (x: number, y: number) => number> = {
  '+': (x, y) => x + y, '-': (x, y) => x - y, '*': (x, y) => x * y, '.*': (x, y) => x * y,
  '/': (x, y) => x / y, './': (x, y) => x / y, '^': (x, y) => x ** y, '.^': (x, y) => x ** y,
};

type Index = number[] | 'all';
/** `mpc.field` (rows/cols null) or `mpc.field(rows, cols)`. */
interface MpcRef {
  field: string;
  rows: Index | null;
  cols: Index | null;
  scalarIndex: boolean;
}

/** Recursive-descent evaluator over one statement's tokens. */
class Expr {
  private at = 0;
  constructor(private readonly tokens: Token[], private readonly ws: CaseWorkspace) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }
  private peekOp(...ops: string[]): string | null {
    const t = this.tokens[this.at];
    return t?.kind === 'op' && ops.includes(t.op) ? t.op : null;
  }
  private expectOp(op: string): void {
    if (!this.peekOp(op)) throw new Unknown(`expected "${op}"`);
    this.at++;
  }
  private expectId(): string {
    const t = this.tokens[this.at++];
    if (t?.kind !== 'id') throw new Unknown('expected a name');
    return t.name;
  }

  expr(): Value {
    let v = this.term();
    for (let op = this.peekOp('+', '-'); op; op = this.peekOp('+', '-')) {
      this.at++;
      v = combine(v, this.term(), BINARY[op], op);
    }
    return v;
  }
  private term(): Value {
    let v = this.unary();
    for (let op = this.peekOp('*', '/', '.*', './'); op; op = this.peekOp('*', '/', '.*', './')) {
      this.at++;
      v = combine(v, this.unary(), BINARY[op], op);
    }
    return v;
  }
  private unary(): Value {
    const sign = this.peekOp('-', '+');
    if (sign) {
      this.at++;
      const v = this.unary();
      return sign === '-' ? combine(-1, v, BINARY['*'], '*') : v;
    }
    return this.power();
  }
  /** MATLAB: `^` binds tighter than unary minus and associates left; its operand may be signed. */
  private power(): Value {
    let v = this.primary();
    for (let op = this.peekOp('^', '.^'); op; op = this.peekOp('^', '.^')) {
      this.at++;
      const sign = this.peekOp('-', '+');
      if (sign) this.at++;
      const e = this.primary();
      v = combine(v, sign === '-' ? combine(-1, e, BINARY['*'], '*') : e, BINARY[op], op);
    }
    return v;
  }
  private primary(): Value {
    const t = this.tokens[this.at++];
    if (!t) throw new Unknown('statement ends early');
    if (t.kind === 'num') return t.value;
    if (t.kind === 'op') {
      if (t.op !== '(') throw new Unknown(`unexpected "${t.op}"`);
      const v = this.expr();
      this.expectOp(')');
      return v;
    }
    if (t.name === 'mpc') return this.mpcRead();
    if (Object.hasOwn(FUNCTIONS, t.name)) {
      this.expectOp('(');
      const arg = this.expr();
      this.expectOp(')');
      if (typeof arg !== 'number') throw new Unknown(`${t.name}() of a matrix block`);
      return FUNCTIONS[t.name](arg);
    }
    const v = this.ws.vars.get(t.name);
    if (v === undefined) throw new Unknown(`unknown name "${t.name}"`);
    return v;
  }

  /** `mpc.field` or `mpc.field(rows, cols)` after the `mpc` token. */
  mpcRead(): Value {
    const { field, rows, cols, scalarIndex } = this.mpcRef();
    if (rows === null || cols === null) {
      const s = this.ws.scalars.get(field);
      if (s === undefined) throw new Unknown(`mpc.${field} is not a scalar`);
      return s;
    }
    const m = this.matrix(field);
    const r = rows === 'all' ? m.map((_, i) => i) : rows;
    const c = cols === 'all' ? m[0].map((_, j) => j) : cols;
    return scalarIndex ? m[r[0]][c[0]] : r.map((i) => c.map((j) => m[i][j]));
  }

  /** An assignment target: the statement must start with `mpc`. */
  mpcTarget(): MpcRef {
    const t = this.tokens[this.at++];
    if (t?.kind !== 'id' || t.name !== 'mpc') throw new Unknown('unsupported assignment target');
    const ref = this.mpcRef();
    if (!this.done()) throw new Unknown('unsupported assignment target');
    return ref;
  }

  private mpcRef(): MpcRef {
    this.expectOp('.');
    const field = this.expectId();
    if (!this.peekOp('(')) return { field, rows: null, cols: null, scalarIndex: false };
    this.at++;
    const m = this.matrix(field);
    const [rows, rowScalar] = this.index(m.length, 'row');
    this.expectOp(',');
    const [cols, colScalar] = this.index(m[0].length, 'column');
    this.expectOp(')');
    return { field, rows, cols, scalarIndex: rowScalar && colScalar };
  }

  private matrix(field: string): number[][] {
    const m = this.ws.matrices.get(field);
    if (!m || m.length === 0) throw new Unknown(`mpc.${field} is not a matrix defined above`);
    return m;
  }

  /** `:`, a scalar, or `[a b ...]`; returns zero-based positions and whether it was one scalar. */
  private index(size: number, what: string): [Index, boolean] {
    if (this.peekOp(':')) {
      this.at++;
      return ['all', false];
    }
    const list: Value[] = [];
    let scalar = true;
    if (this.peekOp('[')) {
      this.at++;
      scalar = false;
      while (!this.peekOp(']')) {
        list.push(this.expr());
        if (this.peekOp(',')) this.at++;
      }
      this.at++;
    } else list.push(this.expr());
    const positions = list.map((v) => {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > size) {
        throw new Unknown(`${what} index ${typeof v === 'number' ? v : 'block'} outside 1..${size}`);
      }
      return v - 1;
    });
    return [positions, scalar];
  }
}

/** Splits `lhs = rhs` on the one top-level `=` (not `==`, `<=`, `>=`, `~=`). */
function splitAssignment(text: string): [string, string] | null {
  let depth = 0;
  for (let c = 0; c < text.length; c++) {
    const ch = text[c];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === '=' && depth === 0 && text[c + 1] !== '=' && !'<>~='.includes(text[c - 1] ?? ' ')) {
      return [text.slice(0, c).trim(), text.slice(c + 1).trim()];
    }
  }
  return null;
}

function assignIntoMatrix(ws: CaseWorkspace, lhs: string, value: Value): void {
  const { field, rows, cols } = new Expr(tokenize(lhs), ws).mpcTarget();
  if (rows === null || cols === null) throw new Unknown(`unsupported assignment to mpc.${field}`);
  const m = ws.matrices.get(field)!;
  const r = rows === 'all' ? m.map((_, i) => i) : rows;
  const c = cols === 'all' ? m[0].map((_, j) => j) : cols;
  if (typeof value !== 'number' && (value.length !== r.length || value[0].length !== c.length)) {
    throw new Unknown(`assigning a ${value.length}x${value[0].length} block to ${r.length}x${c.length} entries`);
  }
  r.forEach((i, a) => c.forEach((j, b) => (m[i][j] = typeof value === 'number' ? value : value[a][b])));
  ws.modified.add(field);
}


const IDX_UNPACK = /^\[([\w\s,]+)\]\s*=\s*(idx_bus|idx_brch|idx_gen)$/;
const FUNCTION_HEADER = /^function\s+mpc\s*=\s*[A-Za-z]\w*$/;
const VARIABLE = /^[A-Za-z_]\w*$/;

function runStatement(ws: CaseWorkspace, text: string): void {
  if (FUNCTION_HEADER.test(text)) return;
  const idx = IDX_UNPACK.exec(text);
  if (idx) {
    const names = idx[1].split(/[\s,]+/).filter((n) => n.length > 0);
    const columns = IDX_FUNCTIONS[idx[2]];
    if (names.length > columns.length) throw new Unknown(`${idx[2]} has ${columns.length} outputs`);
    names.forEach((name, i) => ws.vars.set(name, columns[i]));
    return;
  }
  const parts = splitAssignment(text);
  if (!parts) throw new Unknown('not an assignment MATPOWER case files use');
  const [lhs, rhs] = parts;
  // The lexer blanks string contents: the version string reads as ''.
  if (lhs === 'mpc.version' && rhs === "''") return;
  const e = new Expr(tokenize(rhs), ws);
  const value = e.expr();
  if (!e.done()) throw new Unknown('text after the expression');
  if (VARIABLE.test(lhs)) {
    if (lhs === 'mpc' || Object.hasOwn(FUNCTIONS, lhs)) throw new Unknown(`cannot assign to ${lhs}`);
    if (typeof value !== 'number') throw new Unknown('a matrix block assigned to a variable');
    ws.vars.set(lhs, value);
  } else if (lhs === 'mpc.baseMVA') {
    if (typeof value !== 'number') throw new Unknown('baseMVA must be a scalar');
    ws.scalars.set('baseMVA', value);
  } else assignIntoMatrix(ws, lhs, value);
}

/** Runs one statement against the case workspace; anything not recognised is an InputError. */
export function runCodeStatement(ws: CaseWorkspace, text: string, line: number, source: string): void {
  try {
    runStatement(ws, text);
  } catch (e) {
    if (e instanceof Unknown) throw new InputError(`unknown code at line ${line}: ${text} (${e.message})`, source);
    throw e;
  }
}
