/**
 * The twin's kafkajs-shaped admin client. Each method validates its input as kafkajs 2.2.4 does,
 * sends the request to the engine, and shapes the answer (and the error) as kafkajs would.
 */
import type {
  AclEntry,
  AclFilter,
  AdminConfig,
  DeleteAclResponse,
  DescribeAclResponse,
  DeleteGroupsResult,
  ConfigEntries,
  DescribeConfigResponse,
  FetchOffsetsPartition,
  GroupDescriptions,
  ITopicConfig,
  ITopicMetadata,
  ITopicPartitionConfig,
  IResourceConfig,
  ListPartitionReassignmentsResponse,
  PartitionReassignment,
  ResourceConfigQuery,
  RetryOptions,
  SeekEntry,
  TopicPartitions,
} from 'kafkajs';
import type { OffsetSpec, PartitionMetadata } from '../../emulator/engine.js';
import type { TwinCluster as Cluster } from './cluster.js';
import { BROKER_CONFIGS, type ConfigSource } from '../../emulator/config.js';
import { KafkaJSAggregateError, KafkaJSCreateTopicError, KafkaJSNonRetriableError, isProtocolError, protocolError, type TwinErrorType } from '../../protocol/errors.js';
import { ConfigResourceTypes, kafkajsErrors } from '../../protocol/kafkajs.js';
import type { AlterConfigsResult } from '../../client/interface.js';
import { inKafkaMetadataOrder, inOffsetFetchOrder } from '../../protocol/hashing.js';
import { toKafkaJsPartitionMetadata } from './convert.js';
import { Instrumentation } from './instrumentation.js';
import { Bail, withRetries } from './retry.js';
import { AdminLog, listenerFailed, loggerFor, type Logger } from './logger.js';
import { alterPartitionReassignments, listPartitionReassignments } from './reassignments.js';
import * as acls from './acls.js';

/** kafkajs's admin event names. */
export const ADMIN_EVENTS = {
  CONNECT: 'admin.connect',
  DISCONNECT: 'admin.disconnect',
  REQUEST: 'admin.network.request',
  REQUEST_TIMEOUT: 'admin.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'admin.network.request_queue_size',
} as const;

/** kafkajs's numeric config sources. */
const CONFIG_SOURCE: Record<ConfigSource, number> = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

/**
 * The order of kafkajs's answers built from ListOffsets: one request per leader, in ascending
 * broker id, each listing its partitions in metadata order.
 */
function listOffsetsOrder<T extends PartitionMetadata>(partitions: readonly T[]): T[] {
  const rank = (leader: number) => (leader === -1 ? Infinity : leader);
  return inKafkaMetadataOrder(partitions).sort((a, b) => rank(a.leader) - rank(b.leader));
}

/** Rethrows non-retriable errors as they are (kafkajs's `bail`), so only retriable ones are retried. */
function bailUnlessRetriable(e: unknown): never {
  if ((e as { retriable?: boolean }).retriable === false) throw new Bail(e);
  throw e;
}

/** Topic-level admin operations of the twin's kafkajs-shaped admin client. */
export class TwinAdminTopics {
  readonly events = ADMIN_EVENTS;
  protected readonly instrumentation: Instrumentation;
  protected readonly retry: RetryOptions | undefined;
  protected readonly log: AdminLog;
  /** Set while connected: keeps the process alive on the real clock, as kafkajs's sockets do. */
  private release: (() => void) | undefined;

  constructor(
    protected readonly cluster: Cluster,
    config: AdminConfig = {},
    clientRetry?: RetryOptions,
    rootLogger: Logger = loggerFor(cluster),
  ) {
    this.retry = { ...clientRetry, ...config.retry };
    this.log = new AdminLog(rootLogger);
    this.instrumentation = new Instrumentation(ADMIN_EVENTS, () => cluster.now(), (name, e) => listenerFailed(this.log.admin, name, e));
  }

  /** The `Admin` namespace of the client's logger, as kafkajs's `admin.logger()`. */
  logger(): Logger {
    return this.log.admin;
  }

