/**
 * The cooperative-sticky user data: how ownership reaches the leader in each member's metadata
 * `userData`, and how the leader tells members their generation in the assignment's, both UTF-8 JSON.
 * A member's metadata userData:
 *
 * ```json
 * { "ownedPartitions": [{ "topic": "orders", "partitions": [0, 3] }], "generation": 7, "instanceId": "…" }
 * ```
 *
 * `generation` is the assignment generation the member's ownership comes from (-1, or absent, when
 * unknown). As in Java, claims from members whose generation is behind the newest one reported are
 * ignored: such a member missed a rebalance, and whatever it still believes it owns has since been
 * given out again. `instanceId` is optional and only lets an assigner instance recognise its own
 * member when it is the leader (see `CooperativeStickyAssigner`). Missing, empty or malformed
 * userData means the member owns nothing.
 *
 * The leader writes `{ "generation": n }` into each member's assignment userData: the generation the
 * assignment belongs to, which the member reports back at its next join.
 */
import type { TopicPartitions } from '../common.js';
import { DEFAULT_GENERATION, type CooperativeOwnership } from './assign.js';

/** The decoded form of a cooperative-sticky member's metadata userData. */
export interface CooperativeUserData extends CooperativeOwnership {
  /**
   * An opaque id of the assigner instance that wrote it, so that instance can find its own member
   * among the group's when it is the leader.
   * @defaultValue absent
   */
  readonly instanceId?: string;
}

/**
 * Encodes ownership as cooperative-sticky metadata userData (UTF-8 JSON; see the module comment).
 *
 * @param data - What the member owns, the generation it comes from, and optionally the instance id.
 */
export function encodeCooperativeUserData(data: CooperativeUserData): Buffer {
  const body: { ownedPartitions: Array<{ topic: string; partitions: number[] }>; generation: number; instanceId?: string } = {
    ownedPartitions: data.ownedPartitions.map(({ topic, partitions }) => ({ topic, partitions: [...partitions] })),
    generation: data.generation,
  };
  if (data.instanceId !== undefined) body.instanceId = data.instanceId;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/**
 * Decodes cooperative-sticky metadata userData.
 *
 * @param userData - The userData from a member's `MemberMetadata`.
 * @returns `null` for missing, empty or malformed input — such a member owns nothing. A missing
 *   `generation` reads as {@link DEFAULT_GENERATION}.
 */
export function decodeCooperativeUserData(userData: Buffer | null | undefined): CooperativeUserData | null {
  const parsed = parseJson(userData);
  if (parsed === null || !Array.isArray(parsed['ownedPartitions'])) return null;
  const ownedPartitions: TopicPartitions[] = [];
  for (const entry of parsed['ownedPartitions'] as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return null;
    const { topic, partitions } = entry as Record<string, unknown>;
    if (typeof topic !== 'string' || !Array.isArray(partitions) || !partitions.every(isPartitionId)) return null;
    ownedPartitions.push({ topic, partitions: [...(partitions as number[])] });
  }
  const generation = parsed['generation'] ?? DEFAULT_GENERATION;
  if (!Number.isSafeInteger(generation)) return null;
  const instanceId = parsed['instanceId'];
  if (instanceId !== undefined && typeof instanceId !== 'string') return null;
  return instanceId === undefined
    ? { ownedPartitions, generation: generation as number }
    : { ownedPartitions, generation: generation as number, instanceId };
}

function isPartitionId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0x7fffffff;
}

function parseJson(buffer: Buffer | null | undefined): Record<string, unknown> | null {
  if (buffer === null || buffer === undefined || buffer.length === 0) return null;
  try {
    const value: unknown = JSON.parse(buffer.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The leader's assignment userData: the generation the assignment belongs to (see the module comment). */
export function encodeAssignmentUserData(generation: number): Buffer {
  return Buffer.from(JSON.stringify({ generation }), 'utf8');
}

/**
 * The generation the leader announced in an assignment's userData; `null` when there is none, or
 * it is not a safe integer.
 */
export function decodeAssignmentUserData(userData: Buffer | null): number | null {
  const announced = parseJson(userData)?.['generation'];
  return typeof announced === 'number' && Number.isSafeInteger(announced) ? announced : null;
}
