/**
 * Planted bug 4: a transactional consume-transform-produce processor that commits its input
 * offsets outside the transaction. Each message is transformed and sent in a transaction, the
 * transaction commits, and then the consumer commits the offset with `consumer.commitOffsets`.
 * A crash (or a long pause) between the two leaves the output committed and the input not: the
 * group hands the message to another instance, which produces its output again, and a
 * read_committed reader sees it twice. The fix: the offsets go into the transaction with
 * `transaction.sendOffsets`, so output and progress commit or abort together; the producer's
 * `transactionalId` is tied to the instance's slot and a new instance opens (and aborts) an empty
 * transaction before it consumes, which fences its predecessor's producer and aborts what that
 * one left open.
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

/** FIXED: the offset is part of the transaction (`sendOffsets`): output and progress commit together. */
export const fixed: Processor = {
  name: 'transactional output, offsets sent in the transaction',
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
