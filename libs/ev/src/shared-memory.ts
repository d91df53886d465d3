type NumberArray = Int32Array | Uint8Array | Float64Array;

/**
 * A copy of `a` in a SharedArrayBuffer: posted to a worker thread it is shared, not copied, so the
 * worker reads (and writes) the same memory.
 */
export function inSharedMemory<A extends NumberArray>(a: A): A {
  const Ctor = a.constructor as new (buffer: SharedArrayBuffer) => A;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}
