/**
 * Rebalance: N-1 members consume a 100-partition topic in one group; then the N-th member joins.
 * Measured: wall time from the last member's `run()` to every member consuming, i.e. each member's
 * latest GROUP_JOIN assignment together covering every partition exactly once. For 1, 10 and 100
 * members, on the twin (virtual clock; real clock with group.initial.rebalance.delay.ms=0) and on
 * real Kafka through kafkajs (scripts/kafka.sh starts brokers with group.initial.rebalance.delay.ms=0).
 */
import type { Consumer } from '../client/interface.js';
import { type AreaResult, type BenchContext, type Row, type Twin, createTopic, deleteTopics, judge, now, real, twin, unique } from './lib.js';

/** Sizes of the rebalance area. */
export interface RebalanceOptions {
  /** Group sizes (default 1, 10, 100). */
  members?: number[];
  /** Partitions of the topic (default 100). */
  partitions?: number;
  /** Also measure on real Kafka when there is one (default true). */
  kafka?: boolean;
  /** The twin's clocks to measure on (default both). */
  clocks?: ('virtual' | 'real')[];
}

/** A consumer group under measurement: its members and a way to wait for a complete assignment. */
export class Group {
  readonly members: Consumer[] = [];
  private readonly latest = new Map<number, number[]>();
  private waiter: { need: number; resolve: (t: number) => void } | undefined;

  constructor(
    private readonly target: Pick<Twin, 'kafka' | 'drive'>,
    readonly topic: string,
    readonly partitions: number,
    readonly groupId = unique('bench-group'),
  ) {}

  /** Connects, subscribes and runs `n` more members at once; resolves when each `run()` has returned. `onBatch` gets each batch's size. */
  async add(n: number, onBatch: (messages: number) => void = () => undefined): Promise<void> {
    const { kafka, drive } = this.target;
    const fresh = Array.from({ length: n }, () => kafka.consumer({ groupId: this.groupId }));
    await Promise.all(
      fresh.map(async (c) => {
        const index = this.members.push(c) - 1;
        c.on(c.events.GROUP_JOIN, (e) => {
          const assignment = (e.payload.memberAssignment as Record<string, number[]>)[this.topic] ?? [];
          this.latest.set(index, assignment);
          this.check();
        });
        await drive(c.connect());
        await drive(c.subscribe({ topics: [this.topic], fromBeginning: true }));
      }),
    );
    await Promise.all(fresh.map((c) => drive(c.run({ eachBatch: async ({ batch }) => onBatch(batch.messages.length) }))));
  }

  /** Resolves with the wall time at which all current members hold assignments covering every partition exactly once. */
  settled(): Promise<number> {
    const { drive } = this.target;
    return drive(
      new Promise<number>((resolve) => {
        this.waiter = { need: this.members.length, resolve };
        this.check();
      }),
    );
  }

  /** Stops every member. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((c) => this.target.drive(c.disconnect())));
  }

  private check(): void {
    const w = this.waiter;
    if (w === undefined || this.latest.size < w.need) return;
    const seen = new Set<number>();
    for (let i = 0; i < w.need; i++) {
      for (const p of this.latest.get(i) ?? []) {
        if (seen.has(p)) return;
        seen.add(p);
      }
    }
    if (seen.size !== this.partitions) return;
    this.waiter = undefined;
    w.resolve(now());
  }
}

/** One measurement: N-1 members settled, then the last joins; returns wall ms (and the twin's cluster ms when there is a cluster). */
export async function lastJoin(
  target: Pick<Twin, 'kafka' | 'drive'> & { cluster?: Twin['cluster'] },
  n: number,
  partitions: number,
): Promise<{ wallMs: number; clusterMs?: number; topic: string }> {
  const topic = unique('bench-rebalance');
  await createTopic(target.kafka, target.drive, topic, partitions);
  const group = new Group(target, topic, partitions);
  try {
    if (n > 1) {
      await group.add(n - 1);
      await group.settled();
    }
    const clusterStart = target.cluster?.now();
    const t0 = now();
    await group.add(1);
    const t1 = await group.settled();
    const clusterMs = target.cluster !== undefined ? target.cluster.now() - clusterStart! : undefined;
    return { wallMs: t1 - t0, ...(clusterMs !== undefined ? { clusterMs } : {}), topic };
  } finally {
    await group.close();
  }
}

/** Runs the area. */
export async function rebalance(ctx: BenchContext, options: RebalanceOptions = {}): Promise<AreaResult> {
  const sizes = options.members ?? [1, 10, 100];
  const partitions = options.partitions ?? 100;
  const rows: Row[] = [];
  const notes: string[] = [];
  // Warm the JIT on the twin's group paths before anything is timed.
  const warm = twin();
  await lastJoin(warm, Math.min(10, Math.max(...sizes)), partitions);
  warm.cluster.close();
  if (ctx.kafka && options.kafka !== false) {
    // The first group on a fresh broker creates __consumer_offsets (50 partitions): not a rebalance.
    ctx.log('rebalance: real Kafka warm-up (one member)');
    const kafka = ctx.kafka.shared('bench-rebalance');
    await deleteTopics(kafka, [(await lastJoin(real(kafka), 1, partitions)).topic]);
  }
  for (const n of sizes) {
    const measured: { name: string; wallMs: number; clusterMs?: number }[] = [];
    for (const clock of options.clocks ?? (['virtual', 'real'] as const)) {
      ctx.log(`rebalance: twin (${clock} clock), ${n} members`);
      const t = twin(clock, clock === 'real' ? { 'group.initial.rebalance.delay.ms': 0 } : {});
      measured.push({ name: `twin (${clock} clock)`, ...(await lastJoin(t, n, partitions)) });
      t.cluster.close();
    }
    let kafkaMs: number | undefined;
    if (ctx.kafka && options.kafka !== false) {
      ctx.log(`rebalance: real Kafka, ${n} members`);
      const kafka = ctx.kafka.shared('bench-rebalance');
      const r = await lastJoin(real(kafka), n, partitions);
      kafkaMs = r.wallMs;
      await deleteTopics(kafka, [r.topic]);
    }
    for (const m of measured) {
      const figure = `${n} member${n === 1 ? '' : 's'} settle, ${m.name}`;
      // The 10 ms target is for the virtual clock: on the real clock members learn of a rebalance
      // at their next heartbeat or fetch, as on Kafka, so wall time is protocol time there.
      const target = n === 100 && m.name.includes('virtual') ? { target: '< 10 ms wall', ...judge(m.wallMs, 10, 'max') } : {};
      const reference = kafkaMs !== undefined ? { reference: 'kafkajs on Kafka 3.9', referenceValue: kafkaMs, ratio: kafkaMs / m.wallMs } : {};
      rows.push({ area: 'rebalance', figure, value: m.wallMs, unit: 'ms wall', ...reference, ...target });
      if (m.clusterMs !== undefined && m.name.includes('virtual'))
        notes.push(`rebalance: ${n} member${n === 1 ? '' : 's'} on the virtual clock took ${m.clusterMs} ms of cluster time`);
    }
  }
  notes.push(
    `rebalance: ${partitions} partitions; the last member joins a settled group of N-1; real Kafka from scripts/kafka.sh has group.initial.rebalance.delay.ms=0`,
  );
  return { rows, notes };
}
