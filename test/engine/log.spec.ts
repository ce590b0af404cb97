import { expect } from 'chai';
import { batchSizeInBytes, ByteArena, packBatch, readRecords, recordSizeInBytes, sizeOfVarint, sliceBatch } from '../../emulator/records.js';
import { ReplicaLog } from '../../emulator/log.js';
import { protocolErrorOf, readAll, rejection, values, virtualCluster } from '../helpers.js';

describe('partition logs', () => {
  describe("record sizes in Kafka's v2 format", () => {
    it('sizes zig-zag varints as Kafka does', () => {
      expect([0, -1, 1, 63, 64, -64, -65, 8191, 8192].map(sizeOfVarint)).to.deep.equal([1, 1, 1, 1, 2, 1, 2, 2, 3]);
      expect(sizeOfVarint(2 ** 40)).to.equal(6);
    });

    it('sizes records and batches as DefaultRecord and DefaultRecordBatch do', () => {
      // attributes 1 + offsetDelta 1 + timestampDelta 1 + null key 1 + value (1 + 5) + header count 1 = 11, plus its length varint.
      const record = { key: null, value: Buffer.from('hello'), headers: [], timestamp: 0 };
      expect(recordSizeInBytes(0, 0, record)).to.equal(12);
      expect(batchSizeInBytes([record])).to.equal(61 + 12);
      const withHeader = { key: Buffer.from('k'), value: null, headers: [{ key: 'h', value: Buffer.from('vv') }], timestamp: 0 };
      // 1 + 1 + 1 + (1+1) + 1 + count 1 + (1+1) + (1+2) = 12 -> 13
      expect(recordSizeInBytes(0, 0, withHeader)).to.equal(13);
      expect(batchSizeInBytes([])).to.equal(61);
    });
  });

  describe('appends', () => {
    it('assigns contiguous offsets from the log start offset, per partition', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      const a = await cluster.produce({ topic: 't', partition: 0, records: values(3) });
      const b = await cluster.produce({ topic: 't', partition: 0, records: values(2) });
      const c = await cluster.produce({ topic: 't', partition: 1, records: values(1) });
      expect([a.baseOffset, b.baseOffset, c.baseOffset]).to.deep.equal([0, 3, 0]);
      const records = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      expect(records.map((r) => r.offset)).to.deep.equal([0, 1, 2, 3, 4]);
      expect(records.map((r) => r.value!.toString())).to.deep.equal(['v-0', 'v-1', 'v-2', 'v-0', 'v-1']);
    });

    it('keeps key, value, headers and CreateTime timestamps as produced', async () => {
      const cluster = virtualCluster({ startTime: 5000 });
      cluster.createTopic({ topic: 't' });
      const headers = [
        { key: 'trace', value: Buffer.from('1') },
        { key: 'trace', value: null },
      ];
      await cluster.produce({ topic: 't', partition: 0, records: [{ key: Buffer.from('k'), value: null, headers, timestamp: 1234 }, { value: Buffer.from('now') }] });
      const [first, second] = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      expect(first!.key!.toString()).to.equal('k');
      expect(first!.value).to.equal(null);
      expect(first!.headers).to.deep.equal(headers);
      expect(first!.timestamp).to.equal(1234);
      expect(first!.timestampType).to.equal('CreateTime');
      expect(second!.timestamp).to.equal(5000);
      expect(second!.key).to.equal(null);
    });

    it('copies what was sent: a producer changing its Buffers afterwards does not change what is read', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      const key = Buffer.from('key');
      const value = Buffer.from('value');
      const header = Buffer.from('h1');
      await cluster.produce({
        topic: 't',
        partition: 0,
        records: [
          { key, value, headers: [{ key: 'h', value: header }] },
          { key: Buffer.alloc(0), value: null },
        ],
      });
      key.fill('x');
      value.fill('y');
      header.fill('z');
      const [first, tombstone] = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      expect([first!.key!.toString(), first!.value!.toString(), first!.headers[0]!.value!.toString()]).to.deep.equal(['key', 'value', 'h1']);
      // An empty key stays empty, distinct from a null one; a null value (tombstone) stays null.
      expect([tombstone!.key!.length, tombstone!.value]).to.deep.equal([0, null]);
      // As off the network, a reader's records are its own: writing into them does not change the log.
      first!.value!.fill('w');
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records[0]!.value!.toString()).to.equal('value');
    });

    it('stamps the broker time under LogAppendTime', async () => {
      const cluster = virtualCluster({ startTime: 777 });
      cluster.createTopic({ topic: 't', config: { 'message.timestamp.type': 'LogAppendTime' } });
      const result = await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.from('x'), timestamp: 1 }] });
      expect(result.logAppendTime).to.equal(777);
      const [r] = cluster.fetch({ topic: 't', partition: 0, offset: 0 }).records;
      expect([r!.timestamp, r!.timestampType]).to.deep.equal([777, 'LogAppendTime']);
    });

    it('rejects a batch over max.message.bytes with MESSAGE_TOO_LARGE and writes nothing', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', config: { 'max.message.bytes': 200 } });
      const e = await rejection(cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(300) }] }), 'MESSAGE_TOO_LARGE');
      expect(e.code).to.equal(10);
      expect(e.message).to.contain('max.message.bytes');
      await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(100) }] });
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(1);
    });

    it('uses the broker message.max.bytes when the topic sets none', async () => {
      const cluster = virtualCluster({ config: { 'message.max.bytes': 100 } });
      cluster.createTopic({ topic: 't' });
      await rejection(cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(100) }] }), 'MESSAGE_TOO_LARGE');
    });

    it('rejects malformed requests with the error Kafka gives', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      await rejection(cluster.produce({ topic: 'nope', partition: 0, records: values(1) }), 'UNKNOWN_TOPIC_OR_PARTITION');
      await rejection(cluster.produce({ topic: 't', partition: 1, records: values(1) }), 'UNKNOWN_TOPIC_OR_PARTITION');
      await rejection(cluster.produce({ topic: 't', partition: 0, records: values(1), acks: 2 }), 'INVALID_REQUIRED_ACKS');
      await rejection(cluster.produce({ topic: 't', partition: 0, records: [] }), 'INVALID_REQUEST');
      await rejection(cluster.produce({ topic: 't', partition: 0, records: [{ value: 'str' as unknown as Buffer }] }), 'INVALID_RECORD');
      await rejection(cluster.produce({ topic: 't', partition: 0, records: [{ value: null, timestamp: 1.5 }] }), 'INVALID_TIMESTAMP');
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(0);
    });
  });

  describe('segments', () => {
    it('rolls a new segment when segment.bytes would be passed', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', config: { 'segment.bytes': 200 } });
      for (let i = 0; i < 5; i++) await cluster.produce({ topic: 't', partition: 0, records: [{ value: Buffer.alloc(60) }] });
      // Each single-record batch is 61 + 68 = 129 bytes (the record length varint takes 2 bytes), so two never fit in 200.
      const { replicaStates } = cluster.describePartition('t', 0);
      expect(replicaStates[0]!.segments.map((s) => [s.baseOffset, s.endOffset])).to.deep.equal([
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 5],
      ]);
      expect(cluster.events().filter((e) => e.type === 'segment-rolled')).to.have.length(4);
    });

    it('rolls a segment once a batch timestamp is segment.ms past the first batch of the segment', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't', config: { 'segment.ms': 1000 } });
      await cluster.produce({ topic: 't', partition: 0, records: values(2, 'a', 0) });
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'b', 1000) });
      await cluster.produce({ topic: 't', partition: 0, records: values(1, 'c', 1001) });
      const segments = cluster.describePartition('t', 0).replicaStates[0]!.segments;
      expect(segments.map((s) => s.baseOffset)).to.deep.equal([0, 3]);
    });

    it('rolls on broker time when the segment holds no timestamps yet, and never rolls an empty segment', () => {
      const log = new ReplicaLog(0, 0);
      const batch = (base: number, ts: number) =>
        packBatch(new ByteArena(), [{ value: null }], Float64Array.of(ts), { baseOffset: base, leaderEpoch: 0, timestampType: 'CreateTime' });
      log.roll(10);
      expect(log.segments).to.have.length(1);
      expect(log.append(batch(0, -1), { 'segment.bytes': 1000, 'segment.ms': 100 }, 0)).to.equal(undefined);
      expect(log.append(batch(1, -1), { 'segment.bytes': 1000, 'segment.ms': 100 }, 50)).to.equal(undefined);
      expect(log.append(batch(2, -1), { 'segment.bytes': 1000, 'segment.ms': 100 }, 101)).to.not.equal(undefined);
      // Offsets never go back; a gap (a follower copying a cleaned log) is allowed.
      expect(() => log.append(batch(1, 0), { 'segment.bytes': 1000, 'segment.ms': 100 }, 101)).to.throw(/invariant/);
      log.append(batch(9, 0), { 'segment.bytes': 1000, 'segment.ms': 100 }, 101);
      expect(log.logEndOffset).to.equal(10);
    });
  });

  describe('reads and offsets', () => {
    it('fetches from an offset within the log, with a byte budget that still returns one batch', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      for (let i = 0; i < 4; i++) await cluster.produce({ topic: 't', partition: 0, records: values(2, `b${i}`) });
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 3 }).records.map((r) => r.offset)).to.deep.equal([3, 4, 5, 6, 7]);
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0, maxBytes: 1 }).records.map((r) => r.offset)).to.deep.equal([0, 1]);
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 0, maxRecords: 3 }).records).to.have.length(3);
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 8 }).records).to.deep.equal([]);
      expect(readAll(cluster, 't', 0)).to.have.length(8);
    });

    it('answers OFFSET_OUT_OF_RANGE past the log end or below the log start', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      await cluster.produce({ topic: 't', partition: 0, records: values(3) });
      const e = protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 4 }), 'OFFSET_OUT_OF_RANGE');
      expect(e).to.include({ topic: 't', partition: 0 });
      protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: -1 }), 'OFFSET_OUT_OF_RANGE');
      cluster.deleteRecords('t', 0, 2);
      protocolErrorOf(() => cluster.fetch({ topic: 't', partition: 0, offset: 1 }), 'OFFSET_OUT_OF_RANGE');
      expect(cluster.fetch({ topic: 't', partition: 0, offset: 2 }).records).to.have.length(1);
    });

    it('lists earliest, latest, by-timestamp and max-timestamp offsets', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      await cluster.produce({ topic: 't', partition: 0, records: [100, 200, 300, 250].map((timestamp) => ({ value: null, timestamp })) });
      expect(cluster.listOffsets('t', 0, 'earliest').offset).to.equal(0);
      expect(cluster.listOffsets('t', 0, 'latest').offset).to.equal(4);
      expect(cluster.listOffsets('t', 0, { timestamp: 150 })).to.deep.equal({ offset: 1, timestamp: 200 });
      expect(cluster.listOffsets('t', 0, { timestamp: 0 })).to.deep.equal({ offset: 0, timestamp: 100 });
      expect(cluster.listOffsets('t', 0, { timestamp: 260 })).to.deep.equal({ offset: 2, timestamp: 300 });
      expect(cluster.listOffsets('t', 0, { timestamp: 301 })).to.deep.equal({ offset: -1, timestamp: -1 });
      expect(cluster.listOffsets('t', 0, 'max-timestamp')).to.deep.equal({ offset: 2, timestamp: 300 });
      protocolErrorOf(() => cluster.listOffsets('t', 0, { timestamp: Number.NaN }), 'INVALID_REQUEST');
      protocolErrorOf(() => cluster.listOffsets('t', 0, 'first' as 'earliest'), 'INVALID_REQUEST');
      const empty = virtualCluster();
      empty.createTopic({ topic: 'e' });
      expect(empty.listOffsets('e', 0, 'max-timestamp')).to.deep.equal({ offset: -1, timestamp: -1 });
    });

    it('deleteRecords moves the log start offset, never past the high watermark', async () => {
      const cluster = virtualCluster();
      cluster.createTopic({ topic: 't' });
      await cluster.produce({ topic: 't', partition: 0, records: values(5) });
      expect(cluster.deleteRecords('t', 0, 3)).to.equal(3);
      expect(cluster.deleteRecords('t', 0, 1)).to.equal(3);
      expect(cluster.listOffsets('t', 0, 'earliest').offset).to.equal(3);
      protocolErrorOf(() => cluster.deleteRecords('t', 0, 6), 'OFFSET_OUT_OF_RANGE');
      expect(cluster.deleteRecords('t', 0, -1)).to.equal(5);
      expect(cluster.events().filter((e) => e.type === 'records-deleted')).to.have.length(2);
    });
  });

  describe('compact batches (unit)', () => {
    const stored = [
      { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [], timestamp: 100 },
      { key: null, value: null, headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'h', value: null }], timestamp: 90 },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), headers: [], timestamp: 100_000 },
      { key: Buffer.from('k3'), value: Buffer.alloc(0), headers: [{ key: 'ü', value: Buffer.alloc(0) }], timestamp: 105 },
    ];
    const pack = (arena = new ByteArena()) =>
      packBatch(arena, stored, Float64Array.from(stored, (r) => r.timestamp), { baseOffset: 10, leaderEpoch: 3, timestampType: 'CreateTime' });

    it("sizes a packed batch, and any slice of it, as Kafka's v2 format would the same records", () => {
      const batch = pack();
      expect([batch.count, batch.lastOffset, batch.maxTimestamp]).to.deep.equal([4, 13, 100_000]);
      expect(batch.sizeInBytes).to.equal(batchSizeInBytes(stored));
      for (let from = 0; from < 4; from++) {
        for (let to = from + 1; to <= 4; to++) {
          const slice = sliceBatch(batch, from, to);
          const expected = stored.slice(from, to);
          expect(slice.sizeInBytes).to.equal(batchSizeInBytes(expected));
          expect([slice.baseOffset, slice.lastOffset]).to.deep.equal([10 + from, 9 + to]);
          expect(slice.maxTimestamp).to.equal(Math.max(...expected.map((r) => r.timestamp)));
          expect(readRecords([{ batch: slice, from: 0, to: slice.count }]).map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp }))).to.deep.equal(expected);
        }
      }
      expect(sliceBatch(batch, 0)).to.equal(batch);
    });

    it('keeps batches of one arena apart, aligned, and gives large batches their own memory', () => {
      const arena = new ByteArena();
      const batches = Array.from({ length: 50 }, () => pack(arena));
      const big = packBatch(arena, [{ value: Buffer.alloc(400_000, 1) }], Float64Array.of(1), { baseOffset: 0, leaderEpoch: 0, timestampType: 'CreateTime' });
      for (const b of batches) {
        expect(b.layout.byteOffset % 4).to.equal(0);
        expect(b.timestamps.byteOffset % 8).to.equal(0);
        expect(readRecords([{ batch: b, from: 0, to: b.count }]).map((r) => r.value)).to.deep.equal(stored.map((r) => r.value));
      }
      expect(big.data.byteLength).to.equal(400_000);
      expect(readRecords([{ batch: big, from: 0, to: 1 }])[0]!.value!.equals(Buffer.alloc(400_000, 1))).to.equal(true);
    });
  });

  describe('leader epochs and truncation (unit)', () => {
    it("answers OffsetsForLeaderEpoch from its epoch cache and truncates inside a batch", () => {
      const log = new ReplicaLog(0, 0);
      const mk = (base: number, n: number, epoch: number) =>
        packBatch(
          new ByteArena(),
          Array.from({ length: n }, () => ({ value: null })),
          Float64Array.from({ length: n }, (_, i) => base + i),
          { baseOffset: base, leaderEpoch: epoch, timestampType: 'CreateTime' },
        );
      const roll = { 'segment.bytes': 10_000, 'segment.ms': 1e9 };
      log.append(mk(0, 3, 0), roll, 0);
      log.append(mk(3, 3, 2), roll, 0);
      expect(log.endOffsetForEpoch(0)).to.deep.equal({ epoch: 0, endOffset: 3 });
      expect(log.endOffsetForEpoch(1)).to.deep.equal({ epoch: 0, endOffset: 3 });
      expect(log.endOffsetForEpoch(2)).to.deep.equal({ epoch: 2, endOffset: 6 });
      expect(log.endOffsetForEpoch(-5)).to.deep.equal({ epoch: -1, endOffset: -1 });
      expect(log.truncateTo(4, 0)).to.equal(2);
      expect(log.logEndOffset).to.equal(4);
      expect(log.read(0, 10, 1e6).map((r) => r.offset)).to.deep.equal([0, 1, 2, 3]);
      expect(log.size).to.equal(mk(0, 3, 0).sizeInBytes + mk(3, 1, 2).sizeInBytes);
      expect(log.truncateTo(9, 0)).to.equal(0);
      expect(log.truncateTo(0, 0)).to.equal(4);
      expect([log.logStartOffset, log.logEndOffset, log.latestEpoch]).to.deep.equal([0, 0, -1]);
    });

    /** A log holding `runs` of [epoch, record count] in order, starting at offset 0. */
    const logOf = (runs: readonly (readonly [number, number])[]) => {
      const log = new ReplicaLog(0, 0);
      for (const [epoch, n] of runs) {
        const base = log.logEndOffset;
        const batch = packBatch(
          new ByteArena(),
          Array.from({ length: n }, () => ({ value: null })),
          Float64Array.from({ length: n }, () => 0),
          { baseOffset: base, leaderEpoch: epoch, timestampType: 'CreateTime' },
        );
        log.append(batch, { 'segment.bytes': 10_000, 'segment.ms': 1e9 }, 0);
      }
      return log;
    };

    it("answers as Kafka's LeaderEpochFileCache for epochs older than every known one, newer than the latest, and after a truncation", () => {
      const log = logOf([
        [2, 3],
        [4, 2],
      ]);
      // Older than every known epoch: itself, ending where the first known epoch starts.
      expect(log.endOffsetForEpoch(1)).to.deep.equal({ epoch: 1, endOffset: 0 });
      expect(log.endOffsetForEpoch(3)).to.deep.equal({ epoch: 2, endOffset: 3 });
      expect(log.endOffsetForEpoch(4)).to.deep.equal({ epoch: 4, endOffset: 5 });
      expect(log.endOffsetForEpoch(5)).to.deep.equal({ epoch: -1, endOffset: -1 });
      expect(log.endOffsetForEpoch(-1)).to.deep.equal({ epoch: -1, endOffset: -1 });
      // As if truncated to 3: epoch 4 is gone and 2 is the latest, ending at 3.
      expect(log.endOffsetForEpoch(2, 3)).to.deep.equal({ epoch: 2, endOffset: 3 });
      expect(log.endOffsetForEpoch(4, 3)).to.deep.equal({ epoch: -1, endOffset: -1 });
      // A leader's new epoch starts at its log end with no records yet; it is the latest all the same.
      log.assignEpoch(6);
      expect(log.endOffsetForEpoch(6)).to.deep.equal({ epoch: 6, endOffset: 5 });
      expect(log.endOffsetForEpoch(5)).to.deep.equal({ epoch: 4, endOffset: 5 });
    });

    it("finds where a follower's log diverges from its leader's by the follower's rounds of OffsetsForLeaderEpoch", () => {
      // The same number of records, but from another epoch: nothing in common.
      const leader = logOf([[0, 1]]);
      leader.assignEpoch(2);
      expect(logOf([[1, 1]]).divergenceFrom(leader)).to.equal(0);
      // A copy of the leader's log agrees in full; one longer in the same epoch, up to the leader's end of it.
      expect(logOf([[0, 1]]).divergenceFrom(leader)).to.equal(1);
      expect(logOf([[0, 3]]).divergenceFrom(leader)).to.equal(1);
      // The leader answers an epoch (2) the follower never had: a first round cuts the follower back
      // to where its epoch 1 ends (4), a second finds epoch 0 ends at 2 on the follower's side.
      const twice = logOf([
        [0, 3],
        [2, 3],
      ]);
      twice.assignEpoch(4);
      const follower = logOf([
        [0, 2],
        [1, 2],
        [3, 2],
      ]);
      expect(follower.divergenceFrom(twice)).to.equal(2);
      expect(follower.logEndOffset).to.equal(6);
      // A former leader whose last epoch (3) began at its log end and never got a record: the
      // leader names epoch 0, which ends at 2 on both sides, after a cut that drops epoch 3.
      const formerLeader = logOf([[0, 2]]);
      formerLeader.assignEpoch(3);
      const current = logOf([
        [0, 2],
        [2, 2],
      ]);
      current.assignEpoch(4);
      expect(formerLeader.divergenceFrom(current)).to.equal(2);
      // Truncating to its own end removes no record but drops that epoch, as Kafka's epoch cache
      // does, so the records it fetches next, from epoch 2, start epoch 2 there.
      expect(formerLeader.truncateTo(2, 0)).to.equal(0);
      expect(formerLeader.latestEpoch).to.equal(0);
      for (const batch of current.batchesFrom(2)) formerLeader.append(batch, { 'segment.bytes': 10_000, 'segment.ms': 1e9 }, 0);
      expect([formerLeader.latestEpoch, formerLeader.latestEpochStartOffset]).to.deep.equal([2, 2]);
      expect(formerLeader.divergenceFrom(current)).to.equal(4);
      // A follower without epochs falls back to its high watermark.
      const blank = new ReplicaLog(0, 0);
      expect(blank.divergenceFrom(twice)).to.equal(0);
    });
  });
});
