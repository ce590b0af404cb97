import { expect } from 'chai';
import fc from 'fast-check';
import { javaStringHashCode, kafkaAbs, partitionForGroup, scalaHashMapOrder } from '../../protocol/hashing.js';
import { joinRequest, newCluster, protocols, startJoin } from './helpers.js';

describe('groups: coordinator placement and protocol selection', () => {
  describe('Java and Scala hashing', () => {
    it("matches Java's String.hashCode", () => {
      expect(javaStringHashCode('')).to.equal(0);
      expect(javaStringHashCode('hello')).to.equal(99162322);
      expect(javaStringHashCode('my-group')).to.equal(-1906497762);
      // Surrogate pairs hash as their two UTF-16 code units, as in Java.
      expect(javaStringHashCode('\u{1F600}')).to.equal(0xd83d * 31 + 0xde00);
    });

    it('maps Integer.MIN_VALUE to 0 as Kafka Utils.abs does', () => {
      expect(javaStringHashCode('polygenelubricants')).to.equal(-2147483648);
      expect(kafkaAbs(-2147483648)).to.equal(0);
      expect(kafkaAbs(-5)).to.equal(5);
      expect(partitionForGroup('polygenelubricants', 50)).to.equal(0);
    });

    it('places a group on abs(hashCode) % partitions', () => {
      expect(partitionForGroup('my-group', 50)).to.equal(12);
      expect(partitionForGroup('hello', 50)).to.equal(22);
      fc.assert(
        fc.property(fc.string(), fc.integer({ min: 1, max: 200 }), (id, n) => {
          const p = partitionForGroup(id, n);
          return Number.isInteger(p) && p >= 0 && p < n;
        }),
      );
    });

    it('iterates keys like a Scala 2.13 immutable.HashMap (fixtures from scala-library 2.13.14)', () => {
      expect(scalaHashMapOrder(['range', 'roundrobin'])).to.deep.equal(['roundrobin', 'range']);
      expect(scalaHashMapOrder(['RoundRobinAssigner', 'RangeAssigner'])).to.deep.equal(['RoundRobinAssigner', 'RangeAssigner']);
      expect(scalaHashMapOrder(['e', 'd', 'c', 'b', 'a'])).to.deep.equal(['e', 'a', 'b', 'c', 'd']);
      expect(scalaHashMapOrder(['cooperative-sticky', 'range', 'roundrobin', 'sticky'])).to.deep.equal(['cooperative-sticky', 'roundrobin', 'range', 'sticky']);
      // Keys sharing their first five hash bits go one level deeper, after the lone keys.
      expect(scalaHashMapOrder(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10', 'p11', 'p12'])).to.deep.equal([
        'p10',
        'p12',
        'p3',
        'p11',
        'p2',
        'p9',
        'p1',
        'p4',
        'p7',
        'p5',
        'p6',
        'p8',
      ]);
    });

    it('gives an order that does not depend on insertion order', () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.string({ maxLength: 6 }), { maxLength: 12 }), (keys) => {
          const reversed = [...keys].reverse();
          expect(scalaHashMapOrder(reversed)).to.deep.equal(scalaHashMapOrder(keys));
          expect([...scalaHashMapOrder(keys)].sort()).to.deep.equal([...keys].sort());
        }),
      );
    });
  });

  describe('__consumer_offsets', () => {
    it('is created on the first group request with offsets.topic.num.partitions partitions', () => {
      const cluster = newCluster({ brokers: 3, config: { 'offsets.topic.num.partitions': 7 } });
      expect(cluster.hasTopic('__consumer_offsets')).to.equal(false);
      const node = cluster.groups.findCoordinator('g');
      const topic = cluster.describeTopic('__consumer_offsets');
      expect(topic.isInternal).to.equal(true);
      expect(topic.partitions).to.have.length(7);
      expect(topic.partitions[0]!.replicas).to.have.length(3);
      const partition = partitionForGroup('g', 7);
      expect(cluster.groups.partitionFor('g')).to.equal(partition);
      expect(node.nodeId).to.equal(topic.partitions[partition]!.leader);
      expect(node).to.deep.equal({ nodeId: node.nodeId, host: 'localhost', port: 9091 + node.nodeId });
    });

    it('caps the replication factor at the running brokers', () => {
      const cluster = newCluster({ brokers: 2 });
      cluster.groups.findCoordinator('g');
      expect(cluster.describeTopic('__consumer_offsets').partitions[0]!.replicas).to.have.length(2);
      const one = newCluster({ brokers: 3 });
      one.stopBroker(2);
      one.stopBroker(3);
      one.groups.findCoordinator('g');
      expect(one.describeTopic('__consumer_offsets').partitions[0]!.replicas).to.deep.equal([1]);
    });

    it('spreads groups over the brokers', () => {
      const cluster = newCluster({ brokers: 3 });
      const nodes = new Set(Array.from({ length: 30 }, (_, i) => cluster.groups.findCoordinator(`group-${i}`).nodeId));
      expect(nodes.size).to.equal(3);
    });
  });

  describe('protocol selection', () => {
    async function selected(members: string[][]): Promise<string> {
      const cluster = newCluster();
      const joins = [];
      for (const names of members) joins.push((await startJoin(cluster, joinRequest('g', { protocols: protocols(['t'], names) }))).joined);
      await cluster.advance(0);
      const responses = await Promise.all(joins);
      return responses[0]!.protocolName!;
    }

    it('picks the protocol most members name first among those all support', async () => {
      expect(
        await selected([
          ['range', 'roundrobin'],
          ['roundrobin', 'range'],
          ['roundrobin', 'range'],
        ]),
      ).to.equal('roundrobin');
      expect(
        await selected([
          ['range', 'roundrobin'],
          ['range', 'roundrobin'],
          ['roundrobin', 'range'],
        ]),
      ).to.equal('range');
    });

    it('only counts protocols every member supports', async () => {
      expect(await selected([['sticky', 'range'], ['sticky', 'range'], ['range']])).to.equal('range');
    });

    it('breaks ties the way Kafka 3.9 does, whatever the join order', async () => {
      // roundrobin comes before range in Scala's HashMap order.
      expect(
        await selected([
          ['range', 'roundrobin'],
          ['roundrobin', 'range'],
        ]),
      ).to.equal('roundrobin');
      expect(
        await selected([
          ['roundrobin', 'range'],
          ['range', 'roundrobin'],
        ]),
      ).to.equal('roundrobin');
      expect(
        await selected([
          ['b', 'e'],
          ['e', 'b'],
        ]),
      ).to.equal('e');
    });
  });
});
