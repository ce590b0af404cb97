/**
 * Scaling on the twin (virtual clock): the per-message cost as the partition count grows
 * (1 -> 10,000, one consumer) and as the group grows (1 -> 1,000 members on 1,000 partitions).
 * A flat curve is the goal; where it rises, no step may rise faster than the partition count does
 * (per-partition work per batch is expected; superlinear work is a slow path).
 */
import { type AreaResult, type BenchContext, type CurvePoint, type Row, type Twin, countdown, createTopic, messages, now, size, twin } from './lib.js';
import { Group } from './rebalance.js';
import { produceConsume } from './throughput.js';

/** Sizes of the scaling area. */
export interface ScalingOptions {
  /** Messages per point (env BENCH_SCALING_N; default 200,000). */
  n?: number;
  /** Partition counts (default 1, 10, 100, 1,000, 10,000). */
  partitions?: number[];
  /** Group sizes (default 1, 10, 100, 1,000). */
  members?: number[];
  /** Partitions of the group-size curve's topic (default 1,000). */
  memberPartitions?: number;
}

// 5,000 x ~118 bytes stays under max.message.bytes (1 MiB) even when one partition takes the whole batch.
const BATCH = 5000;
const nsPer = (ms: number, n: number) => (ms * 1e6) / n;

/** One point of the group curve: settle time of `members`, then `msgs` produced and consumed end to end. */
async function groupPoint(
  t: Twin,
  members: number,
  partitions: number,
  msgs: { key: Buffer; value: Buffer }[],
): Promise<{ settleMs: number; nsPerMessage: number }> {
  await createTopic(t.kafka, t.drive, 'scaling', partitions);
  const all = countdown(msgs.length);
  let consumed = 0;
  const group = new Group(t, 'scaling', partitions);
  const s0 = now();
  await group.add(members, (k) => {
    for (let i = 0; i < k; i++) all.arrive();
    consumed += k;
  });
  await group.settled();
  const settleMs = now() - s0;
  const producer = t.kafka.producer({ allowAutoTopicCreation: false });
  await t.drive(producer.connect());
  const t0 = now();
  for (let i = 0; i < msgs.length; i += BATCH)
    await t.drive(producer.sendBatch({ acks: 1, topicMessages: [{ topic: 'scaling', messages: msgs.slice(i, i + BATCH) }] }));
  const t1 = await t.drive(all.promise);
  await t.drive(producer.disconnect());
  await group.close();
  if (consumed !== msgs.length) throw new Error(`the group consumed ${consumed} of ${msgs.length} messages`);
  return { settleMs, nsPerMessage: nsPer(t1 - t0, msgs.length) };
}

/** Runs the area. */
export async function scaling(ctx: BenchContext, options: ScalingOptions = {}): Promise<AreaResult> {
  const n = options.n ?? size('BENCH_SCALING_N', 200_000, ctx.scale, 1000);
  const partitionCounts = options.partitions ?? [1, 10, 100, 1000, 10_000];
  const memberCounts = options.members ?? [1, 10, 100, 1000];
  const memberPartitions = options.memberPartitions ?? 1000;
  const msgs = messages(n);
  await produceConsume(twin(), msgs.slice(0, Math.min(n, 20_000)), 1, 12, BATCH);

  const partitionsCurve: CurvePoint[] = [];
  for (const p of partitionCounts) {
    ctx.log(`scaling: ${p} partitions`);
    const t = twin();
    const r = await produceConsume(t, msgs, 1, p, BATCH);
    t.cluster.close();
    partitionsCurve.push({ x: p, produceNsPerMessage: 1e9 / r.produce, consumeNsPerMessage: 1e9 / r.consume });
  }
  // A quarter as many messages on the group curve: at 1,000 members it is the slowest part of the bench.
  const groupMsgs = msgs.slice(0, Math.max(1000, Math.round(n / 4)));
  const membersCurve: CurvePoint[] = [];
  for (const m of memberCounts) {
    ctx.log(`scaling: ${m} members on ${memberPartitions} partitions`);
    const t = twin();
    const r = await groupPoint(t, m, memberPartitions, groupMsgs);
    t.cluster.close();
    membersCurve.push({ x: m, settleMs: r.settleMs, endToEndNsPerMessage: r.nsPerMessage });
  }

  // No step of the curve may grow faster than the partition count does (the worst step's growth over
  // the partition count's growth must stay <= 1): per-partition work per batch is expected, superlinear work is not.
  const rows: Row[] = [];
  const first = partitionsCurve[0]!;
  const last = partitionsCurve[partitionsCurve.length - 1]!;
  for (const col of ['produceNsPerMessage', 'consumeNsPerMessage'] as const) {
    let worst = 0;
    for (let i = 1; i < partitionsCurve.length; i++) {
      const a = partitionsCurve[i - 1]!;
      const b = partitionsCurve[i]!;
      worst = Math.max(worst, b[col]! / a[col]! / (b.x / a.x));
    }
    const growth = last[col]! / first[col]!;
    rows.push({
      area: 'scaling',
      figure: `${col === 'produceNsPerMessage' ? 'produce' : 'consume'} ns/msg at ${last.x.toLocaleString('en')} vs ${first.x} partition${first.x === 1 ? '' : 's'}`,
      value: last[col]!,
      unit: 'ns/msg',
      reference: `at ${first.x} partition${first.x === 1 ? '' : 's'}`,
      referenceValue: first[col]!,
      ratio: growth,
      target: 'no step grows faster than the partition count',
      met: worst <= 1,
      margin:
        worst <= 1 ? `met (worst step ${worst.toFixed(2)} of the partition growth)` : `missed: a step grows ${worst.toFixed(2)}x as fast as the partitions`,
    });
  }
  const m0 = membersCurve[0]!;
  const m1 = membersCurve[membersCurve.length - 1]!;
  const mGrowth = m1.endToEndNsPerMessage! / m0.endToEndNsPerMessage!;
  // Each batch of B keyed messages lands on min(B, partitions) partitions whatever the group size, so
  // more members should cost per message only the extra consumers' fetch rounds: the target is flat (2x slack for noise).
  rows.push({
    area: 'scaling',
    figure: `end-to-end ns/msg at ${m1.x.toLocaleString('en')} vs ${m0.x} member${m0.x === 1 ? '' : 's'}`,
    value: m1.endToEndNsPerMessage!,
    unit: 'ns/msg',
    reference: `at ${m0.x} member${m0.x === 1 ? '' : 's'}`,
    referenceValue: m0.endToEndNsPerMessage!,
    ratio: mGrowth,
    target: 'flat (growth <= 2x)',
    met: mGrowth <= 2,
    margin: mGrowth <= 2 ? `met (${mGrowth.toFixed(1)}x growth)` : `missed by ${(mGrowth / 2).toFixed(1)}x`,
  });
  return {
    rows,
    curves: { partitions: partitionsCurve, members: membersCurve },
    notes: [
      `scaling: ${n.toLocaleString('en')} keyed messages per partition-curve point, ${groupMsgs.length.toLocaleString('en')} per member-curve point (${memberPartitions} partitions); sendBatch of ${BATCH}, acks=1`,
    ],
  };
}
