/**
 * What several handlers share: Kafka's codes by name, the engine's int64 numbers as bigints, and
 * the topic id as the wire carries it.
 */
import { kafkaError } from '../../../protocol/errors.js';

/** The numeric code of a Kafka error, by kafkajs's type name. */
export function code(type: string): number {
  return kafkaError(type).code;
}

export const NETWORK_EXCEPTION = 13;
/** Kafka's UNKNOWN_TOPIC_ID: not in kafkajs's table (it predates topic ids). */
export const UNKNOWN_TOPIC_ID = 100;

/**
 * A topic id as a 16-byte uuid. The engine draws its ids as 22 URL-safe base64 characters, whose
 * last one carries 6 bits where a uuid's has 2; reading them as base64url and writing them back
 * keeps the first 128 bits, the same on every call, so the wire id is stable and matches the
 * engine's id in all but the last character.
 */
export function wireTopicId(engineId: string): string {
  return Buffer.from(engineId, 'base64url').subarray(0, 16).toString('base64url');
}

/** A count or offset from the engine as an int64 field. */
export function big(n: number): bigint {
  return BigInt(n);
}

/** An int64 field as the engine's number (offsets and timestamps stay far below 2^53). */
export function num(n: bigint): number {
  return Number(n);
}

/** True when an engine answer means "this broker cannot be reached": no response at all. */
export function isUnreachable(answer: { readonly errorCode: number; readonly broker?: number }, brokerId: number): boolean {
  return answer.errorCode === NETWORK_EXCEPTION && answer.broker === brokerId;
}

/** Kafka's ConfigSource codes (DescribeConfigs v1+, CreateTopics v5+) for the engine's sources. */
export const CONFIG_SOURCE = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

/** Kafka's ConfigResource types. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
