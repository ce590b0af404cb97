import { expect } from 'chai';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { Partitioners, createDefaultPartitioner, murmur2, partitionForKey, toPositive } from '../client/partitioners.js';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

const meta = (n: number, offline: number[] = []): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: offline.includes(i) ? -1 : 1, replicas: [1], isr: [1] }));

describe('partitioners', () => {
  it("murmur2 equals kafkajs's (and so the Java client's) for any key bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(murmur2(Buffer.from(bytes))).to.equal(kafkajsMurmur2(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
    // Known values from the Java client's tests (Utils.murmur2 of UTF-8 strings).
    expect(murmur2(Buffer.from('21'))).to.equal(-973932308);
    expect(murmur2(Buffer.from('foobar'))).to.equal(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).to.equal(-985981536);
    expect(murmur2(Buffer.from(''))).to.equal(275646681);
  });

  it("puts every keyed message on the partition kafkajs's DefaultPartitioner picks", () => {
    const theirs = kafkajs.Partitioners.DefaultPartitioner();
    const ours = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))), fc.integer({ min: 1, max: 500 }), (key, n) => {
        const args = { topic: 't', partitionMetadata: meta(n), message: { key, value: null } };
        expect(ours(args)).to.equal(theirs(args));
        expect(partitionForKey(key, n)).to.equal(theirs(args));
      }),
      { numRuns: 1000 },
    );
  });

  it('honours an explicit partition and spreads unkeyed messages round-robin over partitions with a leader', () => {
    const partition = createDefaultPartitioner({ start: 0 })();
    expect(partition({ topic: 't', partitionMetadata: meta(3), message: { value: 'x', partition: 2 } })).to.equal(2);
    const picks = Array.from({ length: 6 }, () => partition({ topic: 't', partitionMetadata: meta(4, [1]), message: { value: 'x' } }));
    expect(picks).to.deep.equal([2, 3, 0, 2, 3, 0]);
    const other = Array.from({ length: 2 }, () => partition({ topic: 'u', partitionMetadata: meta(2), message: { value: null } }));
    expect(other).to.deep.equal([1, 0]);
    const noLeader = Array.from({ length: 3 }, () => partition({ topic: 'v', partitionMetadata: meta(3, [0, 1, 2]), message: { value: null } }));
    expect(noLeader).to.deep.equal([1, 2, 0]);
    expect(toPositive(-1)).to.equal(0x7fffffff);
  });

  it('spreads unkeyed messages over the leaders of the metadata it is given, reused or new', () => {
    const partition = createDefaultPartitioner({ start: 0 })();
    const before = meta(4);
    expect(Array.from({ length: 4 }, () => partition({ topic: 't', partitionMetadata: before, message: { value: 'x' } }))).to.deep.equal([1, 2, 3, 0]);
    // A leader change comes as new metadata: the counter goes on (5, 6, 7) over partitions 0, 1 and 3.
    const after = meta(4, [2]);
    expect(Array.from({ length: 3 }, () => partition({ topic: 't', partitionMetadata: after, message: { value: 'x' } }))).to.deep.equal([3, 0, 1]);
    expect(partition({ topic: 't', partitionMetadata: before, message: { value: 'x' } })).to.equal(0);
  });
});
