import { InputError } from '@zonal/core';
import type { SocDependentLimit } from './socDependent';
import type { EvSpec } from './types';

/**
 * A fleet as columns (one typed array per field), so 100 000 EVs cost a few MB and loops stay
 * tight. `Fleet.fromSpecs` validates every EV and names the first bad one; `Fleet.toSpecs` gives
 * the plain records back.
 */
export interface Fleet {
  readonly size: number;
  readonly id: readonly string[];
  /** Feeder bus id, or -1 when not placed. */
  readonly bus: Int32Array;
  readonly arrivalH: Float64Array;
  readonly departureH: Float64Array;
  readonly capacityKwh: Float64Array;
  readonly pChargeMaxKw: Float64Array;
  readonly pDischargeMaxKw: Float64Array;
  readonly eta: Float64Array;
  readonly socMin: Float64Array;
  readonly socMax: Float64Array;
  readonly socArrival: Float64Array;
  readonly socTarget: Float64Array;
  /** 1 if V2G-enrolled. */
  readonly v2g: Uint8Array;
  /** Stored energy at which the SOC-dependent charging limit drops (EvSpec.socDependent); NaN = no curve. */
  readonly socBreakpointKwh: Float64Array;
  /** Battery-side charging limit above that breakpoint; NaN = no curve. */
  readonly pChargeAboveKw: Float64Array;
}

const NUMERIC_FIELDS = [
  'arrivalH', 'departureH', 'capacityKwh', 'pChargeMaxKw', 'pDischargeMaxKw', 'eta',
  'socMin', 'socMax', 'socArrival', 'socTarget',
] as const;

/** A fleet being filled in (by a sampler); hand it out as `Fleet`. */
export type MutableFleet = { -readonly [K in keyof Fleet]: Fleet[K] } & { id: string[] };

function allocate(size: number): MutableFleet {
  const f = (): Float64Array => new Float64Array(size);
  return {
    size, id: new Array<string>(size), bus: new Int32Array(size).fill(-1),
    arrivalH: f(), departureH: f(), capacityKwh: f(), pChargeMaxKw: f(), pDischargeMaxKw: f(), eta: f(),
    socMin: f(), socMax: f(), socArrival: f(), socTarget: f(), v2g: new Uint8Array(size),
    socBreakpointKwh: f().fill(Number.NaN), pChargeAboveKw: f().fill(Number.NaN),
  };
}