  async connect(): Promise<void> {
    this.release ??= this.cluster.keepAlive();
    this.instrumentation.emit(ADMIN_EVENTS.CONNECT, null);
  }

  async disconnect(): Promise<void> {
    this.release?.();
    this.release = undefined;
    this.instrumentation.emit(ADMIN_EVENTS.DISCONNECT, null);
  }

  on(eventName: string, listener: (event: never) => void): () => void {
    return this.instrumentation.on(eventName, listener as (event: unknown) => void);
  }

  /** Every topic, as kafkajs lists them: from a Metadata request for all topics (so it fails while any partition is offline). */
  async listTopics(): Promise<string[]> {
    return (await this.kafkajsMetadata([])).topics.map((t) => t.name);
  }

  /**
   * A Metadata request as kafkajs's admin makes it: no topics means every topic, never
   * auto-creating. kafkajs's response parser throws the first topic or partition error in the
   * answer, so one offline partition (no leader: LEADER_NOT_AVAILABLE) among the topics asked
   * for fails the call; LEADER_NOT_AVAILABLE is retried, anything else is not.
   */
  private kafkajsMetadata(topics: string[]): Promise<ReturnType<Cluster['metadata']>> {
    return withRetries(this.cluster, this.retry, async () => {
      let meta: ReturnType<Cluster['metadata']>;
      try {
        meta = this.cluster.metadata(topics.length > 0 ? topics : undefined, { allowAutoTopicCreation: false });
      } catch (e) {
        if (isProtocolError(e, 'LEADER_NOT_AVAILABLE')) throw e;
        throw new Bail(e);
      }
      const offline = meta.topics.flatMap((t) => t.partitions.filter((p) => p.leader === -1).map((p) => `${t.name}-${p.partition}`));
      if (offline.length > 0) throw protocolError('LEADER_NOT_AVAILABLE', `There is no leader for ${offline.join(', ')}`);
      return meta;
    });
  }

