/**
 * Transaction markers under compaction, on `Engine` directly, as Kafka 3.9's cleaner treats them
 * (CleanedTransactionMetadata, KIP-534 horizons): a marker stays while a batch of its
 * transaction is left; the cleaning that finds none starts its delete horizon
 * (`delete.retention.ms`), and the first cleaning at or after it removes the marker. An aborted
 * transaction's index entry goes with its records. The batch holding an active producer's last
 * sequence stays (Kafka keeps it empty), and with it its transaction's marker; a marker that is
 * an active producer's last entry, with no data since its epoch began, stays for its epoch.
 * Property: random plain and transactional writes, commits, aborts, fencing and time on a
 * compacted topic keep the read_committed table view, never show aborted data, and never remove a
 * marker while a record of its transaction is left.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { Engine, type ProduceRequest } from '../../emulator/engine.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { visibleRanges } from '../../emulator/fetch.js';
import type { ReplicaLog } from '../../emulator/log.js';
import { readRecords } from '../../emulator/records.js';
import type { EngineState } from '../../emulator/state.js';
import { runCleaner } from '../../emulator/cleaner.js';

const TOPIC_CONFIG = { 'cleanup.policy': 'compact', 'segment.ms': 100, 'min.cleanable.dirty.ratio': 0.01, 'delete.retention.ms': 1000 };

function compacted(config: Record<string, string | number | boolean> = {}, brokers = 1, topicConfig: Record<string, string | number> = {}): Engine {
  const e = new Engine({ brokers, clock: 'virtual', seed: 11, config: { 'log.cleaner.backoff.ms': 500, ...config } });
  e.createTopic({ topic: 't', replicationFactor: brokers, config: { ...TOPIC_CONFIG, ...topicConfig } });
  return e;
}

/** Writes to t-0 as a producer: each write 200 ms after the last, so each lands in a segment of its own. */
class Writer {
  private readonly sequences = new Map<number, number>();
  constructor(private readonly e: Engine) {}

