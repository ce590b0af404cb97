/**
 * A partition's log as the leader stores it, transaction markers included: what no kafkajs
 * consumer shows (it drops control records). The twin targets read it with `cluster.fetch`; real
 * Kafka with raw Fetch v11 requests (read_uncommitted) on a socket of their own. Entries read
 * `offset:key=value`, `offset:commit` or `offset:abort`; empty batches (Kafka keeps the batch of
 * an active producer's last sequence so after cleaning) hold no entry.
 */
import kafkajs from 'kafkajs';
import type { Cluster } from '../../src/cluster.js';
import { decodeRecordBatches, Fetch } from '../../protocol/wire/index.js';
import { RawClient } from '../wire-server/helpers.js';

const { Kafka: KafkaJs, logLevel } = kafkajs;

function entry(offset: number | bigint, isControl: boolean, key: Buffer | null, value: Buffer | null): string {
  if (isControl) return `${offset}:${key !== null && key.length >= 4 && key.readInt16BE(2) === 1 ? 'commit' : 'abort'}`;
  return `${offset}:${key === null ? 'null' : key.toString()}=${value === null ? 'null' : value.toString()}`;
}

/** The whole log of a partition of a twin cluster (its leader's copy, up to the high watermark). */
export function twinLog(cluster: Cluster, topic: string, partition: number): string[] {
  const out: string[] = [];
  for (let offset = 0; ; ) {
    const { records } = cluster.fetch({ topic, partition, offset });
    if (records.length === 0) return out;
    for (const r of records) out.push(entry(r.offset, r.isControl === true, r.key, r.value));
    offset = records[records.length - 1]!.offset + 1;
  }
}

/** The whole log of a partition of a real Kafka cluster, read from its leader; `servers[i]` is broker `i + 1`. */
export async function kafkaLog(servers: readonly string[], topic: string, partition: number): Promise<string[]> {
  const admin = new KafkaJs({ clientId: 'conformance-raw-log', brokers: [...servers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  let leader: number;
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    leader = topics[0]!.partitions.find((p) => p.partitionId === partition)!.leader;
  } finally {
    await admin.disconnect();
  }
  const [host, port] = servers[leader - 1]!.split(':');
  const client = await RawClient.tcp(host!, Number(port));
  const out: string[] = [];
  try {
    for (let offset = 0n; ; ) {
      const body = await client.request(Fetch, 11, {
        maxWaitMs: 0,
        minBytes: 0,
        topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
      });
      const answer = body.responses[0]!.partitions[0]!;
      if (answer.errorCode !== 0) throw new Error(`raw Fetch of ${topic}-${partition} at ${offset}: error code ${answer.errorCode}`);
      const batches = decodeRecordBatches(answer.records, { allowPartialTail: true });
      if (batches.length === 0) return out;
      for (const batch of batches) {
        for (const r of batch.records) out.push(entry(batch.baseOffset + BigInt(r.offsetDelta), batch.isControl, r.key, r.value));
        offset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      }
    }
  } finally {
    client.close();
  }
}
