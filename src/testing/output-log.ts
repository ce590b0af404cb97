/**
 * Reading a topic out of the twin the way a consumer would, at either isolation level, plus the
 * log as it is (each record with its producer and what the transaction markers say of it). Reads
 * go to the engine directly: they are the test's view, not a client's, so injected faults do not
 * apply, and a partition without a reachable leader is left out of that view.
 */
import type { Engine } from '../../emulator/engine.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { visibleRanges, type IsolationLevel } from '../../emulator/fetch.js';
import { copyOut, type RecordRange } from '../../emulator/records.js';
import type { OutputLogRecord, TraceRecord } from './trace.js';

const NONE = 0;

/** A record read from a partition, with the batch facts a transaction check needs. */
interface RawRecord extends TraceRecord {
  readonly producerId: number;
  readonly transactional: boolean;
}

/** The records of one partition a consumer at `isolationLevel` is handed (never markers; under read_committed, nothing aborted or open). */
function readPartition(engine: Engine, topic: string, partition: number, isolationLevel: IsolationLevel): RawRecord[] {
  const out: RawRecord[] = [];
  let offset = -1;
  for (;;) {
    if (offset < 0) {
      const start = engine.listOffsets(topic, partition, 'earliest');
      if (start.errorCode !== NONE) return out;
      offset = start.offset;
    }
    const answer = engine.fetchRanges({ topic, partition, offset, isolationLevel });
    if (answer.errorCode !== NONE || answer.ranges.length === 0) return out;
    collect(visibleRanges(answer), topic, partition, out);
    const last = answer.ranges[answer.ranges.length - 1]!;
    const next = last.batch.baseOffset + last.to;
    const end = isolationLevel === 'read_committed' ? answer.lastStableOffset : answer.highWatermark;
    if (next >= end || next <= offset) return out;
    offset = next;
  }
}

function collect(ranges: readonly RecordRange[], topic: string, partition: number, out: RawRecord[]): void {
  copyOut(ranges, (batch, i, key, value, headers) => {
    out.push({
      topic,
      partition,
      offset: batch.baseOffset + i,
      key: key?.toString() ?? null,
      value: value?.toString() ?? null,
      headers: Object.fromEntries(headers.map((h) => [h.key, h.value?.toString() ?? ''])),
      timestamp: batch.timestamps[i]!,
      producerId: batch.producerId,
      transactional: batch.isTransactional,
    });
  });
}

function partitionsOf(engine: Engine, topic: string): number[] {
  const t = engine.describeTopic(topic);
  return t.partitions.map((p) => p.partition);
}

const plain = ({ producerId: _p, transactional: _t, ...r }: RawRecord): TraceRecord => r;

/** What a consumer of `topic` at `isolationLevel` is handed, partition by partition. */
export function readTopic(engine: Engine, topic: string, isolationLevel: IsolationLevel = 'read_uncommitted'): TraceRecord[] {
  return partitionsOf(engine, topic).flatMap((p) => readPartition(engine, topic, p, isolationLevel).map(plain));
}

/**
 * The topic's log (markers left out), each transactional record with its fate: the next marker its
 * producer wrote to the partition after it (the `txn-marker-written` events) commits or aborts it.
 */
export function readLog(engine: Engine, topic: string, events: readonly ClusterEvent[]): OutputLogRecord[] {
  const markers = events.filter((e): e is Extract<ClusterEvent, { type: 'txn-marker-written' }> => e.type === 'txn-marker-written' && e.topic === topic);
  const out: OutputLogRecord[] = [];
  for (const p of partitionsOf(engine, topic)) {
    for (const r of readPartition(engine, topic, p, 'read_uncommitted')) {
      if (!r.transactional) {
        out.push({ ...r, fate: 'none' });
        continue;
      }
      const marker = markers.find((m) => m.partition === p && m.producerId === r.producerId && m.offset > r.offset);
      out.push({ ...r, fate: marker === undefined ? 'open' : marker.commit ? 'committed' : 'aborted' });
    }
  }
  return out;
}
