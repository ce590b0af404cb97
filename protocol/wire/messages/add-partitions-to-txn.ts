/**
 * AddPartitionsToTxn (API key 24). A transactional producer registers the partitions it is about
 * to write with its transaction coordinator, before its first produce to each. Up to v3 one
 * transaction per request; v4+ batches transactions and is sent by brokers (KIP-890), with
 * verifyOnly to check a partition is already in the transaction. v3 is flexible.
 *
 * Kafka names a partition's code PartitionErrorCode; it is `errorCode` here, as in every other
 * per-partition answer, so the generic error answers (adapters/wire/error-response.ts) find it.
 * The name is not on the wire.
 */
import { api, array, f } from '../schema.js';

const topic = [
  f('name', 'string', '0+'),
  f('partitions', array('int32'), '0+'),
] as const;

const topicResult = [
  f('name', 'string', '0+'),
  f('resultsByPartition', array([
    f('partitionIndex', 'int32', '0+'),
    f('errorCode', 'int16', '0+'),
  ]), '0+'),
] as const;

export const AddPartitionsToTxn = api({
  key: 24,
  name: 'AddPartitionsToTxn',
  versions: '0-5',
  flexible: '3+',
  request: [
    f('transactions', array([
      f('transactionalId', 'string', '4+'),
      f('producerId', 'int64', '4+'),
      f('producerEpoch', 'int16', '4+'),
      f('verifyOnly', 'bool', '4+', { default: false }),
      f('topics', array(topic), '4+'),
    ]), '4+'),
    f('v3AndBelowTransactionalId', 'string', '0-3'),
    f('v3AndBelowProducerId', 'int64', '0-3'),
    f('v3AndBelowProducerEpoch', 'int16', '0-3'),
    f('v3AndBelowTopics', array(topic), '0-3'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '0+'),
    f('errorCode', 'int16', '4+'),
    f('resultsByTransaction', array([
      f('transactionalId', 'string', '4+'),
      f('topicResults', array(topicResult), '4+'),
    ]), '4+'),
    f('resultsByTopicV3AndBelow', array(topicResult), '0-3'),
  ],
});
