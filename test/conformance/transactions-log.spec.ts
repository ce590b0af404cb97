/**
 * Conformance: transactions and the log's housekeeping. DeleteRecords past an open transaction's
 * first offset: the last stable offset is never below the log start. Compaction, read as the
 * leader stores the log (markers included; `Control.readLog`). Small segments (`segment.ms` 100, each send 150 ms after the
 * last rolls one) and `min.cleanable.dirty.ratio` 0.01, so each plain write lets the cleaner
 * (every second) clean again. A marker stays while a record of its transaction is left; the
 * cleaning that finds none starts its delete horizon, and a cleaning after it removes the marker.
 */
import { expect } from 'chai';
import { adminOf, createTopic, latestOffsets, messages, placed, producerOf, record, transactionalProducerOf, waitForLatest } from './helpers.js';
import type { Producer } from '../../client/interface.js';
import { conformance, scenario, type Control } from './targets.js';

const COMPACTED = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.ms', value: '100' },
  { name: 'min.cleanable.dirty.ratio', value: '0.01' },
  { name: 'delete.retention.ms', value: '1000' },
];

/**
 * `log` is `written` with some entries removed, in order: a cleaning may already have run (an aborted record goes
 * as soon as its segment is closed). A transaction's marker is never gone while one of its records is there.
 */
function expectPartOf(log: string[], written: string[]): void {
  expect(log.filter((x) => written.includes(x)), `${log.join(' ')} within ${written.join(' ')}`).to.deep.equal(log);
  expect(log.map((x) => written.indexOf(x))).to.deep.equal(log.map((x) => written.indexOf(x)).sort((a, b) => a - b));
  for (let i = 0; i + 1 < written.length; i++) {
    if (/:(commit|abort)$/.test(written[i + 1]!) && log.includes(written[i]!)) expect(log).to.include(written[i + 1]);
  }
}

/** One plain write of `r` in a segment of its own (so the cleaner, every second, has dirty data again), then the log half a second later. */
async function dirtyAndRead(c: Control, plain: Producer, topic: string, i: number): Promise<string[]> {
  await c.sleep(150);
  await plain.send({ topic, messages: [{ key: 'r', value: String(i) }] });
  await c.sleep(500);
  return c.readLog(topic, 0);
}

