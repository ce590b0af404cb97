/**
 * The twin's `Kafka`: kafkajs's three client factories over one engine cluster.
 */
import type { AdminConfig, ConsumerConfig, KafkaConfig, Logger, ProducerConfig, RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import type { Kafka } from '../../client/interface.js';
import { TwinAdmin } from './admin.js';
import { TwinConsumer, type IdleProbe } from './consumer/index.js';
import { TwinProducer } from './producer.js';
import { loggerFor } from './log-stub.js';

/**
 * Options for `cluster.kafka()`: kafkajs's `KafkaConfig`, so a config written for `new Kafka(...)`
 * can be passed unchanged. Only the parts that mean something in-process are used; the
 * connection settings (`brokers`, `ssl`, `sasl`, timeouts, `socketFactory`) are accepted and
 * ignored, as there is no network between the client and the twin.
 */
export interface TwinKafkaConfig extends Partial<KafkaConfig> {
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

  constructor(
    private readonly cluster: Cluster,
    { clientId = 'kafka-twin', retry }: TwinKafkaConfig = {},
  ) {
    this.clientId = clientId;
    this.retry = retry;
  }

  producer(config?: ProducerConfig): TwinProducer {
    return new TwinProducer(this.cluster, config, this.retry);
  }

  consumer(config: ConsumerConfig): TwinConsumer {
    const consumer = new TwinConsumer(this.cluster, config, this.clientId, this.retry);
    let set = consumers.get(this.cluster);
    if (set === undefined) consumers.set(this.cluster, (set = new Set()));
    set.add(consumer);
    return consumer;
  }

  admin(config?: AdminConfig): TwinAdmin {
    return new TwinAdmin(this.cluster, config, this.retry);
  }

  /** The client's root logger, as kafkajs's `kafka.logger()`. */
  logger(): Logger {
    return loggerFor('');
  }
}
