import { InputError, type Rng } from '@zonal/core';
import { Fleet, validateFleetValues, type MutableFleet } from './fleet';
import { mod24 } from './grid';

/**
 * Seeded fleet samplers (SPEC §6). Every number comes from the params (the scenario's `evFleet`
 * block has the same field names), every draw from the caller's generator, in a documented order
 * so that a seed reproduces the fleet.
 */

export interface NormalH {
  mean: number;
  sd: number;
}

export interface BusLoad {
  bus: number;
  pKw: number;
}

/** Battery and charger of every EV in a sampled fleet (SPEC §6). */
export interface EvBatteryParams {
  capacityKwh: number;
  pChargeMaxKw: number;
  pDischargeMaxKw: number;
  eta: number;
  socMin: number;
  socMax: number;
  socTarget: number;
}

/** Seed 001 default fleet (SPEC §6); field names follow the scenario's `evFleet`. */
export interface DefaultFleetParams extends EvBatteryParams {
  count: number;
  /** Share of residential EVs; the rest park at work. */
  residentialShare: number;
  residential: { arrivalH: NormalH; departureH: NormalH };
  workplace: { arrivalH: NormalH; departureH: NormalH };
  /** Arrival SOC = fullSoc - socPerKm * dailyKm, floored at floorSoc. */
  arrivalSoc: { fullSoc: number; socPerKm: number; floorSoc: number };
  /** Daily distance ~ LogNormal(logMu, logSigma) km. */
  dailyKm: { logMu: number; logSigma: number };
  v2gShare: number;
  /** Bus loads to place EVs by (largest remainder); without them the EVs are not placed. */
  busLoads?: readonly BusLoad[];
}

/** Seed 002 fleet (SPEC §6). */
export interface Seed002FleetParams extends EvBatteryParams {
  count: number;
  arrivalH: NormalH;
  departureH: NormalH;
  /** Rate of the exponential arrival-SOC law, per unit of SOC (0.3), truncated to [socMin, socMax]. */
  initialSocRatePerSoc: number;
  v2gShare: number;
  /** Bus of the whole fleet (one building), if placed. */
  bus?: number;
}

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new InputError(message, `evFleet.${field}`);
}

function checkCommon(p: DefaultFleetParams | Seed002FleetParams): void {
  check(Number.isInteger(p.count) && p.count >= 0, 'count', `must be an integer >= 0, got ${p.count}`);
  check(p.capacityKwh > 0, 'capacityKwh', `must be > 0, got ${p.capacityKwh}`);
  check(p.pChargeMaxKw >= 0, 'pChargeMaxKw', `must be >= 0, got ${p.pChargeMaxKw}`);
  check(p.pDischargeMaxKw >= 0, 'pDischargeMaxKw', `must be >= 0, got ${p.pDischargeMaxKw}`);
  check(p.eta > 0 && p.eta <= 1, 'eta', `must be in (0, 1], got ${p.eta}`);
  for (const f of ['socMin', 'socMax', 'socTarget', 'v2gShare'] as const) check(p[f] >= 0 && p[f] <= 1, f, `must be in [0, 1], got ${p[f]}`);
  check(p.socMin <= p.socMax, 'socMin', `(${p.socMin}) exceeds socMax (${p.socMax})`);
  check(p.socTarget <= p.socMax, 'socTarget', `(${p.socTarget}) exceeds socMax (${p.socMax})`);
}

function checkNormal(n: NormalH, field: string): void {
  check(Number.isFinite(n.mean), `${field}.mean`, `must be a finite number, got ${n.mean}`);
  check(n.sd >= 0, `${field}.sd`, `must be >= 0, got ${n.sd}`);
}

/** Arrival and departure clock draws as a stay: departure is the next time the clock shows it. */
export function stayFromClocks(arrivalClockH: number, departureClockH: number): { arrivalH: number; departureH: number } {
  const arrivalH = mod24(arrivalClockH);
  return { arrivalH, departureH: arrivalH + mod24(departureClockH - arrivalClockH) };
}

function fillBattery(f: MutableFleet, i: number, p: DefaultFleetParams | Seed002FleetParams, v2g: boolean): void {
  f.id[i] = String(i + 1);
  f.capacityKwh[i] = p.capacityKwh;
  f.pChargeMaxKw[i] = p.pChargeMaxKw;
  f.pDischargeMaxKw[i] = v2g ? p.pDischargeMaxKw : 0;
  f.eta[i] = p.eta;
  f.socMin[i] = p.socMin;
  f.socMax[i] = p.socMax;
  f.socTarget[i] = p.socTarget;
  f.v2g[i] = v2g ? 1 : 0;
}

/**
 * Draws, per EV in order: class (uniform), arrival and departure (normals), daily distance (a
 * normal, exponentiated), V2G enrolment (uniform). Placement draws from `rng.fork('placement')`.
 */
