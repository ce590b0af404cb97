/**
 * The clients a run drives: consumer group members (kafkajs-shaped consumers of `cluster.kafka()`),
 * a timed run's producers that write through the engine, and a script's kafkajs producers. Each
 * keeps its own record of what it sent or processed, for the summary and a script's counters.
 */
import type { Cluster } from '../cluster.js';
import type { Consumer, Producer } from '../../client/interface.js';
import type { Transaction } from 'kafkajs';
import { partitionForKey } from '../../client/partitioners.js';
import { logLevel } from '../../adapters/twin/logger.js';
import type { ResolvedGroup, ResolvedProducer } from './scenario.js';
import { SEQ_PLACEHOLDER } from './validate.js';

/** The members of a run's groups, by group and name. */
export class Members {
  /** Per group, how many times each record value was processed. */
  readonly delivered = new Map<string, Map<string, number>>();
  private readonly running = new Map<string, Consumer>();

  constructor(private readonly cluster: Cluster) {}

  /** Starts a member: connects, subscribes and runs; resolves once it runs (not once it has partitions). */
  async start(group: ResolvedGroup, name: string): Promise<void> {
    const seen = this.delivered.get(group.id) ?? new Map<string, number>();
    this.delivered.set(group.id, seen);
    // The run prints its own timeline: kafkajs's log lines would interleave with it.
    const consumer = this.cluster
      .kafka({ clientId: name, logLevel: logLevel.NOTHING })
      .consumer({ groupId: group.id, sessionTimeout: group.sessionTimeoutMs, readUncommitted: group.readUncommitted });
    this.running.set(key(group.id, name), consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: group.topics, fromBeginning: group.fromBeginning });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value?.toString() ?? '';
        seen.set(v, (seen.get(v) ?? 0) + 1);
      },
    });
  }

  /**
   * Ends a member's session. `leave`: LeaveGroup, the group rebalances at once; `crash`: no
   * LeaveGroup and no final commit, the group waits for the session timeout. Returns at once.
   */
  end(groupId: string, name: string, how: 'leave' | 'crash'): void {
    const consumer = this.take(groupId, name);
    if (consumer === undefined) return;
    if (how === 'crash') this.cluster.crashConsumer(consumer);
    else consumer.stop().catch(() => undefined);
  }

  /** Disconnects a member (LeaveGroup) and waits until it is gone. */
  async disconnect(groupId: string, name: string): Promise<void> {
    await this.take(groupId, name)?.disconnect();
  }

  /** Messages processed so far, by every member of every group. */
  deliveredTotal(): number {
    let n = 0;
    for (const seen of this.delivered.values()) for (const count of seen.values()) n += count;
    return n;
  }

  /** Messages processed so far by the members of one group. */
  deliveredTo(groupId: string): number {
    let n = 0;
    for (const count of this.delivered.get(groupId)?.values() ?? []) n += count;
    return n;
  }

  private take(groupId: string, name: string): Consumer | undefined {
    const consumer = this.running.get(key(groupId, name));
    this.running.delete(key(groupId, name));
    return consumer;
  }
}

const key = (groupId: string, name: string) => `${groupId}\u0000${name}`;

/** A record's key and value: the producer's patterns (`{seq}`, `{seq % N}`), or `key-N` (N = seq mod keys; none with 0 keys) and `name#seq`. */
export function recordFor(spec: ResolvedProducer, seq: number): { key: string | null; value: string } {
  const fill = (pattern: string) => pattern.replace(SEQ_PLACEHOLDER, (_, n: string | undefined) => String(n === undefined ? seq : seq % Number(n)));
  const key = spec.key !== undefined ? fill(spec.key) : spec.keys > 0 ? `key-${seq % spec.keys}` : null;
  return { key, value: spec.value !== undefined ? fill(spec.value) : `${spec.name}#${seq}` };
}

/** A steady rate: how many whole records a span of time owes, the fractions carried over. */
class Pace {
  private owed = 0;

  constructor(private readonly perSecond: number) {}

  take(ms: number): number {
    this.owed += (ms * this.perSecond) / 1000;
    const count = Math.floor(this.owed + 1e-9);
    this.owed -= count;
    return count;
  }
}

/** A timed run's producer: writes through the engine (`cluster.produce`) without retries, and remembers what was acknowledged. */
export class EngineProducer {
  sent = 0;
  failed = 0;
  pending = 0;
  readonly errors = new Map<string, number>();
  readonly acked: { partition: number; offset: number; key: string | null; value: string }[] = [];
  private seq = 0;
  private readonly pace: Pace;

  constructor(readonly spec: ResolvedProducer) {
    this.pace = new Pace(spec.rate);
  }

