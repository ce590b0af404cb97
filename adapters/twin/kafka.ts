/**
 * The twin's `Kafka`: kafkajs's three client factories over one engine cluster.
 */
import type { AdminConfig, ConsumerConfig, KafkaConfig, ProducerConfig, RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import type { Kafka } from '../../client/interface.js';
import { createLogger, warnOfDefaultPartitioner, type Logger, type LoggingConfig } from './logger.js';
import { TwinAdmin } from './admin.js';
import { TwinConsumer, type IdleProbe } from './consumer/index.js';
import { TwinProducer } from './producer.js';
import { ClientOffsets } from './client-offsets.js';

/**
 * Options for `cluster.kafka()`: kafkajs's `KafkaConfig`, so a config written for `new Kafka(...)`
 * can be passed unchanged. Only the parts that mean something in-process are used; the
 * connection settings (`brokers`, `ssl`, `sasl`, timeouts, `socketFactory`) are accepted and
 * ignored, as there is no network between the client and the twin.
 */
export interface TwinKafkaConfig extends LoggingConfig, Partial<KafkaConfig> {
  /**
   * The client id reported to the cluster (member ids start with it).
   * @defaultValue 'kafka-twin'
   */
  clientId?: string;
  /** Retry policy for every client made from this one, as kafkajs's `retry`. */
  retry?: RetryOptions;
}

const consumers = new WeakMap<Cluster, Set<IdleProbe>>();

/** The consumers created on a cluster, for `cluster.idle()`. */
export function consumersOf(cluster: Cluster): ReadonlySet<IdleProbe> {
  return consumers.get(cluster) ?? new Set();
}

/** kafkajs's `Kafka` over the twin. */
export class TwinKafka implements Kafka {
  private readonly clientId: string;
  private readonly retry: RetryOptions | undefined;
  private readonly rootLogger: Logger;
  /** kafkajs's per-client offsets map: what transactions sent for a group, which this client's consumers of the group take as committed. */
  private readonly clientOffsets = new ClientOffsets();

  /** @throws TypeError for a `logCreator` that is not kafkajs's `(logLevel) => (entry) => void`. */
  constructor(
    private readonly cluster: Cluster,
    { clientId = 'kafka-twin', retry, logLevel, logCreator }: TwinKafkaConfig = {},
  ) {
    this.clientId = clientId;
    this.retry = retry;
    this.rootLogger = createLogger({ logLevel, logCreator }, () => cluster.now());
  }

  producer(config?: ProducerConfig): TwinProducer {
    if (config?.createPartitioner == null) warnOfDefaultPartitioner(this.rootLogger);
    return new TwinProducer(this.cluster, config, this.retry, this.rootLogger, this.clientOffsets);
  }

  consumer(config: ConsumerConfig): TwinConsumer {
    const consumer = new TwinConsumer(this.cluster, config, this.clientId, this.retry, this.rootLogger, this.clientOffsets);
    let set = consumers.get(this.cluster);
    if (set === undefined) consumers.set(this.cluster, (set = new Set()));
    set.add(consumer);
    return consumer;
  }

  admin(config?: AdminConfig): TwinAdmin {
    return new TwinAdmin(this.cluster, config, this.retry, this.rootLogger);
  }

  /** The root logger (no namespace), as kafkajs's `kafka.logger()`. */
  logger(): Logger {
    return this.rootLogger;
  }
}
