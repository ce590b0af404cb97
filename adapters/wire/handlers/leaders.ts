/**
 * KIP-951's leader hints: from Produce v10 and Fetch v16, a partition refused with
 * NOT_LEADER_OR_FOLLOWER (and, for Fetch, FENCED_LEADER_EPOCH) names its current leader and epoch,
 * and the response lists that leader's endpoint, so the client goes straight to it without a
 * Metadata round trip. As Kafka 3.9's `KafkaApis.getCurrentLeader`: leader -1 and epoch -1 when
 * the partition is unknown, and no endpoint when the leader is not alive.
 */
import { code } from './codes.js';
import type { WireContext } from '../handler.js';

const NOT_LEADER_OR_FOLLOWER = code('NOT_LEADER_OR_FOLLOWER');
const FENCED_LEADER_EPOCH = code('FENCED_LEADER_EPOCH');

/** The codes whose partitions carry a leader hint: Produce's one, or Fetch's two. */
export const PRODUCE_HINTED: ReadonlySet<number> = new Set([NOT_LEADER_OR_FOLLOWER]);
export const FETCH_HINTED: ReadonlySet<number> = new Set([NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH]);

export interface LeaderHint {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}
export interface NodeEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/** Collects the hints of one response: `hint` per refused partition, then `endpoints` for the response. */
export class LeaderHints {
  private readonly nodes = new Map<number, NodeEndpoint>();

  constructor(private readonly ctx: WireContext) {}

  /** The current leader of a partition, its endpoint noted for `endpoints()`. */
  hint(topic: string, partition: number): LeaderHint {
    const { engine } = this.ctx;
    if (!engine.topicNames().includes(topic)) return { leaderId: -1, leaderEpoch: -1 };
    const p = engine.describeTopic(topic).partitions.find((x) => x.partition === partition);
    if (p === undefined) return { leaderId: -1, leaderEpoch: -1 };
    const alive = engine.brokers().some((b) => b.nodeId === p.leader && b.status === 'running');
    if (p.leader >= 0 && alive && !this.nodes.has(p.leader)) {
      const { host, port } = this.ctx.addressOf(p.leader);
      this.nodes.set(p.leader, { nodeId: p.leader, host, port, rack: null });
    }
    return { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
  }

  /** The endpoints of every leader hinted at, in the order first hinted. */
  endpoints(): NodeEndpoint[] {
    return [...this.nodes.values()];
  }
}
