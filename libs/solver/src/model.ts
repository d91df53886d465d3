/**
 * The model builder: continuous and integer variables with bounds, linear constraints, and a linear
 * or convex-quadratic objective. Everything lives in growable typed arrays (constraints arrive
 * whole, so the matrix is built directly in CSR order) and names are generated only when asked
 * for, so building costs O(nonzeros) with no per-constraint objects.
 */
import { InputError } from '@zonal/core';
import { GrowableFloat64, GrowableInt32, GrowableUint8 } from './growable';
import { checkFamily, formatName, indexProblem } from './names';
import { VarBlock } from './var-block';

export type Sense = '<=' | '>=' | '=';
export type ObjectiveSense = 'minimize' | 'maximize';

/** Defaults: lb 0, ub +Infinity, continuous. */
export interface VarOptions {
  lb?: number;
  ub?: number;
  integer?: boolean;
}

/** The assembled model as plain arrays: HiGHS input and exporter input. */
export interface ModelArrays {
  name: string;
  numCols: number;
  numRows: number;
  sense: ObjectiveSense;
  objectiveConstant: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  /** 1 for an integer column. */
  colInteger: Uint8Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** CSR: row r holds entries rowStarts[r] .. rowStarts[r+1]-1 of colIndex/values, no duplicates. */
  rowStarts: Int32Array;
  colIndex: Int32Array;
  values: Float64Array;
  /** Lower triangle of Q (objective term 0.5 x'Qx), compressed by column; null for an LP/MILP. */
  hessian: { starts: Int32Array; rows: Int32Array; values: Float64Array } | null;
}

function colBoundsProblem(lb: number, ub: number): string | null {
  if (Number.isNaN(lb) || Number.isNaN(ub) || lb === Infinity || ub === -Infinity) return `bounds [${lb}, ${ub}] are not numbers a variable can take`;
  if (lb > ub) return `lower bound ${lb} exceeds upper bound ${ub}`;
  return null;
}

function rowBoundsProblem(lower: number, upper: number): string | null {
  if (Number.isNaN(lower) || Number.isNaN(upper) || lower === Infinity || upper === -Infinity) return `bounds [${lower}, ${upper}] are not numbers a row can take`;
  if (lower === -Infinity && upper === Infinity) return 'both bounds are infinite (the row constrains nothing)';
  if (lower > upper) return `lower bound ${lower} exceeds upper bound ${upper}`;
  return null;
}

/**
 * The first pair of entries with equal family and index. Hashes the numbers (a Map of numbers is
 * several times faster than a Set of a million name strings) and compares tuples on a hash hit.
 */
function findDuplicate(n: number, familyIds: GrowableInt32, indexEnd: GrowableInt32, pool: GrowableInt32): [number, number] | null {
  const start = (e: number) => (e === 0 ? 0 : indexEnd.get(e - 1));
  const same = (a: number, b: number): boolean => {
    const len = indexEnd.get(a) - start(a);
    if (familyIds.get(a) !== familyIds.get(b) || indexEnd.get(b) - start(b) !== len) return false;
    for (let k = 0; k < len; k++) if (pool.get(start(a) + k) !== pool.get(start(b) + k)) return false;
    return true;
  };
  const byHash = new Map<number, number | number[]>();
  for (let e = 0; e < n; e++) {
    let h = Math.imul(familyIds.get(e) + 1, 0x9e3779b1);
    for (let k = start(e); k < indexEnd.get(e); k++) h = Math.imul(h ^ pool.get(k), 0x85ebca6b) ^ (h >>> 13);
    h = (h ^ (indexEnd.get(e) - start(e))) >>> 0;
    const seen = byHash.get(h);
    if (seen === undefined) {
      byHash.set(h, e);
      continue;
    }
    const chain = typeof seen === 'number' ? [seen] : seen;
    const twin = chain.find((o) => same(o, e));
    if (twin !== undefined) return [twin, e];
    chain.push(e);
    byHash.set(h, chain);
  }
  return null;
}

