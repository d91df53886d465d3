/**
 * Zone partitioning of a radial feeder (SPEC §5; seed 001 eq 12–21): the inputs, the declared
 * parameters (all from the scenario file) and the result tables.
 */
import type { RadialNetwork } from '@zonal/feeder';

export interface PartitionParams {
  /** Louvain resolutions tried (SPEC §5: 0.5, 0.75, 1, 1.25, 1.5). */
  resolutions: number[];
  /** Seeds of the Louvain random walk, one fresh generator per call (SPEC §5: 1..10). */
  rngSeeds: number[];
  /** Weights of the composite index F (SPEC §5: 0.5, 0.9, 0.4). */
  weights: { modularity: number; flexibility: number; balance: number };
  /** f_c = 1 + perZone × (zones with fewer than minBuses or more than maxBuses buses) (SPEC §5: 3, 12, 0.25). */
  sizePenalty: { minBuses: number; maxBuses: number; perZone: number };
  /** Seed 001 eq 18 weights of the user-side and network-side sub-indices (SPEC §5: 0.5, 0.5). */
  wA: number;
  wE: number;
  /** Seed 001 eq 17: the regulation ratio the DSO asks of a zone (SPEC §5: 0.2). */
  gamma: number;
}

export interface PartitionInputs {
  net: RadialNetwork;
  /** Per bus position, per period: envelope upper minus lower power of the flexible resources (kW). */
  flexKw: Float64Array[];
  /** Per bus position, per period: net load of the no-EV base dispatch (kW, load positive). */
  netLoadKw: Float64Array[];
}

/** Every index of one zone (the declared readings are in indices.ts). */
export interface ZoneIndices {
  nBuses: number;
  /** The zone's term of the modularity Q (resolution 1, complete graph weighted 1/s_ij). */
  q: number;
  /** Mean over the day of P_a^d(t), the zone's flexible power (kW). */
  flexMeanKw: number;
  /** Mean over the day of P_d^an(t) = |zone net load − its daily mean| (kW). */
  needMeanKw: number;
  /** Seed 001 eq 19: |Σ_t (P_a^d − P_d^an)| / T (kW). */
  pEqKw: number;
  /** User-side dispatchable potential (eq 14, declared reading), in [0, 1]. */
  fA: number;
  /** Network-side score (eq 17, declared reading), in [0, 1]. */
  fE: number;
  /** Eq 18: wA·fA + wE·fE. */
  f2: number;
  /** True when the zone's size is outside [minBuses, maxBuses] (counted by f_c). */
  outsideSizeBand: boolean;
}

export interface Zone {
  /** 1, 2, … in order of each zone's smallest bus id. */
  id: number;
  /** Bus ids, ascending. */
  buses: number[];
  indices: ZoneIndices;
}

/** An in-service feeder branch whose ends lie in different zones, oriented away from the substation. */
export interface ZoneTieLine {
  from: number;
  to: number;
  fromZone: number;
  toZone: number;
}

/** The partition-level indices of one candidate (Louvain run). */
export interface CandidateScore {
  resolution: number;
  rngSeed: number;
  zones: number;
  /** Composite index (SPEC §5), lower is better. */
  F: number;
  /** Modularity at resolution 1 of the final (connected) zones. */
  Q: number;
  /** Mean over zones of eq 18. */
  f2: number;
  /** Seed 001 eq 20: Σ_d (P_eq,d − mean)² (kW²). */
  f3: number;
  /** Size factor f_c ≥ 1. */
  fc: number;
}

export interface PartitionResult {
  zones: Zone[];
  tieLines: ZoneTieLine[];
  /** Bus id → zone id, every bus (the substation included, see zones.ts). */
  busZone: Record<number, number>;
  chosen: Omit<CandidateScore, 'zones'>;
  /** Every Louvain run, in the order tried (resolutions outer, seeds inner). */
  candidates: CandidateScore[];
}