function fromSpecs(specs: readonly EvSpec[]): Fleet {
  const fleet = allocate(specs.length);
  specs.forEach((ev, i) => {
    if (typeof ev?.id !== 'string' || ev.id === '') throw new InputError('id must be a non-empty string', `EV at position ${i}`);
    fleet.id[i] = ev.id;
    for (const field of NUMERIC_FIELDS) {
      const v = ev[field];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${field} must be a finite number, got ${String(v)}`, `EV ${ev.id}`);
      fleet[field][i] = v;
    }
    if (ev.bus !== undefined) {
      if (!Number.isInteger(ev.bus) || ev.bus < 0) throw new InputError(`bus must be a bus id (an integer >= 0), got ${String(ev.bus)}`, `EV ${ev.id}`);
      fleet.bus[i] = ev.bus;
    }
    if (typeof ev.v2g !== 'boolean') throw new InputError(`v2g must be true or false, got ${String(ev.v2g)}`, `EV ${ev.id}`);
    fleet.v2g[i] = ev.v2g ? 1 : 0;
    if (ev.socDependent !== undefined) {
      for (const field of ['breakpointKwh', 'pAboveKw'] as const) {
        const v = ev.socDependent?.[field];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`socDependent.${field} must be a finite number, got ${String(v)}`, `EV ${ev.id}`);
      }
      fleet.socBreakpointKwh[i] = ev.socDependent.breakpointKwh;
      fleet.pChargeAboveKw[i] = ev.socDependent.pAboveKw;
    }
  });
  validateFleet(fleet);
  return fleet;
}

function toSpecs(fleet: Fleet): EvSpec[] {
  const specs: EvSpec[] = [];
  for (let i = 0; i < fleet.size; i++) {
    const ev: EvSpec = {
      id: fleet.id[i], arrivalH: fleet.arrivalH[i], departureH: fleet.departureH[i],
      capacityKwh: fleet.capacityKwh[i], pChargeMaxKw: fleet.pChargeMaxKw[i], pDischargeMaxKw: fleet.pDischargeMaxKw[i],
      eta: fleet.eta[i], socMin: fleet.socMin[i], socMax: fleet.socMax[i], socArrival: fleet.socArrival[i],
      socTarget: fleet.socTarget[i], v2g: fleet.v2g[i] === 1,
    };
    if (fleet.bus[i] >= 0) ev.bus = fleet.bus[i];
    if (!Number.isNaN(fleet.socBreakpointKwh[i])) ev.socDependent = { breakpointKwh: fleet.socBreakpointKwh[i], pAboveKw: fleet.pChargeAboveKw[i] };
    specs.push(ev);
  }
  return specs;
}

/** The EVs at `indices`, in that order (e.g. the EVs of one zone). */
function subset(fleet: Fleet, indices: ArrayLike<number>): Fleet {
  const out = allocate(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= fleet.size) throw new InputError(`index ${i} is not in a fleet of ${fleet.size}`, 'Fleet.subset');
    out.id[k] = fleet.id[i];
    out.bus[k] = fleet.bus[i];
    out.v2g[k] = fleet.v2g[i];
    out.socBreakpointKwh[k] = fleet.socBreakpointKwh[i];
    out.pChargeAboveKw[k] = fleet.pChargeAboveKw[i];
    out.arrivalH[k] = fleet.arrivalH[i];
    out.departureH[k] = fleet.departureH[i];
    out.capacityKwh[k] = fleet.capacityKwh[i];
    out.pChargeMaxKw[k] = fleet.pChargeMaxKw[i];
    out.pDischargeMaxKw[k] = fleet.pDischargeMaxKw[i];
    out.eta[k] = fleet.eta[i];
    out.socMin[k] = fleet.socMin[i];
    out.socMax[k] = fleet.socMax[i];
    out.socArrival[k] = fleet.socArrival[i];
    out.socTarget[k] = fleet.socTarget[i];
  }
  return out;
}

/** Throws an InputError naming the first EV whose data make no physical sense. */
export function validateFleet(fleet: Fleet): void {
  const seen = new Set<string>();
  for (let i = 0; i < fleet.size; i++) {
    if (seen.has(fleet.id[i])) throw new InputError('the id is used by another EV too', `EV ${fleet.id[i]}`);
    seen.add(fleet.id[i]);
    const problem = evValueProblem(fleet, i);
    if (problem !== null) throw new InputError(problem, `EV ${fleet.id[i]}`);
  }
}

/**
 * validateFleet without the check that ids are unique: for a sampler, whose ids are its EVs'
 * positions (a Set of a million id strings is most of the cost of validating).
 */
export function validateFleetValues(fleet: Fleet): void {
  for (let i = 0; i < fleet.size; i++) {
    const problem = evValueProblem(fleet, i);
    if (problem !== null) throw new InputError(problem, `EV ${fleet.id[i]}`);
  }
}

/** What is wrong with EV `i`'s numbers (the first thing found), or null. */
function evValueProblem(fleet: Fleet, i: number): string | null {
  for (const field of NUMERIC_FIELDS) if (!Number.isFinite(fleet[field][i])) return `${field} must be a finite number, got ${fleet[field][i]}`;
  const dwellH = fleet.departureH[i] - fleet.arrivalH[i];
  if (dwellH < 0) return `departure (${fleet.departureH[i]} h) is before arrival (${fleet.arrivalH[i]} h); write a next-day departure as hour + 24`;
  if (dwellH >= 24) return `parked ${dwellH} h; a periodic day holds a stay of less than 24 h`;
  if (!(fleet.capacityKwh[i] > 0)) return `capacityKwh must be > 0, got ${fleet.capacityKwh[i]}`;
  if (fleet.pChargeMaxKw[i] < 0) return `pChargeMaxKw must be >= 0, got ${fleet.pChargeMaxKw[i]}`;
  if (fleet.pDischargeMaxKw[i] < 0) return `pDischargeMaxKw must be >= 0, got ${fleet.pDischargeMaxKw[i]}`;
  if (!(fleet.eta[i] > 0 && fleet.eta[i] <= 1)) return `eta must be in (0, 1], got ${fleet.eta[i]}`;
  for (const field of SOC_FIELDS) {
    const v = fleet[field][i];
    if (!(v >= 0 && v <= 1)) return `${field} must be in [0, 1], got ${v}`;
  }
  if (fleet.socMin[i] > fleet.socMax[i]) return `socMin (${fleet.socMin[i]}) exceeds socMax (${fleet.socMax[i]})`;
  if (fleet.socArrival[i] < fleet.socMin[i] || fleet.socArrival[i] > fleet.socMax[i]) {
    return `socArrival (${fleet.socArrival[i]}) is outside [socMin, socMax] = [${fleet.socMin[i]}, ${fleet.socMax[i]}]`;
  }
  if (fleet.socTarget[i] > fleet.socMax[i]) return `socTarget (${fleet.socTarget[i]}) exceeds socMax (${fleet.socMax[i]})`;
  const bus = fleet.bus[i];
  if (bus < -1) return `bus must be a bus id >= 0, got ${bus}`;
  return curveProblem(fleet, i);
}

const SOC_FIELDS = ['socMin', 'socMax', 'socArrival', 'socTarget'] as const;

function curveProblem(fleet: Fleet, i: number): string | null {
  const breakpoint = fleet.socBreakpointKwh[i], pAbove = fleet.pChargeAboveKw[i];
  if (Number.isNaN(breakpoint) && Number.isNaN(pAbove)) return null;
  if (Number.isNaN(breakpoint) || Number.isNaN(pAbove)) return `socBreakpointKwh (${breakpoint}) and pChargeAboveKw (${pAbove}) go together: give both or neither`;
  const cap = fleet.capacityKwh[i], pMax = fleet.pChargeMaxKw[i];
  if (!(breakpoint > 0 && breakpoint < cap)) return `socBreakpointKwh must be in (0, capacityKwh = ${cap}), got ${breakpoint}`;
  // The curve's ratio pAbove / pChargeMax also scales discharging above the breakpoint (socDependent.ts).
  if (!(pMax > 0)) return `a SOC-dependent limit needs pChargeMaxKw > 0, got ${pMax}`;
  if (!(pAbove >= 0 && pAbove <= pMax)) return `pChargeAboveKw must be in [0, pChargeMaxKw = ${pMax}], got ${pAbove}`;
  return null;
}

/** EV `i`'s SOC-dependent charging limit in the form of socDependent.ts, or null if it has none. */
export function socDependentLimitOf(fleet: Fleet, i: number): SocDependentLimit | null {
  if (Number.isNaN(fleet.socBreakpointKwh[i])) return null;
  return { capacityKwh: fleet.capacityKwh[i], breakpointKwh: fleet.socBreakpointKwh[i], pBelowKw: fleet.pChargeMaxKw[i], pAboveKw: fleet.pChargeAboveKw[i] };
}

export const Fleet = { fromSpecs, toSpecs, subset, allocate };
