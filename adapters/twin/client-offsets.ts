/**
 * kafkajs's per-client committed offsets (the `offsets` map its Kafka object hands every cluster it
 * makes): a transaction's `sendOffsets` marks the offsets it sent as committed for the group
 * (`cluster.markOffsetAsCommitted`), and a consumer of that group made by the same client takes
 * them as its committed offsets, so it does not commit them again itself.
 */
export type OffsetsListener = (topic: string, partition: number, offset: string) => void;

export class ClientOffsets {
  private readonly listeners = new Map<string, Set<OffsetsListener>>();

  /** A transaction sent `offset` for a group's partition. */
  markOffsetAsCommitted(groupId: string, topic: string, partition: number, offset: string): void {
    for (const listener of this.listeners.get(groupId) ?? []) listener(topic, partition, offset);
  }

  /** Calls `listener` for the group's offsets marked from now on; returns a function that unsubscribes. */
  subscribe(groupId: string, listener: OffsetsListener): () => void {
    let set = this.listeners.get(groupId);
    if (set === undefined) this.listeners.set(groupId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
}
