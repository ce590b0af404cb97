/** The root export is the public API only; the engine's parts are under `kafka-twin/engine`. */
import { expect } from 'chai';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as root from '../src/index.js';
import * as engine from '../src/engine.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('exports', () => {
  it('the root export lists the public API and no engine internals', () => {
    expect(Object.keys(root).sort()).to.deep.equal(
      [
        'AsyncEventEmitter',
        'AutoOffsetReset',
        'Cluster',
        'CommitMode',
        'CooperativeStickyAssigner',
        'DEFAULT_STREAM_ID',
        'KAFKA_ERRORS',
        'KafkaJSConnectionError',
        'KafkaJSError',
        'KafkaJSNonRetriableError',
        'KafkaJSNumberOfRetriesExceeded',
        'KafkaJSOffsetOutOfRange',
        'KafkaJSProtocolError',
        'Partitioners',
        'RangeAssigner',
        'RoundRobinAssigner',
        'STREAM_MESSAGE_TYPE_HEADER',
        'StreamConsumer',
        'StreamEndType',
        'StreamProducer',
        'StreamingClient',
        'TopicConsumer',
        'TopicProducer',
        'cooperativeStickyAssign',
        'createDefaultPartitioner',
        'isProtocolError',
        'jsonDeserializer',
        'jsonSerializer',
        'kafkaError',
        'logLevel',
        'murmur2',
        'partitionForKey',
        'rangeAssign',
        'roundRobinAssign',
      ].sort(),
    );
  });

  it('the root export types fault injection: InjectFaultOptions in, Fault out', () => {
    const options: root.InjectFaultOptions = { api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 't', partition: 0, count: 2 };
    const fault: root.Fault = new root.Cluster({ clock: 'virtual' }).injectFault(options);
    expect(fault).to.include({ api: 'Produce', error: 'NOT_LEADER_OR_FOLLOWER', when: 'after', topic: 't', partition: 0, remaining: 2, broker: null });
  });

  it('kafka-twin/engine has the engine, the coordinator, the clocks and the config tables', () => {
    for (const name of ['Engine', 'GroupCoordinator', 'VALID_PREVIOUS_STATES', 'GroupStates', 'VirtualClock', 'RealClock', 'BROKER_CONFIGS', 'TOPIC_CONFIGS', 'TwinKafka', 'errorOf']) {
      expect(engine, name).to.have.property(name);
    }
    const answer = new engine.Engine({ clock: 'virtual' }).createTopic({ topic: 'bad name!' });
    expect(answer.errorCode).to.equal(17);
  });

  it('every sub-path of the exports map points at a built file', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; import: string }> };
    expect(Object.keys(pkg.exports)).to.include.members(['.', './engine', './testing', './kafkajs']);
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(path.join(repo, target.import)), `${key} -> ${target.import}`).to.equal(true);
      expect(existsSync(path.join(repo, target.types)), `${key} -> ${target.types}`).to.equal(true);
    }
  });
});
