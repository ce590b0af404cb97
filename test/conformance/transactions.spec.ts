/**
 * Conformance: transactional producers (kafkajs's `producer.transaction()`) and the isolation
 * levels. Offsets around control records (every commit or abort writes one marker per partition),
 * the last stable offset (an open transaction holds read_committed back, and kafkajs's admin asks
 * ListOffsets with READ_COMMITTED), fencing, the transaction timeout, and kafkajs's own checks.
 * A commit or abort returns once the coordinator has logged its decision; the markers land a
 * moment later on real Kafka, so scenarios wait for them ({@link waitForLatest}).
 * Offsets in a group (sendOffsets) are in transactions-offsets.spec.ts; coordinator and leader
 * failover in transactions-failover.spec.ts.
 */
import { expect } from 'chai';
import {
  adminOf,
  createTopic,
  latestOffsets,
  messages,
  placed,
  producerOf,
  record,
  rejectionOf,
  shapeOf,
  transactionalProducerOf,
  waitForLatest,
  type Recorder,
} from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

/** kafkajs's answer to a producer whose epoch is no longer the coordinator's (fenced, or its transaction timed out). */
const OLD_EPOCH = { name: 'KafkaJSProtocolError', type: 'INVALID_PRODUCER_EPOCH', retriable: false };
const NON_RETRIABLE = { name: 'KafkaJSNonRetriableError', retriable: false };

/** Lets a running consumer make a few more fetches, so what it has not received it was not given. */
async function fetchesMore(c: Control, r: Recorder, n = 3): Promise<void> {
  const target = r.fetches() + n;
  await c.waitUntil(() => r.fetches() >= target, { message: `${n} more fetches` });
  await c.settle();
}

