/**
 * Planted bug 2: a non-idempotent side effect under at-least-once delivery. The handler adds each
 * value to a running total per key in an external store, then emits the total. When an instance
 * crashes after the store write but before the offset is committed, the message is delivered
 * again and added twice. The fix: make the write idempotent, keyed by the record's coordinates.
 */
import type { OutputModel, Processor } from '../../src/testing/index.js';

/** The pure model: running totals per key, in partition-then-offset order. */
export const model: OutputModel = (inputs) => {
  const totals = new Map<string | null, number>();
  return inputs.map((r) => {
    const total = (totals.get(r.key) ?? 0) + Number(r.value);
    totals.set(r.key, total);
    return { key: r.key, value: String(total) };
  });
};

/** BUGGY: adds the value again on every delivery. */
export const buggy: Processor = {
  name: 'non-idempotent running total',
  create: ({ producer, store, topology }) =>
    async ({ message }) => {
      const key = message.key?.toString() ?? null;
      const total = ((store.get(`total:${key}`) as number | undefined) ?? 0) + Number(message.value?.toString());
      store.set(`total:${key}`, total);
      await producer.send({ topic: topology.output.topic, messages: [{ key, value: String(total) }] });
    },
};

/** FIXED: remembers the total each record produced; a redelivered record re-emits it without adding again. */
export const fixed: Processor = {
  name: 'idempotent running total',
  create: ({ producer, store, topology }) =>
    async ({ partition, message }) => {
      const key = message.key?.toString() ?? null;
      const id = `applied:${partition}:${message.offset}`;
      let total = store.get(id) as number | undefined;
      if (total === undefined) {
        total = ((store.get(`total:${key}`) as number | undefined) ?? 0) + Number(message.value?.toString());
        store.set(`total:${key}`, total);
        store.set(id, total);
      }
      await producer.send({ topic: topology.output.topic, messages: [{ key, value: String(total) }] });
    },
};
