import type { Sessions } from './session';

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

/** The sessions with every array in shared memory. */
export function sharedSessions(s: Sessions): Sessions {
  return {
    grid: s.grid, size: s.size, start: inSharedMemory(s.start), length: inSharedMemory(s.length), problem: inSharedMemory(s.problem),
    eArrivalKwh: inSharedMemory(s.eArrivalKwh), eFloorKwh: inSharedMemory(s.eFloorKwh), eCeilKwh: inSharedMemory(s.eCeilKwh),
    eDepartureKwh: inSharedMemory(s.eDepartureKwh), chargeMaxKw: inSharedMemory(s.chargeMaxKw), dischargeMaxKw: inSharedMemory(s.dischargeMaxKw),
    departureBoundary: inSharedMemory(s.departureBoundary),
  };
}
