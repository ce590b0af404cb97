/**
 * Helpers for conformance scenarios, written against the shared interface and the control only,
 * so they behave the same on both targets.
 */
import kafkajs from 'kafkajs';
import type { ConsumerConfig, ConsumerRunConfig, IHeaders, ITopicConfig, Message } from 'kafkajs';
import type { Admin, Consumer, Producer } from '../../client/interface.js';
import type { Control } from './targets.js';

const { AssignerProtocol } = kafkajs;

/** A connected admin client. */
export async function adminOf(c: Control): Promise<Admin> {
  const admin = c.kafka.admin();
  await admin.connect();
  return admin;
}

/** A connected producer. */
export async function producerOf(c: Control, config?: Parameters<Control['kafka']['producer']>[0]): Promise<Producer> {
  const producer = c.kafka.producer(config);
  await producer.connect();
  return producer;
}

/**
 * Creates a topic as the scripts advise for real Kafka (`waitForLeaders: false`, then polling the
 * metadata until every partition has a leader) and returns its name.
 */
export async function createTopic(c: Control, admin: Admin, topic: ITopicConfig): Promise<string> {
  const created = await admin.createTopics({ waitForLeaders: false, topics: [topic] });
  if (!created) throw new Error(`topic ${topic.topic} exists already`);
  await waitForLeaders(c, admin, topic.topic, topic.numPartitions ?? 1);
  return topic.topic;
}

/** Waits until every broker knows `topic` with `partitions` partitions, each with a leader that answers ListOffsets. */
export async function waitForLeaders(c: Control, admin: Admin, topic: string, partitions: number): Promise<void> {
  await c.waitUntil(
    async () => {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const ps = topics[0]?.partitions ?? [];
        if (ps.length !== partitions || !ps.every((p) => p.leader >= 0 && p.partitionErrorCode === 0)) return false;
        if (!(await c.knownEverywhere(topic, partitions))) return false;
        // A new leader can briefly answer ListOffsets with NOT_LEADER_FOR_PARTITION: wait until it serves offsets.
        await admin.fetchTopicOffsets(topic);
        return true;
      } catch {
        return false;
      }
    },
    { message: `leaders for ${partitions} partition(s) of ${topic}` },
  );
}

/** A received message, as a scenario compares it. */
export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: string;
  headers: IHeaders | undefined;
}

/** Consumer settings for scenarios: quick long polls and heartbeats, so real Kafka is not slow. */
export function quick(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return { groupId, maxWaitTimeInMs: 100, heartbeatInterval: 500, sessionTimeout: 10_000, ...extra };
}

/** A running consumer that records every message it gets, and how many fetches it has made. */
export interface Recorder {
  consumer: Consumer;
  seen: Received[];
  values(): (string | null)[];
  fetches(): number;
}

/**
 * Connects, subscribes and runs a consumer that records what it receives. Resolves once `run`
 * has resolved (the consumer has joined) and, unless `waitForFetch` is false, once it has made a
 * first fetch, so its starting offsets are resolved.
 */
export async function record(
  c: Control,
  options: {
    groupId: string;
    topics: (string | RegExp)[];
    fromBeginning?: boolean;
    config?: Partial<ConsumerConfig>;
    run?: Partial<ConsumerRunConfig>;
    waitForFetch?: boolean;
    onMessage?: (m: Received) => Promise<void> | void;
  },
): Promise<Recorder> {
  const consumer = c.kafka.consumer(quick(options.groupId, options.config));
  let fetches = 0;
  consumer.on(consumer.events.FETCH, () => void fetches++);
  const seen: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? false });
  await consumer.run({
    ...options.run,
    eachMessage: async ({ topic, partition, message }) => {
      const m: Received = {
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key === null ? null : message.key.toString(),
        value: message.value === null ? null : message.value.toString(),
        timestamp: message.timestamp,
        headers: message.headers,
      };
      await options.onMessage?.(m);
      seen.push(m);
    },
  });
  if (options.waitForFetch !== false) await c.waitUntil(() => fetches > 0, { message: `a first fetch by a consumer of ${options.groupId}` });
  return { consumer, seen, values: () => seen.map((m) => m.value), fetches: () => fetches };
}

/** Sends `messages` to `topic` and returns the record metadata. */
export async function send(producer: Producer, topic: string, messages: Message[], acks?: number) {
  return producer.send({ topic, messages, ...(acks === undefined ? {} : { acks }) });
}

/** `n` messages with values `prefix-0` ... */
export function messages(n: number, prefix: string, extra: Partial<Message> = {}): Message[] {
  return Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}`, ...extra }));
}

/** The shape of an error, for comparing what both targets throw. */
export interface ErrorShape {
  name: string;
  type?: string;
  retriable?: boolean;
  errors?: ErrorShape[];
  cause?: ErrorShape;
}

/** Awaits `promise`, which must reject, and returns the shape of the error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<ErrorShape> {
  try {
    await promise;
  } catch (e) {
    return shapeOf(e);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** The parts of a kafkajs error both targets should agree on. */
export function shapeOf(e: unknown): ErrorShape {
  const error = e as { name?: string; type?: string; retriable?: boolean; errors?: unknown[]; cause?: unknown };
  const shape: ErrorShape = { name: String(error.name) };
  if (error.type !== undefined) shape.type = error.type;
  if (error.retriable !== undefined) shape.retriable = error.retriable;
  if (Array.isArray(error.errors)) shape.errors = error.errors.map(shapeOf);
  if (error.cause !== undefined && error.cause !== null && error.cause !== e) shape.cause = shapeOf(error.cause);
  return shape;
}

/** The partitions each member of a group is assigned, decoded; sorted by partition list. */
export async function assignments(admin: Admin, groupId: string, topic: string): Promise<number[][]> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups[0]?.members ?? [];
  return members
    .map((m) => {
      const decoded = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      return [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    })
    .sort((a, b) => a.length - b.length || (a[0] ?? -1) - (b[0] ?? -1));
}

/** Resolves once the group is Stable with `members` members whose assignments cover `partitions` partitions of `topic`. */
export async function waitForGroup(c: Control, admin: Admin, groupId: string, topic: string, members: number, partitions: number): Promise<number[][]> {
  let last: number[][] = [];
  await c.waitUntil(
    async () => {
      const { groups } = await admin.describeGroups([groupId]);
      if (groups[0]?.state !== 'Stable' || groups[0].members.length !== members) return false;
      last = await assignments(admin, groupId, topic);
      return last.flat().length === partitions;
    },
    { message: `group ${groupId} Stable with ${members} member(s) over ${partitions} partition(s)` },
  );
  return last;
}

/** Partitions sorted. */
export const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
