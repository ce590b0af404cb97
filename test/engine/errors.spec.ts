import { expect } from 'chai';
import { KAFKA_ERRORS, KafkaJSOffsetOutOfRange, KafkaJSProtocolError, isProtocolError, kafkaError } from '../../src/index.js';
import { KafkaJSConnectionError, KafkaJSCreateTopicError, brokerUnreachable, protocolError } from '../../protocol/errors.js';

describe('error table', () => {
  it("agrees with kafkajs's own table on every code, type and retriable flag", async () => {
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const theirs = (require('kafkajs/src/protocol/error.js') as { errorCodes: { type: string; code: number; retriable: boolean }[] }).errorCodes;
    for (const row of theirs) {
      const ours = kafkaError(row.code);
      expect([ours.type, ours.retriable], `code ${row.code}`).to.deep.equal([row.type, row.retriable]);
    }
    // Past kafkajs 2.2.4's table: the codes of the transaction APIs' newer versions, for Kafka's own clients.
    const known = new Set(theirs.map((row) => row.code));
    expect([...KAFKA_ERRORS.values()].filter((row) => !known.has(row.code)).map((row) => [row.code, row.type])).to.deep.equal([
      [90, 'PRODUCER_FENCED'],
      [105, 'TRANSACTIONAL_ID_NOT_FOUND'],
    ]);
  });

  it("finds rows by kafkajs's type, Kafka's newer name, or code", () => {
    expect(kafkaError('NOT_LEADER_FOR_PARTITION').code).to.equal(6);
    expect(kafkaError('NOT_LEADER_OR_FOLLOWER').type).to.equal('NOT_LEADER_FOR_PARTITION');
    expect(kafkaError('COORDINATOR_NOT_AVAILABLE').code).to.equal(15);
    expect(kafkaError(36).type).to.equal('TOPIC_ALREADY_EXISTS');
    expect(() => kafkaError('NO_SUCH_ERROR')).to.throw(RangeError);
    expect(() => kafkaError(9999)).to.throw(RangeError);
  });

  it("builds kafkajs's classes, with topic and partition where kafkajs has them", () => {
    const plain = protocolError('NOT_ENOUGH_REPLICAS');
    expect(plain).to.be.instanceOf(KafkaJSProtocolError);
    expect([plain.type, plain.code, plain.retriable]).to.deep.equal(['NOT_ENOUGH_REPLICAS', 19, true]);
    expect(plain.message).to.contain('fewer in-sync replicas');
    const range = protocolError('OFFSET_OUT_OF_RANGE', 'too far', { topic: 't', partition: 2 });
    expect(range).to.be.instanceOf(KafkaJSOffsetOutOfRange);
    expect(range).to.include({ topic: 't', partition: 2, message: 'too far' });
    const create = protocolError('TOPIC_ALREADY_EXISTS', 'exists', { topic: 't' });
    expect(create).to.be.instanceOf(KafkaJSCreateTopicError).and.instanceOf(KafkaJSProtocolError);
    expect(isProtocolError(create, 'TOPIC_ALREADY_EXISTS')).to.equal(true);
    expect(isProtocolError(create, 'INVALID_CONFIG')).to.equal(false);
    expect(isProtocolError(new Error('x'))).to.equal(false);
    const down = brokerUnreachable(3, 'stopped');
    expect(down).to.be.instanceOf(KafkaJSConnectionError);
    expect(down.retriable).to.equal(true);
  });
});