export function sampleDefaultFleet(p: DefaultFleetParams, rng: Rng): Fleet {
  checkCommon(p);
  check(p.residentialShare >= 0 && p.residentialShare <= 1, 'residentialShare', `must be in [0, 1], got ${p.residentialShare}`);
  for (const c of ['residential', 'workplace'] as const) {
    checkNormal(p[c].arrivalH, `${c}.arrivalH`);
    checkNormal(p[c].departureH, `${c}.departureH`);
  }
  check(p.dailyKm.logSigma >= 0, 'dailyKm.logSigma', `must be >= 0, got ${p.dailyKm.logSigma}`);
  check(p.arrivalSoc.socPerKm >= 0, 'arrivalSoc.socPerKm', `must be >= 0, got ${p.arrivalSoc.socPerKm}`);
  const { fullSoc, socPerKm, floorSoc } = p.arrivalSoc;
  check(floorSoc >= p.socMin && fullSoc <= p.socMax, 'arrivalSoc',
    `floorSoc (${floorSoc}) and fullSoc (${fullSoc}) must lie in [socMin, socMax] = [${p.socMin}, ${p.socMax}]`);

  const f = Fleet.allocate(p.count);
  for (let i = 0; i < p.count; i++) {
    const law = rng.next() < p.residentialShare ? p.residential : p.workplace;
    const arrivalClock = rng.normal(law.arrivalH.mean, law.arrivalH.sd);
    const departureClock = rng.normal(law.departureH.mean, law.departureH.sd);
    const km = Math.exp(rng.normal(p.dailyKm.logMu, p.dailyKm.logSigma));
    const v2g = rng.next() < p.v2gShare;
    // stayFromClocks, without an object per EV.
    const arrivalH = mod24(arrivalClock);
    f.arrivalH[i] = arrivalH;
    f.departureH[i] = arrivalH + mod24(departureClock - arrivalClock);
    f.socArrival[i] = Math.min(fullSoc, Math.max(floorSoc, fullSoc - socPerKm * km));
    fillBattery(f, i, p, v2g);
  }
  if (p.busLoads) placeByLoad(f, p.busLoads, rng.fork('placement'));
  validateFleetValues(f); // ids are positions: unique
  return f;
}

/**
 * Seed 002: arrival SOC from an exponential law truncated (not clipped) to [socMin, socMax], drawn by
 * inverse CDF. Draws per EV: arrival, departure (normals), SOC (uniform), V2G (uniform).
 */
export function sampleSeed002Fleet(p: Seed002FleetParams, rng: Rng): Fleet {
  checkCommon(p);
  checkNormal(p.arrivalH, 'arrivalH');
  checkNormal(p.departureH, 'departureH');
  check(p.initialSocRatePerSoc >= 0, 'initialSocRatePerSoc', `must be >= 0, got ${p.initialSocRatePerSoc}`);
  const f = Fleet.allocate(p.count);
  for (let i = 0; i < p.count; i++) {
    const stay = stayFromClocks(rng.normal(p.arrivalH.mean, p.arrivalH.sd), rng.normal(p.departureH.mean, p.departureH.sd));
    f.arrivalH[i] = stay.arrivalH;
    f.departureH[i] = stay.departureH;
    f.socArrival[i] = truncatedExponential(rng.next(), p.initialSocRatePerSoc, p.socMin, p.socMax);
    fillBattery(f, i, p, rng.next() < p.v2gShare);
    if (p.bus !== undefined) f.bus[i] = p.bus;
  }
  validateFleetValues(f); // ids are positions: unique
  return f;
}

/** Inverse CDF of Exp(rate) conditioned on [lo, hi]; uniform when rate = 0. */
export function truncatedExponential(u: number, rate: number, lo: number, hi: number): number {
  if (rate === 0 || hi === lo) return lo + u * (hi - lo);
  const x = lo - Math.log(1 - u * (1 - Math.exp(-rate * (hi - lo)))) / rate;
  return Math.min(hi, Math.max(lo, x));
}

/**
 * EVs per bus in proportion to bus load, rounded by largest remainder; equal remainders are ordered
 * by a seeded random key. EVs go to buses in fleet order (the EVs are independent draws).
 */
export function placeByLoad(f: MutableFleet, busLoads: readonly BusLoad[], rng: Rng): void {
  busLoads.forEach((b, k) => {
    check(Number.isInteger(b.bus) && b.bus >= 0, `busLoads[${k}].bus`, `must be a bus id (an integer >= 0), got ${b.bus}`);
    check(Number.isFinite(b.pKw) && b.pKw >= 0, `busLoads[${k}].pKw`, `must be a load >= 0 kW, got ${b.pKw}`);
  });
  const counts = largestRemainder(busLoads.map((b) => b.pKw), f.size, rng);
  let i = 0;
  counts.forEach((n, k) => {
    for (let c = 0; c < n; c++) f.bus[i++] = busLoads[k].bus;
  });
}

/** Integer shares of `total` in proportion to `weights`, summing to `total`. */
export function largestRemainder(weights: readonly number[], total: number, rng: Rng): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  check(sum > 0, 'busLoads', 'the bus loads sum to 0 kW: EVs cannot be placed in proportion to load');
  const quota = weights.map((w) => (total * w) / sum);
  const counts = quota.map(Math.floor);
  const tieBreak = weights.map(() => rng.next());
  const order = weights.map((_, k) => k).sort((a, b) => (quota[b] - counts[b]) - (quota[a] - counts[a]) || tieBreak[a] - tieBreak[b]);
  let left = total - counts.reduce((a, b) => a + b, 0);
  for (const k of order) {
    if (left === 0) break;
    counts[k]++;
    left--;
  }
  return counts;
}