  /**
   * Creates topics, each on its own as Kafka does. Resolves true, or false when every failure was
   * TOPIC_ALREADY_EXISTS; otherwise rejects with kafkajs's KafkaJSAggregateError of
   * KafkaJSCreateTopicError, one per failed topic.
   */
  async createTopics({
    topics,
    validateOnly = false,
  }: {
    validateOnly?: boolean;
    waitForLeaders?: boolean;
    timeout?: number;
    topics: ITopicConfig[];
  }): Promise<boolean> {
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
    if (topics.some(({ topic }) => typeof topic !== 'string'))
      throw new KafkaJSNonRetriableError('Invalid topics array, the topic names have to be a valid string');
    if (new Set(topics.map(({ topic }) => topic)).size < topics.length)
      throw new KafkaJSNonRetriableError('Invalid topics array, it cannot have multiple entries for the same topic');
    for (const { topic, configEntries } of topics) {
      if (configEntries === undefined || configEntries === null) continue;
      if (!Array.isArray(configEntries)) throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}", must be an array`);
      configEntries.forEach((entry, index) => {
        if (typeof entry !== 'object' || entry === null)
          throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must be an object`);
        for (const key of ['name', 'value'] as const) {
          if (typeof entry[key] !== 'string')
            throw new KafkaJSNonRetriableError(`Invalid configEntries for topic "${topic}". Entry ${index} must have a valid "${key}" property`);
        }
      });
    }
    const errors: InstanceType<typeof KafkaJSCreateTopicError>[] = [];
    for (const t of topics) {
      try {
        const replicaAssignment = t.replicaAssignment?.length
          ? [...t.replicaAssignment].sort((a, b) => a.partition - b.partition).map((r) => r.replicas)
          : undefined;
        this.cluster.createTopic(
          {
            topic: t.topic,
            numPartitions: replicaAssignment ? -1 : (t.numPartitions ?? -1),
            replicationFactor: replicaAssignment ? -1 : (t.replicationFactor ?? -1),
            ...(replicaAssignment ? { replicaAssignment } : {}),
            config: Object.fromEntries((t.configEntries ?? []).map((e) => [e.name, e.value])),
          },
          { validateOnly },
        );
      } catch (e) {
        if (!isProtocolError(e)) throw e;
        errors.push(e instanceof KafkaJSCreateTopicError ? e : new KafkaJSCreateTopicError(e, t.topic));
      }
    }
    if (errors.length === 0) return true;
    if (errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) return false;
    throw new KafkaJSAggregateError('Topic creation errors', errors);
  }

  /**
   * Deletes topics. Like kafkajs, an unknown topic is retried (metadata may be stale) and ends in
   * KafkaJSNumberOfRetriesExceeded; other errors are returned as they are.
   */
  async deleteTopics({ topics }: { topics: string[]; timeout?: number }): Promise<void> {
    if (!topics || !Array.isArray(topics)) throw new KafkaJSNonRetriableError(`Invalid topics array ${String(topics)}`);
    if (topics.some((t) => typeof t !== 'string')) throw new KafkaJSNonRetriableError('Invalid topics array, the names must be a valid string');
    await withRetries(this.cluster, this.retry, async () => {
      let first: unknown;
      for (const topic of topics) {
        try {
          this.cluster.deleteTopic(topic);
        } catch (e) {
          first ??= e;
        }
      }
      if (first === undefined) return;
      if (isProtocolError(first, 'UNKNOWN_TOPIC_OR_PARTITION')) throw first;
      // kafkajs speaks DeleteTopics v0-v1, to which Kafka answers INVALID_REQUEST, not
      // TOPIC_DELETION_DISABLED (that code exists from v3 on).
      if (isProtocolError(first, 'TOPIC_DELETION_DISABLED')) throw new Bail(protocolError('INVALID_REQUEST', 'Topic deletion is disabled.'));
      throw new Bail(first);
    });
  }

  /** Adds partitions. Resolves with nothing, as kafkajs's does at run time; errors come back as they are. */
  async createPartitions({
    topicPartitions,
    validateOnly = false,
  }: {
    validateOnly?: boolean;
    timeout?: number;
    topicPartitions: ITopicPartitionConfig[];
  }): Promise<boolean> {
    if (!topicPartitions || !Array.isArray(topicPartitions)) throw new KafkaJSNonRetriableError(`Invalid topic partitions array ${String(topicPartitions)}`);
    if (topicPartitions.length === 0) throw new KafkaJSNonRetriableError('Empty topic partitions array');
    if (topicPartitions.some(({ topic }) => typeof topic !== 'string'))
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, the topic names have to be a valid string');
    if (new Set(topicPartitions.map(({ topic }) => topic)).size < topicPartitions.length) {
      throw new KafkaJSNonRetriableError('Invalid topic partitions array, it cannot have multiple entries for the same topic');
    }
    let first: unknown;
    for (const { topic, count, assignments } of topicPartitions) {
      try {
        this.cluster.createPartitions(topic, count, assignments, { validateOnly });
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
    return undefined as unknown as boolean;
  }

  /**
   * Metadata of the given topics (every topic when none is given). As kafkajs's admin, never
   * creates a topic (its admin client always asks with auto-creation off): an unknown topic
   * rejects with UNKNOWN_TOPIC_OR_PARTITION at once; an offline partition with
   * LEADER_NOT_AVAILABLE, once the retries run out.
   */
  async fetchTopicMetadata({ topics = [] }: { topics: string[] } = { topics: [] }): Promise<{ topics: ITopicMetadata[] }> {
    for (const topic of topics) if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    const meta = await this.kafkajsMetadata(topics);
    return { topics: meta.topics.map((t) => ({ name: t.name, partitions: inKafkaMetadataOrder(t.partitions).map(toKafkaJsPartitionMetadata) })) };
  }

  /**
   * ListOffsets as kafkajs's admin sends it: its cluster has no isolation level, so the request
   * carries kafkajs's default, READ_COMMITTED (`latest` is the last stable offset).
   */
  protected listOffsets(topic: string, partition: number, spec: OffsetSpec): { offset: number } {
    return this.cluster.listOffsets(topic, partition, spec, undefined, 'read_committed');
  }

  /** Per partition: the last stable offset (`offset`, `high`: the high watermark but for an open transaction) and the log start offset (`low`). */
  async fetchTopicOffsets(topic: string): Promise<Array<SeekEntry & { high: string; low: string }>> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    return withRetries(this.cluster, this.retry, async () => {
      try {
        return listOffsetsOrder(this.cluster.describeTopic(topic).partitions).map(({ partition }) => {
          const high = String(this.listOffsets(topic, partition, 'latest').offset);
          return { partition, offset: high, high, low: String(this.listOffsets(topic, partition, 'earliest').offset) };
        });
      } catch (e) {
        if (isProtocolError(e, 'UNKNOWN_TOPIC_OR_PARTITION')) throw e;
        return bailUnlessRetriable(e);
      }
    });
  }

  /** Per partition, the first offset at or after `timestamp`; the high watermark where there is none. */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<SeekEntry[]> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    return withRetries(this.cluster, this.retry, async () => {
      try {
        return listOffsetsOrder(this.cluster.describeTopic(topic).partitions).map(({ partition }) => {
          const found = timestamp === undefined ? -1 : this.listOffsets(topic, partition, { timestamp }).offset;
          return { partition, offset: String(found >= 0 ? found : this.listOffsets(topic, partition, 'latest').offset) };
        });
      } catch (e) {
        if (isProtocolError(e, 'UNKNOWN_TOPIC_OR_PARTITION')) throw e;
        return bailUnlessRetriable(e);
      }
    });
  }

  /** The running brokers and the controller. As kafkajs's, it asks for every topic's metadata too, so it fails while any partition is offline. */
  async describeCluster(): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controller: number | null; clusterId: string }> {
    const meta = await this.kafkajsMetadata([]);
    return {
      brokers: meta.brokers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
      controller: meta.controllerId === -1 ? null : meta.controllerId,
      clusterId: meta.clusterId,
    };
  }

  /**
   * Topic settings as Kafka 3.9 describes them (every setting it lists, with sources, and with
   * synonyms when `includeSynonyms`), and the broker settings the twin models, in kafkajs's
   * response shape.
   */
  async describeConfigs({ resources, includeSynonyms }: { resources: ResourceConfigQuery[]; includeSynonyms: boolean }): Promise<DescribeConfigResponse> {
    if (!resources || !Array.isArray(resources)) throw new KafkaJSNonRetriableError(`Invalid resources array ${String(resources)}`);
    if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
    const valid = Object.values(ConfigResourceTypes) as number[];
    const badType = resources.find((r) => !valid.includes(r.type));
    if (badType) throw new KafkaJSNonRetriableError(`Invalid resource type ${badType.type}: ${JSON.stringify(badType)}`);
    const badName = resources.find((r) => !r.name || typeof r.name !== 'string');
    if (badName) throw new KafkaJSNonRetriableError(`Invalid resource name ${String(badName.name)}: ${JSON.stringify(badName)}`);
    return {
      throttleTime: 0,
      resources: resources.map((r) => {
        const wanted = (name: string) => !r.configNames || r.configNames.length === 0 || r.configNames.includes(name);
        let entries: ConfigEntries[];
        if (r.type === ConfigResourceTypes.TOPIC) {
          entries = this.cluster
            .describeTopicConfig(r.name)
            .filter((e) => wanted(e.name))
            .map((e) => ({
              configName: e.name,
              configValue: e.value,
              readOnly: e.readOnly,
              isDefault: e.isDefault,
              configSource: CONFIG_SOURCE[e.source],
              isSensitive: e.isSensitive,
              configSynonyms: includeSynonyms ? e.synonyms.map((y) => ({ configName: y.name, configValue: y.value, configSource: CONFIG_SOURCE[y.source] })) : [],
            }));
        } else if (r.type === ConfigResourceTypes.BROKER) {
          entries = Object.entries(this.cluster.config)
            .filter(([name]) => wanted(name) && name in BROKER_CONFIGS)
            .map(([name, value]) => ({
              configName: name,
              configValue: String(value),
              readOnly: true,
              isDefault: false,
              configSource: CONFIG_SOURCE.STATIC_BROKER_CONFIG,
              isSensitive: false,
              configSynonyms: includeSynonyms ? [{ configName: name, configValue: String(value), configSource: CONFIG_SOURCE.STATIC_BROKER_CONFIG }] : [],
            }));
        } else {
          throw protocolError('INVALID_REQUEST', `The twin describes only topic and broker configs, not resource type ${r.type}`);
        }
        // kafkajs passes the broker's error message through: Kafka 3.9 answers '' for none.
        return { errorCode: 0, errorMessage: '', resourceName: r.name, resourceType: r.type, configEntries: entries };
      }),
    } as unknown as DescribeConfigResponse;
  }

  /** Replaces a topic's settings with the given ones (Kafka's non-incremental AlterConfigs). */
  async alterConfigs({ validateOnly, resources }: { validateOnly: boolean; resources: IResourceConfig[] }): Promise<AlterConfigsResult> {
    if (!resources || !Array.isArray(resources)) throw new KafkaJSNonRetriableError(`Invalid resources array ${String(resources)}`);
    if (resources.length === 0) throw new KafkaJSNonRetriableError('Resources array cannot be empty');
    for (const r of resources) {
      if (r.type !== ConfigResourceTypes.TOPIC) {
        throw new KafkaJSNonRetriableError(`The twin alters only topic configs (resource type ${ConfigResourceTypes.TOPIC}), got ${r.type}`);
      }
      if (!r.name || typeof r.name !== 'string') throw new KafkaJSNonRetriableError(`Invalid resource name ${String(r.name)}: ${JSON.stringify(r)}`);
      if (!Array.isArray(r.configEntries))
        throw new KafkaJSNonRetriableError(`Invalid resource configEntries ${String(r.configEntries)}: ${JSON.stringify(r)}`);
    }
    for (const r of resources) {
      this.cluster.replaceTopicConfig(r.name, Object.fromEntries(r.configEntries.map((e) => [e.name, e.value])), { validateOnly });
    }
    // kafkajs answers the resources only (it drops the response's throttle time).
    return { resources: resources.map((r) => ({ errorCode: 0, errorMessage: null, resourceType: r.type, resourceName: r.name })) };
  }

  /**
   * DeleteRecords: moves each partition's log start offset up to `offset` (-1: the high watermark),
   * failing as kafkajs's does: an unknown topic fails its ListOffsets (retried, then
   * KafkaJSNumberOfRetriesExceeded); partitions the topic lacks reject at once with
   * KafkaJSDeleteTopicRecordsError, each with KafkaJSBrokerNotFound; partitions the broker refuses
   * reject with KafkaJSDeleteTopicRecordsError listing each with its error, retried (only the
   * failed ones) while every error is retriable, else wrapped in KafkaJSNonRetriableError.
   */
  async deleteTopicRecords({ topic, partitions }: { topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!topic || typeof topic !== 'string') throw new KafkaJSNonRetriableError(`Invalid topic "${String(topic)}"`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
    // kafkajs finds each partition's leader in its metadata, then fetches the topic's offsets.
    const known = new Set(this.cluster.hasTopic(topic) ? this.cluster.describeTopic(topic).partitions.map((p) => p.partition) : []);
    await this.fetchTopicOffsets(topic);
    const leaderless = partitions.filter(({ partition }) => !known.has(Number(partition)));
    if (leaderless.length > 0) {
      throw new KafkaJSDeleteTopicRecordsError({
        topic,
        partitions: leaderless.map(({ partition, offset }) => ({
          partition,
          offset,
          error: new KafkaJSBrokerNotFound('Could not find the leader for the partition', { retriable: false }),
        })),
      });
    }
    const pending = [...partitions];
    await withRetries(this.cluster, this.retry, async () => {
      const failed: { partition: number; error: Error; offset: string }[] = [];
      for (const entry of [...pending]) {
        try {
          this.cluster.deleteRecords(topic, entry.partition, Number(entry.offset));
          pending.splice(pending.indexOf(entry), 1);
        } catch (e) {
          if (!isProtocolError(e)) throw e;
          // kafkajs builds each from the response's error code alone: a plain KafkaJSProtocolError.
          failed.push({ partition: entry.partition, error: protocolError(e.type as TwinErrorType), offset: entry.offset });
        }
      }
      if (failed.length > 0) throw new KafkaJSDeleteTopicRecordsError({ topic, partitions: failed });
    });
  }
}

/** kafkajs's error classes its typings declare with constructors that do not take what kafkajs passes. */
const { KafkaJSDeleteTopicRecordsError, KafkaJSBrokerNotFound } = kafkajsErrors as unknown as {
  KafkaJSDeleteTopicRecordsError: new (metadata: { topic: string; partitions: { partition: number; offset: string; error: Error }[] }) => Error;
  KafkaJSBrokerNotFound: new (message: string, options: { retriable: boolean }) => Error;
  KafkaJSNotImplemented: new (message: string) => Error;
};

const { KafkaJSDeleteGroupsError } = kafkajsErrors;

/** The twin's kafkajs-shaped admin client: topics, configs, cluster, and consumer groups. */
export class TwinAdmin extends TwinAdminTopics {
  async listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }> {
    return { groups: this.cluster.groups.listGroups().map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })) };
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescriptions> {
    return {
      groups: this.cluster.groups.describeGroups(groupIds).map((d) => ({
        groupId: d.groupId,
        protocol: d.protocol,
        protocolType: d.protocolType,
        state: d.state as GroupDescriptions['groups'][number]['state'],
        errorCode: 0,
        members: d.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.memberMetadata, memberAssignment: m.memberAssignment })),
      })),
    };
  }

  /** Deletes groups; any failure rejects with kafkajs's KafkaJSDeleteGroupsError listing them. */
  async deleteGroups(groupIds: string[]): Promise<DeleteGroupsResult[]> {
    if (!groupIds || !Array.isArray(groupIds)) throw new KafkaJSNonRetriableError(`Invalid groupIds array ${String(groupIds)}`);
    if (groupIds.some((g) => typeof g !== 'string')) throw new KafkaJSNonRetriableError(`Invalid groupId name: true`);
    const results = this.cluster.groups.deleteGroups(groupIds);
    const errors = results
      .filter((r) => r.error !== null)
      .map((r) => ({ groupId: r.groupId, errorCode: (r.error as { code: number }).code, error: r.error }));
    if (errors.length > 0) throw new KafkaJSDeleteGroupsError('Error in DeleteGroups', errors);
    return results.map((r) => ({ groupId: r.groupId, errorCode: 0 }));
  }

  /**
   * Committed offsets of a group: for the given topics (every partition), or every topic it has
   * offsets for. With `resolveOffsets`, the -2/-1 markers `resetOffsets` leaves become real offsets.
   */
  async fetchOffsets({ groupId, topics, resolveOffsets = false }: { groupId: string; topics?: string[]; resolveOffsets?: boolean }): Promise<Array<{ topic: string; partitions: FetchOffsetsPartition[] }>> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${String(groupId)}`);
    if (topics !== undefined && !Array.isArray(topics)) throw new KafkaJSNonRetriableError('Expected topics array to be set');
    // kafkajs sorts the partition ids with Array#sort, as strings: 0, 1, 10, 11, 2, ...
    const request = topics?.map((topic) => ({ topic, partitions: this.cluster.describeTopic(topic).partitions.map((p) => p.partition).sort() }));
    const fetched = this.cluster.groups.offsetFetch(request === undefined ? { groupId } : { groupId, topics: request });
    const answered = fetched.flatMap(({ topic, partitions }) =>
      partitions.map((p) => ({ topic, partition: p.partition, offset: String(p.offset), metadata: p.metadata || null })),
    );
    // Asked for given topics, Kafka answers in its hash order (see inOffsetFetchOrder), grouped by topic.
    const out: Array<{ topic: string; partitions: FetchOffsetsPartition[] }> = [];
    for (const { topic, partition, offset, metadata } of request === undefined ? answered : inOffsetFetchOrder(answered)) {
      let entry = out.find((t) => t.topic === topic);
      if (entry === undefined) out.push((entry = { topic, partitions: [] }));
      entry.partitions.push({ partition, offset, metadata });
    }
    if (!resolveOffsets) return out;
    for (const t of out) {
      for (const p of t.partitions) {
        if (p.offset === '-2') p.offset = String(this.listOffsets(t.topic, p.partition, 'earliest').offset);
        if (p.offset === '-1') p.offset = String(this.listOffsets(t.topic, p.partition, 'latest').offset);
      }
      await this.setOffsets({ groupId, topic: t.topic, partitions: t.partitions.map(({ partition, offset }) => ({ partition, offset })) });
    }
    return out;
  }

  /** Commits offsets for a group with no running members (kafkajs refuses otherwise). */
  async setOffsets({ groupId, topic, partitions }: { groupId: string; topic: string; partitions: SeekEntry[] }): Promise<void> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${String(groupId)}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    if (!partitions || partitions.length === 0) throw new KafkaJSNonRetriableError('Invalid partitions');
    const state = this.cluster.groups.describeGroup(groupId).state;
    if (state !== 'Empty' && state !== 'Dead') throw new KafkaJSNonRetriableError(`The consumer group must have no running instances, current state: ${state}`);
    this.cluster.groups.setOffsets({ groupId, topic, partitions: partitions.map(({ partition, offset }) => ({ partition, offset: Number(offset) })) });
  }

