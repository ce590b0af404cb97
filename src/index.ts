/**
 * kafka-twin's public surface. Every export is listed here by name.
 */
export { Cluster } from './cluster.js';
export type { IdleOptions } from './cluster.js';
export { TwinKafka } from '../adapters/twin/kafka.js';
export type { TwinKafkaConfig } from '../adapters/twin/kafka.js';
export type { TwinConsumer } from '../adapters/twin/consumer/index.js';
export type { Admin, AlterConfigsResult, Consumer, Kafka, Producer } from '../client/interface.js';
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
export { GroupCoordinator, OFFSETS_TOPIC } from '../emulator/groups/coordinator.js';
export { decodeAssignment } from '../protocol/consumer-protocol.js';
export type {
  CoordinatorNode,
  DeleteGroupResult,
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
export { GroupStates, VALID_PREVIOUS_STATES } from '../emulator/groups/group.js';
export { CooperativeStickyAssigner, RangeAssigner, RoundRobinAssigner, cooperativeStickyAssign, rangeAssign, roundRobinAssign } from '../client/assignors/index.js';
export { Partitioners, createDefaultPartitioner, murmur2, partitionForKey } from '../client/partitioners.js';
export type { DefaultPartitionerOptions } from '../client/partitioners.js';
export { RealClock, VirtualClock } from '../emulator/clock.js';
export type { Clock, TimerId } from '../emulator/clock.js';
export { BROKER_CONFIGS, TOPIC_CONFIGS } from '../emulator/config.js';
export type { BrokerConfig, BrokerConfigName, ConfigInput, ConfigSource, TopicConfig, TopicConfigName } from '../emulator/config.js';
export type { ClusterEvent, ClusterEventType, EventListener } from '../emulator/events.js';
export type { FetchedRecord, ProduceRecord, RecordHeader, StoredRecord, TimestampType } from '../emulator/records.js';
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
export type { KafkaErrorCode, TwinErrorType } from '../protocol/errors.js';
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