conformance('transactions', () => {
  scenario('a committed transaction is visible to read_committed: N messages at offsets 0..N-1, the commit marker at N, latest N+1', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-commit'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-commit-id'));
    const tx = await producer.transaction();
    const [meta] = await tx.send({ topic, messages: messages(3, 'c') });
    expect(meta!.baseOffset).to.equal('0');
    await tx.commit();
    await waitForLatest(c, admin, topic, ['4']);
    const r = await record(c, { groupId: c.name('txn-commit-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 3, { message: '3 messages' });
    await c.settle();
    expect(placed(r.seen)).to.deep.equal(['0:0:c-0', '0:1:c-1', '0:2:c-2']);
  });

  scenario('an aborted transaction is invisible to read_committed and visible to read_uncommitted; its abort marker takes an offset', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-abort'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-abort-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(3, 'a') });
    await tx.abort();
    await waitForLatest(c, admin, topic, ['4']);
    await (await producerOf(c)).send({ topic, messages: messages(1, 'after') });
    const committed = await record(c, { groupId: c.name('txn-abort-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-abort-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 1 && uncommitted.seen.length >= 4, { message: '1 and 4 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:4:after-0']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:a-0', '0:1:a-1', '0:2:a-2', '0:4:after-0']);
  });

  scenario('several transactions from one producer: base offsets step over each marker, consumers never see a marker offset', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-seq'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-seq-id'));
    const bases: string[] = [];
    for (let i = 0; i < 3; i++) {
      const tx = await producer.transaction();
      bases.push(...(await tx.send({ topic, messages: messages(2, `t${i}`) })).map((m) => String(m.baseOffset)));
      await tx.commit();
    }
    expect(bases).to.deep.equal(['0', '3', '6']);
    await waitForLatest(c, admin, topic, ['9']);
    const r = await record(c, { groupId: c.name('txn-seq-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length >= 6, { message: '6 messages' });
    await c.settle();
    expect(placed(r.seen)).to.deep.equal(['0:0:t0-0', '0:1:t0-1', '0:3:t1-0', '0:4:t1-1', '0:6:t2-0', '0:7:t2-1']);
  });

  scenario('an aborted transaction, then a committed one from the same producer: read_committed sees the second only, at its offsets', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-reuse'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-reuse-id'));
    const first = await producer.transaction();
    await first.send({ topic, messages: messages(2, 'aborted') });
    await first.abort();
    const second = await producer.transaction();
    const [meta] = await second.send({ topic, messages: messages(3, 'kept') });
    expect(meta!.baseOffset).to.equal('3');
    await second.commit();
    await waitForLatest(c, admin, topic, ['7']);
    const committed = await record(c, { groupId: c.name('txn-reuse-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-reuse-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 3 && uncommitted.seen.length >= 5, { message: '3 and 5 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:3:kept-0', '0:4:kept-1', '0:5:kept-2']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:aborted-0', '0:1:aborted-1', '0:3:kept-0', '0:4:kept-1', '0:5:kept-2']);
  });

  scenario('an open transaction holds the last stable offset: latest stays at its first offset while later plain writes land, then moves past the marker', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-lso'), numPartitions: 1 });
    const plain = await producerOf(c);
    const producer = await transactionalProducerOf(c, c.name('txn-lso-id'));
    await plain.send({ topic, messages: messages(2, 'before') });
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'txn') });
    await plain.send({ topic, messages: messages(2, 'later') });
    expect(await latestOffsets(admin, topic)).to.deep.equal(['2']);
    const committed = await record(c, { groupId: c.name('txn-lso-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-lso-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 2 && uncommitted.seen.length >= 6, { message: '2 and 6 messages' });
    await fetchesMore(c, committed);
    expect(placed(committed.seen)).to.deep.equal(['0:0:before-0', '0:1:before-1']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:before-0', '0:1:before-1', '0:2:txn-0', '0:3:txn-1', '0:4:later-0', '0:5:later-1']);
    await tx.commit();
    await waitForLatest(c, admin, topic, ['7']);
    await c.waitUntil(() => committed.seen.length >= 6, { message: '6 messages read committed' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(placed(uncommitted.seen));
  });

  scenario('an open transaction holds back read_committed on its own partition only; after its abort the later plain data is read', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-lso-part'), numPartitions: 2 });
    const plain = await producerOf(c);
    const producer = await transactionalProducerOf(c, c.name('txn-lso-part-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'txn', { partition: 0 }) });
    await plain.send({ topic, messages: messages(1, 'p0', { partition: 0 }) });
    await plain.send({ topic, messages: messages(1, 'p1', { partition: 1 }) });
    expect(await latestOffsets(admin, topic)).to.deep.equal(['0', '1']);
    const committed = await record(c, { groupId: c.name('txn-lso-part-rc'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => committed.seen.length >= 1, { message: 'the message of partition 1' });
    await fetchesMore(c, committed);
    expect(placed(committed.seen)).to.deep.equal(['1:0:p1-0']);
    await tx.abort();
    await waitForLatest(c, admin, topic, ['4', '1']);
    await c.waitUntil(() => committed.seen.length >= 2, { message: 'the plain message of partition 0' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:2:p0-0', '1:0:p1-0']);
  });

  scenario('each partition of an open transaction has its own last stable offset: its first transactional offset there', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-lso-each'), numPartitions: 3 });
    const plain = await producerOf(c);
    await plain.send({ topic, messages: [...messages(1, 'x', { partition: 0 }), ...messages(2, 'y', { partition: 1 })] });
    const producer = await transactionalProducerOf(c, c.name('txn-lso-each-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [...messages(2, 'a', { partition: 0 }), ...messages(1, 'b', { partition: 1 })] });
    await plain.send({ topic, messages: [...messages(1, 'z', { partition: 0 }), ...messages(1, 'w', { partition: 2 })] });
    expect(await latestOffsets(admin, topic)).to.deep.equal(['1', '2', '1']);
    await tx.commit();
    await waitForLatest(c, admin, topic, ['5', '4', '1']);
  });

  scenario('a read_committed consumer starting at latest with a transaction open starts at the last stable offset and gets the transaction once committed; read_uncommitted starts at the end', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-latest'), numPartitions: 1 });
    const plain = await producerOf(c);
    await plain.send({ topic, messages: messages(1, 'old') });
    const producer = await transactionalProducerOf(c, c.name('txn-latest-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'txn') });
    const committed = await record(c, { groupId: c.name('txn-latest-rc'), topics: [topic] });
    const uncommitted = await record(c, { groupId: c.name('txn-latest-ru'), topics: [topic], config: { readUncommitted: true } });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['4']);
    await plain.send({ topic, messages: messages(1, 'new') });
    await c.waitUntil(() => committed.seen.length >= 3 && uncommitted.seen.length >= 1, { message: '3 and 1 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:1:txn-0', '0:2:txn-1', '0:4:new-0']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:4:new-0']);
  });

  scenario('one transaction over two topics and several partitions (sendBatch): nothing visible before the commit, everything after, a marker per partition', async (c) => {
    const admin = await adminOf(c);
    const wide = await createTopic(c, admin, { topic: c.name('txn-multi-a'), numPartitions: 3 });
    const narrow = await createTopic(c, admin, { topic: c.name('txn-multi-b'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-multi-id'));
    const tx = await producer.transaction();
    const metas = await tx.sendBatch({
      topicMessages: [
        { topic: wide, messages: [...messages(2, 'p0', { partition: 0 }), ...messages(1, 'p1', { partition: 1 }), ...messages(3, 'p2', { partition: 2 })] },
        { topic: narrow, messages: messages(2, 'n') },
      ],
    });
    expect(metas.map((m) => `${m.topicName === wide ? 'wide' : 'narrow'}:${m.partition}:${m.baseOffset}`).sort()).to.deep.equal(['narrow:0:0', 'wide:0:0', 'wide:1:0', 'wide:2:0']);
    const committed = await record(c, { groupId: c.name('txn-multi-rc'), topics: [wide, narrow], fromBeginning: true });
    await fetchesMore(c, committed);
    expect(committed.seen).to.deep.equal([]);
    expect(await latestOffsets(admin, wide)).to.deep.equal(['0', '0', '0']);
    await tx.commit();
    await waitForLatest(c, admin, wide, ['3', '2', '4']);
    await waitForLatest(c, admin, narrow, ['3']);
    await c.waitUntil(() => committed.seen.length >= 8, { message: '8 messages' });
    await c.settle();
    const byTopic = (t: string) => placed(committed.seen.filter((m) => m.topic === t));
    expect(byTopic(wide)).to.deep.equal(['0:0:p0-0', '0:1:p0-1', '1:0:p1-0', '2:0:p2-0', '2:1:p2-1', '2:2:p2-2']);
    expect(byTopic(narrow)).to.deep.equal(['0:0:n-0', '0:1:n-1']);
  });

  scenario('an abort over several partitions writes an abort marker on each; read_committed sees only what comes after', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-multi-abort'), numPartitions: 2 });
    const producer = await transactionalProducerOf(c, c.name('txn-multi-abort-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: [...messages(2, 'x', { partition: 0 }), ...messages(2, 'y', { partition: 1 })] });
    await tx.abort();
    await waitForLatest(c, admin, topic, ['3', '3']);
    await (await producerOf(c)).send({ topic, messages: [...messages(1, 'p0', { partition: 0 }), ...messages(1, 'p1', { partition: 1 })] });
    const committed = await record(c, { groupId: c.name('txn-multi-abort-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => committed.seen.length >= 2, { message: '2 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:3:p0-0', '1:3:p1-0']);
  });

  scenario('two transactional producers interleave on one partition; one commits, one aborts: read_committed waits for both, then reads the committed ones', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-interleave'), numPartitions: 1 });
    const a = await transactionalProducerOf(c, c.name('txn-interleave-a'));
    const b = await transactionalProducerOf(c, c.name('txn-interleave-b'));
    const ta = await a.transaction();
    const tb = await b.transaction();
    await ta.send({ topic, messages: messages(1, 'a0') });
    await tb.send({ topic, messages: messages(1, 'b0') });
    await ta.send({ topic, messages: messages(1, 'a1') });
    await tb.send({ topic, messages: messages(1, 'b1') });
    const committed = await record(c, { groupId: c.name('txn-interleave-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-interleave-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await tb.commit();
    // The earlier open transaction still bounds the last stable offset.
    expect(await latestOffsets(admin, topic)).to.deep.equal(['0']);
    await c.waitUntil(() => uncommitted.seen.length >= 4, { message: '4 messages read uncommitted' });
    await fetchesMore(c, committed);
    expect(committed.seen).to.deep.equal([]);
    await ta.abort();
    await waitForLatest(c, admin, topic, ['6']);
    await c.waitUntil(() => committed.seen.length >= 2, { message: '2 messages read committed' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:1:b0-0', '0:3:b1-0']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:a0-0', '0:1:b0-0', '0:2:a1-0', '0:3:b1-0']);
  });

  scenario('empty transactions: commit and abort with nothing sent write no marker', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-empty'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-empty-id'));
    const first = await producer.transaction();
    await first.commit();
    expect(first.isActive()).to.equal(false);
    const second = await producer.transaction();
    await second.abort();
    const third = await producer.transaction();
    const [meta] = await third.send({ topic, messages: messages(1, 'only') });
    expect(meta!.baseOffset).to.equal('0');
    await third.commit();
    await waitForLatest(c, admin, topic, ['2']);
  });

  scenario('isActive is true from transaction() until commit or abort; every method of an ended transaction rejects with kafkajs\'s error', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-active'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-active-id'));
    const committed = await producer.transaction();
    expect(committed.isActive()).to.equal(true);
    await committed.send({ topic, messages: messages(1, 'c') });
    expect(committed.isActive()).to.equal(true);
    await committed.commit();
    expect(committed.isActive()).to.equal(false);
    const aborted = await producer.transaction();
    expect([committed.isActive(), aborted.isActive()]).to.deep.equal([false, true]);
    await aborted.send({ topic, messages: messages(1, 'a') });
    await aborted.abort();
    expect(aborted.isActive()).to.equal(false);
    for (const ended of [committed, aborted]) {
      const errors = [
        await rejectionOf(ended.send({ topic, messages: messages(1, 'late') })),
        await rejectionOf(ended.sendBatch({ topicMessages: [{ topic, messages: messages(1, 'late') }] })),
        await rejectionOf(ended.sendOffsets({ consumerGroupId: c.name('txn-active-g'), topics: [{ topic, partitions: [{ partition: 0, offset: '1' }] }] })),
        await rejectionOf(ended.commit()),
        await rejectionOf(ended.abort()),
      ];
      expect(errors).to.deep.equal(Array(5).fill(NON_RETRIABLE));
    }
    const error = await errorOf(committed.commit());
    expect(error.message).to.equal('Cannot continue to use transaction once ended');
    await waitForLatest(c, admin, topic, ['4']);
  });

  scenario('transaction() while one is open rejects with kafkajs\'s non-retriable error; the open one still commits', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-twice'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-twice-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(1, 'one') });
    const error = await errorOf(producer.transaction());
    expect(error.name).to.equal('KafkaJSNonRetriableError');
    expect(error.message).to.equal('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.');
    expect(await rejectionOf(producer.transaction())).to.deep.equal(NON_RETRIABLE);
    expect(tx.isActive()).to.equal(true);
    await tx.commit();
    await waitForLatest(c, admin, topic, ['2']);
  });

  scenario('transaction() on a producer without a transactionalId rejects with kafkajs\'s non-retriable error', async (c) => {
    const producer = await producerOf(c, { idempotent: true });
    const error = await errorOf(producer.transaction());
    expect(error.name).to.equal('KafkaJSNonRetriableError');
    expect(error.message).to.equal('Must provide transactional id for transactional producer');
    expect(await rejectionOf(producer.transaction())).to.deep.equal(NON_RETRIABLE);
  });

  scenario('producer.send outside transaction() on a transactional producer writes plain data: visible at once, and behind an open transaction of the same producer', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-outside'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-outside-id'));
    const [first] = await producer.send({ topic, messages: messages(1, 'outside') });
    expect(first!.baseOffset).to.equal('0');
    expect(await latestOffsets(admin, topic)).to.deep.equal(['1']);
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(1, 'inside') });
    const [second] = await producer.send({ topic, messages: messages(1, 'outside-again') });
    expect(second!.baseOffset).to.equal('2');
    expect(await latestOffsets(admin, topic)).to.deep.equal(['1']);
    await tx.commit();
    await waitForLatest(c, admin, topic, ['4']);
    const committed = await record(c, { groupId: c.name('txn-outside-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => committed.seen.length >= 3, { message: '3 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:0:outside-0', '0:1:inside-0', '0:2:outside-again-0']);
  });

  scenario('a second producer with the same transactionalId fences the first: its open transaction is aborted, its send and commit fail with INVALID_PRODUCER_EPOCH', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-fence'), numPartitions: 2 });
    const transactionalId = c.name('txn-fence-id');
    const first = await transactionalProducerOf(c, transactionalId);
    const old = await first.transaction();
    await old.send({ topic, messages: messages(2, 'old', { partition: 0 }) });
    const second = await transactionalProducerOf(c, transactionalId);
    const current = await second.transaction();
    await waitForLatest(c, admin, topic, ['3', '0']);
    expect(await rejectionOf(old.send({ topic, messages: messages(1, 'same', { partition: 0 }) }))).to.deep.equal(OLD_EPOCH);
    expect(await rejectionOf(old.send({ topic, messages: messages(1, 'new', { partition: 1 }) }))).to.deep.equal(OLD_EPOCH);
    expect(old.isActive()).to.equal(true);
    const error = await errorOf(old.commit());
    expect(shapeOf(error)).to.deep.equal(OLD_EPOCH);
    expect(error.message).to.equal(
      "Producer attempted an operation with an old epoch. Either there is a newer producer with the same transactionalId, or the producer's transaction has been expired by the broker",
    );
    expect(old.isActive()).to.equal(false);
    // kafkajs leaves the fenced producer in its COMMITTING state: it cannot begin again.
    const again = await errorOf(first.transaction());
    expect(again.name).to.equal('KafkaJSNonRetriableError');
    expect(again.message).to.equal('Transaction state exception: Cannot call "beginTransaction" in state "COMMITTING"');
    await current.send({ topic, messages: messages(1, 'current', { partition: 0 }) });
    await current.commit();
    await waitForLatest(c, admin, topic, ['5', '0']);
    const committed = await record(c, { groupId: c.name('txn-fence-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-fence-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 1 && uncommitted.seen.length >= 3, { message: '1 and 3 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:3:current-0']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:old-0', '0:1:old-1', '0:3:current-0']);
  });

  scenario('a producer fenced between transactions: its next transaction begins locally, and its first send fails with INVALID_PRODUCER_EPOCH', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-fence-idle'), numPartitions: 1 });
    const transactionalId = c.name('txn-fence-idle-id');
    const first = await transactionalProducerOf(c, transactionalId);
    const done = await first.transaction();
    await done.send({ topic, messages: messages(1, 'done') });
    await done.commit();
    await waitForLatest(c, admin, topic, ['2']);
    const second = await transactionalProducerOf(c, transactionalId);
    const current = await second.transaction();
    const stale = await first.transaction();
    expect(stale.isActive()).to.equal(true);
    expect(await rejectionOf(stale.send({ topic, messages: messages(1, 'stale') }))).to.deep.equal(OLD_EPOCH);
    await current.send({ topic, messages: messages(1, 'current') });
    await current.commit();
    await waitForLatest(c, admin, topic, ['4']);
    const committed = await record(c, { groupId: c.name('txn-fence-idle-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => committed.seen.length >= 2, { message: '2 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:0:done-0', '0:2:current-0']);
  });

  scenario('a producer that disconnects with a transaction open: the next producer with its transactionalId aborts it on transaction(), then commits its own', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-recover'), numPartitions: 1 });
    const transactionalId = c.name('txn-recover-id');
    const crashed = await transactionalProducerOf(c, transactionalId);
    const lost = await crashed.transaction();
    await lost.send({ topic, messages: messages(3, 'lost') });
    await crashed.disconnect();
    expect(await latestOffsets(admin, topic)).to.deep.equal(['0']);
    const next = await transactionalProducerOf(c, transactionalId);
    const tx = await next.transaction();
    await waitForLatest(c, admin, topic, ['4']);
    await tx.send({ topic, messages: messages(1, 'next') });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['6']);
    const committed = await record(c, { groupId: c.name('txn-recover-g'), topics: [topic], fromBeginning: true });
    await c.waitUntil(() => committed.seen.length >= 1, { message: '1 message' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:4:next-0']);
  });

  scenario('a transaction open longer than transactionTimeout is aborted by the coordinator; send and commit then fail with INVALID_PRODUCER_EPOCH', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-timeout'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-timeout-id'), { transactionTimeout: 1000 });
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'slow') });
    // Kafka looks for expired transactions every 10 s (transaction.abort.timed.out.transaction.cleanup.interval.ms).
    await waitForLatest(c, admin, topic, ['3']);
    expect(await rejectionOf(tx.send({ topic, messages: messages(1, 'late') }))).to.deep.equal(OLD_EPOCH);
    expect(tx.isActive()).to.equal(true);
    expect(await rejectionOf(tx.commit())).to.deep.equal(OLD_EPOCH);
    expect(tx.isActive()).to.equal(false);
    expect(await rejectionOf(producer.transaction())).to.deep.equal(NON_RETRIABLE);
    await (await producerOf(c)).send({ topic, messages: messages(1, 'after') });
    const committed = await record(c, { groupId: c.name('txn-timeout-rc'), topics: [topic], fromBeginning: true });
    const uncommitted = await record(c, { groupId: c.name('txn-timeout-ru'), topics: [topic], fromBeginning: true, config: { readUncommitted: true } });
    await c.waitUntil(() => committed.seen.length >= 1 && uncommitted.seen.length >= 3, { message: '1 and 3 messages' });
    await c.settle();
    expect(placed(committed.seen)).to.deep.equal(['0:3:after-0']);
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:slow-0', '0:1:slow-1', '0:3:after-0']);
  }, { timeout: 120_000 });

  scenario('a transactionTimeout above the broker\'s max.transaction.timeout.ms (15 min) fails transaction() with INVALID_TRANSACTION_TIMEOUT', async (c) => {
    const producer = await transactionalProducerOf(c, c.name('txn-too-long-id'), { transactionTimeout: 900_001 });
    const error = await errorOf(producer.transaction());
    expect(shapeOf(error)).to.deep.equal({ name: 'KafkaJSProtocolError', type: 'INVALID_TRANSACTION_TIMEOUT', retriable: false });
    expect(error.message).to.equal('The transaction timeout is larger than the maximum value allowed by the broker (as configured by max.transaction.timeout.ms)');
  });

  scenario('a read_committed group reading a committed transaction commits its offset past the commit marker (autoCommitThreshold 1: kafkajs commits the marker-only batch\'s offset at once)', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-group-commit'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-group-commit-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(3, 'c') });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['4']);
    const groupId = c.name('txn-group-commit-g');
    const committed = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommitThreshold: 1 } });
    await c.waitUntil(() => committed.seen.length >= 3, { message: '3 messages' });
    await c.waitUntil(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '4', { message: 'the group offset past the marker' });
    expect(committed.seen.map((m) => m.offset)).to.deep.equal([0, 1, 2]);
  });

  scenario('a read_committed group that meets only an aborted transaction commits its offset past the abort marker, having received nothing', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-group-abort'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-group-abort-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(3, 'a') });
    await tx.abort();
    await waitForLatest(c, admin, topic, ['4']);
    const groupId = c.name('txn-group-abort-g');
    const committed = await record(c, { groupId, topics: [topic], fromBeginning: true, run: { autoCommitThreshold: 1 } });
    await c.waitUntil(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '4', { message: 'the group offset past the marker' });
    await c.settle();
    expect(committed.seen).to.deep.equal([]);
  });

  scenario('a read_uncommitted group reading a committed transaction commits its offset past the commit marker too', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('txn-group-ru'), numPartitions: 1 });
    const producer = await transactionalProducerOf(c, c.name('txn-group-ru-id'));
    const tx = await producer.transaction();
    await tx.send({ topic, messages: messages(2, 'c') });
    await tx.commit();
    await waitForLatest(c, admin, topic, ['3']);
    const groupId = c.name('txn-group-ru-g');
    const uncommitted = await record(c, { groupId, topics: [topic], fromBeginning: true, config: { readUncommitted: true }, run: { autoCommitThreshold: 1 } });
    await c.waitUntil(() => uncommitted.seen.length >= 2, { message: '2 messages' });
    await c.waitUntil(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '3', { message: 'the group offset past the marker' });
    expect(placed(uncommitted.seen)).to.deep.equal(['0:0:c-0', '0:1:c-1']);
  });
});

/** Awaits `promise`, which must reject, and returns its error. */
async function errorOf(promise: Promise<unknown>): Promise<Error & { type?: string; retriable?: boolean }> {
  try {
    await promise;
  } catch (e) {
    return e as Error & { type?: string; retriable?: boolean };
  }
  throw new Error('expected a rejection, but the promise resolved');
}
