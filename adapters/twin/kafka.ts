/**
 * The twin's `Kafka`: kafkajs's three client factories over one engine cluster.
 */
import type { AdminConfig, ConsumerConfig, ProducerConfig, RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import type { Kafka } from '../../client/interface.js';
import { TwinAdmin } from './admin.js';
import { TwinConsumer, type IdleProbe } from './consumer/index.js';
import { TwinProducer } from './producer.js';

/** Options for `cluster.kafka()`: the parts of kafkajs's `KafkaConfig` that mean something in-process. */
export interface TwinKafkaConfig {
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
}