  async plain(key: string, value: string): Promise<void> {
    await this.write({ topic: 't', partition: 0, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
  }

  async txn(producerId: number, key: string, value: string, producerEpoch = 0): Promise<void> {
    const baseSequence = this.sequences.get(producerId) ?? 0;
    this.sequences.set(producerId, baseSequence + 1);
    await this.write({ topic: 't', partition: 0, records: [{ key: Buffer.from(key), value: Buffer.from(value) }], producerId, producerEpoch, baseSequence, isTransactional: true });
  }

  async end(producerId: number, commit: boolean, producerEpoch = 0): Promise<void> {
    const answer = await this.e.writeTxnMarker({ topic: 't', partition: 0, producerId, producerEpoch, coordinatorEpoch: 0, commit });
    expect(answer.errorMessage).to.equal(null);
    await this.e.advance(200);
  }

  /** A new epoch for the producer (a fencing InitProducerId): its sequences start again at 0. */
  newEpoch(producerId: number): void {
    this.sequences.set(producerId, 0);
  }

  private async write(request: ProduceRequest): Promise<void> {
    expect((await this.e.produce(request)).errorMessage).to.equal(null);
    await this.e.advance(200);
  }
}

/** Every entry of t-0 from offset 0, markers included: `offset:key=value`, `offset:commit`, `offset:abort`. */
function log(e: Engine): string[] {
  const out: string[] = [];
  for (let offset = e.listOffsets('t', 0, 'earliest').offset; ; ) {
    const { records } = e.fetch({ topic: 't', partition: 0, offset });
    if (records.length === 0) return out;
    for (const r of records) out.push(r.isControl ? `${r.offset}:${r.key!.readInt16BE(2) === 1 ? 'commit' : 'abort'}` : `${r.offset}:${r.key}=${r.value}`);
    offset = records[records.length - 1]!.offset + 1;
  }
}

function stateOf(e: Engine): EngineState {
  return (e as unknown as { state: EngineState }).state;
}

function replicaLog(e: Engine, broker: number): ReplicaLog {
  return stateOf(e).topics.get('t')!.partitions[0]!.replicaStates.get(broker)!.log;
}

function abortedIndex(e: Engine): readonly { readonly producerId: number; readonly firstOffset: number }[] {
  return e.fetchRanges({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' }).abortedTransactions ?? [];
}

function cleanings(e: Engine): Extract<ClusterEvent, { type: 'log-cleaned' }>[] {
  return e.events().filter((x): x is Extract<ClusterEvent, { type: 'log-cleaned' }> => x.type === 'log-cleaned');
}

/**
 * Plain writes of `r` until `done` holds (each one dirties the log, so the cleaner runs again);
 * the log every 100 ms of cluster time, so that each cleaning (every 500 ms) is seen, from now on.
 */
async function until(e: Engine, w: Writer, done: (entries: string[]) => boolean, max = 60): Promise<{ at: number; entries: string[] }[]> {
  const seen = [{ at: e.now(), entries: log(e) }];
  if (done(seen[0]!.entries)) return seen;
  for (let i = 0; i < max; i++) {
    await w.plain('r', String(i));
    for (let step = 0; step < 3; step++) {
      const entries = log(e);
      seen.push({ at: e.now(), entries });
      if (done(entries)) return seen;
      await e.advance(100);
    }
  }
  throw new Error(`still waiting after ${max} writes; log: ${log(e).join(' ')}`);
}

const has = (entries: string[], entry: string) => entries.includes(entry);

describe('log compaction: transaction markers', () => {
  it('a commit marker stays while its transaction\'s records are left, gets a delete horizon at the cleaning that finds none, and goes after it', async () => {
    const e = compacted();
    const w = new Writer(e);
    await w.txn(1, 'a', '1');
    await w.end(1, true);
    await w.txn(1, 'c', '1');
    await w.end(1, true);
    await w.plain('a', '2');
    expect(log(e)).to.deep.equal(['0:a=1', '1:commit', '2:c=1', '3:commit', '4:a=2']);
    const seen = await until(e, w, (entries) => !has(entries, '1:commit'));
    const dataGone = seen.find((x) => !has(x.entries, '0:a=1'))!;
    const markerGone = seen[seen.length - 1]!;
    // The cleaning that removed a=1 saw its batch, so the marker stayed; the next one started its horizon.
    expect(has(dataGone.entries, '1:commit')).to.equal(true);
    expect(markerGone.at - dataGone.at).to.be.at.least(1000);
    // The producer's last transaction keeps its record and marker; a=2 shadowed a=1.
    expect(markerGone.entries.slice(0, 3)).to.deep.equal(['2:c=1', '3:commit', '4:a=2']);
    expect(cleanings(e).reduce((n, x) => n + x.markersRemoved, 0)).to.equal(1);
  });

  it('an abort marker stays with its aborted records; once they are gone its index entry goes, then the marker after its horizon', async () => {
    const e = compacted();
    const w = new Writer(e);
    await w.txn(1, 'b', 'x');
    const states: string[] = [];
    const observe = (entries: string[]) => {
      const state = `${has(entries, '0:b=x') ? 'data' : '-'} ${has(entries, '1:abort') ? 'marker' : '-'} ${abortedIndex(e).length > 0 ? 'indexed' : '-'}`;
      if (states[states.length - 1] !== state) states.push(state);
      return !has(entries, '1:abort');
    };
    await w.end(1, false);
    // No cleaning yet (the cleaner's first run is at 500 ms).
    observe(log(e));
    expect(abortedIndex(e)).to.deep.equal([{ producerId: 1, firstOffset: 0 }]);
    await w.txn(1, 'c', '1');
    observe(log(e));
    await w.end(1, true);
    observe(log(e));
    await until(e, w, observe);
    // Kafka's order: the records go first (the marker and its index entry stay that cleaning), then the index entry, then the marker.
    expect(states).to.deep.equal(['data marker indexed', '- marker indexed', '- marker -', '- - -']);
    const committed = e.fetchRanges({ topic: 't', partition: 0, offset: 0, isolationLevel: 'read_committed' });
    expect(readRecords(visibleRanges(committed)).map((r) => `${r.key}=${r.value}`)).to.not.include('b=x');
  });

  it('the batch with an active producer\'s last sequence keeps its transaction\'s marker (Kafka keeps it, empty); once the producer expires, the marker goes', async () => {
    const e = compacted({ 'producer.id.expiration.ms': 8000 });
    const w = new Writer(e);
    await w.txn(1, 'd', 'x');
    await w.end(1, false);
    const seen = await until(e, w, (entries) => !has(entries, '1:abort'));
    const dataGone = seen.find((x) => !has(x.entries, '0:d=x'))!;
    // The aborted record went at the first cleaning; its marker outlived several horizons, until the producer expired.
    expect(seen.filter((x) => !has(x.entries, '0:d=x') && has(x.entries, '1:abort')).length).to.be.greaterThan(10);
    expect(seen[seen.length - 1]!.at - dataGone.at).to.be.at.least(8000 - 2000);
  });

  it('a marker that is an active producer\'s last entry, with no data since its epoch began, goes after its horizon; the producer state keeps the epoch', async () => {
    const e = compacted();
    const w = new Writer(e);
    await w.txn(1, 'e', 'x');
    // A fencing InitProducerId bumps the epoch; the coordinator aborts the open transaction at the new epoch.
    await w.end(1, false, 1);
    // Kafka keeps the emptied control batch for the epoch it carries; its record goes, as here.
    await until(e, w, (entries) => !has(entries, '0:e=x') && !has(entries, '1:abort'));
    expect(cleanings(e).reduce((n, x) => n + x.markersRemoved, 0)).to.equal(1);
    expect(e.describeProducers({ topic: 't', partition: 0 }).activeProducers.map((x) => [x.producerId, x.producerEpoch])).to.deep.equal([[1, 1]]);
  });

  it('an emptied batch with its producer\'s last sequence is read by each cleaning while it is the last, and by one more: its marker\'s horizon starts the cleaning after', async () => {
    const e = compacted({ 'log.cleaner.backoff.ms': 1e9 });
    const w = new Writer(e);
    const clean = () => runCleaner(stateOf(e), 1);
    const log1 = () => replicaLog(e, 1);
    const horizonAt = (offset: number) => log1().segments.flatMap((x) => x.batches).find((b) => b.baseOffset === offset)!.deleteHorizon;
    await w.txn(1, 'a', 'x');
    await w.end(1, false);
    await w.plain('r', '0');
    clean();
    // a=x went; Kafka keeps its batch empty (the producer's last sequence), and so the abort marker.
    expect(log(e)).to.deep.equal(['1:abort', '2:r=0']);
    expect(log1().emptiedBatches).to.deep.equal([{ baseOffset: 0, lastOffset: 0, producerId: 1, isTransactional: true }]);
    await w.plain('r', '1');
    clean();
    expect([log1().emptiedBatches.length, horizonAt(1)]).to.deep.equal([1, undefined]);
    // The producer writes again: the emptied batch is no longer its last, but this cleaning still reads it, then drops it.
    await w.txn(1, 'b', '1');
    await w.end(1, true);
    await w.plain('r', '2');
    clean();
    expect([log1().emptiedBatches.length, horizonAt(1)]).to.deep.equal([0, undefined]);
    await w.plain('r', '3');
    clean();
    expect(horizonAt(1)).to.equal(e.now() + 1000);
  });

  it('an aborted transaction gone with its segments (DeleteRecords) leaves no trace: the producer\'s later committed records stay, its marker goes', async () => {
    const e = compacted({ 'log.cleaner.backoff.ms': 1e9 });
    const w = new Writer(e);
    const clean = () => runCleaner(stateOf(e), 1);
    await w.txn(1, 'a', 'x');
    await w.end(1, false);
    await w.plain('r', '0');
    await w.plain('r', '1');
    expect(e.deleteRecords('t', 0, 4).errorMessage).to.equal(null);
    // A compacted log's segments below the log start go after a cleaner run (not the active one, which holds r=1).
    clean();
    expect(replicaLog(e, 1).segments[0]!.baseOffset).to.equal(3);
    await w.txn(1, 'k', 'v');
    await w.end(1, true);
    await w.plain('s', '0');
    clean();
    expect(log(e)).to.deep.equal(['4:k=v', '5:commit', '6:s=0']);
    const committed = e.fetchRanges({ topic: 't', partition: 0, offset: 4, isolationLevel: 'read_committed' });
    expect(readRecords(visibleRanges(committed)).map((r) => `${r.key}=${r.value}`)).to.deep.equal(['k=v', 's=0']);
  });

  it('a commit marker whose transaction\'s batch went with its segment (DeleteRecords) goes after its horizon', async () => {
    const e = compacted();
    const w = new Writer(e);
    await w.txn(1, 'k', 'v');
    expect(e.deleteRecords('t', 0, 1).errorMessage).to.equal(null);
    await w.end(1, true);
    // The cleaner's run at 500 ms deletes the segment below the log start.
    await e.advance(200);
    expect(replicaLog(e, 1).segments[0]!.baseOffset).to.equal(1);
    await until(e, w, (entries) => !has(entries, '1:commit'));
    expect(cleanings(e).reduce((n, x) => n + x.markersRemoved, 0)).to.equal(1);
  });

  it('each replica removes markers from its own copy; a new leader serves the same log', async () => {
    const e = compacted({}, 3);
    const w = new Writer(e);
    await w.txn(1, 'a', '1');
    await w.end(1, false);
    await w.txn(2, 'a', '2');
    await w.end(2, true);
    await w.txn(1, 'b', '1');
    await w.end(1, true);
    await w.plain('a', '3');
    // Producer 2's only batch (a=2) is shadowed by a=3, but it holds the producer's last sequence: Kafka keeps it
    // empty, and with it the commit marker at 3. Producer 1's aborted a=1 is not its last batch: that marker goes.
    await until(e, w, (entries) => !has(entries, '1:abort'));
    expect(log(e).slice(0, 4)).to.deep.equal(['3:commit', '4:b=1', '5:commit', '6:a=3']);
    const leader = e.describeTopic('t').partitions[0]!.leader;
    const served = log(e);
    // Followers are not read from (Fetch from a follower is NOT_LEADER_OR_FOLLOWER): compare their batches.
    const copies = [1, 2, 3].map((broker) =>
      replicaLog(e, broker)
        .segments.flatMap((segment) => segment.batches)
        .map((b) => `${b.baseOffset}-${b.lastOffset}${b.isControl ? ' marker' : ''}`),
    );
    expect(copies[1]).to.deep.equal(copies[0]);
    expect(copies[2]).to.deep.equal(copies[0]);
    expect(new Set(cleanings(e).filter((x) => x.markersRemoved > 0).map((x) => x.broker))).to.deep.equal(new Set([1, 2, 3]));
    e.stopBroker(leader);
    expect(e.describeTopic('t').partitions[0]!.leader).to.not.equal(leader);
    // The new leader's high watermark moves up once its follower has fetched.
    await e.advance(1000);
    expect(log(e)).to.deep.equal(served);
  });
});

describe('log compaction: transaction markers, properties', () => {
  type Command =
    | { kind: 'plain'; key: string; value: string }
    | { kind: 'txn'; producer: number; key: string; value: string }
    | { kind: 'end'; producer: number; commit: boolean }
    | { kind: 'fence'; producer: number }
    | { kind: 'advance'; ms: number }
    | { kind: 'delete'; share: number };
  const key = fc.constantFrom('a', 'b', 'c');
  const producer = fc.constantFrom(1, 2);
  const value = fc.string({ minLength: 1, maxLength: 3 });
  const command: fc.Arbitrary<Command> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('plain' as const), key, value }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('txn' as const), producer, key, value }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('end' as const), producer, commit: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fence' as const), producer }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 100, max: 3000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), share: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  );

  it('keeps the read_committed table view, never shows aborted data, and never removes a marker while a record of its transaction is left', async () => {
    const totals = { runs: 0, commands: 0, markers: 0, markersRemoved: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 80 }), async (commands) => {
        // Small segments (a few batches each), so cleaned segments seldom merge and DeleteRecords deletes whole ones.
        const e = compacted({}, 1, { 'segment.bytes': 300 });
        const w = new Writer(e);
        const epochs = new Map<number, number>([
          [1, 0],
          [2, 0],
        ]);
        /** Per producer, the offsets of its open transaction's records. */
        const open = new Map<number, number[]>();
        /** Every record written: offset to key, value and fate ('committed', 'aborted', or 'open'). */
        const written = new Map<number, { key: string; value: string; fate: 'committed' | 'aborted' | 'open'; marker?: number }>();
        const markers = new Map<number, number[]>();
        let next = 0;
        for (const c of commands) {
          if (c.kind === 'plain') {
            await w.plain(c.key, c.value);
            written.set(next++, { key: c.key, value: c.value, fate: 'committed' });
          } else if (c.kind === 'txn') {
            await w.txn(c.producer, c.key, c.value, epochs.get(c.producer));
            written.set(next, { key: c.key, value: c.value, fate: 'open' });
            open.set(c.producer, [...(open.get(c.producer) ?? []), next++]);
          } else if (c.kind === 'end' || c.kind === 'fence') {
            const offsets = open.get(c.producer);
            const commit = c.kind === 'end' && c.commit;
            if (c.kind === 'fence') {
              epochs.set(c.producer, epochs.get(c.producer)! + 1);
              w.newEpoch(c.producer);
            }
            if (offsets === undefined) continue;
            await w.end(c.producer, commit, epochs.get(c.producer));
            for (const o of offsets) written.set(o, { ...written.get(o)!, fate: commit ? 'committed' : 'aborted', marker: next });
            markers.set(next++, offsets);
            open.delete(c.producer);
          } else if (c.kind === 'delete') {
            // DeleteRecords up to a share of what lies between the log start and the high watermark.
            const start = e.listOffsets('t', 0, 'earliest').offset;
            const end = e.listOffsets('t', 0, 'latest').offset;
            expect(e.deleteRecords('t', 0, start + Math.floor((end - start) * c.share)).errorMessage).to.equal(null);
          } else await e.advance(c.ms);

          const entries = log(e);
          const present = new Set(entries.map((x) => Number(x.split(':')[0])));
          for (const [marker, offsets] of markers) {
            if (present.has(marker)) continue;
            const left = offsets.filter((o) => present.has(o));
            expect(left, `marker ${marker} removed while its records ${left.join(',')} are left; log: ${entries.join(' ')}`).to.deep.equal([]);
          }
          for (const x of entries) {
            const [offset, rest] = [Number(x.split(':')[0]), x.slice(x.indexOf(':') + 1)];
            if (rest === 'commit' || rest === 'abort') expect(markers.has(offset), `a marker at ${offset}`).to.equal(true);
            else expect(rest).to.equal(`${written.get(offset)!.key}=${written.get(offset)!.value}`);
          }
          const logStart = e.listOffsets('t', 0, 'earliest').offset;
          const committed = e.fetchRanges({ topic: 't', partition: 0, offset: logStart, isolationLevel: 'read_committed' });
          const lso = committed.lastStableOffset;
          const seen = readRecords(visibleRanges(committed));
          const table = new Map<string, string>();
          for (const r of seen) {
            expect(written.get(r.offset)!.fate, `read_committed sees ${r.offset}:${r.key}=${r.value}`).to.equal('committed');
            table.set(String(r.key), String(r.value));
          }
          const expected = new Map<string, string>();
          for (const [offset, x] of [...written].sort((a, b) => a[0] - b[0])) if (offset >= logStart && offset < lso && x.fate === 'committed') expected.set(x.key, x.value);
          expect(table, `the read_committed table view below the last stable offset ${lso}`).to.deep.equal(expected);
        }
        totals.runs++;
        totals.commands += commands.length;
        totals.markers += markers.size;
        totals.markersRemoved += cleanings(e).reduce((n, x) => n + x.markersRemoved, 0);
        e.close();
      }),
      { numRuns: Number(process.env.MARKER_PROPS_RUNS ?? 150) },
    );
    // The schedules did remove markers, not only keep them.
    expect(totals.markersRemoved, JSON.stringify(totals)).to.be.greaterThan(0);
    if (process.env.MARKER_PROPS_REPORT) console.log(totals);
  });
});
