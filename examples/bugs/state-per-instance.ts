/**
 * Planted bug 3: state kept per instance instead of per partition. The handler drops redelivered
 * records by remembering the last offset it processed, one number for the whole instance. That
 * holds while each instance owns one partition; once a rebalance gives an instance a second
 * partition, that partition's lower offsets look like duplicates and are dropped. The fix: keep
 * the last offset per partition.
 */
import type { OutputModel, Processor } from '../../src/testing/index.js';

const tag = (partition: number, offset: string, value: string | null) => `${partition}:${offset}:${value}`;

/** The pure model: every input once, tagged with its coordinates. */
export const model: OutputModel = (inputs) => inputs.map((r) => ({ key: r.key, value: tag(r.partition, String(r.offset), r.value) }));

/** BUGGY: one "last offset" for the whole instance. */
export const buggy: Processor = {
  name: 'dedup state per instance',
  create: ({ producer, topology }) => {
    let lastOffset = -1;
    return async ({ partition, message }) => {
      const offset = Number(message.offset);
      if (offset <= lastOffset) return; // "already seen"
      lastOffset = offset;
      await producer.send({ topic: topology.output.topic, messages: [{ key: message.key, value: tag(partition, message.offset, message.value?.toString() ?? null) }] });
    };
  },
};

/** FIXED: the last offset per partition, noted once the record is sent. */
export const fixed: Processor = {
  name: 'dedup state per partition',
  create: ({ producer, topology }) => {
    const lastOffset = new Map<number, number>();
    return async ({ partition, message }) => {
      const offset = Number(message.offset);
      if (offset <= (lastOffset.get(partition) ?? -1)) return;
      await producer.send({ topic: topology.output.topic, messages: [{ key: message.key, value: tag(partition, message.offset, message.value?.toString() ?? null) }] });
      // Only once sent: a send that fails makes the consumer deliver the record again, which must not be dropped.
      lastOffset.set(partition, offset);
    };
  },
};
