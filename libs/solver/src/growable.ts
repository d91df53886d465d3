/**
 * Append-only typed arrays that double their capacity when full, so a model of n entries costs
 * O(n) to build with no per-entry objects (the builder's only storage).
 */
type TypedArray = Float64Array | Int32Array | Uint8Array;

abstract class Growable<A extends TypedArray> {
  protected data: A;
  length = 0;

  constructor(initialCapacity: number) {
    this.data = this.allocate(Math.max(16, initialCapacity));
  }

  protected abstract allocate(capacity: number): A;

  push(value: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = value;
    return this.length++;
  }

  get(i: number): number {
    return this.data[i];
  }

  set(i: number, value: number): void {
    this.data[i] = value;
  }

  add(i: number, value: number): void {
    this.data[i] += value;
  }

  /** Appends `values`, each plus `shift` (column and row numbers moved into another model). */
  pushAll(values: A, shift = 0): void {
    const at = this.length;
    this.reserve(at + values.length);
    this.data.set(values, at);
    if (shift !== 0) for (let i = at; i < at + values.length; i++) this.data[i] += shift;
    this.length += values.length;
  }

  /** Drops entries past `length` (the builder rolls back a row this way). */
  truncate(length: number): void {
    this.length = length;
  }

  reserve(capacity: number): void {
    if (capacity <= this.data.length) return;
    const next = this.allocate(Math.max(capacity, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  /** Gives back the room past `length` (a builder kept long after it is built holds no slack). */
  trim(): void {
    if (this.data.length > this.length) this.data = this.data.slice(0, this.length) as A;
  }

  /** A view of the live entries; it is invalidated by the next push that grows the storage. */
  view(): A {
    return this.data.subarray(0, this.length) as A;
  }

  /** An exact-length copy that owns its buffer (safe to transfer to a worker). */
  copy(): A {
    return this.data.slice(0, this.length) as A;
  }
}

export class GrowableFloat64 extends Growable<Float64Array> {
  protected allocate(capacity: number): Float64Array {
    return new Float64Array(capacity);
  }
}

export class GrowableInt32 extends Growable<Int32Array> {
  protected allocate(capacity: number): Int32Array {
    return new Int32Array(capacity);
  }
}

export class GrowableUint8 extends Growable<Uint8Array> {
  protected allocate(capacity: number): Uint8Array {
    return new Uint8Array(capacity);
  }
}
