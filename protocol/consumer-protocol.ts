/**
 * The consumer protocol's two payloads, which the group coordinator carries without reading them
 * except to report and to validate: a member's subscription (`MemberMetadata`, sent with
 * JoinGroup) and its share of the assignment (`MemberAssignment`, sent back with SyncGroup). kafkajs
 * encodes both with its `AssignerProtocol`; this is the one place the project calls it, so the
 * engine, the assignors and the twin client read and write the same bytes a real client does.
 */
import { AssignerProtocol } from './kafkajs.js';

/** A decoded subscription: the topics a member asks for and the assignor's user data. */
export interface DecodedSubscription {
  readonly topics: string[];
  readonly userData: Buffer | null;
}

/** One member's share as the consumer protocol carries it: partition ids by topic. */
export type TopicAssignment = Record<string, number[]>;

/** Decodes a subscription as kafkajs does; throws on bytes that are not one (kafkajs's join fails the same way). */
export function decodeMemberMetadataStrict(metadata: Buffer): DecodedSubscription {
  const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
  return { topics: decoded?.topics ?? [], userData: Buffer.isBuffer(decoded?.userData) ? decoded.userData : null };
}

/** Decodes a subscription, or null when the bytes are not in the consumer protocol's format. */
export function decodeMemberMetadata(metadata: Buffer): DecodedSubscription | null {
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
    if (decoded === null || !Array.isArray(decoded.topics)) return null;
    const topics = decoded.topics.filter((t): t is string => typeof t === 'string');
    return { topics, userData: Buffer.isBuffer(decoded.userData) ? decoded.userData : null };
  } catch {
    return null;
  }
}

/**
 * Decodes a member's subscription for an assignor: a member whose metadata cannot be decoded
 * subscribes to nothing rather than failing the whole rebalance.
 */
export function decodeSubscription(metadata: Buffer): DecodedSubscription {
  return decodeMemberMetadata(metadata) ?? { topics: [], userData: null };
}

/** Decodes a member's assignment as kafkajs does: null for a buffer too short to hold a version; throws on bytes that are not one. */
export function decodeMemberAssignmentStrict(buffer: Buffer): { readonly assignment: TopicAssignment; readonly userData: Buffer | null } | null {
  const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
  if (decoded === null) return null;
  return { assignment: decoded.assignment as TopicAssignment, userData: Buffer.isBuffer(decoded.userData) ? decoded.userData : null };
}

/**
 * Reads a MemberAssignment as a list: `[]` for an empty one, null when the bytes are not in the
 * consumer protocol's format (another protocol type's assignment, say).
 */
export function decodeAssignment(buffer: Buffer): { topic: string; partitions: number[] }[] | null {
  if (buffer.length === 0) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    if (decoded === null || typeof decoded.assignment !== 'object' || decoded.assignment === null) return null;
    return Object.entries(decoded.assignment).map(([topic, partitions]) => ({ topic, partitions: [...(partitions as number[])] }));
  } catch {
    return null;
  }
}

/**
 * Encodes one member's share; an empty userData matches what kafkajs writes when it has none.
 * @defaultValue `userData`: an empty buffer
 */
export function encodeMemberAssignment(version: number, assignment: TopicAssignment, userData: Buffer = Buffer.alloc(0)): Buffer {
  return AssignerProtocol.MemberAssignment.encode({ version, assignment, userData });
}

/**
 * Encodes a subscription the way kafkajs's own round-robin does.
 * @defaultValue `userData`: an empty buffer
 */
export function encodeMemberMetadata(version: number, topics: readonly string[], userData: Buffer = Buffer.alloc(0)): Buffer {
  return AssignerProtocol.MemberMetadata.encode({ version, topics: [...topics], userData });
}
