/**
 * Planted bug 1: committing before processing. The handler commits the message's offset, then
 * produces its result. A crash between the two loses the message: the group resumes after it.
 * The fix: produce first, commit after (at-least-once).
 */
import type { OutputModel, Processor } from '../../src/testing/index.js';

const transform = (partition: number, offset: number, value: string | null) => `${partition}:${offset}:${Number(value) * 2}`;

/** The pure model: one output per input, its value doubled and tagged with its coordinates. */
export const model: OutputModel = (inputs) => inputs.map((r) => ({ key: r.key, value: transform(r.partition, r.offset, r.value) }));

/** BUGGY: commits, then processes. */
export const buggy: Processor = {
  name: 'commit before processing',
  runConfig: { autoCommit: false },
  create: ({ producer, consumer, topology }) =>
    async ({ topic, partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      await producer.send({ topic: topology.output.topic, messages: [{ key: message.key, value: transform(partition, Number(message.offset), message.value?.toString() ?? null) }] });
    },
};

/** FIXED: processes, then commits. */
export const fixed: Processor = {
  name: 'commit after processing',
  runConfig: { autoCommit: false },
  create: ({ producer, consumer, topology }) =>
    async ({ topic, partition, message }) => {
      await producer.send({ topic: topology.output.topic, messages: [{ key: message.key, value: transform(partition, Number(message.offset), message.value?.toString() ?? null) }] });
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
    },
};
