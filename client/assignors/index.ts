/**
 * Consumer-group partition assignors with kafkajs's `PartitionAssigner` interface, usable as
 * `partitionAssigners: [...]` with real kafkajs and with the twin's client, plus the pure,
 * buffer-free assignment functions behind them for the engine and its tests.
 */
export { RoundRobinAssigner, roundRobinAssign } from './roundRobin.js';
export { RangeAssigner, rangeAssign } from './range.js';
export {
  CooperativeStickyAssigner,
  DEFAULT_GENERATION,
  cooperativeStickyAssign,
  decodeCooperativeUserData,
  encodeCooperativeUserData,
} from './cooperativeSticky.js';
export type {
  CooperativeAssignment,
  CooperativeMember,
  CooperativeOwnership,
  CooperativeStickyAssignerInstance,
  CooperativeUserData,
  WithheldPartition,
} from './cooperativeSticky.js';
export type {
  AssignerContext,
  AssignorMember,
  GroupAssignment,
  PartitionsByTopic,
  TopicAssignment,
  TopicPartition,
  TopicPartitions,
} from './common.js';