/** Number `i` of the index stored at pool[from, to); a RangeError naming the entry when it has fewer. */
function indexAt(pool: GrowableInt32, from: number, to: number, i: number, name: () => string): number {
  if (!Number.isInteger(i) || i < 0 || from + i >= to) throw new RangeError(`${name()} has no index number ${i}`);
  return pool.get(from + i);
}

class FamilyTable {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly modelName: string,
    private readonly kind: 'variable' | 'constraint',
  ) {}

  idOf(family: string): number {
    let id = this.ids.get(family);
    if (id === undefined) {
      checkFamily(this.modelName, this.kind, family);
      id = this.names.length;
      this.names.push(family);
      this.ids.set(family, id);
    }
    return id;
  }
}

export class ModelBuilder {
  private readonly colFamilies: FamilyTable;
  private readonly rowFamilies: FamilyTable;

  private readonly colFamilyIds = new GrowableInt32(1024);
  private readonly colIndexEnd = new GrowableInt32(1024);
  private readonly colIndexPool = new GrowableInt32(2048);
  private readonly colLower = new GrowableFloat64(1024);
  private readonly colUpper = new GrowableFloat64(1024);
  private readonly colInteger = new GrowableUint8(1024);
  private readonly colCost = new GrowableFloat64(1024);

  private readonly rowFamilyIds = new GrowableInt32(1024);
  private readonly rowIndexEnd = new GrowableInt32(1024);
  private readonly rowIndexPool = new GrowableInt32(2048);
  private readonly rowLower = new GrowableFloat64(1024);
  private readonly rowUpper = new GrowableFloat64(1024);
  private readonly rowEnd = new GrowableInt32(1024);
  private readonly nzCol = new GrowableInt32(4096);
  private readonly nzVal = new GrowableFloat64(4096);

  /** Quadratic objective triplets, lower triangle (row >= col), entries of Q in 0.5 x'Qx. */
  private readonly qRow = new GrowableInt32(16);
  private readonly qCol = new GrowableInt32(16);
  private readonly qVal = new GrowableFloat64(16);

  private objectiveConstant = 0;
  private objectiveSense: ObjectiveSense = 'minimize';

  /** Scratch for merging duplicate columns within a row: slotRow[c] = row + 1 when c is already in it. */
  private slotRow = new Int32Array(1024);
  private slotPos = new Int32Array(1024);

