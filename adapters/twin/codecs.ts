/**
 * kafkajs's compression codecs on the twin. kafkajs keeps them in one table
 * (`CompressionCodecs`, src/protocol/message/compression): GZIP built in, Snappy, LZ4 and ZSTD
 * throwing KafkaJSNotImplemented ("Snappy compression not implemented") until the user registers
 * a codec (`CompressionCodecs[CompressionTypes.Snappy] = () => codec`). The twin looks codecs up
 * in that same table, as kafkajs's producer does when it encodes a batch, so a missing
 * registration fails a send here as it does against Kafka.
 *
 * The engine stores records uncompressed; what must still happen is the codec's round trip. A
 * send compresses each partition's records (the v2 records block kafkajs compresses: the record
 * count, then the records) with the codec, the compressed block is kept beside the stored batch,
 * and a consumer fetching that batch decompresses it as kafkajs's decoder would, checking that
 * the codec gave back what it was given. So a codec that throws, or garbles its data, fails on
 * the twin too. The blocks are kept per cluster, keyed by partition and base offset, for as long
 * as the cluster lives.
 */
import { createRequire } from 'node:module';
import type { RecordRange } from '../../emulator/records.js';
import type { ProduceRecord } from '../../emulator/records.js';
import { crc32c } from '../../protocol/wire/crc32c.js';
import { encodeRecordBatch, RECORD_BATCH_OVERHEAD } from '../../protocol/wire/records.js';

/** A kafkajs codec: what `CompressionCodecs[type]()` returns. */
interface KafkaJsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer> | Buffer;
  decompress(buffer: Buffer): Promise<Buffer> | Buffer;
}

const require = createRequire(import.meta.url);
/** kafkajs's own table, the module instance `import { CompressionCodecs } from 'kafkajs'` is. */
const { Codecs } = require('kafkajs/src/protocol/message/compression') as { Codecs: Record<number, (() => KafkaJsCodec) | undefined> };

/** kafkajs's lookupCodec for a non-zero compression type: its factory's codec (which throws KafkaJSNotImplemented for an unregistered one). */
function codecOf(type: number): KafkaJsCodec {
  const factory = Codecs[type];
  // kafkajs finds no codec for an unknown type and fails on calling it, with this TypeError.
  if (factory === undefined) throw new TypeError("Cannot read properties of null (reading 'compress')");
  return factory();
}

/** A compressed block, as kept beside its stored batch. */
interface Block {
  readonly type: number;
  readonly compressed: Buffer;
  /** Length and CRC-32C of what was compressed, to check what decompression gives back. */
  readonly length: number;
  readonly crc: number;
}

const BLOCKS = new WeakMap<object, Map<string, Map<number, Block>>>();

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The records block kafkajs compresses: the record count, then the records (a v2 batch after its fixed header's count). */
function recordsBlock(records: readonly ProduceRecord[]): Buffer {
  const base = records[0]?.timestamp ?? 0;
  const batch = encodeRecordBatch({
    records: records.map((r) => ({
      timestampDelta: (r.timestamp ?? base) - base,
      key: r.key ?? null,
      value: r.value,
      headers: r.headers ?? [],
    })),
  });
  return batch.subarray(RECORD_BATCH_OVERHEAD - 4);
}

/** A send's compression, per partition; nothing for `compression` 0 (none). */
export interface Compressed {
  /** Remembers the blocks of the partitions the engine stored, at the base offsets it answered. */
  remember(stored: readonly { topic: string; partition: number; baseOffset: number }[]): void;
}

/**
 * Compresses each partition's records with the codec of `type`, as kafkajs's producer does when
 * it encodes a Produce request: throws what kafkajs throws for a codec not registered, and
 * whatever the codec's compress throws.
 */
export async function compress(
  owner: object,
  type: number | undefined,
  partitions: readonly { topic: string; partition: number; records: readonly ProduceRecord[] }[],
): Promise<Compressed | undefined> {
  if (type === undefined || type === 0) return undefined;
  const blocks = new Map<string, Block>();
  for (const { topic, partition, records } of partitions) {
    // kafkajs looks the codec up per batch, so a missing registration throws before anything is sent.
    const codec = codecOf(type);
    const plain = recordsBlock(records);
    const compressed = Buffer.from(await codec.compress({ buffer: plain }));
    blocks.set(partitionKey(topic, partition), { type, compressed, length: plain.length, crc: crc32c(plain) });
  }
  return {
    remember(stored) {
      let byPartition = BLOCKS.get(owner);
      if (byPartition === undefined) BLOCKS.set(owner, (byPartition = new Map()));
      for (const { topic, partition, baseOffset } of stored) {
        const block = blocks.get(partitionKey(topic, partition));
        if (block === undefined || baseOffset < 0) continue;
        const k = partitionKey(topic, partition);
        let byOffset = byPartition.get(k);
        if (byOffset === undefined) byPartition.set(k, (byOffset = new Map()));
        byOffset.set(baseOffset, block);
      }
    },
  };
}

/**
 * Decompresses the blocks of the fetched batches that were sent compressed, as kafkajs's decoder
 * does on a fetch: with the codec registered now (KafkaJSNotImplemented if there is none), and
 * failing when the codec throws or gives back other bytes than it was given.
 */
export async function decompressFetched(owner: object, topic: string, partition: number, ranges: readonly RecordRange[]): Promise<void> {
  const byOffset = BLOCKS.get(owner)?.get(partitionKey(topic, partition));
  if (byOffset === undefined) return;
  for (const { batch } of ranges) {
    const block = byOffset.get(batch.baseOffset);
    if (block === undefined) continue;
    const codec = codecOf(block.type);
    const plain = Buffer.from(await codec.decompress(block.compressed));
    if (plain.length !== block.length || crc32c(plain) !== block.crc) {
      throw new Error(
        `The codec for compression type ${block.type} decompressed the batch at offset ${batch.baseOffset} of ${topic}-${partition} to ${plain.length} bytes other than the ${block.length} it compressed`,
      );
    }
  }
}
