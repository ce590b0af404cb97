/**
 * kafka-twin's public surface: what a user of the package constructs and calls. Every export is
 * listed by name. The engine's own parts (the `Engine` answering with Kafka's codes, the group
 * coordinator, the clocks, the config tables) are under the `kafka-twin/engine` sub-path
 * (src/engine.ts), so the layout below this file can change without breaking users.
 */

/** The cluster users construct: brokers, topics, faults, `kafka()`, `idle()`. */
export { Cluster } from './cluster.js';
/** Options for `cluster.idle()`; what `cluster.wire()` gives and `cluster.listen()` takes; a wire connection's event. */
export type { IdleOptions, ListenOptions, WireConfig, WireEvent } from './cluster.js';
/** What `cluster.injectFault()` takes and gives. */
export type { Fault, InjectFaultOptions } from './cluster.js';
/** What `cluster.kafka(config)` takes and gives; the twin consumer's extra `crash()`. */
export type { TwinKafka, TwinKafkaConfig } from '../adapters/twin/kafka.js';
/** The twin's consumer: kafkajs's `Consumer` plus `crash()`. */
export type { TwinConsumer } from '../adapters/twin/consumer/index.js';
/** `cluster.groups`: the group coordinator's requests in kafkajs's error style, and DeleteGroups' outcome. */
export type { DeleteGroupResult, TwinGroups } from '../adapters/twin/groups.js';
/** The shared interface: kafkajs's own types, implemented by the twin and by `fromKafkaJs`. */
export type { Admin, AlterConfigsResult, Consumer, Kafka, ListPartitionReassignmentsResult, Producer } from '../client/interface.js';
/** What the cluster's own calls take and answer (`createTopic`, `produce`, `fetch`, `describePartition`, …). */
export type {
  BrokerDescription,
  ClusterOptions,
  ConfigEntry,
  CreateTopicOptions,
  FetchRequest,
  FetchResult,
  OffsetSpec,
  PartitionDescription,
  PartitionMetadata,
  ProduceRequest,
  ProduceResult,
  ReplicaDescription,
  TopicMetadata,
} from '../emulator/engine.js';
/** What `cluster.groups`' calls take and answer. */
export type {
  CoordinatorNode,
  GroupDescription as CoordinatorGroupDescription,
  GroupMemberDescription,
  GroupOverview,
  GroupProtocol,
  GroupState,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchRequest,
  OffsetFetchTopic,
  PartitionLag,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../emulator/groups/coordinator.js';
/** Broker and topic settings under Kafka's names, as `new Cluster({ config })` and `createTopic` take them. */
export type { BrokerConfigName, ConfigInput, ConfigSource, TopicConfigName } from '../emulator/config.js';
/** The event log (`cluster.events()`, `cluster.onEvent()`). */
export type { ClusterEvent, ClusterEventType, EventListener } from '../emulator/events.js';
/** Records as produced and fetched. */
export type { FetchedRecord, ProduceRecord, RecordHeader, TimestampType } from '../emulator/records.js';
/** Partition assignors with kafkajs's interface, and their pure functions. */
export { CooperativeStickyAssigner, RangeAssigner, RoundRobinAssigner, cooperativeStickyAssign, rangeAssign, roundRobinAssign } from '../client/assignors/index.js';
/** kafkajs's partitioners, and the murmur2 hash keyed messages land by. */
export { Partitioners, createDefaultPartitioner, murmur2, partitionForKey } from '../client/partitioners.js';
/** kafkajs's `logLevel` (the same object), for `cluster.kafka({ logLevel, logCreator })`; a log entry and a logger as kafkajs types them. */
export { logLevel } from '../adapters/twin/logger.js';
export type { LogCreator, LogEntry, Logger, LoggingConfig } from '../adapters/twin/logger.js';
/** Options of the default partitioner. */
export type { DefaultPartitionerOptions } from '../client/partitioners.js';
/** kafkajs's error classes (the same classes on the twin and on a real cluster) and Kafka's error-code table. */
export {
  KAFKA_ERRORS,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSOffsetOutOfRange,
  KafkaJSProtocolError,
  isProtocolError,
  kafkaError,
} from '../protocol/errors.js';
/** One row of Kafka's error table; the error types the twin raises. */
export type { KafkaErrorCode, TwinErrorType } from '../protocol/errors.js';
/** The streams API (Quix Streams' concepts): stream producers and consumers over topics. */
export {
  AutoOffsetReset,
  AsyncEventEmitter,
  CommitMode,
  DEFAULT_STREAM_ID,
  STREAM_MESSAGE_TYPE_HEADER,
  StreamConsumer,
  StreamEndType,
  StreamProducer,
  StreamingClient,
  TopicConsumer,
  TopicProducer,
  jsonDeserializer,
  jsonSerializer,
} from './streams/index.js';
/** The streams API's option and payload types. */
export type {
  CommitOptions,
  Deserializer,
  PartitionOffset,
  PublishOptions,
  Serializer,
  StreamConsumerEvents,
  StreamData,
  StreamMessageType,
  StreamPartitioner,
  StreamProperties,
  TopicConsumerEvents,
  TopicConsumerOptions,
  TopicProducerOptions,
} from './streams/index.js';
