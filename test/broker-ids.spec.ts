/**
 * Broker ids as a deployment has them (`brokerIds`): contiguous from 0 and scattered, through the
 * engine's id-based calls, the twin's kafkajs client, unchanged kafkajs over the wire front end
 * (in memory and TCP), and the testing toolkit's broker steps.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Cluster } from '../src/index.js';
import {
  AdvanceStep,
  BrokerStep,
  checkTrace,
  defaultInvariants,
  defaultTopology,
  outputMatchesModel,
  ProduceStep,
  runScenario,
  Scenario,
  scheduleArb,
  topologyArb,
} from '../src/testing/index.js';
import * as bug1 from '../examples/bugs/commit-before-processing.js';
import { protocolErrorOf, readAll, virtualCluster } from './helpers.js';
import { kafkaOver, realCluster } from './wire-server/helpers.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('broker ids (brokerIds)', () => {
  describe('options', () => {
    it('default 1..N; brokerIds alone gives the count; both must agree', () => {
      const ids = (c: Cluster) => c.brokers().map((b) => b.nodeId);
      const clusters = [virtualCluster({ brokers: 3 }), virtualCluster(), virtualCluster({ brokerIds: [0, 1, 2] }), virtualCluster({ brokers: 2, brokerIds: [7, 3] })];
      try {
        expect(clusters.map(ids)).to.deep.equal([[1, 2, 3], [1], [0, 1, 2], [3, 7]]);
        // The engine's nominal addresses follow id order (the wire front end advertises its own).
        expect(clusters[3]!.brokers().map((b) => b.port)).to.deep.equal([9092, 9093]);
      } finally {
        for (const c of clusters) c.close();
      }
    });

    it('a bad list is a RangeError or TypeError naming the problem', () => {
      const cases: [object, ErrorConstructor, string][] = [
        [{ brokers: 2, brokerIds: [0, 1, 2] }, RangeError, 'brokers is 2 but brokerIds lists 3 id(s) [0, 1, 2]: give one id per broker, or leave brokers out'],
        [{ brokerIds: [0, 1, 0] }, RangeError, 'brokerIds must be distinct, got 0 twice in [0, 1, 0]'],
        [{ brokerIds: [-1] }, RangeError, "brokerIds must hold integers from 0 to 2147483647 (Kafka's node.id), got -1"],
        [{ brokerIds: [1.5] }, RangeError, "brokerIds must hold integers from 0 to 2147483647 (Kafka's node.id), got 1.5"],
        [{ brokerIds: [2 ** 31] }, RangeError, "brokerIds must hold integers from 0 to 2147483647 (Kafka's node.id), got 2147483648"],
        [{ brokerIds: [NaN] }, RangeError, "brokerIds must hold integers from 0 to 2147483647 (Kafka's node.id), got NaN"],
        [{ brokerIds: ['1'] }, TypeError, 'brokerIds must hold numbers, got "1" (string)'],
        [{ brokerIds: [] }, RangeError, 'brokerIds must list 1 to 1000 broker ids, got 0'],
        [{ brokerIds: '0,1,2' }, TypeError, 'brokerIds must be an array of broker ids, got string'],
        [{ brokers: 0, brokerIds: [0] }, RangeError, 'brokers must be an integer from 1 to 1000, got 0'],
      ];
      for (const [options, type, message] of cases) {
        const e = thrown(() => new Cluster({ clock: 'virtual', ...(options as object) }));
        expect(e, message).to.be.instanceOf(type);
        expect(e.message).to.equal(message);
      }
    });
  });

  for (const ids of [
    [0, 1, 2],
    [5, 10, 20],
  ]) {
    const [first, second, third] = ids as [number, number, number];
    const missing = ids[0] === 0 ? 3 : 1;

    describe(`ids ${ids.join(', ')}`, () => {
      let cluster: Cluster;
      afterEach(() => cluster.close());

      it('placement, leaders, controller and metadata use the ids; every id leads one partition of three', () => {
        cluster = virtualCluster({ brokerIds: [third, first, second] });
        expect(cluster.brokers().map((b) => b.nodeId)).to.deep.equal(ids);
        expect(cluster.controller()).to.equal(first);
        const t = cluster.createTopic({ topic: 'orders', numPartitions: 3, replicationFactor: 3 });
        for (const p of t.partitions) {
          expect([...p.replicas].sort((a, b) => a - b)).to.deep.equal(ids);
          expect([...p.isr].sort((a, b) => a - b)).to.deep.equal(ids);
          expect(p.leader).to.equal(p.replicas[0]);
        }
        expect(t.partitions.map((p) => p.leader).sort((a, b) => a - b)).to.deep.equal(ids);
        const meta = cluster.metadata(['orders']);
        expect(meta.brokers.map((b) => b.nodeId)).to.deep.equal(ids);
        expect(meta.controllerId).to.equal(first);
        // An explicit assignment names the ids; an id the cluster lacks is INVALID_REPLICA_ASSIGNMENT.
        expect(cluster.createTopic({ topic: 'pinned', replicaAssignment: [[third, first]] }).partitions[0]).to.include({ leader: third });
        protocolErrorOf(() => cluster.createTopic({ topic: 'bad', replicaAssignment: [[missing]] }), 'INVALID_REPLICA_ASSIGNMENT');
      });

      it('produce and consume through cluster.kafka(); the group coordinator is one of the ids', async () => {
        cluster = virtualCluster({ brokerIds: ids, config: { 'group.initial.rebalance.delay.ms': 0 } });
        const kafka = cluster.kafka({ clientId: 'ids' });
        await kafka.admin().createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }] });
        const cluster_ = await kafka.admin().describeCluster();
        expect(cluster_.brokers.map((b) => b.nodeId)).to.deep.equal(ids);
        expect(cluster_.controller).to.equal(first);
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: 'orders', messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
        const seen: string[] = [];
        const consumer = kafka.consumer({ groupId: 'billing' });
        await consumer.connect();
        await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        await cluster.idle();
        expect(seen.sort()).to.deep.equal(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
        expect(ids).to.include(cluster.groups.findCoordinator('billing').nodeId);
        await consumer.disconnect();
        await producer.disconnect();
      });

      it(`stopBroker(${first}) moves its leaderships, startBroker brings it back into the ISR, and the preferred leader returns`, async () => {
        cluster = virtualCluster({ brokerIds: ids });
        cluster.createTopic({ topic: 'orders', numPartitions: 3, replicationFactor: 3 });
        const led = cluster.describeTopic('orders').partitions.find((p) => p.leader === first)!;
        expect(cluster.stopBroker(first)).to.equal(true);
        expect(cluster.controller()).to.equal(second);
        const moved = cluster.describeTopic('orders').partitions[led.partition]!;
        expect(moved.leader).to.be.oneOf([second, third]);
        expect(moved.isr).not.to.include(first);
        expect(moved.offlineReplicas).to.deep.equal([first]);
        expect(cluster.metadata().brokers.map((b) => b.nodeId)).to.deep.equal([second, third]);
        await cluster.produce({ topic: 'orders', partition: led.partition, records: [{ value: Buffer.from('while-stopped') }], acks: -1 });
        expect(cluster.startBroker(first)).to.equal(true);
        expect(cluster.describeTopic('orders').partitions[led.partition]!.isr).to.include(first);
        // auto.leader.rebalance.enable: the preferred replica leads again at the next check.
        await cluster.advance(cluster.config['leader.imbalance.check.interval.seconds'] * 1000);
        expect(cluster.describeTopic('orders').partitions[led.partition]!.leader).to.equal(first);
        expect(readAll(cluster, 'orders', led.partition)).to.deep.equal(['while-stopped']);
        const faults = cluster.events().filter((e) => e.type === 'broker-stopped' || e.type === 'broker-started');
        expect(faults.map((e) => [e.type, 'broker' in e ? e.broker : undefined])).to.deep.equal([
          ['broker-stopped', first],
          ['broker-started', first],
        ]);
        expect(cluster.isolateBroker(first)).to.equal(true);
        expect(cluster.brokers().find((b) => b.nodeId === first)!.status).to.equal('isolated');
        expect(cluster.healBroker(first)).to.equal(true);
      });

      it(`an unknown id (${missing}) is a RangeError naming the cluster's ids, from every id-based call`, async () => {
        cluster = virtualCluster({ brokerIds: ids });
        cluster.createTopic({ topic: 'orders', numPartitions: 1, replicationFactor: 1 });
        const message = `unknown broker ${missing}: this cluster has brokers ${ids.join(', ')}`;
        for (const call of [
          () => cluster.stopBroker(missing),
          () => cluster.startBroker(missing),
          () => cluster.isolateBroker(missing),
          () => cluster.healBroker(missing),
          () => cluster.listOffsets('orders', 0, 'latest', missing),
          () => cluster.groups.findCoordinator('g', { broker: missing }),
        ]) {
          const e = thrown(call);
          expect(e).to.be.instanceOf(RangeError);
          expect(e.message).to.equal(message);
        }
        let rejected: unknown;
        await cluster.produce({ topic: 'orders', partition: 0, records: [{ value: Buffer.from('x') }], broker: missing }).catch((e: unknown) => (rejected = e));
        expect(rejected).to.be.instanceOf(RangeError);
        expect((rejected as Error).message).to.equal(message);
      });
    });
  }

  it('a single broker with id 0 names itself in the error', () => {
    const cluster = virtualCluster({ brokerIds: [0] });
    try {
      expect(thrown(() => cluster.stopBroker(1)).message).to.equal('unknown broker 1: this cluster has broker 0');
    } finally {
      cluster.close();
    }
  });

  it('property: for any id set, every replica, leader and ISR member is one of the ids, through creates, stops and starts', () => {
    const idSets = fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(idSets, fc.integer({ min: 1, max: 6 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 6 }), (ids, partitions, faults) => {
        const cluster = new Cluster({ clock: 'virtual', brokerIds: ids });
        try {
          const known = new Set(ids);
          const check = () => {
            expect(known.has(cluster.controller()) || cluster.controller() === -1).to.equal(true);
            for (const name of cluster.topicNames()) {
              for (const p of cluster.describeTopic(name).partitions) {
                for (const b of [...p.replicas, ...p.isr, ...p.offlineReplicas]) expect(known.has(b), `${b} in ${ids.join(',')}`).to.equal(true);
                expect(p.leader === -1 || known.has(p.leader)).to.equal(true);
              }
            }
          };
          cluster.createTopic({ topic: 'a', numPartitions: partitions, replicationFactor: Math.min(3, ids.length) });
          check();
          for (const [stop, pick] of faults) {
            const id = ids[pick % ids.length]!;
            if (stop) cluster.stopBroker(id);
            else cluster.startBroker(id);
            if (cluster.controller() !== -1) cluster.createPartitions('a', cluster.describeTopic('a').partitions.length + 1);
            check();
          }
        } finally {
          cluster.close();
        }
      }),
      { numRuns: 60, seed: 11 },
    );
  });

  describe('the wire front end', () => {
    let cluster: Cluster;
    afterEach(() => cluster.close());

    it('real kafkajs over cluster.wire() with ids 0, 1, 2: metadata, produce and consume, and broker 0 stopped', async () => {
      cluster = realCluster({ brokerIds: [0, 1, 2], config: { 'group.initial.rebalance.delay.ms': 0 } });
      const wire = cluster.wire();
      expect(wire.brokers).to.deep.equal(['broker-0:9092', 'broker-1:9092', 'broker-2:9092']);
      const kafka = kafkaOver(wire);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer();
      const consumer = kafka.consumer({ groupId: 'wire-ids', sessionTimeout: 6000, heartbeatInterval: 500 });
      try {
        await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 3 }] });
        const described = await admin.describeCluster();
        expect(described.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort()).to.deep.equal([
          [0, 'broker-0:9092'],
          [1, 'broker-1:9092'],
          [2, 'broker-2:9092'],
        ]);
        expect(described.controller).to.equal(0);
        const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
        expect(meta.topics[0]!.partitions.map((p) => p.leader).sort()).to.deep.equal([0, 1, 2]);
        await producer.connect();
        await producer.send({ topic: 'orders', acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `before-${partition}` })) });
        cluster.stopBroker(0);
        // One send per partition: kafkajs 2.2.4 keeps a send's answers per broker across its retries, so one send
        // whose partition moved to a broker that already answered would leave that partition's records unsent.
        for (const partition of [0, 1, 2]) await producer.send({ topic: 'orders', acks: -1, messages: [{ partition, value: `after-${partition}` }] });
        const seen = new Set<string>();
        await consumer.connect();
        await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
        const deadline = Date.now() + 15_000;
        while (seen.size < 6 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        expect([...seen].sort()).to.deep.equal(['after-0', 'after-1', 'after-2', 'before-0', 'before-1', 'before-2']);
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    });

    it('listen() with ids 5, 10, 20: ports in id order, and Kafka clients see the ids at those ports', async () => {
      cluster = realCluster({ brokerIds: [20, 5, 10] });
      const { brokers } = await cluster.listen();
      expect(brokers).to.have.length(3);
      const admin = kafkaOver({ brokers: [brokers[1]!] }).admin();
      await admin.connect();
      try {
        const described = await admin.describeCluster();
        const byId = new Map(described.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
        expect([byId.get(5), byId.get(10), byId.get(20)]).to.deep.equal(brokers);
        expect(described.controller).to.equal(5);
        await admin.createTopics({ topics: [{ topic: 't', numPartitions: 3, replicationFactor: 2 }] });
        const meta = await admin.fetchTopicMetadata({ topics: ['t'] });
        for (const p of meta.topics[0]!.partitions) for (const r of p.replicas) expect([5, 10, 20]).to.include(r);
      } finally {
        await admin.disconnect();
      }
    });
  });

  describe('the testing toolkit', () => {
    it('a topology with brokerIds runs, broker steps naming those ids', async () => {
      const topology = defaultTopology({ brokerIds: [0, 1, 2] });
      const scenario = new Scenario(topology, 3, [
        new ProduceStep([{ key: 'k0', value: '1' }]),
        new BrokerStep('stop', 0),
        new ProduceStep([{ key: 'k1', value: '2' }]),
        new AdvanceStep(1000),
        new BrokerStep('start', 0),
      ]);
      expect(scenario.toString()).to.contain('3 brokers (ids 0, 1, 2)');
      const trace = await runScenario({ processor: bug1.fixed, scenario });
      expect(trace.inputs).to.have.length(2);
      expect(checkTrace(trace, [...defaultInvariants, outputMatchesModel(bug1.model)])).to.deep.equal([]);
      expect(trace.lifecycle.length).to.be.greaterThan(0);
    });

    it('schedules and topologies draw broker steps from the given ids', () => {
      const steps = fc.sample(scheduleArb({ brokerIds: [5, 10, 20], weights: { stopStart: 5, isolateHeal: 5 } }), { seed: 3, numRuns: 20 }).flat();
      const brokers = new Set(steps.flatMap((s) => (s instanceof BrokerStep ? [s.broker] : [])));
      expect([...brokers].sort((a, b) => a - b)).to.deep.equal([5, 10, 20]);
      const [topology] = fc.sample(topologyArb({ brokerIds: [0, 7] }), { seed: 1, numRuns: 1 });
      expect(topology).to.include({ brokers: 2 });
      expect(topology!.brokerIds).to.deep.equal([0, 7]);
    });
  });
});