  constructor(readonly name: string) {
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name)) {
      throw new InputError(`model name "${name}" must be letters, digits, "_", "." or "-" (it names exported files)`, 'model');
    }
    this.colFamilies = new FamilyTable(name, 'variable');
    this.rowFamilies = new FamilyTable(name, 'constraint');
  }

  get numCols(): number {
    return this.colLower.length;
  }

  get numRows(): number {
    return this.rowLower.length;
  }

  get numNonzeros(): number {
    return this.nzCol.length;
  }

  get sense(): ObjectiveSense {
    return this.objectiveSense;
  }

  get isMip(): boolean {
    return this.colInteger.view().includes(1);
  }

  /** True when a quadratic term was added (even if the terms cancel). */
  get isQuadratic(): boolean {
    return this.qVal.length > 0;
  }

  /** One variable; addVar('Pg', [3]) is column `Pg(3)`, addVar('z', []) is column `z`. */
  addVar(family: string, index: number[], opts: VarOptions = {}): number {
    const familyId = this.colFamilies.idOf(family);
    const problem = indexProblem(index);
    if (problem) throw new InputError(problem, `model "${this.name}" variable family "${family}"`);
    for (const v of index) this.colIndexPool.push(v);
    return this.pushColumn(familyId, opts);
  }

  /** A block of variables over `shape` (row-major), e.g. addVars('V', [nBus, T]).at(bus, t). */
  addVars(family: string, shape: number[], opts: VarOptions | ((idx: number[]) => VarOptions) = {}): VarBlock {
    const familyId = this.colFamilies.idOf(family);
    let size = 1;
    for (const n of shape) {
      if (!Number.isInteger(n) || n < 0) {
        throw new InputError(`shape [${shape.join(', ')}] must be non-negative integers`, `model "${this.name}" variable family "${family}"`);
      }
      size *= n;
    }
    if (size > 0x7fffffff - this.numCols) {
      throw new InputError(`shape [${shape.join(', ')}] has too many elements`, `model "${this.name}" variable family "${family}"`);
    }
    const block = new VarBlock(family, shape.slice(), this.numCols);
    const idx = new Array<number>(shape.length).fill(0);
    for (let n = 0; n < size; n++) {
      for (const v of idx) this.colIndexPool.push(v);
      this.pushColumn(familyId, typeof opts === 'function' ? opts(idx.slice()) : opts);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return block;
  }

  /** Row `sum coefs[k] * x[cols[k]] (sense) rhs`, named family(index); repeated columns are summed. */
  addConstraint(family: string, index: number[], cols: ArrayLike<number>, coefs: ArrayLike<number>, sense: Sense, rhs: number): number {
    if (sense !== '<=' && sense !== '>=' && sense !== '=') {
      throw new RangeError(`model "${this.name}" constraint family "${family}": sense "${String(sense)}" is not <=, >= or =`);
    }
    if (!Number.isFinite(rhs)) throw new InputError(`right-hand side is ${rhs}`, this.rowWhere(family, index));
    const lower = sense === '<=' ? -Infinity : rhs;
    const upper = sense === '>=' ? Infinity : rhs;
    return this.pushRow(family, index, cols, coefs, lower, upper);
  }

  /** Row `lower <= sum coefs[k] * x[cols[k]] <= upper`; one of the bounds may be infinite. */
  addRangeConstraint(family: string, index: number[], cols: ArrayLike<number>, coefs: ArrayLike<number>, lower: number, upper: number): number {
    const problem = rowBoundsProblem(lower, upper);
    if (problem) throw new InputError(problem, this.rowWhere(family, index));
    return this.pushRow(family, index, cols, coefs, lower, upper);
  }

  /** Adds to the objective coefficient of `col`. */
  setObjectiveCoef(col: number, coef: number): void {
    this.checkCol(col, 'objective');
    if (!Number.isFinite(coef)) {
      throw new InputError(`objective coefficient is ${coef}`, `model "${this.name}" variable ${this.colName(col)}`);
    }
    this.colCost.add(col, coef);
  }

  /** Exported as the cost of a variable `const_one` fixed to 1: GLPK rejects constants in the objective. */
  addObjectiveConstant(c: number): void {
    if (!Number.isFinite(c)) throw new InputError(`objective constant is ${c}`, `model "${this.name}"`);
    this.objectiveConstant += c;
  }

  /** objective += coef * x[colI] * x[colJ]; the whole objective must stay convex (concave when maximising). */
  addQuadraticTerm(colI: number, colJ: number, coef: number): void {
    this.checkCol(colI, 'quadratic term');
    this.checkCol(colJ, 'quadratic term');
    if (!Number.isFinite(coef)) {
      throw new InputError(`quadratic coefficient is ${coef}`, `model "${this.name}" term ${this.colName(colI)}*${this.colName(colJ)}`);
    }
    // HiGHS minimises 0.5 x'Qx: coef*xi^2 is Q_ii = 2 coef; coef*xi*xj is Q_ij = Q_ji = coef.
    this.qRow.push(Math.max(colI, colJ));
    this.qCol.push(Math.min(colI, colJ));
    this.qVal.push(colI === colJ ? 2 * coef : coef);
  }

  setSense(sense: ObjectiveSense): void {
    if (sense !== 'minimize' && sense !== 'maximize') throw new RangeError(`objective sense "${String(sense)}" is not minimize or maximize`);
    this.objectiveSense = sense;
  }

  setColBounds(col: number, lb: number, ub: number): void {
    this.checkCol(col, 'bounds');
    const problem = colBoundsProblem(lb, ub);
    if (problem) throw new InputError(problem, `model "${this.name}" variable ${this.colName(col)}`);
    this.colLower.set(col, lb);
    this.colUpper.set(col, ub);
  }

  setRowBounds(row: number, lower: number, upper: number): void {
    this.checkRow(row);
    const problem = rowBoundsProblem(lower, upper);
    if (problem) throw new InputError(problem, `model "${this.name}" constraint ${this.rowName(row)}`);
    this.rowLower.set(row, lower);
    this.rowUpper.set(row, upper);
  }

  colName(col: number): string {
    this.checkCol(col, 'name');
    return formatName(this.colFamilies.names[this.colFamilyIds.get(col)], this.colIndexPool, col === 0 ? 0 : this.colIndexEnd.get(col - 1), this.colIndexEnd.get(col));
  }

  rowName(row: number): string {
    this.checkRow(row);
    return formatName(this.rowFamilies.names[this.rowFamilyIds.get(row)], this.rowIndexPool, row === 0 ? 0 : this.rowIndexEnd.get(row - 1), this.rowIndexEnd.get(row));
  }

  /** The family of a column, e.g. `V` for column `V(12.3)`. */
  colFamily(col: number): string {
    this.checkCol(col, 'family');
    return this.colFamilies.names[this.colFamilyIds.get(col)];
  }

  /** The family of a row, e.g. `vlim` for row `vlim(12.3)`. */
  rowFamily(row: number): string {
    this.checkRow(row);
    return this.rowFamilies.names[this.rowFamilyIds.get(row)];
  }

  /** The `i`-th number of a column's index (`3` for i = 1 of `C(12.3)`), without formatting its name. */
  colIndexAt(col: number, i: number): number {
    this.checkCol(col, 'index');
    return indexAt(this.colIndexPool, col === 0 ? 0 : this.colIndexEnd.get(col - 1), this.colIndexEnd.get(col), i, () => this.colName(col));
  }

  /** The `i`-th number of a row's index, without formatting its name. */
  rowIndexAt(row: number, i: number): number {
    this.checkRow(row);
    return indexAt(this.rowIndexPool, row === 0 ? 0 : this.rowIndexEnd.get(row - 1), this.rowIndexEnd.get(row), i, () => this.rowName(row));
  }

  /**
   * Gives back the room the builder's arrays keep for more entries (up to as much again as they hold)
   * and its scratch, for a builder kept after it is built (a block appended to many models). It can
   * still grow after.
   */
  compact(): this {
    for (const g of [this.colFamilyIds, this.colIndexEnd, this.colIndexPool, this.colLower, this.colUpper, this.colInteger, this.colCost,
      this.rowFamilyIds, this.rowIndexEnd, this.rowIndexPool, this.rowLower, this.rowUpper, this.rowEnd, this.nzCol, this.nzVal,
      this.qRow, this.qCol, this.qVal]) g.trim();
    // Stamps are row + 1 >= 1: fresh zeros never match one.
    this.slotRow = new Int32Array(16);
    this.slotPos = new Int32Array(16);
    return this;
  }

  /**
   * The model's column and row names alone, without its numbers: a few typed arrays copied (≈ 20 bytes
   * a column or row), for code that maps a later model's entries to this one's by name (a basis
   * carried to a model of another shape) without holding this model.
   */
  names(): ModelNames {
    return new ModelNames(
      { families: [...this.colFamilies.names], ids: this.colFamilyIds.copy(), ends: this.colIndexEnd.copy(), pool: this.colIndexPool.copy() },
      { families: [...this.rowFamilies.names], ids: this.rowFamilyIds.copy(), ends: this.rowIndexEnd.copy(), pool: this.rowIndexPool.copy() },
    );
  }

  /** Two columns with the same name (family and index), or null: an LP file would merge them. */
  duplicateColumns(): [number, number] | null {
    return findDuplicate(this.numCols, this.colFamilyIds, this.colIndexEnd, this.colIndexPool);
  }

  /** Two rows with the same name, or null. */
  duplicateRows(): [number, number] | null {
    return findDuplicate(this.numRows, this.rowFamilyIds, this.rowIndexEnd, this.rowIndexPool);
  }

  colLowerBound(col: number): number {
    this.checkCol(col, 'bounds');
    return this.colLower.get(col);
  }

  colUpperBound(col: number): number {
    this.checkCol(col, 'bounds');
    return this.colUpper.get(col);
  }

  isInteger(col: number): boolean {
    this.checkCol(col, 'integrality');
    return this.colInteger.get(col) === 1;
  }

  objectiveCoef(col: number): number {
    this.checkCol(col, 'objective');
    return this.colCost.get(col);
  }

  get objectiveOffset(): number {
    return this.objectiveConstant;
  }

  /**
   * Appends every column and row of `part` (a model built on its own, e.g. a block that many models
   * share) after this model's, names and all: `part`'s column c becomes column `colOffset + c`, its row
   * r row `rowOffset + r`. A bulk copy of typed arrays, so a block built once costs O(its size) to
   * reuse, not the per-entry checks of building it again. `part` has no quadratic terms.
   */
  append(part: ModelBuilder): { colOffset: number; rowOffset: number } {
    if (part === this) throw new RangeError(`model "${this.name}": cannot append a model to itself`);
    if (part.isQuadratic) throw new RangeError(`model "${this.name}": cannot append "${part.name}", which has quadratic terms`);
    const colOffset = this.numCols, rowOffset = this.numRows;
    const colFamily = part.colFamilies.names.map((f) => this.colFamilies.idOf(f));
    const rowFamily = part.rowFamilies.names.map((f) => this.rowFamilies.idOf(f));
    const mapped = (ids: Int32Array, to: number[]) => {
      const out = new Int32Array(ids.length);
      for (let i = 0; i < ids.length; i++) out[i] = to[ids[i]];
      return out;
    };
    this.colFamilyIds.pushAll(mapped(part.colFamilyIds.view(), colFamily));
    this.colIndexEnd.pushAll(part.colIndexEnd.view(), this.colIndexPool.length);
    this.colIndexPool.pushAll(part.colIndexPool.view());
    this.colLower.pushAll(part.colLower.view());
    this.colUpper.pushAll(part.colUpper.view());
    this.colInteger.pushAll(part.colInteger.view());
    this.colCost.pushAll(part.colCost.view());
    this.rowFamilyIds.pushAll(mapped(part.rowFamilyIds.view(), rowFamily));
    this.rowIndexEnd.pushAll(part.rowIndexEnd.view(), this.rowIndexPool.length);
    this.rowIndexPool.pushAll(part.rowIndexPool.view());
    this.rowLower.pushAll(part.rowLower.view());
    this.rowUpper.pushAll(part.rowUpper.view());
    this.rowEnd.pushAll(part.rowEnd.view(), this.nzCol.length);
    this.nzCol.pushAll(part.nzCol.view(), colOffset);
    this.nzVal.pushAll(part.nzVal.view());
    this.objectiveConstant += part.objectiveConstant;
    return { colOffset, rowOffset };
  }

  /**
   * The model as arrays. `copy: true` gives arrays that own their buffers (they are transferred to
   * the solver worker); otherwise views that the next addition may invalidate.
   */
  toArrays(opts: { copy: boolean }): ModelArrays {
    const take = <A extends Float64Array | Int32Array | Uint8Array>(g: { copy(): A; view(): A }): A => (opts.copy ? g.copy() : g.view());
    const rowStarts = new Int32Array(this.numRows + 1);
    rowStarts.set(this.rowEnd.view(), 1);
    return {
      name: this.name,
      numCols: this.numCols,
      numRows: this.numRows,
      sense: this.objectiveSense,
      objectiveConstant: this.objectiveConstant,
      colCost: take(this.colCost),
      colLower: take(this.colLower),
      colUpper: take(this.colUpper),
      colInteger: take(this.colInteger),
      rowLower: take(this.rowLower),
      rowUpper: take(this.rowUpper),
      rowStarts,
      colIndex: take(this.nzCol),
      values: take(this.nzVal),
      hessian: this.assembleHessian(),
    };
  }

  private pushColumn(familyId: number, opts: VarOptions): number {
    const lb = opts.lb ?? 0;
    const ub = opts.ub ?? Infinity;
    const col = this.numCols;
    this.colFamilyIds.push(familyId);
    this.colIndexEnd.push(this.colIndexPool.length);
    this.colLower.push(lb);
    this.colUpper.push(ub);
    this.colInteger.push(opts.integer ? 1 : 0);
    this.colCost.push(0);
    const problem = colBoundsProblem(lb, ub);
    if (problem) {
      const where = `model "${this.name}" variable ${this.colName(col)}`;
      this.popColumn(col);
      throw new InputError(problem, where);
    }
    return col;
  }

  private popColumn(col: number): void {
    const poolEnd = col === 0 ? 0 : this.colIndexEnd.get(col - 1);
    for (const g of [this.colFamilyIds, this.colIndexEnd, this.colLower, this.colUpper, this.colInteger, this.colCost]) g.truncate(col);
    this.colIndexPool.truncate(poolEnd);
  }

  /** Where a row that is being added lives, for errors: built only when one is thrown. */
  private rowWhere(family: string, index: number[]): string {
    return `model "${this.name}" constraint ${index.length ? `${family}(${index.join('.')})` : family}`;
  }

  private pushRow(family: string, index: number[], cols: ArrayLike<number>, coefs: ArrayLike<number>, lower: number, upper: number): number {
    const familyId = this.rowFamilies.idOf(family);
    const problem = indexProblem(index);
    if (problem) throw new InputError(problem, this.rowWhere(family, index));
    if (cols.length !== coefs.length) {
      throw new RangeError(`${this.rowWhere(family, index)}: ${cols.length} columns but ${coefs.length} coefficients`);
    }
    const numCols = this.numCols;
    // Validate everything before touching the arrays, so an error leaves the model unchanged.
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      if (!Number.isInteger(c) || c < 0 || c >= numCols) {
        throw new RangeError(`${this.rowWhere(family, index)}: column ${c} does not exist (the model has ${numCols})`);
      }
      if (!Number.isFinite(coefs[k])) throw new InputError(`coefficient of ${this.colName(c)} is ${coefs[k]}`, this.rowWhere(family, index));
    }
    this.ensureSlots(numCols);
    const row = this.numRows;
    const stamp = row + 1;
    const start = this.nzCol.length;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      if (this.slotRow[c] === stamp) {
        this.nzVal.add(this.slotPos[c], coefs[k]);
      } else {
        this.slotRow[c] = stamp;
        this.slotPos[c] = this.nzCol.push(c);
        this.nzVal.push(coefs[k]);
      }
    }
    this.dropZeros(start);
    for (const v of index) this.rowIndexPool.push(v);
    this.rowFamilyIds.push(familyId);
    this.rowIndexEnd.push(this.rowIndexPool.length);
    this.rowLower.push(lower);
    this.rowUpper.push(upper);
    this.rowEnd.push(this.nzCol.length);
    return row;
  }

  /** Explicit zeros (or terms that cancel) carry no information and some readers warn on them. */
  private dropZeros(start: number): void {
    let out = start;
    for (let k = start; k < this.nzCol.length; k++) {
      const v = this.nzVal.get(k);
      if (v === 0) continue;
      this.nzCol.set(out, this.nzCol.get(k));
      this.nzVal.set(out, v);
      out++;
    }
    this.nzCol.truncate(out);
    this.nzVal.truncate(out);
  }

  private ensureSlots(numCols: number): void {
    if (this.slotRow.length >= numCols) return;
    const size = Math.max(numCols, this.slotRow.length * 2);
    const slotRow = new Int32Array(size);
    slotRow.set(this.slotRow);
    this.slotRow = slotRow;
    this.slotPos = new Int32Array(size);
  }

  /** Sums duplicate triplets into a lower-triangular CSC matrix, dropping zeros. */
  private assembleHessian(): ModelArrays['hessian'] {
    const nq = this.qVal.length;
    if (nq === 0) return null;
    const n = this.numCols;
    const counts = new Int32Array(n + 1);
    for (let k = 0; k < nq; k++) counts[this.qCol.get(k) + 1]++;
    for (let c = 0; c < n; c++) counts[c + 1] += counts[c];
    const next = counts.slice(0, n);
    const rows = new Int32Array(nq);
    const vals = new Float64Array(nq);
    for (let k = 0; k < nq; k++) {
      const p = next[this.qCol.get(k)]++;
      rows[p] = this.qRow.get(k);
      vals[p] = this.qVal.get(k);
    }
    // Merge duplicates column by column with a row stamp.
    const seenIn = new Int32Array(n).fill(-1);
    const posOf = new Int32Array(n);
    const starts = new Int32Array(n + 1);
    let out = 0;
    for (let c = 0; c < n; c++) {
      const colStart = out;
      for (let p = counts[c]; p < counts[c + 1]; p++) {
        const r = rows[p];
        if (seenIn[r] === c) {
          vals[posOf[r]] += vals[p];
        } else {
          seenIn[r] = c;
          posOf[r] = out;
          rows[out] = r;
          vals[out] = vals[p];
          out++;
        }
      }
      let kept = colStart;
      for (let p = colStart; p < out; p++) {
        if (vals[p] === 0) continue;
        rows[kept] = rows[p];
        vals[kept] = vals[p];
        kept++;
      }
      out = kept;
      starts[c + 1] = out;
    }
    return { starts, rows: rows.slice(0, out), values: vals.slice(0, out) };
  }

  private checkCol(col: number, what: string): void {
    if (!Number.isInteger(col) || col < 0 || col >= this.numCols) {
      throw new RangeError(`model "${this.name}" ${what}: column ${col} does not exist (the model has ${this.numCols})`);
    }
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.numRows) {
      throw new RangeError(`model "${this.name}": row ${row} does not exist (the model has ${this.numRows})`);
    }
  }
}

