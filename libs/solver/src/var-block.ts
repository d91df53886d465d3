/**
 * A block of variables of one family laid out row-major over `shape`: `at(i, j)` is column
 * `start + i * shape[1] + j`. Families indexed [bus, period] read `V.at(bus, t)`.
 */
export class VarBlock {
  readonly size: number;
  private readonly strides: number[];

  constructor(
    readonly family: string,
    readonly shape: readonly number[],
    /** Column index of the first element. */
    readonly start: number,
  ) {
    this.strides = new Array<number>(shape.length);
    let size = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      this.strides[d] = size;
      size *= shape[d];
    }
    this.size = size;
  }

  /** Column of element (i) of a 1-d block, (i, j) of a 2-d block, (i, j, k) of a 3-d block. */
  at(i: number, j?: number, k?: number): number {
    const dims = this.shape.length;
    const given = k !== undefined ? 3 : j !== undefined ? 2 : 1;
    if (given !== dims) return this.atIndex(k !== undefined ? [i, j!, k] : j !== undefined ? [i, j] : [i]);
    this.check(0, i);
    if (dims === 1) return this.start + i;
    this.check(1, j!);
    if (dims === 2) return this.start + i * this.strides[0] + j!;
    this.check(2, k!);
    return this.start + i * this.strides[0] + j! * this.strides[1] + k!;
  }

  /** Column of the element at a full index, for blocks of any dimension. */
  atIndex(index: ArrayLike<number>): number {
    if (index.length !== this.shape.length) {
      throw new RangeError(`variable block ${this.describe()}: index [${Array.from(index).join(', ')}] has ${index.length} dimensions, the block ${this.shape.length}`);
    }
    let col = this.start;
    for (let d = 0; d < index.length; d++) {
      this.check(d, index[d]);
      col += index[d] * this.strides[d];
    }
    return col;
  }

  /** Every column of the block, in row-major order. */
  columns(): Int32Array {
    const cols = new Int32Array(this.size);
    for (let n = 0; n < this.size; n++) cols[n] = this.start + n;
    return cols;
  }

  private check(d: number, v: number): void {
    if (!Number.isInteger(v) || v < 0 || v >= this.shape[d]) {
      throw new RangeError(`variable block ${this.describe()}: index ${v} out of range in dimension ${d}`);
    }
  }

  private describe(): string {
    return `${this.family}[${this.shape.join(', ')}]`;
  }
}
