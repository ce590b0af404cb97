/**
 * The shared interface: the subset of kafkajs's API that kafka-twin implements twice, over the
 * twin (`cluster.kafka()`) and over a real cluster (`fromKafkaJs(new Kafka(...))`). Every type is
 * kafkajs's own, narrowed with `Pick`, so code written against kafkajs compiles against this
 * unchanged, and a real kafkajs client satisfies it by construction.
 */
import type * as kafkajs from 'kafkajs';

/** Producer methods both targets implement: all of kafkajs's. */
export type Producer = Pick<
  kafkajs.Producer,
  'connect' | 'disconnect' | 'send' | 'sendBatch' | 'isIdempotent' | 'transaction' | 'logger' | 'on' | 'events'
>;

/** Consumer methods both targets implement: all of kafkajs's. */
export type Consumer = Pick<
  kafkajs.Consumer,
  | 'connect'
  | 'disconnect'
  | 'subscribe'
  | 'run'
  | 'stop'
  | 'commitOffsets'
  | 'seek'
  | 'pause'
  | 'resume'
  | 'paused'
  | 'describeGroup'
  | 'logger'
  | 'on'
  | 'events'
>;

/** The result of `alterConfigs`: kafkajs types it `any`; this is what it answers (the broker's resources; kafkajs drops the throttle time). */
export interface AlterConfigsResult {
  readonly resources: ReadonlyArray<{ readonly errorCode: number; readonly errorMessage: string | null; readonly resourceType: number; readonly resourceName: string }>;
}

/**
 * What `listPartitionReassignments` answers at run time, on both targets. kafkajs 2.2.4's typings
 * (which the interface keeps, so a kafkajs client satisfies it) name the fields `topic` and
 * `partitionIndex`, but its response decoder gives `name` and `partition`: cast the answer to this.
 */
export interface ListPartitionReassignmentsResult {
  readonly topics: ReadonlyArray<{
    readonly name: string;
    readonly partitions: ReadonlyArray<{
      readonly partition: number;
      /** Every replica: the targets, then those being removed. */
      readonly replicas: readonly number[];
      readonly addingReplicas: readonly number[];
      readonly removingReplicas: readonly number[];
    }>;
  }>;
}

/** Admin methods both targets implement: all of kafkajs's, `alterConfigs` typed by what it answers. */
export type Admin = Pick<
  kafkajs.Admin,
  | 'connect'
  | 'disconnect'
  | 'createTopics'
  | 'deleteTopics'
  | 'createPartitions'
  | 'listTopics'
  | 'fetchTopicMetadata'
  | 'fetchTopicOffsets'
  | 'fetchTopicOffsetsByTimestamp'
  | 'fetchOffsets'
  | 'setOffsets'
  | 'resetOffsets'
  | 'describeGroups'
  | 'listGroups'
  | 'deleteGroups'
  | 'describeCluster'
  | 'describeConfigs'
  | 'deleteTopicRecords'
  | 'createAcls'
  | 'describeAcls'
  | 'deleteAcls'
  | 'alterPartitionReassignments'
  | 'listPartitionReassignments'
  | 'logger'
  | 'on'
  | 'events'
> & {
  alterConfigs(configs: { validateOnly: boolean; resources: kafkajs.IResourceConfig[] }): Promise<AlterConfigsResult>;
};

/** What `new Kafka(...)` gives: the three client factories. */
export interface Kafka {
  producer(config?: kafkajs.ProducerConfig): Producer;
  consumer(config: kafkajs.ConsumerConfig): Consumer;
  admin(config?: kafkajs.AdminConfig): Admin;
}

export type {
  AdminConfig,
  Batch,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  GroupDescription,
  IHeaders,
  ITopicConfig,
  ITopicMetadata,
  KafkaMessage,
  Logger,
  Message,
  PartitionAssigner,
  ProducerBatch,
  ProducerConfig,
  ProducerRecord,
  RecordMetadata,
  RetryOptions,
  SeekEntry,
  TopicMessages,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
