/**
 * AddPartitionsToTxn (key 24), v0–v3: the versions clients send (Kafka 3.9's Java producer caps
 * its builder at v3, kafkajs sends v1). v2 may answer PRODUCER_FENCED (v0–v1 get
 * INVALID_PRODUCER_EPOCH instead: the version goes to the engine); v3 is flexible. v4–v5 batch
 * several transactions with verifyOnly and are sent by brokers to verify a transactional produce
 * (KIP-890 part 1); the twin's engine checks transactional produce itself, so they are not
 * advertised (docs/fidelity.md). Sent to the transactional id's coordinator; one code per
 * partition.
 */
import { AddPartitionsToTxn } from '../../../protocol/wire/index.js';
import { handler } from '../handler.js';
import { num } from './codes.js';
import { isSilent } from './group-answers.js';

export const addPartitionsToTxn = handler({
  api: AddPartitionsToTxn,
  versions: [0, 3],
  handle(ctx, version, request) {
    if (isSilent(ctx)) return 'unreachable';
    const answer = ctx.engine.addPartitionsToTxn({
      transactionalId: request.v3AndBelowTransactionalId,
      producerId: num(request.v3AndBelowProducerId),
      producerEpoch: request.v3AndBelowProducerEpoch,
      topics: request.v3AndBelowTopics.map((t) => ({ topic: t.name, partitions: t.partitions })),
      broker: ctx.brokerId,
      version,
    });
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: answer.results.map((t) => ({
        name: t.topic,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: p.errorCode })),
      })),
    };
  },
});
