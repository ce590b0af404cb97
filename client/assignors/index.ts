/**
 * Consumer-group partition assignors with kafkajs's `PartitionAssigner` interface, usable as
 * `partitionAssigners: [...]` with real kafkajs and with the twin's client, plus the pure,
 * buffer-free assignment functions behind them for the engine and its tests.
 */
export { RoundRobinAssigner, roundRobinAssign } from './roundRobin.js';
export { RangeAssigner, rangeAssign } from './range.js';
export { CooperativeStickyAssigner } from './cooperativeSticky/assigner.js';
export { DEFAULT_GENERATION, cooperativeStickyAssign } from './cooperativeSticky/assign.js';
export { decodeCooperativeUserData, encodeCooperativeUserData } from './cooperativeSticky/userData.js';
export type { CooperativeStickyAssignerInstance } from './cooperativeSticky/assigner.js';
export type { CooperativeAssignment, CooperativeMember, CooperativeOwnership, WithheldPartition } from './cooperativeSticky/assign.js';
export type { CooperativeUserData } from './cooperativeSticky/userData.js';
export type {
  AssignerContext,
  AssignorMember,
  GroupAssignment,
  PartitionsByTopic,
  TopicAssignment,
  TopicPartition,
  TopicPartitions,
} from './common.js';
