/**
 * The entry point of the streams API: topic producers and consumers over any implementation of
 * the shared interface (the twin's `cluster.kafka()`, or kafkajs against a real cluster).
 */
import type { Kafka } from '../../client/interface.js';
import { TopicConsumer, type TopicConsumerOptions } from './consumer.js';
import { TopicProducer, type TopicProducerOptions } from './producer.js';

/** Opens topics for writing and reading streams. */
export class StreamingClient {
  /** @param kafka any implementation of the shared interface. */
  constructor(private readonly kafka: Kafka) {}

  /** A producer of streams on `topic`. */
  getTopicProducer<T = unknown>(topic: string, options: TopicProducerOptions<T> = {}): TopicProducer<T> {
    return new TopicProducer<T>(this.kafka, topic, options);
  }

  /**
   * A consumer of streams on `topic`: in `consumerGroup`, sharing partitions with its other
   * instances and committing offsets; without one, reading every partition from
   * `autoOffsetReset` and never committing. Call `subscribe()` to start.
   */
  getTopicConsumer<T = unknown>(topic: string, consumerGroup?: string, options: TopicConsumerOptions<T> = {}): TopicConsumer<T> {
    return new TopicConsumer<T>(this.kafka, topic, consumerGroup, options);
  }
}
