/**
 * Log compaction, example by example: the settings and their validation, keyless records refused,
 * the cleaner's choice and bounds (dirty ratio, min and max compaction lag), tombstones and their
 * delete horizon, segment merging, reads across gaps, compact,delete, replicas and memory.
 */
import { expect } from 'chai';
import { Engine } from '../../emulator/engine.js';
import type { ClusterEvent } from '../../emulator/events.js';
import type { ReplicaLog } from '../../emulator/log.js';
import type { EngineState } from '../../emulator/state.js';

type Cleaned = Extract<ClusterEvent, { type: 'log-cleaned' }>;

const B = (s: string | null) => (s === null ? null : Buffer.from(s));

function engine(config: Record<string, string | number | boolean> = {}, brokers = 1): Engine {
  return new Engine({ brokers, clock: 'virtual', seed: 7, config: { 'log.cleaner.backoff.ms': 1000, ...config } });
}

function logOf(e: Engine, broker: number, topic = 't'): ReplicaLog {
  return (e as unknown as { state: EngineState }).state.topics.get(topic)!.partitions[0]!.replicaStates.get(broker)!.log;
}

function compacted(e: Engine, config: Record<string, string | number> = {}, replicationFactor = 1): void {
  const answer = e.createTopic({
    topic: 't',
    numPartitions: 1,
    replicationFactor,
    config: { 'cleanup.policy': 'compact', 'segment.ms': 100, 'min.cleanable.dirty.ratio': 0.01, ...config },
  });
  expect(answer.errorMessage).to.equal(null);
}

/** Writes `pairs` one batch each, 200 ms apart, so that every batch rolls a segment of its own. */
async function write(e: Engine, pairs: readonly [string | null, string | null][]): Promise<void> {
  for (const [key, value] of pairs) {
    const r = await e.produce({ topic: 't', partition: 0, records: [{ key: B(key), value: B(value), headers: [{ key: 'h', value: B(`${key}:${value}`) }] }] });
    expect(r.errorMessage).to.equal(null);
    await e.advance(200);
  }
}

function contents(e: Engine, from = 0): string[] {
  return e.fetch({ topic: 't', partition: 0, offset: from }).records.map((r) => `${r.offset}:${r.key}=${r.value === null ? 'null' : r.value}`);
}

function cleanings(e: Engine): Cleaned[] {
  return e.events().filter((x): x is Cleaned => x.type === 'log-cleaned');
}

