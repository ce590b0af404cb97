/**
 * `fromKafkaJs` without a broker: kafkajs makes its clients without connecting, so a real `Kafka`
 * shows what the adapter hands back — kafkajs's own producer, consumer and admin, made from the
 * caller's config — while the conformance suite covers them against a running Kafka.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { AdminConfig, ConsumerConfig, LogEntry, PartitionAssigner, ProducerConfig } from 'kafkajs';
import { fromKafkaJs } from '../adapters/kafkajs/index.js';
import { liftLogLevelOverride } from './helpers.js';

const { Kafka, KafkaJSNonRetriableError, logLevel } = kafkajs;

/** A real kafkajs `Kafka` whose factories record what they were called with and what they made. */
function recordingKafka(): {
  kafka: InstanceType<typeof Kafka>;
  calls: Array<{ factory: 'producer' | 'consumer' | 'admin'; config: unknown; made: unknown }>;
  logs: LogEntry[];
} {
  const logs: LogEntry[] = [];
  // Port 1 on loopback: nothing listens there, and nothing here may try.
  const kafka = new Kafka({ clientId: 'adapter-spec', brokers: ['127.0.0.1:1'], logLevel: logLevel.WARN, logCreator: () => (entry) => void logs.push(entry) });
  const calls: Array<{ factory: 'producer' | 'consumer' | 'admin'; config: unknown; made: unknown }> = [];
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  const admin = kafka.admin.bind(kafka);
  kafka.producer = (config?: ProducerConfig) => {
    const made = producer(config);
    calls.push({ factory: 'producer', config, made });
    return made;
  };
  kafka.consumer = (config: ConsumerConfig) => {
    const made = consumer(config);
    calls.push({ factory: 'consumer', config, made });
    return made;
  };
  kafka.admin = (config?: AdminConfig) => {
    const made = admin(config);
    calls.push({ factory: 'admin', config, made });
    return made;
  };
  return { kafka, calls, logs };
}

describe('fromKafkaJs (kafka-twin/kafkajs)', () => {
  liftLogLevelOverride();
  it('hands back the producer kafkajs makes, from the same config', () => {
    const { kafka, calls, logs } = recordingKafka();
    const config: ProducerConfig = { idempotent: true, retry: { retries: 3 }, allowAutoTopicCreation: false };
    const producer = fromKafkaJs(kafka).producer(config);

    expect(calls).to.have.length(1);
    expect(calls[0]).to.include({ factory: 'producer', config });
    expect(producer).to.equal(calls[0]!.made);
    // Options only kafkajs reads: the idempotent flag, and its warning about bounded retries.
    expect((producer as unknown as { isIdempotent(): boolean }).isIdempotent()).to.equal(true);
    expect(logs.map((l) => [l.namespace, l.log.message])).to.deep.include(['Producer', 'Limiting retries for the idempotent producer may invalidate EoS guarantees']);
    expect(producer.events).to.deep.equal(kafka.producer().events);
    expect(() => producer.on('no.such.event' as never, () => {})).to.throw(KafkaJSNonRetriableError, /Event name should be one of/);
  });

  it('passes a producer config kafkajs refuses on to kafkajs, which throws its own error', () => {
    const { kafka } = recordingKafka();
    expect(() => fromKafkaJs(kafka).producer({ idempotent: true, retry: { retries: 0 } })).to.throw(
      KafkaJSNonRetriableError,
      'Idempotent producer must allow retries to protect against transient errors',
    );
  });

  it('makes a producer with no config, as kafkajs does', () => {
    const { kafka, calls } = recordingKafka();
    const producer = fromKafkaJs(kafka).producer();
    expect(calls[0]).to.include({ factory: 'producer', config: undefined, made: producer });
    expect((producer as unknown as { isIdempotent(): boolean }).isIdempotent()).to.equal(false);
  });

  it('hands back the consumer kafkajs makes, whose assigners kafkajs builds with the group id', () => {
    const { kafka, calls } = recordingKafka();
    const built: Array<{ groupId: string; findTopicPartitionMetadata: unknown }> = [];
    const assigner: PartitionAssigner = ({ groupId, cluster }) => {
      built.push({ groupId, findTopicPartitionMetadata: cluster.findTopicPartitionMetadata });
      return { name: 'Recording', version: 0, assign: async () => [], protocol: () => ({ name: 'Recording', metadata: Buffer.alloc(0) }) };
    };
    const config: ConsumerConfig = { groupId: 'billing', partitionAssigners: [assigner], sessionTimeout: 10_000 };
    const consumer = fromKafkaJs(kafka).consumer(config);

    expect(calls).to.have.length(1);
    expect(calls[0]).to.include({ factory: 'consumer', config, made: consumer });
    expect(built).to.have.length(1);
    expect(built[0]!.groupId).to.equal('billing');
    expect(built[0]!.findTopicPartitionMetadata).to.be.a('function');
    expect(consumer.events).to.deep.equal(kafka.consumer({ groupId: 'other' }).events);
    expect(consumer.paused()).to.deep.equal([]);
    expect(() => fromKafkaJs(kafka).consumer({ groupId: '' })).to.throw(KafkaJSNonRetriableError, 'Consumer groupId must be a non-empty string.');
  });

  it('hands back the admin kafkajs makes, with or without a config', () => {
    const { kafka, calls } = recordingKafka();
    const adapter = fromKafkaJs(kafka);
    const config: AdminConfig = { retry: { retries: 2 } };
    const admin = adapter.admin(config);
    const bare = adapter.admin();

    expect(calls).to.have.length(2);
    expect(calls[0]).to.include({ factory: 'admin', config, made: admin });
    expect(calls[1]).to.include({ factory: 'admin', config: undefined, made: bare });
    expect(admin).to.not.equal(bare);
    expect(admin.events).to.deep.equal(kafka.admin().events);
    expect(() => admin.on('no.such.event' as never, () => {})).to.throw(KafkaJSNonRetriableError, /Event name should be one of/);
  });
});
