import { expect } from 'chai';
import fc from 'fast-check';
import { protocolErrorOf, virtualCluster } from '../helpers.js';
import { Random } from '../../emulator/random.js';
import { placeReplicas } from '../../emulator/topic-rules.js';

describe('topics and partitions', () => {
  describe('metadata', () => {
    it('is built once per change: the same frozen answer until a leader, ISR, partition count or broker changes', () => {
      const cluster = virtualCluster({ brokers: 3 });
      cluster.createTopic({ topic: 't', numPartitions: 2, replicationFactor: 3 });
      cluster.createTopic({ topic: 'other', numPartitions: 1, replicationFactor: 1 });
      const first = cluster.describeTopic('t');
      expect(cluster.metadata(['t']).topics[0]).to.equal(first);
      expect(Object.isFrozen(first.partitions[0]!.isr)).to.equal(true);
      const leader = first.partitions[0]!.leader;
      cluster.stopBroker(leader);
      const afterStop = cluster.describeTopic('t');
      expect(afterStop).to.not.equal(first);
      expect(afterStop.partitions[0]!.leader).to.not.equal(leader);
      expect(afterStop.partitions[0]!.offlineReplicas).to.deep.equal([leader]);
      expect(afterStop.partitions[0]!.isr).to.not.include(leader);
      cluster.startBroker(leader);
      const afterStart = cluster.describeTopic('t');
      expect(afterStart.partitions[0]!.offlineReplicas).to.deep.equal([]);
      expect(afterStart.partitions[0]!.isr).to.include(leader);
      cluster.createPartitions('t', 3);
      expect(cluster.describeTopic('t').partitions).to.have.length(3);
      cluster.deleteTopic('other');
      cluster.createTopic({ topic: 'other', numPartitions: 4, replicationFactor: 1 });
      expect(cluster.describeTopic('other').partitions).to.have.length(4);
    });
  });

  describe('creating', () => {
    it('creates a topic with its partitions, a leader each, and every replica in sync', () => {
      const cluster = virtualCluster({ brokers: 3 });
      const topic = cluster.createTopic({ topic: 'orders', numPartitions: 6, replicationFactor: 3 });
      expect(topic.name).to.equal('orders');
      expect(topic.isInternal).to.equal(false);
      expect(topic.topicId).to.have.length(22);
      expect(topic.partitions).to.have.length(6);
      for (const p of topic.partitions) {
        expect(p.replicas).to.have.length(3);
        expect(new Set(p.replicas).size).to.equal(3);
        expect(p.leader).to.equal(p.replicas[0]);
        expect(p.isr).to.deep.equal(p.replicas);
        expect(p.leaderEpoch).to.equal(0);
      }
      expect(cluster.events().filter((e) => e.type === 'topic-created')).to.have.length(1);
    });

    it('uses num.partitions and default.replication.factor for -1 and omitted counts', () => {
      const cluster = virtualCluster({ brokers: 2, config: { 'num.partitions': 4, 'default.replication.factor': 2 } });
      const topic = cluster.createTopic({ topic: 'a' });
      expect(topic.partitions).to.have.length(4);
      expect(topic.partitions[0]!.replicas).to.have.length(2);
      expect(cluster.createTopic({ topic: 'b', numPartitions: -1, replicationFactor: -1 }).partitions).to.have.length(4);
    });

    it('spreads leaders and replicas evenly across brokers', () => {
      const cluster = virtualCluster({ brokers: 3 });
      const topic = cluster.createTopic({ topic: 't', numPartitions: 12, replicationFactor: 2 });
      const leaders = new Map<number, number>();
      const replicas = new Map<number, number>();
      for (const p of topic.partitions) {
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
        for (const b of p.replicas) replicas.set(b, (replicas.get(b) ?? 0) + 1);
      }
      expect([...leaders.values()]).to.deep.equal([4, 4, 4]);
      expect([...replicas.values()]).to.deep.equal([8, 8, 8]);
    });

    it("places replicas on distinct brokers with leaders balanced (Kafka's rack-unaware placement), for any layout", () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (brokers, partitions, seed) => {
          const ids = Array.from({ length: brokers }, (_, i) => i + 1);
          const rf = 1 + (Math.abs(seed) % brokers);
          const layout = placeReplicas(ids, partitions, rf, new Random(seed));
          const leaders = new Map<number, number>();
          for (const replicas of layout) {
            expect(new Set(replicas).size).to.equal(rf);
            leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
          }
          const counts = [...leaders.values()];
          expect(Math.max(...counts) - Math.min(...counts)).to.be.at.most(1);
        }),
      );
    });

    it('takes an explicit replica assignment', () => {
      const cluster = virtualCluster({ brokers: 3 });
      const topic = cluster.createTopic({ topic: 't', replicaAssignment: [[2, 3], [3, 1]] });
      expect(topic.partitions.map((p) => [p.leader, ...p.replicas])).to.deep.equal([
        [2, 2, 3],
        [3, 3, 1],
      ]);
    });

    it('rejects bad replica assignments with INVALID_REPLICA_ASSIGNMENT', () => {
      const cluster = virtualCluster({ brokers: 3 });
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicaAssignment: [] }), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicaAssignment: [[1, 2], [1]] }), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicaAssignment: [[1, 1]] }), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicaAssignment: [[1, 4]] }), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicaAssignment: [[]] }), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', numPartitions: 2, replicaAssignment: [[1]] }), 'INVALID_REQUEST');
      expect(cluster.topicNames()).to.deep.equal([]);
    });

    it('validateOnly checks everything and creates nothing', () => {
      const cluster = virtualCluster();
      const preview = cluster.createTopic({ topic: 't', numPartitions: 2 }, { validateOnly: true });
      expect(preview.partitions).to.have.length(2);
      expect(cluster.hasTopic('t')).to.equal(false);
      protocolErrorOf(() => cluster.createTopic({ topic: 't', numPartitions: 0 }, { validateOnly: true }), 'INVALID_PARTITIONS');
    });
  });

  describe("Kafka's topic-name rules", () => {
    it('accepts names made of ASCII alphanumerics, ".", "_" and "-", up to 249 characters', () => {
      const cluster = virtualCluster();
      for (const name of ['a', 'A-b_c.d', '0', 'x'.repeat(249), '__internal-looking', '...']) {
        expect(cluster.createTopic({ topic: name }).name).to.equal(name);
      }
    });

    it('rejects illegal names with INVALID_TOPIC_EXCEPTION', () => {
      const cluster = virtualCluster();
      const cases: [string, RegExp][] = [
        ['', /empty/],
        ['.', /"\." or "\.\."/],
        ['..', /"\." or "\.\."/],
        ['x'.repeat(250), /longer than 249/],
        ['has space', /illegal/],
        ['slash/name', /illegal/],
        ['ünïcode', /illegal/],
        ['star*', /illegal/],
      ];
      for (const [name, message] of cases) {
        const e = protocolErrorOf(() => cluster.createTopic({ topic: name }), 'INVALID_TOPIC_EXCEPTION');
        expect(e.message).to.match(message);
        expect(e.code).to.equal(17);
      }
      protocolErrorOf(() => cluster.createTopic({ topic: 42 as unknown as string }), 'INVALID_TOPIC_EXCEPTION');
      expect(cluster.topicNames()).to.deep.equal([]);
    });

    it("rejects a name that collides with an existing one once '.' and '_' are treated alike", () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 'metrics.cpu' });
      const e = protocolErrorOf(() => cluster.createTopic({ topic: 'metrics_cpu' }), 'INVALID_TOPIC_EXCEPTION');
      expect(e.message).to.contain('collides');
    });

    it('rejects an existing topic with TOPIC_ALREADY_EXISTS and leaves it untouched', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      await cluster.produce({ topic: 't', partition: 1, records: [{ value: Buffer.from('kept') }] });
      protocolErrorOf(() => cluster.createTopic({ topic: 't', numPartitions: 5 }), 'TOPIC_ALREADY_EXISTS');
      expect(cluster.describeTopic('t').partitions).to.have.length(2);
      expect(cluster.fetch({ topic: 't', partition: 1, offset: 0 }).records[0]!.value!.toString()).to.equal('kept');
    });
  });

  describe('partition counts and replication factors', () => {
    it('rejects non-positive partition counts with INVALID_PARTITIONS', () => {
      const cluster = virtualCluster();
      for (const n of [0, -2, 1.5]) protocolErrorOf(() => cluster.createTopic({ topic: 't', numPartitions: n }), 'INVALID_PARTITIONS');
    });

    it('rejects a replication factor below 1 or above the registered brokers with INVALID_REPLICATION_FACTOR', () => {
      const cluster = virtualCluster({ brokers: 3 });
      protocolErrorOf(() => cluster.createTopic({ topic: 't', replicationFactor: 0 }), 'INVALID_REPLICATION_FACTOR');
      const e = protocolErrorOf(() => cluster.createTopic({ topic: 't', replicationFactor: 4 }), 'INVALID_REPLICATION_FACTOR');
      expect(e.message).to.contain('only 3 broker(s)');
    });

    it('places replicas on stopped (fenced) brokers only when the running ones are too few: last, out of the ISR (KRaft)', () => {
      const cluster = virtualCluster({ brokers: 3 });
      cluster.stopBroker(3);
      // As Kafka 3.9 (checked by the conformance suite): a stopped broker is still registered.
      for (const p of cluster.createTopic({ topic: 't', numPartitions: 4, replicationFactor: 3 }).partitions) {
        expect(p.replicas[2]).to.equal(3);
        expect([...p.isr].sort()).to.deep.equal([1, 2]);
        expect(p.leader).to.equal(p.replicas[0]);
        expect(p.offlineReplicas).to.deep.equal([3]);
      }
      for (const p of cluster.createTopic({ topic: 'u', numPartitions: 4, replicationFactor: 2 }).partitions) expect(p.replicas).to.not.include(3);
      cluster.stopBroker(1);
      cluster.stopBroker(2);
      const e = protocolErrorOf(() => cluster.createTopic({ topic: 'v' }), 'INVALID_REPLICATION_FACTOR');
      expect(e.message).to.contain('All brokers are currently fenced');
    });

    it('adds partitions, continuing the layout, and never removes any', async () => {
      const cluster = virtualCluster({ brokers: 3 });
      cluster.createTopic({ topic: 't', numPartitions: 2, replicationFactor: 2 });
      await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.from('x') }] });
      const grown = cluster.createPartitions('t', 5);
      expect(grown.partitions.map((p) => p.partition)).to.deep.equal([0, 1, 2, 3, 4]);
      for (const p of grown.partitions) expect(p.replicas).to.have.length(2);
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records).to.have.length(1);
      const e1 = protocolErrorOf(() => cluster.createPartitions('t', 3), 'INVALID_PARTITIONS');
      expect(e1.message).to.contain('currently has 5 partitions');
      protocolErrorOf(() => cluster.createPartitions('t', 5), 'INVALID_PARTITIONS');
      protocolErrorOf(() => cluster.createPartitions('t', 0), 'INVALID_PARTITIONS');
      protocolErrorOf(() => cluster.createPartitions('nope', 3), 'UNKNOWN_TOPIC_OR_PARTITION');
      expect(cluster.describeTopic('t').partitions).to.have.length(5);
      expect(cluster.events().filter((e) => e.type === 'partitions-created')).to.have.length(1);
    });

    it('adds partitions with an explicit assignment, validated', () => {
      const cluster = virtualCluster({ brokers: 3 });
      cluster.createTopic({ topic: 't', numPartitions: 1, replicationFactor: 2 });
      protocolErrorOf(() => cluster.createPartitions('t', 3, [[1, 2]]), 'INVALID_REPLICA_ASSIGNMENT');
      protocolErrorOf(() => cluster.createPartitions('t', 2, [[1]]), 'INVALID_REPLICA_ASSIGNMENT');
      expect(cluster.createPartitions('t', 2, [[3, 1]]).partitions[1]!.replicas).to.deep.equal([3, 1]);
    });

    it('adds partitions with a stopped broker as the last replica; refuses when no broker runs', () => {
      const cluster = virtualCluster({ brokers: 2 });
      cluster.createTopic({ topic: 't', replicationFactor: 2 });
      cluster.stopBroker(2);
      const added = cluster.createPartitions('t', 3).partitions.slice(1);
      expect(added.map((p) => [p.replicas, p.isr, p.leader])).to.deep.equal([
        [[1, 2], [1], 1],
        [[1, 2], [1], 1],
      ]);
      cluster.stopBroker(1);
      protocolErrorOf(() => cluster.createPartitions('t', 4), 'INVALID_REPLICATION_FACTOR');
      expect(cluster.describeTopic('t').partitions).to.have.length(3);
    });
  });

  describe('deleting and describing', () => {
    it('deletes a topic and its data; a recreated topic starts empty with a new id', async () => {
      const cluster = virtualCluster();
      const first = cluster.createTopic({ topic: 't' });
      await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.from('x') }] });
      cluster.deleteTopic('t');
      expect(cluster.hasTopic('t')).to.equal(false);
      protocolErrorOf(() => cluster.describeTopic('t'), 'UNKNOWN_TOPIC_OR_PARTITION');
      protocolErrorOf(() => cluster.deleteTopic('t'), 'UNKNOWN_TOPIC_OR_PARTITION');
      const second = cluster.createTopic({ topic: 't' });
      expect(second.topicId).to.not.equal(first.topicId);
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(0);
    });

    it('refuses deletion when delete.topic.enable is false', () => {
      const cluster = virtualCluster({ config: { 'delete.topic.enable': false } });
      cluster.createTopic({ topic: 't' });
      protocolErrorOf(() => cluster.deleteTopic('t'), 'TOPIC_DELETION_DISABLED');
      expect(cluster.hasTopic('t')).to.equal(true);
    });

    it('answers metadata requests, creating unknown topics only when allowed', () => {
      const cluster = virtualCluster({ brokers: 2, config: { 'num.partitions': 3 } });
      protocolErrorOf(() => cluster.metadata(['auto']), 'UNKNOWN_TOPIC_OR_PARTITION');
      const meta = cluster.metadata(['auto'], { allowAutoTopicCreation: true });
      expect(meta.topics[0]!.partitions).to.have.length(3);
      expect(meta.brokers).to.have.length(2);
      expect(meta.controllerId).to.equal(1);
      expect(meta.clusterId).to.equal(cluster.clusterId);
      expect(cluster.metadata().topics.map((t) => t.name)).to.deep.equal(['auto']);
      const off = virtualCluster({ config: { 'auto.create.topics.enable': false } });
      protocolErrorOf(() => off.metadata(['x'], { allowAutoTopicCreation: true }), 'UNKNOWN_TOPIC_OR_PARTITION');
      protocolErrorOf(() => cluster.metadata(['bad name'], { allowAutoTopicCreation: true }), 'INVALID_TOPIC_EXCEPTION');
    });
  });

  describe('topic configs', () => {
    it('reports effective settings with their source', () => {
      const cluster = virtualCluster({ config: { 'log.retention.ms': 5000 } });
      cluster.createTopic({ topic: 't', config: { 'segment.bytes': '1024' } });
      const entries = new Map(cluster.describeTopicConfig('t').map((e) => [e.name, e]));
      expect(entries.get('segment.bytes')).to.deep.include({ value: '1024', source: 'TOPIC_CONFIG', isDefault: false });
      expect(entries.get('retention.ms')).to.deep.include({ value: '5000', source: 'STATIC_BROKER_CONFIG' });
      expect(entries.get('max.message.bytes')).to.deep.include({ value: '1048588', source: 'DEFAULT_CONFIG', isDefault: true });
      expect(cluster.topicConfig('t')['segment.bytes']).to.equal(1024);
    });

    it('rejects unknown and ill-typed topic settings with INVALID_CONFIG, creating nothing', () => {
      const cluster = virtualCluster();
      const e = protocolErrorOf(() => cluster.createTopic({ topic: 't', config: { 'retention.mss': '1' } }), 'INVALID_CONFIG');
      expect(e.message).to.contain('retention.mss');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', config: { 'retention.ms': 'soon' } }), 'INVALID_CONFIG');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', config: { 'segment.bytes': '10' } }), 'INVALID_CONFIG');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', config: { 'cleanup.policy': 'compacted' } }), 'INVALID_CONFIG');
      protocolErrorOf(() => cluster.createTopic({ topic: 't', config: 'x' as unknown as Record<string, string> }), 'INVALID_CONFIG');
      expect(cluster.hasTopic('t')).to.equal(false);
    });

    it('alters settings atomically: all valid or nothing changes', () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', config: { 'retention.ms': 1000 } });
      protocolErrorOf(() => cluster.alterTopicConfig('t', { 'retention.ms': 5, 'max.message.bytes': 'big' }), 'INVALID_CONFIG');
      protocolErrorOf(() => cluster.alterTopicConfig('t', { 'no.such': null }), 'INVALID_CONFIG');
      expect(cluster.topicConfig('t')['retention.ms']).to.equal(1000);
      cluster.alterTopicConfig('t', { 'retention.ms': null, 'max.message.bytes': 100 });
      expect(cluster.topicConfig('t')['retention.ms']).to.equal(604800000);
      expect(cluster.topicConfig('t')['max.message.bytes']).to.equal(100);
      expect(cluster.events().at(-1)).to.deep.include({ type: 'topic-config-changed', topic: 't' });
    });
  });
});
