/**
 * The cluster's event log: what happened and when, on the cluster clock, as plain objects with a
 * `type`. Tests assert on it, and the CLI draws timelines from it.
 */

interface Base {
  /** Position in the log, from 0. */
  readonly seq: number;
  /** Cluster time in ms. */
  readonly time: number;
}

interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Every kind of event the engine records. */
export type ClusterEvent =
  | (Base & { readonly type: 'broker-started'; readonly broker: number })
  | (Base & { readonly type: 'broker-stopped'; readonly broker: number })
  | (Base & { readonly type: 'broker-isolated'; readonly broker: number })
  | (Base & { readonly type: 'broker-healed'; readonly broker: number })
  | (Base & { readonly type: 'topic-created'; readonly topic: string; readonly partitions: number; readonly replicationFactor: number; readonly assignment: readonly (readonly number[])[] })
  | (Base & { readonly type: 'topic-deleted'; readonly topic: string })
  | (Base & { readonly type: 'partitions-created'; readonly topic: string; readonly from: number; readonly to: number })
  | (Base & { readonly type: 'topic-config-changed'; readonly topic: string; readonly config: Readonly<Record<string, string | null>> })
  | (Base & TopicPartition & {
        readonly type: 'leader-changed';
        readonly leader: number;
        readonly previousLeader: number;
        readonly leaderEpoch: number;
        readonly isr: readonly number[];
        /** `clean`: from the ISR; `unclean`: an out-of-sync replica took over; `preferred`: moved back; `none`: no eligible replica. */
        readonly election: 'clean' | 'unclean' | 'preferred' | 'none';
      })
  | (Base & TopicPartition & { readonly type: 'isr-shrunk'; readonly isr: readonly number[]; readonly removed: readonly number[]; readonly reason: 'lagging' | 'broker-stopped' | 'unclean-election' })
  | (Base & TopicPartition & { readonly type: 'isr-expanded'; readonly isr: readonly number[]; readonly added: number })
  | (Base & TopicPartition & {
        readonly type: 'log-truncated';
        readonly broker: number;
        /** Log end offset before truncation. */
        readonly from: number;
        /** Log end offset after truncation. */
        readonly to: number;
        /** Records removed from this replica: data loss when they had been acknowledged. */
        readonly records: number;
      })
  | (Base & TopicPartition & { readonly type: 'high-watermark-decreased'; readonly from: number; readonly to: number })
  | (Base & TopicPartition & { readonly type: 'segment-rolled'; readonly broker: number; readonly baseOffset: number })
  | (Base & TopicPartition & {
        readonly type: 'segment-deleted';
        readonly broker: number;
        readonly baseOffset: number;
        readonly endOffset: number;
        readonly size: number;
        /** Newest record timestamp the segment held; retention.ms measures age from it. */
        readonly maxTimestamp: number;
        readonly reason: 'retention.ms' | 'retention.bytes' | 'log-start-offset';
        readonly logStartOffset: number;
      })
  | (Base & TopicPartition & { readonly type: 'records-deleted'; readonly logStartOffset: number });

/** The `type` of every event. */
export type ClusterEventType = ClusterEvent['type'];

/** Distributes Omit over the union, keeping each variant's own fields. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as recorded, before the log stamps `seq` and `time`. */
export type EventInput = DistributiveOmit<ClusterEvent, 'seq' | 'time'>;

/** A listener for new events; see `Cluster.onEvent`. */
export type EventListener = (event: ClusterEvent) => void;

/** Append-only list of events plus listeners. */
export class EventLog {
  private readonly entries: ClusterEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly now: () => number) {}

  record(input: EventInput): ClusterEvent {
    const event = Object.freeze({ ...input, seq: this.entries.length, time: this.now() }) as ClusterEvent;
    this.entries.push(event);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  all(): readonly ClusterEvent[] {
    return this.entries.slice();
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
