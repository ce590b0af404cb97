import { expect } from 'chai';
import { Cluster } from '../../src/index.js';
import { BROKER_CONFIGS } from '../../src/engine.js';
import { KafkaJSProtocolError } from '../../protocol/errors.js';
import { protocolErrorOf, virtualCluster } from '../helpers.js';

describe('cluster options and broker config', () => {
  it("defaults every setting to Kafka's default", () => {
    const cluster = virtualCluster();
    expect(cluster.config['num.partitions']).to.equal(1);
    expect(cluster.config['default.replication.factor']).to.equal(1);
    expect(cluster.config['min.insync.replicas']).to.equal(1);
    expect(cluster.config['auto.create.topics.enable']).to.equal(true);
    expect(cluster.config['log.retention.check.interval.ms']).to.equal(300000);
    expect(cluster.config['replica.lag.time.max.ms']).to.equal(30000);
    expect(cluster.config['unclean.leader.election.enable']).to.equal(false);
    expect(cluster.config['message.max.bytes']).to.equal(1048588);
    expect(cluster.config['group.initial.rebalance.delay.ms']).to.equal(3000);
    expect(cluster.config['log.segment.bytes']).to.equal(1073741824);
    expect(cluster.config['log.retention.ms']).to.equal(604800000);
    expect(Object.keys(cluster.config).sort()).to.deep.equal(Object.keys(BROKER_CONFIGS).sort());
  });

  it('accepts values and their string forms, as Kafka config files carry them', () => {
    const cluster = virtualCluster({ config: { 'num.partitions': '6', 'unclean.leader.election.enable': 'TRUE', 'log.retention.ms': 1000 } });
    expect(cluster.config['num.partitions']).to.equal(6);
    expect(cluster.config['unclean.leader.election.enable']).to.equal(true);
    expect(cluster.config['log.retention.ms']).to.equal(1000);
  });

  it('rejects an unknown setting with INVALID_CONFIG naming it', () => {
    const e = protocolErrorOf(() => new Cluster({ config: { 'num.partition': 3 } }), 'INVALID_CONFIG');
    expect(e.message).to.contain('num.partition');
  });

  it('rejects ill-typed and out-of-range values with INVALID_CONFIG naming the setting', () => {
    const cases: [string, unknown][] = [
      ['num.partitions', 'many'],
      ['num.partitions', 0],
      ['num.partitions', 1.5],
      ['num.partitions', 2 ** 31],
      ['auto.create.topics.enable', 'yes'],
      ['auto.create.topics.enable', 1],
      ['log.message.timestamp.type', 'WallTime'],
      ['log.message.timestamp.type', 5],
      ['log.cleanup.policy', 'compaction'],
      ['log.cleanup.policy', 'compact,remove'],
      ['log.cleaner.min.cleanable.ratio', 1.5],
      ['log.cleaner.backoff.ms', -1],
      ['log.retention.ms', -2],
      ['log.retention.ms', Number.MAX_SAFE_INTEGER + 2],
    ];
    for (const [name, value] of cases) {
      const e = protocolErrorOf(() => new Cluster({ config: { [name]: value as number } }), 'INVALID_CONFIG');
      expect(e.message, `${name}=${String(value)}`).to.contain(name);
    }
    protocolErrorOf(() => new Cluster({ config: [] as unknown as Record<string, number> }), 'INVALID_CONFIG');
  });

  it('rejects bad cluster options with a clear error', () => {
    expect(() => new Cluster({ brokers: 0 })).to.throw(RangeError, /brokers/);
    expect(() => new Cluster({ brokers: 2.5 })).to.throw(RangeError, /brokers/);
    expect(() => new Cluster({ clock: 'fast' as 'real' })).to.throw(TypeError, /clock/);
    expect(() => new Cluster({ seed: {} as number })).to.throw(TypeError, /seed/);
  });

  it('uses the real clock by default and closes cleanly', () => {
    const cluster = new Cluster();
    expect(cluster.clock.kind).to.equal('real');
    expect(Math.abs(cluster.now() - Date.now())).to.be.below(1000);
    cluster.close();
    cluster.close();
  });

  it('describes brokers 1..N and a controller', () => {
    const cluster = virtualCluster({ brokers: 3 });
    expect(cluster.brokers().map((b) => [b.nodeId, b.status])).to.deep.equal([
      [1, 'running'],
      [2, 'running'],
      [3, 'running'],
    ]);
    expect(cluster.controller()).to.equal(1);
    cluster.stopBroker(1);
    expect(cluster.controller()).to.equal(2);
    expect(cluster.clusterId).to.have.length(22);
    expect(() => cluster.stopBroker(4)).to.throw(RangeError, /unknown broker 4/);
  });

  it('raises kafkajs protocol errors carrying Kafka codes', () => {
    const e = protocolErrorOf(() => new Cluster({ config: { nope: 1 } }), 'INVALID_CONFIG');
    expect(e).to.be.instanceOf(KafkaJSProtocolError);
    expect(e.code).to.equal(40);
    expect(e.retriable).to.equal(false);
  });
});
