/**
 * Reusable typed arrays for a loop that handles many small problems in turn (disaggregateGroups: one
 * flow per envelope group). Each named buffer grows to the largest size asked for and is handed out
 * as a zeroed view, so a million EVs in thousands of groups cost a few buffers, not hundreds of MB
 * of short-lived arrays for the garbage collector. A view is valid until the same name is asked for
 * again.
 */
export class Scratch {
  private readonly f64s = new Map<string, Float64Array>();
  private readonly i32s = new Map<string, Int32Array>();
  private readonly u8s = new Map<string, Uint8Array>();

  f64(name: string, length: number): Float64Array {
    return take(this.f64s, name, length, (n) => new Float64Array(n));
  }

  i32(name: string, length: number): Int32Array {
    return take(this.i32s, name, length, (n) => new Int32Array(n));
  }

  u8(name: string, length: number): Uint8Array {
    return take(this.u8s, name, length, (n) => new Uint8Array(n));
  }
}

/**
 * Work arrays of fleet size kept from one call to the next (disaggregateGroups' sessions of the
 * fleet, anchoredEnvelopeGroups' records): first touching fresh memory is what such arrays mostly
 * cost here (page faults, 3-6 ms per MB on the 2-core machine), and a zone answering every round
 * would pay it every round. The price: they are never freed, sized to the largest fleet seen
 * (170 MB at a million EVs, shared by every zone of a process). Only for arrays that never leave
 * the synchronous call that took them.
 */
export const fleetScratch = new Scratch();

type Typed = Float64Array | Int32Array | Uint8Array;

function take<A extends Typed>(pool: Map<string, A>, name: string, length: number, make: (n: number) => A): A {
  let buffer = pool.get(name);
  if (!buffer || buffer.length < length) {
    buffer = make(Math.max(length, 2 * (buffer?.length ?? 0), 64));
    pool.set(name, buffer);
  }
  const view = buffer.subarray(0, length) as A;
  view.fill(0);
  return view;
}

/** A new zeroed array, or a view from `scratch` when given. */
export function f64(scratch: Scratch | undefined, name: string, length: number): Float64Array {
  return scratch ? scratch.f64(name, length) : new Float64Array(length);
}

export function i32(scratch: Scratch | undefined, name: string, length: number): Int32Array {
  return scratch ? scratch.i32(name, length) : new Int32Array(length);
}

export function u8(scratch: Scratch | undefined, name: string, length: number): Uint8Array {
  return scratch ? scratch.u8(name, length) : new Uint8Array(length);
}