conformance('transactions and the log start, and compaction', () => {
  scenario('deleteTopicRecords past an open transaction\'s first offset: the last stable offset is the new log start until the commit', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-deleted'), numPartitions: 1 });
    const plain = await producerOf(c);
    const producer = await transactionalProducerOf(c, c.name('txn-deleted-id'));
    await plain.send({ topic, messages: messages(2, 'before') });
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'txn') });
    await plain.send({ topic, messages: messages(2, 'later') });
    expect(await latestOffsets(admin, topic)).to.deep.equal(['2']);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
    // kafkajs asks both latest offsets read_committed: offset and high are the last stable offset.
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect([offsets!.low, offsets!.offset, offsets!.high]).to.deep.equal(['3', '3', '3']);
    const committed = await record(c, { groupId: c.name('txn-deleted-rc'), topics: [topic], fromBeginning: true });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['7']);
    await c.waitUntil(() => committed.seen.length >= 3, { message: '3 messages read committed' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:3:txn-1', '0:4:later-0', '0:5:later-1']);
  });

  scenario('fetchTopicOffsetsByTimestamp (read_committed) finds only offsets below the last stable offset while a transaction is open', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-by-time'), numPartitions: 1 });
    const plain = await producerOf(c);
    const producer = await transactionalProducerOf(c, c.name('txn-by-time-id'));
    const base = c.now() - 60_000;
    await plain.send({ topic, messages: [{ value: 'm0', timestamp: String(base) }] });
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [{ value: 't1', timestamp: String(base + 1000) }, { value: 't2', timestamp: String(base + 1000) }] });
    await plain.send({ topic, messages: [{ value: 'm3', timestamp: String(base + 2000) }] });
    const at = async (timestamp: number) => (await admin.fetchTopicOffsetsByTimestamp(topic, timestamp))[0]!.offset;
    const open = [await at(base - 1), await at(base + 500), await at(base + 1500)];
    await tx.commit();
    await waitForLatest(c, admin, topic, ['5']);
    const committed = [await at(base - 1), await at(base + 500), await at(base + 1500)];
    expect({ open, committed }).to.deep.equal({ open: ['0', '1', '1'], committed: ['0', '1', '3'] });
  });

  scenario('a topic deleted while a transaction over it is open: the commit completes on the other topic, and the producer goes on', async (c) => {
    const admin = await adminOf(c);
    const kept = await createTopic(c, admin, { topic: c.name('txn-kept'), numPartitions: 1 });
    const doomed = await createTopic(c, admin, { topic: c.name('txn-doomed'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-doomed-id'));
    const first = await producer.transaction();
    await first.send({ topic: kept, messages: messages(2, 'first') });
    await first.send({ topic: doomed, messages: messages(2, 'gone') });
    await admin.deleteTopics({ topics: [doomed] });
    await first.commit();
    await waitForLatest(c, admin, kept, ['3']);
    const second = await producer.transaction();
    await second.send({ topic: kept, messages: messages(1, 'second') });
    await second.commit();
    await waitForLatest(c, admin, kept, ['5']);
    const r = await record(c, { groupId: c.name('txn-doomed-rc'), topics: [kept], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 3, { message: '3 messages read committed' });
    await c.settle();
    expect(placed(r.seen)).to.deep.equal(['0:0:first-0', '0:1:first-1', '0:3:second-0']);
  });

  scenario('on a compacted topic an aborted write shadows nothing: the committed value of its key stays, and read_committed reads it', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-compacted-shadow'), numPartitions: 1, configEntries: COMPACTED });
    const tx = await transactionalProducerOf(c, c.name('txn-compacted-shadow-id'));
    const plain = await producerOf(c);
    for (const [value, commit] of [
      ['1', true],
      ['9', false],
    ] as const) {
      await c.sleep(150);
      const t = await tx.transaction();
      await t.send({ topic, messages: [{ key: 'k', value }] });
      if (commit) await t.commit();
      else await t.abort();
    }
    let last: string[] = [];
    for (let i = 0; !(last.includes('0:k=1') && !last.includes('2:k=9')); i++) {
      if (i === 60) throw new Error(`${c.target}: k=9 still there after 60 writes; log: ${last.join(' ')}`);
      last = await dirtyAndRead(c, plain, topic, i);
    }
    expect(last.slice(0, 2)).to.deep.equal(['0:k=1', '1:commit']);
    const r = await record(c, { groupId: c.name('txn-compacted-shadow-rc'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 2, { message: 'k=1 and a filler' });
    expect(r.seen[0]!.key).to.equal('k');
    expect(r.seen[0]!.value).to.equal('1');
  });

  scenario(
    'the cleaner drops an aborted transaction\'s records and a shadowed committed record first, their markers a delete horizon later; the producer\'s last transaction keeps its marker',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txn-compacted'), numPartitions: 1, configEntries: COMPACTED });
      const tx = await transactionalProducerOf(c, c.name('txn-compacted-id'));
      const plain = await producerOf(c);
      const inTransaction = async (key: string, value: string, commit: boolean) => {
        await c.sleep(150);
        const t = await tx.transaction();
        await t.send({ topic, messages: [{ key, value }] });
        if (commit) await t.commit();
        else await t.abort();
      };
      await inTransaction('a', '1', true);
      await inTransaction('b', 'x', false);
      await inTransaction('c', '1', true);
      await c.sleep(150);
      await plain.send({ topic, messages: [{ key: 'a', value: '2' }] });
      // The markers land a moment after each commit or abort; the cleaner (every second) may already have run.
      await waitForLatest(c, admin, topic, ['7']);
      expectPartOf(await c.readLog(topic, 0), ['0:a=1', '1:commit', '2:b=x', '3:abort', '4:c=1', '5:commit', '6:a=2']);

      // Plain writes of r until both early markers are gone; every read on the way keeps a marker while its record is there.
      let last: string[] = [];
      for (let i = 0; ; i++) {
        if (i === 60) throw new Error(`${c.target}: the markers at 1 and 3 are still there after 60 writes; log: ${last.join(' ')}`);
        last = await dirtyAndRead(c, plain, topic, i);
        if (last.includes('0:a=1')) expect(last).to.include('1:commit');
        if (last.includes('2:b=x')) expect(last).to.include('3:abort');
        if (!last.includes('1:commit') && !last.includes('3:abort')) break;
      }
      // The transaction with the producer's last batch keeps its record and marker; a=2 shadowed a=1.
      expect(last.slice(0, 3)).to.deep.equal(['4:c=1', '5:commit', '6:a=2']);
      expect(last.slice(3).every((x) => /^\d+:r=\d+$/.test(x))).to.equal(true);
    },
  );

  scenario(
    "an aborted transaction holding its producer's last batch keeps its abort marker through later cleanings (Kafka keeps the emptied batch for the sequence); a shadowed commit's marker goes",
    async (c) => {
      const admin = await adminOf(c);
      const topic = await createTopic(c, admin, { topic: c.name('txn-compacted-last'), numPartitions: 1, configEntries: COMPACTED });
      const tx = await transactionalProducerOf(c, c.name('txn-compacted-last-id'));
      const plain = await producerOf(c);
      for (const [value, commit] of [
        ['1', true],
        ['x', false],
      ] as const) {
        await c.sleep(150);
        const t = await tx.transaction();
        await t.send({ topic, messages: [{ key: commit ? 'a' : 'b', value }] });
        if (commit) await t.commit();
        else await t.abort();
      }
      await c.sleep(150);
      await plain.send({ topic, messages: [{ key: 'a', value: '2' }] });
      await waitForLatest(c, admin, topic, ['5']);
      expectPartOf(await c.readLog(topic, 0), ['0:a=1', '1:commit', '2:b=x', '3:abort', '4:a=2']);

      let last: string[] = [];
      let goneAt: number | undefined;
      for (let i = 0; goneAt === undefined || c.now() - goneAt < 4000; i++) {
        if (i === 80) throw new Error(`${c.target}: still waiting after 80 writes; log: ${last.join(' ')}`);
        last = await dirtyAndRead(c, plain, topic, i);
        if (last.includes('0:a=1')) expect(last).to.include('1:commit');
        if (goneAt === undefined && !last.includes('1:commit')) goneAt = c.now();
      }
      // Four seconds (four horizons) after the commit marker went, the abort marker is still there; its record is not.
      expect(last.slice(0, 2)).to.deep.equal(['3:abort', '4:a=2']);
    },
  );
});
