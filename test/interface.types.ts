/**
 * Compile-time checks: a real kafkajs client satisfies the shared interface. (Type-only; tsc
 * fails the build if kafkajs's shapes stop matching.)
 */
import type { Kafka as KafkaJs } from 'kafkajs';
import type { Kafka } from '../src/interface.js';

export type RealClientSatisfiesInterface = KafkaJs extends Kafka ? true : never;
export const realClientSatisfiesInterface: RealClientSatisfiesInterface = true;