/** One kind of entry's names (columns or rows): family ids and each entry's index numbers. */
interface NameTable {
  families: string[];
  ids: Int32Array;
  /** ends[i]: where entry i's index numbers end in `pool` (they start where entry i − 1's end). */
  ends: Int32Array;
  pool: Int32Array;
}

/** A model's names, kept apart from the model (ModelBuilder.names). */
export class ModelNames {
  constructor(private readonly cols: NameTable, private readonly rows: NameTable) {}

  get numCols(): number {
    return this.cols.ids.length;
  }

  get numRows(): number {
    return this.rows.ids.length;
  }

  colName(col: number): string {
    return nameIn(this.cols, col);
  }

  rowName(row: number): string {
    return nameIn(this.rows, row);
  }

  colFamily(col: number): string {
    return this.cols.families[this.cols.ids[checked(this.cols, col)]];
  }

  rowFamily(row: number): string {
    return this.rows.families[this.rows.ids[checked(this.rows, row)]];
  }

  /** The `i`-th number of a column's index (ModelBuilder.colIndexAt). */
  colIndexAt(col: number, i: number): number {
    return indexIn(this.cols, col, i, () => this.colName(col));
  }

  rowIndexAt(row: number, i: number): number {
    return indexIn(this.rows, row, i, () => this.rowName(row));
  }
}

function checked(t: NameTable, i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= t.ids.length) throw new RangeError(`no entry ${i} (of ${t.ids.length})`);
  return i;
}

function nameIn(t: NameTable, i: number): string {
  checked(t, i);
  return formatName(t.families[t.ids[i]], { get: (k) => t.pool[k] }, i === 0 ? 0 : t.ends[i - 1], t.ends[i]);
}

function indexIn(t: NameTable, entry: number, i: number, name: () => string): number {
  checked(t, entry);
  const from = entry === 0 ? 0 : t.ends[entry - 1];
  if (!Number.isInteger(i) || i < 0 || from + i >= t.ends[entry]) throw new RangeError(`${name()} has no index number ${i}`);
  return t.pool[from + i];
}
