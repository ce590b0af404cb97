/**
 * The shared interface is kafkajs's own types narrowed with Pick: a real kafkajs client must
 * satisfy it. The check is made by the compiler; this spec keeps it in the test run.
 */
import { expect } from 'chai';
import type { Kafka as KafkaJs } from 'kafkajs';
import * as shared from '../client/interface.js';
import type { Kafka } from '../client/interface.js';

type RealClientSatisfiesInterface = KafkaJs extends Kafka ? true : never;
const realClientSatisfiesInterface: RealClientSatisfiesInterface = true;

describe('shared interface', () => {
  it('is satisfied by a real kafkajs client (checked by tsc) and carries no runtime code', () => {
    expect(realClientSatisfiesInterface).to.equal(true);
    expect(Object.keys(shared)).to.deep.equal([]);
  });
});
