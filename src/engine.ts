/**
 * `kafka-twin/engine`: the engine's parts, for tests and power users who want Kafka's answers as
 * data (error codes per partition, as a broker sends them) rather than through kafkajs's errors.
 * What is here follows the engine's layout and may change with it; the root export
 * (`kafka-twin`) is the stable surface.
 */

/** The broker side: one state owner answering Kafka's requests with Kafka's error codes. */
export { Engine } from '../emulator/engine.js';
/** Every engine answer's types. */
export type {
  AlterConfigAnswer,
  Answer,
  DeleteRecordsAnswer,
  DeleteTopicAnswer,
  DescribeConfigAnswer,
  FetchManyRequest,
  FetchRangesResult,
  ListOffsetsAnswer,
  MetadataAnswer,
  ProduceManyRequest,
  TopicConfigAnswer,
} from '../emulator/engine.js';
/** The group coordinator behind its port, answering with Kafka's codes; its states and their legal moves. */
export { GroupCoordinator, NEW_MEMBER_JOIN_TIMEOUT_MS, OFFSETS_TOPIC, OFFSET_METADATA_MAX_SIZE, OFFSETS_RETENTION_CHECK_INTERVAL_MS } from '../emulator/groups/coordinator.js';
/** What the coordinator needs from its broker. */
export type { GroupPort, PartitionOffsets, PortBroker } from '../emulator/groups/coordinator.js';
/** Kafka's ClassicGroupState table. */
export { GroupStates, VALID_PREVIOUS_STATES } from '../emulator/groups/group.js';
/** The clocks: virtual (deterministic, moved by `advance`) and real. */
export { RealClock, VirtualClock } from '../emulator/clock.js';
/** The clock interface and its timer handles. */
export type { Clock, TimerId } from '../emulator/clock.js';
/** Kafka's broker and topic settings the twin models, with Kafka 3.9's defaults. */
export { BROKER_CONFIGS, TOPIC_CONFIGS } from '../emulator/config.js';
/** Parsed setting tables. */
export type { BrokerConfig, TopicConfig } from '../emulator/config.js';
/** A record as the log stores it. */
export type { StoredRecord } from '../emulator/records.js';
/** Errors as data: the code of an answer and its conversion to kafkajs's error classes. */
export { NONE, errorOf, failure, isFailure, orThrow, unreachable } from '../protocol/errors.js';
/** An answer's error part, a failure, an unreachable broker's answer. */
export type { ErrorContext, ErrorPart, Failure, Unreachable } from '../protocol/errors.js';
/** The consumer protocol's codec (subscriptions and assignments inside JoinGroup and SyncGroup). */
export { decodeAssignment, decodeSubscription, encodeMemberAssignment, encodeMemberMetadata } from '../protocol/consumer-protocol.js';
/** The engine's calls in kafkajs's error style, and the twin client over them. */
export { TwinCluster } from '../adapters/twin/cluster.js';
/** The twin client factory and the group calls in kafkajs's error style. */
export { TwinGroups } from '../adapters/twin/groups.js';
/** The twin's kafkajs `Kafka`. */
export { TwinKafka } from '../adapters/twin/kafka.js';
