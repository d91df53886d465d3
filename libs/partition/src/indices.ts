/**
 * The indices of a partition (SPEC §5; seed 001 eq 13–20).
 *
 * Declared readings where the seed is garbled (to be confirmed in SPEC §5):
 * - Q (eq 13): Newman modularity at resolution 1 on the complete graph weighted A_ij = 1/s_ij (the
 *   seed writes s_ij where A_ij belongs). Resolution 1 for every candidate, so candidates found at
 *   different Louvain resolutions are scored on one scale.
 * - P_a^d(t) = Σ_{i∈d} flexKw (envelope upper − lower), P_d^an(t) = |NL_d(t) − mean_t NL_d| with NL_d
 *   the zone's base net load (SPEC §5).
 * - fA (eq 14, user side, "more is better"): the share of the zone's regulation need its own
 *   flexibility covers period by period, Σ_t min(P_a^d, P_d^an) / Σ_t P_d^an (1 when the need is 0).
 * - fE (eq 17, network side): eq 17's |P_d^p − γ|/γ as a score in [0, 1], max(0, 1 − |ρ_d − γ|/γ),
 *   with ρ_d = mean_t P_d^an / mean_t |NL_d| the regulation ratio the zone needs (0 for a zone with no
 *   net load), γ the ratio the DSO asks for.
 * - f2 (eq 18): wA·fA + wE·fE per zone, averaged over the zones.
 * - f3 (eq 19–20): P_eq,d = |Σ_t (P_a^d − P_d^an)| / T and f3 = Σ_d (P_eq,d − mean_d P_eq,d)² (kW²).
 * - f_c: 1 + perZone × (number of zones with fewer than minBuses or more than maxBuses buses).
 */
import type { DistanceGraph } from './louvain';
import type { PartitionParams, ZoneIndices } from './types';

export interface Modularity {
  Q: number;
  /** Each zone's term: W_in/m − (K/2m)², index zone id − 1. */
  perZone: Float64Array;
}

/**
 * Q = Σ_c [ W_in(c)/m − (K_c/2m)² ], W_in the weight inside c (each edge once), K_c the weighted
 * degrees summed over c, m the total weight. A graph without edges has Q = 0.
 */
export function modularity(g: DistanceGraph, zoneOfNode: Int32Array, nZones: number): Modularity {
  const { n, w } = g;
  const inside = new Float64Array(nZones), degree = new Float64Array(nZones);
  let m = 0;
  for (let k = 0; k < n; k++) {
    for (let l = k + 1; l < n; l++) {
      const wkl = w[k * n + l];
      if (wkl === 0) continue;
      m += wkl;
      degree[zoneOfNode[k] - 1] += wkl;
      degree[zoneOfNode[l] - 1] += wkl;
      if (zoneOfNode[k] === zoneOfNode[l]) inside[zoneOfNode[k] - 1] += wkl;
    }
  }
  const perZone = new Float64Array(nZones);
  if (m === 0) return { Q: 0, perZone };
  let Q = 0;
  for (let c = 0; c < nZones; c++) {
    perZone[c] = inside[c] / m - (degree[c] / (2 * m)) ** 2;
    Q += perZone[c];
  }
  return { Q, perZone };
}

type ZoneFlexIndices = Omit<ZoneIndices, 'q'>;

/** The indices of one zone from its members' rows (bus positions, any fixed order). */
export function zoneFlexIndices(
  members: readonly number[],
  flexKw: readonly Float64Array[],
  netLoadKw: readonly Float64Array[],
  params: PartitionParams,
): ZoneFlexIndices {
  const T = flexKw[members[0]].length;
  const flex = new Float64Array(T), net = new Float64Array(T);
  for (const p of members) {
    for (let t = 0; t < T; t++) {
      flex[t] += flexKw[p][t];
      net[t] += netLoadKw[p][t];
    }
  }
  const netMean = mean(net);
  let flexSum = 0, needSum = 0, coveredSum = 0, absNetSum = 0;
  for (let t = 0; t < T; t++) {
    const need = Math.abs(net[t] - netMean);
    flexSum += flex[t];
    needSum += need;
    coveredSum += Math.min(flex[t], need);
    absNetSum += Math.abs(net[t]);
  }
  const fA = needSum > 0 ? coveredSum / needSum : 1;
  const ratio = absNetSum > 0 ? needSum / absNetSum : 0;
  const fE = Math.max(0, 1 - Math.abs(ratio - params.gamma) / params.gamma);
  const { minBuses, maxBuses } = params.sizePenalty;
  return {
    nBuses: members.length,
    flexMeanKw: flexSum / T,
    needMeanKw: needSum / T,
    pEqKw: Math.abs(flexSum - needSum) / T,
    fA,
    fE,
    f2: params.wA * fA + params.wE * fE,
    outsideSizeBand: members.length < minBuses || members.length > maxBuses,
  };
}

export interface PartitionIndices {
  f2: number;
  f3: number;
  fc: number;
}

export function partitionIndices(zones: readonly ZoneFlexIndices[], params: PartitionParams): PartitionIndices {
  const pEqMean = mean(zones.map((z) => z.pEqKw));
  const outside = zones.filter((z) => z.outsideSizeBand).length;
  return {
    f2: mean(zones.map((z) => z.f2)),
    f3: zones.reduce((acc, z) => acc + (z.pEqKw - pEqMean) ** 2, 0),
    fc: 1 + params.sizePenalty.perZone * outside,
  };
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}
