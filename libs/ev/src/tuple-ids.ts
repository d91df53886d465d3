/**
 * Ids for tuples of numbers, in order of first appearance: what a Map keyed by the tuple joined into
 * a string gives, without a string per row (a fleet of a million EVs is grouped by a tuple per EV).
 * Open addressing on a hash of the numbers' bits; -0 is taken as 0 (as String(-0) is "0") and every
 * NaN as the same number (as String(NaN) is "NaN").
 */
export class TupleIds {
  /** Tuples seen so far, `width` numbers each, in id order. */
  private keys: Float64Array;
  /** Per slot: id + 1, or 0 when empty. */
  private slots: Int32Array;
  private readonly bits = new Float64Array(1);
  private readonly words = new Uint32Array(this.bits.buffer);
  count = 0;

  constructor(readonly width: number, expected = 64) {
    let size = 16;
    while (size < 2 * expected) size *= 2;
    this.slots = new Int32Array(size);
    this.keys = new Float64Array(width * Math.max(4, expected));
  }

  /** The id of `tuple` (its first `width` numbers), a new one (the next integer) when unseen. */
  id(tuple: ArrayLike<number>): number {
    const w = this.width;
    const mask = this.slots.length - 1;
    let slot = this.hash(tuple) & mask;
    for (;;) {
      const entry = this.slots[slot];
      if (entry === 0) break;
      if (this.equals(entry - 1, tuple)) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    if ((id + 1) * w > this.keys.length) {
      const grown = new Float64Array(2 * this.keys.length);
      grown.set(this.keys);
      this.keys = grown;
    }
    for (let k = 0; k < w; k++) this.keys[id * w + k] = tuple[k] + 0;
    this.slots[slot] = id + 1;
    if (2 * this.count > this.slots.length) this.rehash();
    return id;
  }

  private hash(tuple: ArrayLike<number>): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < this.width; k++) {
      const x = tuple[k];
      let lo: number, hi: number;
      if ((x | 0) === x) {
        // A 32-bit integer (-0 included, as 0): most keys, hashed without looking at the bits.
        lo = x | 0;
        hi = 0x3ff00000;
      } else if (x === x) {
        this.bits[0] = x;
        lo = this.words[0];
        hi = this.words[1];
      } else lo = hi = 0x7ff80000;
      h = Math.imul(h ^ lo, 0x85ebca6b);
      h = Math.imul(h ^ hi, 0xc2b2ae35);
      h ^= h >>> 15;
    }
    return h >>> 0;
  }

  private equals(id: number, tuple: ArrayLike<number>): boolean {
    const w = this.width, base = id * w;
    for (let k = 0; k < w; k++) {
      const a = this.keys[base + k], b = tuple[k];
      if (a !== b && !(a !== a && b !== b)) return false;
    }
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length), mask = slots.length - 1, w = this.width;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hash(this.keys.subarray(id * w, id * w + w)) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}
