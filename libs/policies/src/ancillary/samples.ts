import type { Rng } from '@zonal/core';
import { aggregateEnvelope, Fleet, sampleDefaultFleet, uncoordinatedProfile, type AggregateEnvelope, type DefaultFleetParams, type TimeGrid } from '@zonal/ev';
import { joinLevel, NEVER } from './willingness';

/**
 * The Monte Carlo fleet of the ancillary policy (seed 003 §3.2 steps a–c; SPEC §7.5).
 *
 * Declared reading of "aggregate envelope from 200 Monte Carlo samples": the aggregator plans a day
 * ahead without knowing which of its users will turn up, when, with how much energy, or who will
 * accept the incentive. Each sample is one possible day: a fresh draw of the whole fleet (seed 001
 * laws) and of every user's willingness. The plan is made on the *mean* envelope over the samples
 * (the envelope of all sampled EVs pooled and divided by the sample count: the expected envelope,
 * since envelopes add over EVs), and the spread between samples is what makes an offer of
 * regulation capacity risky (market-lp.ts charges the peak-regulation cost on the expected
 * shortfall over the samples).
 *
 * Users are grouped by the pair of incentive levels at which they first accept CBDR and DBDR (one
 * uniform draw each, so the fleet at a higher level contains the fleet at a lower one); only
 * V2G-enrolled users can accept DBDR. Everything a level pair needs is then a sum over groups.
 */
export interface ResponseCell {
  v2g: boolean;
  /** Index of the first incentive level at which these users accept CBDR; NEVER if none. */
  cbdrLevel: number;
  dbdrLevel: number;
  /** EVs per sample in this cell, on average. */
  meanEvs: number;
  /** Mean envelopes: with V2G discharge (the DBDR mode), and charge-only (the CBDR mode). */
  envelopeV2g: AggregateEnvelope;
  envelopeChargeOnly: AggregateEnvelope;
  /** Mean grid-side uncoordinated charging (the users' baseline, SPEC §7.4), kW. */
  baselineGridKw: Float64Array;
  /** Per sample s and period t (entry s*T + t): grid-side charging limit of the plugged EVs, kW. */
  chargeCapKw: Float64Array;
  /** Per sample and period: grid-side discharge limit plus baseline charging, the most the EVs can cut, kW. */
  cutCapKw: Float64Array;
}

export interface MarketSamples {
  grid: TimeGrid;
  samples: number;
  evsPerSample: number;
  eta: number;
  cells: ResponseCell[];
  /** EVs per sample left out (no whole plugged period, or target unreachable), on average. */
  meanExcluded: number;
  /** One of them, e.g. "EV 3.17 is parked ..." (EV 17 of sample 3). */
  excludedExample: string | null;
}

export function drawMarketSamples(
  fleetParams: DefaultFleetParams, samples: number, grid: TimeGrid, shares: readonly number[], rng: Rng,
): MarketSamples {
  const fleets: Fleet[] = [], cbdrLevel: number[][] = [], dbdrLevel: number[][] = [];
  for (let s = 0; s < samples; s++) {
    const fleet = sampleDefaultFleet(fleetParams, rng.fork(`fleet-${s}`));
    const w = rng.fork(`willingness-${s}`);
    const c: number[] = [], d: number[] = [];
    for (let i = 0; i < fleet.size; i++) {
      c.push(joinLevel(w.next(), shares));
      const uD = w.next();
      d.push(fleet.v2g[i] ? joinLevel(uD, shares) : NEVER);
    }
    fleets.push(fleet);
    cbdrLevel.push(c);
    dbdrLevel.push(d);
  }
  return marketSamplesFromFleets(fleets, cbdrLevel, dbdrLevel, grid);
}

/**
 * The cells of a given set of sampled fleets (equal sizes) and each EV's join levels
 * (`cbdrLevel[s][i]`, NEVER if it never accepts; DBDR levels of non-V2G EVs are ignored).
 */
