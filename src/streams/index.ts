/**
 * The streams API: Quix Streams' concepts (streams with ids, one partition per stream, stream
 * properties and ends, commit modes, offset reset) over the shared interface.
 */
export { StreamingClient } from './client.js';
export { TopicProducer, StreamProducer } from './producer.js';
export type { TopicProducerOptions, PublishOptions } from './producer.js';
export { TopicConsumer, StreamConsumer, AsyncEventEmitter } from './consumer.js';
export type { TopicConsumerOptions, TopicConsumerEvents, StreamConsumerEvents, PartitionOffset } from './consumer.js';
export { StreamEndType, CommitMode, AutoOffsetReset, STREAM_MESSAGE_TYPE_HEADER, DEFAULT_STREAM_ID, jsonSerializer, jsonDeserializer } from './types.js';
export type { CommitOptions, StreamProperties, Serializer, Deserializer, StreamPartitioner, StreamData, StreamMessageType } from './types.js';
