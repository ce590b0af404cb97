/**
 * The shared interface over a real kafkajs client: `fromKafkaJs(new Kafka({ brokers }))`.
 *
 * The shared interface is kafkajs's own types narrowed with `Pick`, so a kafkajs client already
 * is one: this adapter forwards the three factories unchanged, and its only work is the typing of
 * `admin.alterConfigs`, whose answer kafkajs types `any` and the interface types
 * {@link AlterConfigsResult} (what the broker answers). A separate entry point:
 * `import { fromKafkaJs } from 'kafka-twin/kafkajs'`.
 */
import type { AdminConfig, ConsumerConfig, Kafka as KafkaJs, ProducerConfig } from 'kafkajs';
import type { Admin, Consumer, Kafka, Producer } from '../../client/interface.js';

/** A real kafkajs `Kafka` as the shared interface's {@link Kafka}. */
export function fromKafkaJs(kafka: KafkaJs): Kafka {
  return {
    producer: (config?: ProducerConfig): Producer => kafka.producer(config),
    consumer: (config: ConsumerConfig): Consumer => kafka.consumer(config),
    admin: (config?: AdminConfig): Admin => kafka.admin(config),
  };
}

export type { Admin, AlterConfigsResult, Consumer, Kafka, Producer } from '../../client/interface.js';
