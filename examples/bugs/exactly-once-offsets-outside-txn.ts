/**
 * Planted bug 4: a transactional consume-transform-produce processor that commits its input
 * offsets outside the transaction. Each message is transformed and sent in a transaction, the
 * transaction commits, and then the consumer commits the offset with `consumer.commitOffsets`.
 * A crash (or a long pause) between the two leaves the output committed and the input not: the
 * group hands the message to another instance, which produces its output again, and a
 * read_committed reader sees it twice. The fix: the offsets go into the transaction with
 * `transaction.sendOffsets`, so output and progress commit or abort together, and the
 * `transactionalId` belongs to the input partition (see `fixed` for why the instance's slot is
 * not enough with kafkajs).
 */
import type { EachMessagePayload } from 'kafkajs';
import type { MessageHandler, OutputModel, Processor, ProcessorContext, TransactionalProducer } from '../../src/testing/index.js';

const transform = (partition: number, offset: string, value: string | null) => `${partition}:${offset}:${Number(value) * 2}`;

/** The pure model: one output per input, its value doubled and tagged with its coordinates. */
export const model: OutputModel = (inputs) => inputs.map((r) => ({ key: r.key, value: transform(r.partition, String(r.offset), r.value) }));

/** The instance's transactional producer, connected, its transactional id initialized (which fences the slot's previous producer). */
async function transactionalProducer({ createProducer, slot, topology }: ProcessorContext): Promise<TransactionalProducer> {
  const producer = createProducer({ transactionalId: `${topology.groupId}-${slot}`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  // kafkajs initializes the transactional id on the first transaction(); nothing is sent, so abort() sends no EndTxn.
  await (await producer.transaction()).abort();
  return producer;
}

/** Sends the message's output in a transaction; `inTransaction` adds what else the transaction holds. */
async function transformInTransaction(
  producer: TransactionalProducer,
  { topology }: ProcessorContext,
  { partition, message }: EachMessagePayload,
  inTransaction: (txn: Awaited<ReturnType<TransactionalProducer['transaction']>>) => Promise<void>,
): Promise<void> {
  const txn = await producer.transaction();
  try {
    await txn.send({ topic: topology.output.topic, messages: [{ key: message.key, value: transform(partition, message.offset, message.value?.toString() ?? null) }] });
    await inTransaction(txn);
    await txn.commit();
  } catch (e) {
    // A failed transaction must end before the next one begins; the consumer then delivers the message again.
    if (txn.isActive()) await txn.abort().catch(() => undefined);
    throw e;
  }
}

const next = (message: EachMessagePayload['message']) => String(Number(message.offset) + 1);

/** BUGGY: the output is transactional, the offset is committed after the transaction, outside it. */
export const buggy: Processor = {
  name: 'transactional output, offsets committed outside the transaction',
  runConfig: { autoCommit: false },
  create: async (ctx): Promise<MessageHandler> => {
    const producer = await transactionalProducer(ctx);
    return async (payload) => {
      await transformInTransaction(producer, ctx, payload, async () => undefined);
      const { topic, partition, message } = payload;
      await ctx.consumer.commitOffsets([{ topic, partition, offset: next(message) }]);
    };
  },
};

/**
 * kafkajs's consumer stops for good when a handler throws a non-retriable error, as a fenced
 * producer's is; a plain error makes it retry the message (and restart once retries run out).
 */
const retriable = (e: unknown): Error => new Error(`transaction failed, the message is retried with a new producer: ${e instanceof Error ? e.message : String(e)}`);

/**
 * NOT ENOUGH: offsets in the transaction, but one transactional id per instance slot. A restarted
 * instance fences its slot's predecessor, yet the partitions move to other instances with other
 * ids: an instance that lost a partition while stuck in a transaction (its session expired) still
 * commits it, after the new owner read the old committed offset. The toolkit finds this; see `fixed`.
 */
export const perSlot: Processor = {
  name: 'transactional output, offsets sent in the transaction, a transactional id per instance slot',
  runConfig: { autoCommit: false },
  create: async (ctx): Promise<MessageHandler> => {
    const producer = await transactionalProducer(ctx);
    return async (payload) => {
      const { topic, partition, message } = payload;
      await transformInTransaction(producer, ctx, payload, (txn) =>
        txn.sendOffsets({ consumerGroupId: ctx.topology.groupId, topics: [{ topic, partitions: [{ partition, offset: next(message) }] }] }),
      );
    };
  },
};

/** A transactional producer per input partition, fenced in, and the offset below which the work is done (by a predecessor, or committed here). */
interface PartitionProducer {
  readonly producer: TransactionalProducer;
  committed: number;
}

/**
 * FIXED: the offset is part of the transaction (`sendOffsets`), so output and progress commit
 * together; and the transactional id belongs to the input partition, not to the instance. kafkajs's
 * TxnOffsetCommit carries no group generation (KIP-447), so an instance that lost a partition (its
 * handler stuck past the session timeout in a coordinator failover, or paused) could still commit
 * it: only the new owner's producer with the same id fences it. Once fenced in, no transaction of
 * the predecessor is pending, so the committed offset read then is final: records below it were
 * done by the predecessor and are skipped. So are records below what this producer committed:
 * a rebalance right after a commit may deliver them again, the consumer having read the group's
 * offsets before the transaction's markers made them visible. A producer fenced in its turn (the
 * partition moved on) is dropped and made again when the partition comes back.
 */
export const fixed: Processor = {
  name: 'transactional output, offsets sent in the transaction, a transactional id per input partition',
  runConfig: { autoCommit: false },
  create: (ctx): MessageHandler => {
    const { topology, admin, createProducer } = ctx;
    const producers = new Map<number, Promise<PartitionProducer>>();
    const fenceIn = async (topic: string, partition: number): Promise<PartitionProducer> => {
      const producer = createProducer({ transactionalId: `${topology.groupId}-${topic}-${partition}`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      // kafkajs initializes the transactional id on the first transaction(); nothing is sent, so abort() sends no EndTxn.
      await (await producer.transaction()).abort();
      const offsets = await admin.fetchOffsets({ groupId: topology.groupId, topics: [topic] });
      const committed = Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      return { producer, committed };
    };
    return async (payload) => {
      const { topic, partition, message } = payload;
      let entry = producers.get(partition);
      if (entry === undefined) producers.set(partition, (entry = fenceIn(topic, partition)));
      let current: PartitionProducer;
      try {
        current = await entry;
      } catch (e) {
        producers.delete(partition);
        throw retriable(e);
      }
      if (Number(message.offset) < current.committed) return;
      try {
        await transformInTransaction(current.producer, ctx, payload, (txn) =>
          txn.sendOffsets({ consumerGroupId: topology.groupId, topics: [{ topic, partitions: [{ partition, offset: next(message) }] }] }),
        );
        current.committed = Number(next(message));
      } catch (e) {
        // Fenced, or left in a state kafkajs cannot leave: a new producer (fencing in again) next time.
        producers.delete(partition);
        await current.producer.disconnect().catch(() => undefined);
        throw retriable(e);
      }
    };
  },
};