describe('log compaction', () => {
  describe('settings', () => {
    it('has Kafka 3.9 names and defaults, topic and broker', () => {
      const e = engine();
      e.createTopic({ topic: 'd' });
      const entries = Object.fromEntries(e.describeTopicConfig('d').configs.map((c) => [c.name, c.value]));
      expect(entries).to.include({
        'cleanup.policy': 'delete',
        'min.cleanable.dirty.ratio': '0.5',
        'min.compaction.lag.ms': '0',
        'delete.retention.ms': '86400000',
      });
      expect(new Engine().config).to.include({
        'log.cleaner.enable': true,
        'log.cleaner.backoff.ms': 15000,
        'log.cleaner.min.cleanable.ratio': 0.5,
        'log.cleaner.delete.retention.ms': 86400000,
        'log.cleaner.min.compaction.lag.ms': 0,
        'log.cleanup.policy': 'delete',
      });
    });

    it('takes cleanup.policy as a list in either order, and broker defaults for the topic settings', () => {
      const e = engine({ 'log.cleaner.delete.retention.ms': 1234, 'log.cleaner.min.cleanable.ratio': 0.1 });
      for (const [value, stored] of [
        ['compact', 'compact'],
        ['compact,delete', 'compact,delete'],
        ['delete, compact', 'delete,compact'],
      ]) {
        const name = `t-${stored}`.replace(',', '-');
        expect(e.createTopic({ topic: name, config: { 'cleanup.policy': value! } }).errorCode).to.equal(0);
        expect(e.topicConfig(name).config).to.include({ 'cleanup.policy': stored, 'delete.retention.ms': 1234, 'min.cleanable.dirty.ratio': 0.1 });
      }
    });

    it('refuses bad values with INVALID_CONFIG in Kafka\'s words', () => {
      const e = engine();
      const bad = (config: Record<string, string | number>) => e.createTopic({ topic: 'x', config });
      expect(bad({ 'cleanup.policy': 'compact,remove' })).to.include({
        errorCode: 40,
        errorMessage: 'Invalid value remove for configuration cleanup.policy: String must be one of: compact, delete',
      });
      expect(bad({ 'min.cleanable.dirty.ratio': '1.5' }).errorMessage).to.contain('Value must be no more than 1');
      expect(bad({ 'min.cleanable.dirty.ratio': 'half' }).errorMessage).to.contain('min.cleanable.dirty.ratio');
      expect(bad({ 'delete.retention.ms': -1 }).errorMessage).to.contain('delete.retention.ms');
      expect(bad({ 'min.compaction.lag.ms': 10, 'max.compaction.lag.ms': 5 })).to.include({
        errorCode: 40,
        errorMessage: 'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
      });
      expect(e.hasTopic('x')).to.equal(false);
      e.createTopic({ topic: 'y', config: { 'max.compaction.lag.ms': 5 } });
      expect(e.alterTopicConfig('y', { 'min.compaction.lag.ms': 10 }).errorMessage).to.equal(
        'conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)',
      );
      expect(e.topicConfig('y').config!['min.compaction.lag.ms']).to.equal(0);
    });
  });

  describe('producing', () => {
    it('refuses records without a key on compact and compact,delete topics with INVALID_RECORD, naming each', async () => {
      const e = engine();
      for (const policy of ['compact', 'compact,delete', 'delete']) {
        const topic = `p-${policy.replace(',', '-')}`;
        e.createTopic({ topic, config: { 'cleanup.policy': policy } });
        const r = await e.produce({ topic, partition: 0, records: [{ key: null, value: B('a') }, { key: B('k'), value: B('b') }, { value: B('c') }] });
        if (policy === 'delete') {
          expect(r.errorCode).to.equal(0);
          continue;
        }
        expect(r).to.include({
          errorCode: 87,
          baseOffset: -1,
          errorMessage:
            'One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: ' +
            `[RecordError(batchIndex=0, message='Compacted topic cannot accept message without key in topic partition ${topic}-0.'), ` +
            `RecordError(batchIndex=2, message='Compacted topic cannot accept message without key in topic partition ${topic}-0.')]`,
        });
        expect(e.listOffsets(topic, 0, 'latest').offset).to.equal(0);
      }
    });
  });

  describe('the cleaner', () => {
    it('keeps the last record of every key, with its offset, timestamp and headers, and never moves the log start, end or high watermark', async () => {
      const e = engine({ 'log.cleaner.backoff.ms': 5000 });
      compacted(e);
      await write(e, [['a', '1'], ['b', '1'], ['a', '2'], ['c', '1'], ['b', '2'], ['a', '3'], ['d', '1']]);
      const before = e.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      await e.advance(5000);
      expect(contents(e)).to.deep.equal(['3:c=1', '4:b=2', '5:a=3', '6:d=1']);
      const after = e.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      for (const r of after) expect(r).to.deep.equal(before.find((x) => x.offset === r.offset));
      expect(e.listOffsets('t', 0, 'earliest').offset).to.equal(0);
      expect(e.listOffsets('t', 0, 'latest').offset).to.equal(7);
      const [first] = cleanings(e);
      expect(first).to.include({ topic: 't', partition: 0, broker: 1, firstDirtyOffset: 0, cleanedUpTo: 6, recordsBefore: 6, recordsAfter: 3, tombstonesRemoved: 0, reason: 'dirty-ratio' });
      expect(first!.bytesFreed).to.equal(first!.bytesBefore - first!.bytesAfter).and.to.be.greaterThan(0);
    });

    it('fetches from inside a removed range continue at the next record', async () => {
      const e = engine();
      compacted(e);
      await write(e, [['a', '1'], ['a', '2'], ['a', '3'], ['b', '1'], ['c', '1']]);
      await e.advance(1000);
      expect(contents(e)).to.deep.equal(['2:a=3', '3:b=1', '4:c=1']);
      expect(contents(e, 1)).to.deep.equal(['2:a=3', '3:b=1', '4:c=1']);
      expect(e.fetch({ topic: 't', partition: 0, offset: 0, maxRecords: 1 }).records.map((r) => r.offset)).to.deep.equal([2]);
      expect(e.listOffsets('t', 0, { timestamp: 0 }).offset).to.equal(2);
    });

    it('never cleans the active segment, nor at or above the high watermark', async () => {
      const e = engine();
      compacted(e, { 'segment.ms': 3_600_000 });
      await write(e, [['a', '1'], ['a', '2'], ['a', '3']]);
      await e.advance(5000);
      expect(contents(e)).to.have.length(3);
      expect(cleanings(e)).to.have.length(0);
    });

    it('waits for min.compaction.lag.ms, measured on the segments\' newest timestamps', async () => {
      const e = engine();
      compacted(e, { 'min.compaction.lag.ms': 5000 });
      await write(e, [['a', '1'], ['a', '2'], ['a', '3'], ['b', '1']]);
      await e.advance(3000);
      expect(contents(e)).to.have.length(4);
      await e.advance(3000);
      expect(contents(e)).to.deep.equal(['2:a=3', '3:b=1']);
    });

    it('waits for min.cleanable.dirty.ratio, unless a dirty segment is older than max.compaction.lag.ms', async () => {
      const e = engine();
      compacted(e, { 'min.cleanable.dirty.ratio': 0.99 });
      await write(e, [['a', '1'], ['a', '2'], ['b', '1']]);
      await e.advance(1000);
      expect(cleanings(e)).to.have.length(1); // the first cleaning: everything is dirty
      await write(e, [['a', '3'], ['b', '2']]);
      await e.advance(5000);
      expect(cleanings(e)).to.have.length(1); // dirty: 2 segments of 3 below the active one, under 0.99
      expect(contents(e)).to.deep.equal(['1:a=2', '2:b=1', '3:a=3', '4:b=2']);
      expect(e.alterTopicConfig('t', { 'max.compaction.lag.ms': 2000 }).errorCode).to.equal(0);
      await e.advance(1000);
      expect(cleanings(e)).to.have.length(2);
      expect(cleanings(e)[1]).to.include({ reason: 'max.compaction.lag.ms', firstDirtyOffset: 2, cleanedUpTo: 4 });
      // b=2 is in the active segment, which is never cleaned: b=1 stays until it is not.
      expect(contents(e)).to.deep.equal(['2:b=1', '3:a=3', '4:b=2']);
    });

    it('keeps a tombstone until delete.retention.ms after the cleaning that first kept it (KIP-534), and drops it at the first cleaning after', async () => {
      const e = engine();
      compacted(e, { 'delete.retention.ms': 10_000 });
      await write(e, [['a', '1'], ['b', '1'], ['a', null], ['c', '1']]);
      await e.advance(1000);
      const firstKept = cleanings(e)[0]!.time;
      expect(contents(e)).to.deep.equal(['1:b=1', '2:a=null', '3:c=1']);
      // New dirty data makes the cleaner run again; before the horizon the tombstone stays.
      await write(e, [['b', '2'], ['d', '1']]);
      await e.advance(1000);
      expect(contents(e)).to.deep.equal(['2:a=null', '3:c=1', '4:b=2', '5:d=1']);
      await e.advance(firstKept + 10_000 - e.now());
      await write(e, [['c', '2'], ['e', '1']]);
      await e.advance(1000);
      expect(contents(e)).to.deep.equal(['4:b=2', '5:d=1', '6:c=2', '7:e=1']);
      const removal = cleanings(e).find((x) => x.tombstonesRemoved > 0)!;
      expect(removal.time).to.be.at.least(firstKept + 10_000);
      expect(removal.tombstonesRemoved).to.equal(1);
    });

    it('merges small cleaned segments into groups of at most segment.bytes', async () => {
      const e = engine({ 'log.cleaner.backoff.ms': 5000 });
      compacted(e, { 'segment.bytes': 1000 });
      await write(e, Array.from({ length: 8 }, (_, i): [string, string] => [`k${i % 2}`, `v${i}`]));
      expect(logOf(e, 1).segments.length).to.equal(8);
      await e.advance(5000);
      const log = logOf(e, 1);
      expect(log.segments.length).to.equal(2); // one cleaned segment, and the active one
      expect(log.segments[0]!.baseOffset).to.equal(0);
      expect(log.size).to.equal(log.segments.reduce((n, s) => n + s.size, 0));
      expect(contents(e)).to.deep.equal(['5:k1=v5', '6:k0=v6', '7:k1=v7']);
    });

    it('drops records without a key once a topic is switched to compact, and a switch back stops the cleaning', async () => {
      const e = engine();
      e.createTopic({ topic: 't', config: { 'segment.ms': 100, 'min.cleanable.dirty.ratio': 0.01 } });
      await write(e, [[null, 'x'], ['a', '1'], ['a', '2'], [null, 'y'], ['b', '1']]);
      await e.advance(2000);
      expect(contents(e)).to.have.length(5);
      expect(e.alterTopicConfig('t', { 'cleanup.policy': 'compact' }).errorCode).to.equal(0);
      await e.advance(1000);
      expect(contents(e)).to.deep.equal(['2:a=2', '4:b=1']);
      expect(e.alterTopicConfig('t', { 'cleanup.policy': 'delete' }).errorCode).to.equal(0);
      await write(e, [['a', '3'], ['a', '4']]);
      await e.advance(2000);
      expect(contents(e)).to.deep.equal(['2:a=2', '4:b=1', '5:a=3', '6:a=4']);
    });

    it('applies retention too under compact,delete; a compact-only topic keeps old segments', async () => {
      for (const policy of ['compact', 'compact,delete']) {
        const e = engine({ 'log.retention.check.interval.ms': 1000 });
        compacted(e, { 'cleanup.policy': policy, 'retention.ms': 5000 });
        await write(e, [['a', '1'], ['b', '1'], ['c', '1']]);
        await e.advance(10_000);
        await write(e, [['d', '1'], ['e', '1']]);
        await e.advance(1000);
        const keys = e.fetch({ topic: 't', partition: 0, offset: e.listOffsets('t', 0, 'earliest').offset }).records.map((r) => String(r.key));
        expect(keys, policy).to.deep.equal(policy === 'compact' ? ['a', 'b', 'c', 'd', 'e'] : ['d', 'e']);
      }
    });

    it('does nothing with log.cleaner.enable=false', async () => {
      const e = engine({ 'log.cleaner.enable': false });
      compacted(e);
      await write(e, [['a', '1'], ['a', '2'], ['a', '3']]);
      await e.advance(60_000);
      expect(contents(e)).to.have.length(3);
      expect(cleanings(e)).to.have.length(0);
    });
  });

  describe('replicas', () => {
    it('each broker cleans its own copy; the copies agree and share the rewritten batches, and the old bytes are let go', async () => {
      const e = engine({ 'log.cleaner.backoff.ms': 5000 }, 3);
      compacted(e, {}, 3);
      await write(e, Array.from({ length: 10 }, (_, i): [string, string] => [`k${i % 3}`, `v${i}`]));
      const oldData = logOf(e, 1).segments[0]!.batches[0]!.data.buffer;
      await e.advance(5000);
      const brokers = cleanings(e).map((x) => x.broker);
      expect(brokers.slice(0, 3)).to.deep.equal([1, 2, 3]);
      const batches = [1, 2, 3].map((b) => logOf(e, b).segments.flatMap((s) => s.batches));
      expect(batches[1]).to.have.length(batches[0]!.length);
      for (let i = 0; i < batches[0]!.length; i++) {
        expect(batches[1]![i]).to.equal(batches[0]![i]);
        expect(batches[2]![i]).to.equal(batches[0]![i]);
        // Cleaned batches hold fresh copies; only the active segment's still use the produce-time memory.
        if (batches[0]![i]!.baseOffset < cleanings(e)[0]!.cleanedUpTo) expect(batches[0]![i]!.data.buffer).to.not.equal(oldData);
      }
    });

    it('a follower that was stopped catches up across the gaps of its leader\'s cleaned log and rejoins the ISR', async () => {
      const e = engine({ 'replica.lag.time.max.ms': 1000 }, 3);
      compacted(e, { 'min.insync.replicas': 1 }, 3);
      const follower = e.describeTopic('t').partitions[0]!.replicas.find((b) => b !== e.describeTopic('t').partitions[0]!.leader)!;
      e.stopBroker(follower);
      await write(e, Array.from({ length: 10 }, (_, i): [string, string] => [`k${i % 2}`, `v${i}`]));
      await e.advance(1000);
      e.startBroker(follower);
      await e.advance(2000);
      expect(e.describeTopic('t').partitions[0]!.isr).to.include(follower);
      const log = logOf(e, follower);
      expect(log.logEndOffset).to.equal(10);
      // k1@9 is in the active segment, so the cleaned part keeps k1@7 beside k0@8.
      expect(log.read(0, 10, Infinity).map((r) => r.offset)).to.deep.equal([7, 8, 9]);
    });
  });
});
