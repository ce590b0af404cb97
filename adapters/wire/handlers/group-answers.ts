/**
 * What the group handlers share: telling an answer from a broker that cannot be reached (the
 * coordinator names the broker in a NETWORK_EXCEPTION; on the wire that is silence, not a code),
 * and the error message Kafka's responses carry where they have one.
 */
import { kafkaError, NONE, type ErrorPart } from '../../../protocol/errors.js';
import type { WireContext } from '../handler.js';

/** True when the coordinator answered "no answer at all": this broker is stopped or cut off. */
export function isUnreachable(answer: ErrorPart): boolean {
  return answer.errorCode === 13 && 'broker' in answer;
}

/**
 * True when this connection's broker is stopped or cut off, for the requests that reach no
 * coordinator call to say so (an empty batch, a key type the twin does not serve).
 */
export function isSilent(ctx: WireContext): boolean {
  return ctx.engine.brokers().find((b) => b.nodeId === ctx.brokerId)?.status !== 'running';
}

/**
 * The error message of a response that has one (FindCoordinator v1+): Kafka writes
 * `Errors.message()`, which is "NONE" for success; a failure carries the coordinator's detail, or
 * the code's description.
 */
export function messageOf(answer: ErrorPart): string {
  if (answer.errorCode === NONE) return 'NONE';
  return answer.errorMessage ?? kafkaError(answer.errorCode).message;
}

/** The request header's client id as the coordinator records it (a null client id is empty). */
export function clientIdOf(clientId: string | null): string {
  return clientId ?? '';
}