  /** Sends what the span `(now - elapsed, now]` owes within the producer's window, one request per partition. */
  produce(cluster: Cluster, now: number, elapsed: number): void {
    const from = Math.max(now - elapsed, this.spec.fromMs);
    const to = Math.min(now, this.spec.untilMs);
    if (to <= from) return;
    const count = this.pace.take(to - from);
    if (count === 0) return;
    const partitions = cluster.describeTopic(this.spec.topic).partitions.length;
    const byPartition = new Map<number, { key: string | null; value: string }[]>();
    for (let i = 0; i < count; i++) {
      const seq = this.seq++;
      const record = recordFor(this.spec, seq);
      const partition = record.key === null ? seq % partitions : partitionForKey(record.key, partitions);
      const list = byPartition.get(partition) ?? [];
      list.push(record);
      byPartition.set(partition, list);
    }
    for (const [partition, records] of [...byPartition].sort((a, b) => a[0] - b[0])) this.request(cluster, partition, records);
  }

  private request(cluster: Cluster, partition: number, records: { key: string | null; value: string }[]): void {
    this.sent += records.length;
    this.pending += records.length;
    const fail = (e: unknown) => {
      this.pending -= records.length;
      this.failed += records.length;
      const type = e instanceof Error && 'type' in e ? String((e as { type: unknown }).type) : e instanceof Error ? e.message : String(e);
      this.errors.set(type, (this.errors.get(type) ?? 0) + records.length);
    };
    try {
      cluster
        .produce({
          topic: this.spec.topic,
          partition,
          acks: this.spec.acks,
          records: records.map((r) => ({ key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value) })),
        })
        .then((result) => {
          this.pending -= records.length;
          if (this.spec.acks === 0) return;
          records.forEach((r, i) => this.acked.push({ partition, offset: result.baseOffset + i, key: r.key, value: r.value }));
        }, fail);
    } catch (e) {
      fail(e);
    }
  }
}

/**
 * A script's producer: a kafkajs producer of `cluster.kafka()` (idempotent or transactional as its
 * spec says); each batch is acknowledged before the script goes on. A transactional one sends
 * through its open transaction (the script's checks see that there is one).
 */
export class ClientProducer {
  sent = 0;
  private seq = 0;
  private client: Producer | undefined;
  private transaction: Transaction | undefined;
  private readonly pace: Pace;

  constructor(readonly spec: ResolvedProducer) {
    this.pace = new Pace(spec.rate);
  }

  /**
   * Connects; an idempotent producer gets its producer id (InitProducerId). A transactional one
   * gets its own at its first transaction, as kafkajs's does: that fences an older instance.
   */
  async connect(cluster: Cluster): Promise<void> {
    const { idempotent, transactionalId, transactionTimeoutMs } = this.spec;
    const config = transactionalId === undefined ? { idempotent } : { transactionalId, transactionTimeout: transactionTimeoutMs };
    this.client = cluster.kafka({ clientId: this.spec.name, logLevel: logLevel.NOTHING }).producer(config);
    await this.client.connect();
  }

  /** Sends one tick's batch (what the rate owes over `ms`). */
  async send(cluster: Cluster, ms: number): Promise<void> {
    if (this.client === undefined) await this.connect(cluster);
    const count = this.pace.take(ms);
    if (count === 0) return;
    const messages = Array.from({ length: count }, () => recordFor(this.spec, this.seq++));
    this.sent += count;
    await (this.transaction ?? this.client!).send({ topic: this.spec.topic, acks: this.spec.acks, messages });
  }

  /** Sends a tombstone: `key` with a null value, which a compacted topic's cleaner later removes with the key's older records. */
  async tombstone(cluster: Cluster, key: string): Promise<void> {
    if (this.client === undefined) await this.connect(cluster);
    this.sent += 1;
    await (this.transaction ?? this.client!).send({ topic: this.spec.topic, acks: this.spec.acks, messages: [{ key, value: null }] });
  }

  /** Begins a transaction (kafkajs's `producer.transaction()`: InitProducerId the first time; the first send adds its partition). */
  async begin(cluster: Cluster): Promise<void> {
    if (this.client === undefined) await this.connect(cluster);
    this.transaction = await this.client!.transaction();
  }

  /** Commits the open transaction (EndTxn; the coordinator writes the markers next). */
  async commit(): Promise<void> {
    const t = this.transaction!;
    this.transaction = undefined;
    await t.commit();
  }

  /** Aborts the open transaction. */
  async abort(): Promise<void> {
    const t = this.transaction!;
    this.transaction = undefined;
    await t.abort();
  }
}
