/**
 * The engine answers with Kafka's error codes, per partition where Kafka's responses have them,
 * and never throws for an expected outcome. Driven on `Engine` directly (no kafkajs errors).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Engine, type Answer } from '../../emulator/engine.js';
import { readRecords } from '../../emulator/records.js';
import { kafkaError } from '../../protocol/errors.js';
import { values } from '../helpers.js';

const code = (type: string) => kafkaError(type).code;
const NETWORK_EXCEPTION = 13;

function engine(brokers = 1, config: Record<string, string | number | boolean> = {}): Engine {
  return new Engine({ brokers, clock: 'virtual', seed: 7, config });
}

/** A 3-broker engine with one topic whose partition 0 lives on brokers 1 (leader), 2, 3. */
function threeReplicas(topicConfig: Record<string, string | number | boolean> = {}): Engine {
  const e = engine(3);
  e.createTopic({ topic: 't', replicaAssignment: [[1, 2, 3]], config: topicConfig });
  return e;
}

describe('engine answers', () => {
  describe('produce', () => {
    it('answers each partition of one request on its own: a good partition is written, a bad one gets its code', async () => {
      const e = engine();
      e.createTopic({ topic: 't', numPartitions: 2 });
      const answers = await e.produceMany({
        acks: 1,
        partitions: [
          { topic: 't', partition: 0, records: values(2) },
          { topic: 't', partition: 7, records: values(1) },
          { topic: 'nope', partition: 0, records: values(1) },
          { topic: 't', partition: 1, records: [] },
        ],
      });
      expect(answers.map((a) => [a.topic, a.partition, a.errorCode, a.baseOffset, a.logStartOffset])).to.deep.equal([
        ['t', 0, 0, 0, 0],
        ['t', 7, code('UNKNOWN_TOPIC_OR_PARTITION'), -1, -1],
        ['nope', 0, code('UNKNOWN_TOPIC_OR_PARTITION'), -1, -1],
        ['t', 1, code('INVALID_REQUEST'), -1, -1],
      ]);
      expect(answers[0]!.errorMessage).to.equal(null);
      expect(answers[1]!.errorMessage).to.contain('t-7');
      expect(answers[2]!.errorMessage).to.contain('topic nope does not exist');
      expect(e.listOffsets('t', 0, 'latest').offset).to.equal(2);
      expect(e.listOffsets('t', 1, 'latest').offset).to.equal(0);
    });

    it('answers INVALID_REQUIRED_ACKS for every partition of a request with bad acks', async () => {
      const e = engine();
      e.createTopic({ topic: 't', numPartitions: 2 });
      const answers = await e.produceMany({ acks: 2, partitions: [0, 1].map((partition) => ({ topic: 't', partition, records: values(1) })) });
      expect(answers.map((a) => a.errorCode)).to.deep.equal([code('INVALID_REQUIRED_ACKS'), code('INVALID_REQUIRED_ACKS')]);
    });

    it('answers an unknown topic with UNKNOWN_TOPIC_OR_PARTITION and -1 offsets', async () => {
      const answer = await engine().produce({ topic: 'missing', partition: 0, records: values(1) });
      expect(answer).to.deep.include({ errorCode: 3, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 });
      expect(answer.errorMessage).to.match(/missing/);
    });

    it('answers NOT_ENOUGH_REPLICAS for acks=all when the ISR is below min.insync.replicas, writing nothing', async () => {
      const e = threeReplicas({ 'min.insync.replicas': 3 });
      e.stopBroker(3);
      const refused = await e.produce({ topic: 't', partition: 0, acks: -1, records: values(1) });
      expect(refused.errorCode).to.equal(code('NOT_ENOUGH_REPLICAS'));
      expect(refused.errorMessage).to.contain('min.isr requirement of 3');
      expect(e.describePartition('t', 0).logEndOffset).to.equal(0);
      const accepted = await e.produce({ topic: 't', partition: 0, acks: 1, records: values(1) });
      expect(accepted).to.deep.include({ errorCode: 0, baseOffset: 0 });
    });

    it('answers a broker that cannot be reached as NETWORK_EXCEPTION naming the broker, also for acks=0', async () => {
      const e = threeReplicas();
      e.stopBroker(2);
      const stopped = await e.produce({ topic: 't', partition: 0, broker: 2, records: values(1) });
      expect(stopped).to.deep.include({ errorCode: NETWORK_EXCEPTION, broker: 2, errorMessage: 'Connection error: broker 2 is stopped', baseOffset: -1 });
      e.isolateBroker(1);
      const isolated = await e.produce({ topic: 't', partition: 0, acks: 0, records: values(1) });
      expect(isolated).to.deep.include({ errorCode: NETWORK_EXCEPTION, broker: 1 });
      expect(isolated.errorMessage).to.match(/isolated/);
    });

    it('answers acks=0 with no error whatever the broker thought of it: Kafka sends no response', async () => {
      const answer = await engine().produce({ topic: 'missing', partition: 0, acks: 0, records: values(1) });
      expect(answer).to.deep.include({ errorCode: 0, errorMessage: null, baseOffset: -1 });
    });

    it('answers NOT_LEADER_OR_FOLLOWER from a follower and LEADER_NOT_AVAILABLE when none leads', async () => {
      const e = threeReplicas();
      expect((await e.produce({ topic: 't', partition: 0, broker: 2, records: values(1) })).errorCode).to.equal(code('NOT_LEADER_FOR_PARTITION'));
      e.stopBroker(1);
      e.stopBroker(2);
      e.stopBroker(3);
      expect((await e.produce({ topic: 't', partition: 0, records: values(1) })).errorCode).to.equal(code('LEADER_NOT_AVAILABLE'));
      // Broker 1 left the ISR when it stopped; without unclean election it cannot lead.
      e.startBroker(1);
      expect((await e.produce({ topic: 't', partition: 0, broker: 1, records: values(1) })).errorCode).to.equal(code('LEADER_NOT_AVAILABLE'));
    });

    it('keeps the written offsets in the answer when a delayed acks=all write times out, as Kafka does', async () => {
      const e = threeReplicas();
      e.isolateBroker(3);
      const pending = e.produce({ topic: 't', partition: 0, acks: -1, timeout: 1000, records: values(2) });
      await e.advance(1000);
      const answer = await pending;
      expect(answer).to.deep.include({ errorCode: code('REQUEST_TIMED_OUT'), baseOffset: 0, logStartOffset: 0 });
    });

    it('answers delayed writes NOT_LEADER_OR_FOLLOWER when their leader stops, and REQUEST_TIMED_OUT when the engine closes', async () => {
      const e = threeReplicas();
      e.isolateBroker(3);
      const moved = e.produce({ topic: 't', partition: 0, acks: -1, records: values(1) });
      e.stopBroker(1);
      expect((await moved).errorCode).to.equal(code('NOT_LEADER_FOR_PARTITION'));
      const closed = e.produce({ topic: 't', partition: 0, acks: -1, records: values(1) });
      e.close();
      expect(await closed).to.deep.include({ errorCode: code('REQUEST_TIMED_OUT'), errorMessage: 'The cluster was closed' });
    });

    it('throws only for a broker id the cluster does not have (a caller mistake, not an answer)', async () => {
      const e = threeReplicas();
      let error: unknown;
      await e.produce({ topic: 't', partition: 0, broker: 9, records: values(1) }).catch((x: unknown) => (error = x));
      expect(error).to.be.instanceOf(RangeError);
      expect(() => e.fetch({ topic: 't', partition: 0, offset: 0, broker: 9 })).to.throw(RangeError, /unknown broker 9/);
    });
  });

  describe('fetch, list offsets, delete records', () => {
    it('answers each partition of one fetch on its own: records for a good one, OFFSET_OUT_OF_RANGE for a bad one', async () => {
      const e = engine();
      e.createTopic({ topic: 't', numPartitions: 2 });
      await e.produce({ topic: 't', partition: 0, records: values(3) });
      const answers = e.fetchMany({
        partitions: [
          { topic: 't', partition: 0, offset: 1 },
          { topic: 't', partition: 1, offset: 5 },
          { topic: 't', partition: -1, offset: 0 },
        ],
      });
      expect(answers.map((a) => [a.errorCode, a.highWatermark, a.logStartOffset])).to.deep.equal([
        [0, 3, 0],
        [code('OFFSET_OUT_OF_RANGE'), -1, -1],
        [code('UNKNOWN_TOPIC_OR_PARTITION'), -1, -1],
      ]);
      expect(readRecords(answers[0]!.ranges).map((r) => r.value!.toString())).to.deep.equal(['v-1', 'v-2']);
      expect(answers[1]!.ranges).to.have.length(0);
      expect(answers[1]!.errorMessage).to.contain('Fetch offset 5 is out of range for partition t-1');
    });

    it('answers OFFSET_OUT_OF_RANGE with -1 watermarks and no records', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      await e.produce({ topic: 't', partition: 0, records: values(2) });
      const answer = e.fetch({ topic: 't', partition: 0, offset: 3 });
      expect(answer).to.deep.include({ errorCode: 1, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 });
      expect(answer.records).to.deep.equal([]);
      expect(e.fetch({ topic: 't', partition: 0, offset: 2 })).to.deep.include({ errorCode: 0, highWatermark: 2 });
    });

    it('answers fetch and ListOffsets sent to a stopped or isolated broker as NETWORK_EXCEPTION naming it', () => {
      const e = threeReplicas();
      e.stopBroker(2);
      e.isolateBroker(1);
      expect(e.fetch({ topic: 't', partition: 0, offset: 0 })).to.deep.include({ errorCode: NETWORK_EXCEPTION, broker: 1 });
      expect(e.fetchMany({ broker: 2, partitions: [{ topic: 't', partition: 0, offset: 0 }] })[0]).to.deep.include({ errorCode: NETWORK_EXCEPTION, broker: 2 });
      expect(e.listOffsets('t', 0, 'latest', 2)).to.deep.include({ errorCode: NETWORK_EXCEPTION, broker: 2, offset: -1, timestamp: -1 });
    });

    it('answers ListOffsets and DeleteRecords with their codes and -1 offsets', async () => {
      const e = engine();
      e.createTopic({ topic: 't' });
      await e.produce({ topic: 't', partition: 0, records: values(4, 'v', 100) });
      expect(e.listOffsets('t', 0, 'earliest')).to.deep.equal({ errorCode: 0, errorMessage: null, offset: 0, timestamp: -1 });
      expect(e.listOffsets('t', 0, { timestamp: 50 })).to.deep.include({ errorCode: 0, offset: 0, timestamp: 100 });
      expect(e.listOffsets('t', 0, { timestamp: Number.NaN })).to.deep.include({ errorCode: code('INVALID_REQUEST'), offset: -1 });
      expect(e.listOffsets('t', 3, 'latest')).to.deep.include({ errorCode: 3, offset: -1, timestamp: -1 });
      expect(e.deleteRecords('t', 0, 9)).to.deep.include({ errorCode: 1, lowWatermark: -1 });
      expect(e.deleteRecords('x', 0, 1)).to.deep.include({ errorCode: 3, lowWatermark: -1 });
      expect(e.deleteRecords('t', 0, 2)).to.deep.equal({ topic: 't', partition: 0, errorCode: 0, errorMessage: null, lowWatermark: 2 });
    });
  });

  describe('topics', () => {
    it('answers CreateTopics errors with the topic, no id and no partitions', () => {
      const e = engine(3);
      const tooMany = e.createTopic({ topic: 'a', replicationFactor: 4 });
      expect(tooMany).to.deep.include({ name: 'a', errorCode: code('INVALID_REPLICATION_FACTOR'), topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [] });
      expect(tooMany.errorMessage).to.contain('only 3 broker(s) are registered');
      expect(e.createTopic({ topic: 'a', numPartitions: 2 }).errorCode).to.equal(0);
      const again = e.createTopic({ topic: 'a' });
      expect(again).to.deep.include({ errorCode: code('TOPIC_ALREADY_EXISTS'), errorMessage: "Topic 'a' already exists." });
      expect(e.createTopic({ topic: 'b', numPartitions: 0 }).errorCode).to.equal(code('INVALID_PARTITIONS'));
      expect(e.createTopic({ topic: 'b', replicaAssignment: [[1, 1]] }).errorCode).to.equal(code('INVALID_REPLICA_ASSIGNMENT'));
      expect(e.createTopic({ topic: 'b', config: { 'retention.ms': 'soon' } }).errorCode).to.equal(code('INVALID_CONFIG'));
      expect(e.createTopic({ topic: 'b c' }).errorCode).to.equal(code('INVALID_TOPIC_EXCEPTION'));
      expect(e.topicNames()).to.deep.equal(['a']);
    });

    it('answers CreatePartitions, DeleteTopics and the config requests with their codes', () => {
      const e = engine(1, { 'delete.topic.enable': false });
      e.createTopic({ topic: 't', numPartitions: 2 });
      expect(e.createPartitions('t', 1)).to.deep.include({ name: 't', errorCode: code('INVALID_PARTITIONS'), partitions: [] });
      expect(e.createPartitions('u', 3).errorCode).to.equal(3);
      expect(e.createPartitions('t', 3, [[1], [1]]).errorCode).to.equal(code('INVALID_REPLICA_ASSIGNMENT'));
      expect(e.deleteTopic('u')).to.deep.include({ name: 'u', errorCode: 3 });
      expect(e.deleteTopic('t').errorCode).to.equal(code('TOPIC_DELETION_DISABLED'));
      expect(e.describeTopicConfig('u')).to.deep.include({ name: 'u', errorCode: 3, configs: [] });
      expect(e.alterTopicConfig('t', { 'no.such': null }).errorCode).to.equal(code('INVALID_CONFIG'));
      expect(e.alterTopicConfig('t', null as never).errorMessage).to.equal('Topic config for t must be an object of settings');
      expect(e.alterTopicConfig('t', { 'segment.bytes': 1 }).errorMessage).to.contain('segment.bytes');
      expect(e.replaceTopicConfig('t', { 'retention.ms': 'x' }).errorCode).to.equal(code('INVALID_CONFIG'));
      expect(e.replaceTopicConfig('u', {}).errorCode).to.equal(3);
      expect(e.topicConfig('u')).to.deep.include({ errorCode: 3, config: null });
      expect(e.topicConfig('t').config!['retention.ms']).to.equal(604800000);
      expect(e.describePartition('t', 5)).to.deep.include({ errorCode: 3, highWatermark: -1, replicaStates: [] });
      expect(e.describeTopic('u')).to.deep.include({ errorCode: 3, partitions: [] });
    });

    it('answers every topic of a Metadata request with its own error, creating the ones it can', () => {
      const e = engine();
      const answer = e.metadata(['bad name', 'fresh'], { allowAutoTopicCreation: true });
      expect(answer.topics.map((t) => [t.name, t.errorCode])).to.deep.equal([
        ['bad name', code('INVALID_TOPIC_EXCEPTION')],
        ['fresh', 0],
      ]);
      expect(e.metadata(['fresh', 'gone']).topics.map((t) => t.errorCode)).to.deep.equal([0, 3]);
    });
  });

  describe('a rejected request', () => {
    /** What a request could change: topics, partitions, replica logs, configs, brokers, the event log. */
    function snapshot(e: Engine): string {
      return JSON.stringify({
        topics: e.topicNames().map((t) => ({
          meta: e.describeTopic(t),
          config: e.describeTopicConfig(t),
          partitions: e.describeTopic(t).partitions.map((p) => e.describePartition(t, p.partition)),
        })),
        brokers: e.brokers(),
        events: e.events().length,
      });
    }

    const unknownTopic = fc.constantFrom('nope', 'x', '', 'a b', '..', 'T');
    const badPartition = fc.oneof(fc.integer({ min: -5, max: -1 }), fc.integer({ min: 3, max: 1000 }), fc.constantFrom(0.5, Number.NaN));
    const badConfigValue = fc.oneof(
      fc.record({ name: fc.constantFrom('retention.ms', 'segment.bytes', 'min.insync.replicas', 'max.message.bytes'), value: fc.constantFrom<ConfigValue>('x', true, -5, 1.5) }),
      fc.record({ name: fc.constantFrom('unclean.leader.election.enable'), value: fc.constantFrom<ConfigValue>('maybe', 3) }),
      fc.record({ name: fc.constantFrom('cleanup.policy'), value: fc.constantFrom<ConfigValue>('compaction', 'compact,later', 1) }),
      fc.record({ name: fc.stringMatching(/^[a-z]{1,8}$/).map((x) => `no.such.${x}`), value: fc.constantFrom<ConfigValue>('1') }),
    );
    type ConfigValue = string | number | boolean;
    type BadRequest = { name: string; send: (e: Engine) => Answer | Promise<Answer> | readonly Answer[] | Promise<readonly Answer[]> };
    const records = [{ value: Buffer.from('r') }];

    const badRequests: fc.Arbitrary<BadRequest> = fc.oneof(
      fc.tuple(unknownTopic, fc.nat(2)).map(([topic, partition]) => ({ name: `produce to ${topic}-${partition}`, send: (e: Engine) => e.produce({ topic, partition, records }) })),
      badPartition.map((partition) => ({ name: `produce to t-${partition}`, send: (e: Engine) => e.produce({ topic: 't', partition, records }) })),
      fc.nat(2).map((partition) => ({ name: `produce to stopped broker 3, t-${partition}`, send: (e: Engine) => e.produce({ topic: 't', partition, broker: 3, records }) })),
      fc.constantFrom(2, -2, 5).map((acks) => ({ name: `produce with acks=${acks}`, send: (e: Engine) => e.produceMany({ acks, partitions: [{ topic: 't', partition: 0, records }] }) })),
      fc
        .constantFrom<[string, unknown[]]>(
          ['no records', []],
          ['a null record', [null]],
          ['a string value', [{ value: 'not a buffer' }]],
          ['a fractional timestamp', [{ value: null, timestamp: 1.5 }]],
          ['an oversize record', [{ value: Buffer.alloc(2_000_000) }]],
        )
        .map(([what, bad]) => ({ name: `produce ${what}`, send: (e: Engine) => e.produce({ topic: 't', partition: 0, records: bad as never }) })),
      fc.tuple(fc.oneof(unknownTopic, fc.constant('t')), badPartition, fc.integer({ min: -3, max: 10_000 })).map(([topic, partition, offset]) => ({
        name: `fetch ${topic}-${partition}@${offset}`,
        send: (e: Engine) => e.fetchMany({ partitions: [{ topic, partition, offset }] }),
      })),
      fc.constantFrom(-1, 10_000, 0.5).map((offset) => ({ name: `fetch t-0@${offset}`, send: (e: Engine) => e.fetch({ topic: 't', partition: 0, offset }) })),
      fc.nat(2).map((partition) => ({ name: `fetch from stopped broker 3, t-${partition}`, send: (e: Engine) => e.fetch({ topic: 't', partition, offset: 0, broker: 3 }) })),
      fc.tuple(fc.oneof(unknownTopic, fc.constant('t')), badPartition).map(([topic, partition]) => ({
        name: `list offsets ${topic}-${partition}`,
        send: (e: Engine) => e.listOffsets(topic, partition, 'latest'),
      })),
      fc.constantFrom<unknown>({ timestamp: Number.NaN }, 'newest', null).map((spec) => ({ name: `list offsets ${String(spec)}`, send: (e: Engine) => e.listOffsets('t', 0, spec as never) })),
      fc.tuple(fc.oneof(unknownTopic, fc.constant('t')), fc.oneof(badPartition, fc.constant(0)), fc.constantFrom(10_000, -2, 0.5)).map(([topic, partition, offset]) => ({
        name: `delete records ${topic}-${partition} before ${offset}`,
        send: (e: Engine) => e.deleteRecords(topic, partition, offset),
      })),
      fc.constantFrom('', '.', 'a b', 'x_y', 't', 'é', 'a'.repeat(250)).map((topic) => ({ name: `create topic '${topic.slice(0, 9)}'`, send: (e: Engine) => e.createTopic({ topic }) })),
      fc.tuple(fc.constantFrom(-3, -2, 0), fc.integer({ min: 4, max: 9 })).map(([partitions, rf]) => ({
        name: `create topic with ${partitions} partitions or replication factor ${rf}`,
        send: (e: Engine) => [e.createTopic({ topic: 'n', numPartitions: partitions }), e.createTopic({ topic: 'n', replicationFactor: rf })],
      })),
      fc.array(badConfigValue, { minLength: 1, maxLength: 3 }).map((bad) => {
        const config = Object.fromEntries(bad.map((c) => [c.name, c.value]));
        return {
          name: `bad config ${JSON.stringify(config)}`,
          send: (e: Engine) => [e.createTopic({ topic: 'n', config }), e.alterTopicConfig('t', config), e.replaceTopicConfig('t', config)],
        };
      }),
      fc.tuple(fc.oneof(unknownTopic, fc.constant('t')), fc.integer({ min: -1, max: 3 })).map(([topic, count]) => ({
        name: `create partitions ${topic} ${count}`,
        send: (e: Engine) => e.createPartitions(topic, count),
      })),
      fc.constantFrom<unknown>([[1, 1]], [[9]], [[]], [], 'x').map((assignment) => ({
        name: `create partitions with ${JSON.stringify(assignment)}`,
        send: (e: Engine) => e.createPartitions('t', 4, assignment as never),
      })),
      unknownTopic.map((topic) => ({
        name: `delete, describe, metadata of ${topic}`,
        send: (e: Engine) => [e.deleteTopic(topic), e.describeTopic(topic), e.describeTopicConfig(topic), e.topicConfig(topic), e.describePartition(topic, 0), ...e.metadata([topic]).topics],
      })),
    );

    it('leaves the engine exactly as it was, answers a code, and throws nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 1000 }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 })), { maxLength: 6 }),
          badRequests,
          async (seed, writes, bad) => {
            const e = new Engine({ brokers: 3, clock: 'virtual', seed });
            e.createTopic({ topic: 't', numPartitions: 3, replicationFactor: 2 });
            e.createTopic({ topic: 'x.y' });
            for (const [partition, n] of writes) {
              const written = await e.produce({ topic: 't', partition, records: values(n) });
              expect(written.errorCode).to.equal(0);
            }
            e.stopBroker(3);
            const before = snapshot(e);
            let answered: Answer | readonly Answer[];
            try {
              answered = await bad.send(e);
            } catch (error) {
              expect.fail(`${bad.name} threw ${String(error)}`);
            }
            const answers = Array.isArray(answered) ? answered : [answered as Answer];
            for (const a of answers) expect(a.errorCode, `${bad.name}: ${JSON.stringify(a).slice(0, 200)}`).to.not.equal(0);
            expect(snapshot(e), bad.name).to.equal(before);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