export function marketSamplesFromFleets(fleets: Fleet[], cbdrLevels: number[][], dbdrLevels: number[][], grid: TimeGrid): MarketSamples {
  const samples = fleets.length, n = fleets[0]?.size ?? 0;
  if (fleets.some((f) => f.size !== n)) throw new Error('every Monte Carlo sample must hold the same number of EVs');
  const cbdrLevel = cbdrLevels.flat(), dbdrLevel = dbdrLevels.flat();
  const pooled = concatFleets(fleets);
  const base = uncoordinatedProfile(pooled, grid);
  const excluded = new Set([...base.dropped, ...base.shortOfTarget].map((p) => p.index));
  if (pooled.eta.some((e) => e !== pooled.eta[0])) throw new Error('the ancillary model takes one charging efficiency for the whole fleet');
  for (let i = 0; i < pooled.size; i++) if (!pooled.v2g[i]) dbdrLevel[i] = NEVER;

  const members = new Map<string, number[]>();
  for (let i = 0; i < pooled.size; i++) {
    if (excluded.has(i) || (cbdrLevel[i] === NEVER && dbdrLevel[i] === NEVER)) continue;
    const key = `${pooled.v2g[i]}:${cbdrLevel[i]}:${dbdrLevel[i]}`;
    let list = members.get(key);
    if (!list) members.set(key, (list = []));
    list.push(i);
  }
  const T = grid.periods;
  const cells: ResponseCell[] = [];
  for (const idx of members.values()) {
    const i0 = idx[0];
    const sub = Fleet.subset(pooled, idx);
    const envelopeV2g = meanOf(aggregateEnvelope(sub, grid), samples);
    const chargeOnly = Fleet.subset(pooled, idx);
    chargeOnly.v2g.fill(0);
    const baselineGridKw = new Float64Array(T);
    const chargeCapKw = new Float64Array(samples * T), cutCapKw = new Float64Array(samples * T);
    for (const i of idx) {
      const row = Math.floor(i / n) * T;
      const sched = base.schedules;
      for (let e = sched.offset[i], t = sched.start[i]; e < sched.offset[i + 1]; e++, t = (t + 1) % T) {
        const baseKw = sched.chargeKw[e] / pooled.eta[i];
        baselineGridKw[t] += baseKw / samples;
        chargeCapKw[row + t] += pooled.pChargeMaxKw[i] / pooled.eta[i];
        cutCapKw[row + t] += baseKw + (pooled.v2g[i] ? pooled.pDischargeMaxKw[i] * pooled.eta[i] : 0);
      }
    }
    cells.push({
      v2g: pooled.v2g[i0] === 1, cbdrLevel: cbdrLevel[i0], dbdrLevel: dbdrLevel[i0], meanEvs: idx.length / samples,
      envelopeV2g, envelopeChargeOnly: pooled.v2g[i0] ? meanOf(aggregateEnvelope(chargeOnly, grid), samples) : envelopeV2g,
      baselineGridKw, chargeCapKw, cutCapKw,
    });
  }
  const firstExcluded = [...base.dropped, ...base.shortOfTarget][0];
  return {
    grid, samples, evsPerSample: n, eta: pooled.eta[0] ?? 1, cells,
    meanExcluded: excluded.size / samples, excludedExample: firstExcluded?.message ?? null,
  };
}

/** One fleet of every sample's EVs, ids prefixed by the sample ("3.17" is EV 17 of sample 3). */
function concatFleets(fleets: Fleet[]): Fleet {
  const total = fleets.reduce((a, f) => a + f.size, 0);
  const out = Fleet.allocate(total);
  let k = 0;
  fleets.forEach((f, s) => {
    for (let i = 0; i < f.size; i++, k++) {
      out.id[k] = `${s + 1}.${f.id[i]}`;
      out.bus[k] = f.bus[i];
      out.v2g[k] = f.v2g[i];
      for (const field of ['arrivalH', 'departureH', 'capacityKwh', 'pChargeMaxKw', 'pDischargeMaxKw', 'eta', 'socMin', 'socMax', 'socArrival', 'socTarget'] as const) {
        out[field][k] = f[field][i];
      }
    }
  });
  return out;
}

/** An envelope divided by the sample count: the expected envelope of one sample. */
function meanOf(env: AggregateEnvelope, samples: number): AggregateEnvelope {
  const scale = (a: Float64Array) => a.map((x) => x / samples);
  return {
    pMinKw: scale(env.pMinKw), pMaxKw: scale(env.pMaxKw), pChargeMaxGridKw: scale(env.pChargeMaxGridKw),
    pDischargeMaxGridKw: scale(env.pDischargeMaxGridKw), eMinKwh: scale(env.eMinKwh), eMaxKwh: scale(env.eMaxKwh),
    evCount: env.evCount / samples, excluded: [],
  };
}

/** Sum of envelopes (envelopes add over EVs, SPEC §6). */
export function sumEnvelopes(envs: readonly AggregateEnvelope[], periods: number): AggregateEnvelope {
  const out: AggregateEnvelope = {
    pMinKw: new Float64Array(periods), pMaxKw: new Float64Array(periods), pChargeMaxGridKw: new Float64Array(periods),
    pDischargeMaxGridKw: new Float64Array(periods), eMinKwh: new Float64Array(periods + 1), eMaxKwh: new Float64Array(periods + 1),
    evCount: 0, excluded: [],
  };
  for (const e of envs) {
    for (const k of ['pMinKw', 'pMaxKw', 'pChargeMaxGridKw', 'pDischargeMaxGridKw', 'eMinKwh', 'eMaxKwh'] as const) {
      for (let t = 0; t < out[k].length; t++) out[k][t] += e[k][t];
    }
    out.evCount += e.evCount;
  }
  return out;
}
