/**
 * The twin's clients as kafkajs's own types. This file is compiled by `npm run build` (tsc
 * compiles test/), so every assignment below is checked at compile time: code that types its
 * variables with kafkajs's `Kafka`, `Producer`, `Consumer` or `Admin`, or passes a `KafkaConfig`
 * with `brokers` to `cluster.kafka()`, compiles against the twin. At run time the spec checks that
 * the objects have every method a real kafkajs client's objects have, and that the payloads
 * handed to kafkajs-typed handlers carry kafkajs's fields.
 */
import { expect } from 'chai';
import kafkajsModule from 'kafkajs';
import type * as kafkajs from 'kafkajs';
import { Cluster } from '../../src/index.js';

const { Kafka: RealKafka, logLevel } = kafkajsModule;

/** The methods of a client object, own and from its classes (not Object's), sorted. */
function methodsOf(o: object): string[] {
  const names = new Set(Object.keys(o));
  for (let proto = Object.getPrototypeOf(o) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) names.add(name);
  }
  return [...names].filter((k) => k !== 'constructor' && typeof (o as Record<string, unknown>)[k] === 'function').sort();
}

describe('kafkajs types: the twin as kafkajs', () => {
  it("assigns the twin's Kafka, Producer, Consumer and Admin to kafkajs's types, from a KafkaConfig with brokers", async () => {
    const cluster = new Cluster();
    const config: kafkajs.KafkaConfig = { clientId: 'types', brokers: ['localhost:9092'], logLevel: logLevel.NOTHING, retry: { retries: 2 } };
    const kafka: kafkajs.Kafka = cluster.kafka(config);
    // A literal straight in the call, as one written for `new Kafka({...})`.
    const literal: kafkajs.Kafka = cluster.kafka({ brokers: ['localhost:9092'], clientId: 'literal', connectionTimeout: 3000, ssl: false });
    const producer: kafkajs.Producer = kafka.producer({ allowAutoTopicCreation: true });
    const consumer: kafkajs.Consumer = kafka.consumer({ groupId: 'types' });
    const admin: kafkajs.Admin = kafka.admin();
    const logger: kafkajs.Logger = kafka.logger();
    const loggers: kafkajs.Logger[] = [producer.logger(), consumer.logger(), admin.logger(), literal.logger()];
    expect(loggers.concat(logger).every((l) => typeof l.info === 'function' && typeof l.namespace === 'function')).to.equal(true);
    expect(producer.isIdempotent()).to.equal(false);
    await producer.connect();
    await producer.disconnect();
  });

  it("has every method of kafkajs's own Kafka, Producer, Consumer and Admin objects", () => {
    const real = new RealKafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
    const twin = new Cluster().kafka();
    const pairs: [string, object, object][] = [
      ['Kafka', real, twin],
      ['Producer', real.producer(), twin.producer()],
      ['Consumer', real.consumer({ groupId: 'g' }), twin.consumer({ groupId: 'g' })],
      ['Admin', real.admin(), twin.admin()],
    ];
    for (const [name, r, t] of pairs) {
      const missing = methodsOf(r).filter((m) => !methodsOf(t).includes(m));
      expect(missing, `${name} lacks`).to.deep.equal([]);
    }
  });

  it("hands kafkajs-typed handlers kafkajs's payloads and message fields", async () => {
    const cluster = new Cluster();
    const kafka: kafkajs.Kafka = cluster.kafka({ brokers: ['localhost:9092'] });
    const producer: kafkajs.Producer = kafka.producer();
    await producer.connect();
    const record: kafkajs.ProducerRecord = { topic: 'typed', messages: [{ key: 'k', value: 'v' }] };
    const sent: kafkajs.RecordMetadata[] = await producer.send(record);
    expect(sent[0]!.topicName).to.equal('typed');
    const consumer: kafkajs.Consumer = kafka.consumer({ groupId: 'typed' });
    await consumer.connect();
    const subscription: kafkajs.ConsumerSubscribeTopics = { topics: ['typed'], fromBeginning: true };
    await consumer.subscribe(subscription);
    const seen: kafkajs.KafkaMessage[] = [];
    const eachMessage: kafkajs.EachMessageHandler = async (payload: kafkajs.EachMessagePayload) => {
      seen.push(payload.message);
      payload.heartbeat satisfies () => Promise<void>;
    };
    const runConfig: kafkajs.ConsumerRunConfig = { eachMessage };
    await consumer.run(runConfig);
    await cluster.idle();
    const description: kafkajs.GroupDescription = await consumer.describeGroup();
    expect(description.state).to.equal('Stable');
    await consumer.disconnect();
    await producer.disconnect();
    expect(seen).to.have.length(1);
    const message = seen[0] as kafkajs.KafkaMessage & { magicByte: number; isControlRecord: boolean; batchContext: Record<string, unknown> };
    expect(Object.keys(message)).to.deep.equal(['magicByte', 'attributes', 'timestamp', 'offset', 'key', 'value', 'headers', 'isControlRecord', 'batchContext']);
    expect(message.magicByte).to.equal(2);
    expect(message.isControlRecord).to.equal(false);
    expect(Object.keys(message.batchContext)).to.deep.equal([
      'firstOffset',
      'firstTimestamp',
      'partitionLeaderEpoch',
      'inTransaction',
      'isControlBatch',
      'lastOffsetDelta',
      'producerId',
      'producerEpoch',
      'firstSequence',
      'maxTimestamp',
      'timestampType',
      'magicByte',
    ]);
  });

  it("types the admin's answers as kafkajs's", async () => {
    const admin: kafkajs.Admin = new Cluster().kafka({ brokers: ['localhost:9092'] }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'answers', numPartitions: 2 }] });
    const described: kafkajs.DescribeConfigResponse = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [{ type: kafkajsModule.ConfigResourceTypes.TOPIC, name: 'answers' }],
    });
    const entry: kafkajs.ConfigEntries | undefined = described.resources[0]!.configEntries.find((e) => e.configName === 'cleanup.policy');
    const synonyms: kafkajs.ConfigSynonyms[] = entry!.configSynonyms;
    expect(synonyms.map((s) => s.configName)).to.deep.equal(['log.cleanup.policy']);
    const offsets: Array<kafkajs.SeekEntry & { high: string; low: string }> = await admin.fetchTopicOffsets('answers');
    expect(offsets).to.have.length(2);
    const groups: kafkajs.GroupDescriptions = await admin.describeGroups(['none']);
    // kafkajs's typings leave errorCode out of GroupDescription; its answers carry it.
    expect((groups.groups[0] as kafkajs.GroupDescription & { errorCode: number }).errorCode).to.equal(0);
    const acl: kafkajs.AclEntry = {
      resourceType: kafkajsModule.AclResourceTypes.TOPIC,
      resourceName: 'answers',
      resourcePatternType: kafkajsModule.ResourcePatternTypes.LITERAL,
      principal: 'User:bob',
      host: '*',
      operation: kafkajsModule.AclOperationTypes.WRITE,
      permissionType: kafkajsModule.AclPermissionTypes.ALLOW,
    };
    const created: Promise<boolean> = admin.createAcls({ acl: [acl] });
    const error = await created.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(kafkajsModule.KafkaJSProtocolError);
    expect((error as kafkajs.KafkaJSProtocolError).type).to.equal('SECURITY_DISABLED');
    await admin.disconnect();
  });
});
