export { choosePartition, louvainCandidates, partitionFeeder, type PartitionCandidates } from './partition';
export { benchPartition, type PartitionBenchRow } from './bench';
export { electricalDistance, type ElectricalDistance } from './distance';
export { feederTree, type FeederTree } from './tree';
export { subtreeZones } from './subtree';
export type {
  PartitionParams, PartitionInputs, PartitionResult, Zone, ZoneIndices, ZoneTieLine, CandidateScore,
} from './types';