  /** Points a group at the earliest or latest offsets, leaving kafkajs's -2/-1 markers as kafkajs does. */
  async resetOffsets({ groupId, topic, earliest = false }: { groupId: string; topic: string; earliest: boolean }): Promise<void> {
    if (!groupId) throw new KafkaJSNonRetriableError(`Invalid groupId ${String(groupId)}`);
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${String(topic)}`);
    const partitions = this.cluster.describeTopic(topic).partitions.map((p) => ({ partition: p.partition, offset: earliest ? '-2' : '-1' }));
    await this.setOffsets({ groupId, topic, partitions });
  }

  /** Creates ACLs: kafkajs's validation, then SECURITY_DISABLED as from a broker without an authorizer (see acls.ts). */
  async createAcls(options: { acl: AclEntry[] }): Promise<boolean> {
    return acls.createAcls(options);
  }

  /** Describes ACLs: kafkajs's validation, then SECURITY_DISABLED as from a broker without an authorizer (see acls.ts). */
  async describeAcls(filter: AclFilter): Promise<DescribeAclResponse> {
    return acls.describeAcls(filter);
  }

  /** Deletes ACLs: kafkajs's validation, then SECURITY_DISABLED as from a broker without an authorizer (see acls.ts). */
  async deleteAcls(options: { filters: AclFilter[] }): Promise<DeleteAclResponse> {
    return acls.deleteAcls(options);
  }

  // ---------------------------------------------------------------- partition reassignment (reassignments.ts)

  /** Moves partitions to new replicas (KIP-455); see reassignments.ts. */
  alterPartitionReassignments(request: { topics: PartitionReassignment[]; timeout?: number }): Promise<void> {
    return alterPartitionReassignments(this.cluster, request);
  }

  /** The reassignments in progress; see reassignments.ts. */
  listPartitionReassignments(request: { topics?: TopicPartitions[]; timeout?: number } = {}): Promise<ListPartitionReassignmentsResponse> {
    return listPartitionReassignments(this.cluster, request);
  }
}
