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

// ---------------------------------------------------------------- transactions

/** A connected transactional producer set up as kafkajs advises: idempotent, one request in flight. */
export async function transactionalProducerOf(c: Control, transactionalId: string, extra: Parameters<Control['kafka']['producer']>[0] = {}): Promise<Producer> {
  return producerOf(c, { transactionalId, maxInFlightRequests: 1, idempotent: true, ...extra });
}

/**
 * The latest offset of each partition of `topic`, by partition. kafkajs's admin asks ListOffsets
 * with its default isolation level, READ_COMMITTED: this is each partition's last stable offset.
 */
export async function latestOffsets(admin: Admin, topic: string): Promise<string[]> {
  return [...(await admin.fetchTopicOffsets(topic))].sort((a, b) => a.partition - b.partition).map((o) => o.offset);
}

/**
 * Waits until {@link latestOffsets} answers `expected`. A commit or abort returns once the
 * coordinator has logged its decision; the markers that move the last stable offset land a moment later.
 */
export async function waitForLatest(c: Control, admin: Admin, topic: string, expected: string[]): Promise<void> {
  await c.waitUntil(
    async () => {
      const latest = await latestOffsets(admin, topic);
      // Thrown, not answered false, so that a timeout names the offsets last seen.
      if (JSON.stringify(latest) !== JSON.stringify(expected)) throw new Error(`latest offsets [${latest.join(', ')}]`);
      return true;
    },
    { message: `latest offsets of ${topic} to be [${expected.join(', ')}]` },
  );
}

/** A group's committed offset of each partition of `topic`, by partition ('-1' where it has none). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<string[]> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return [...(t?.partitions ?? [])].sort((a, b) => a.partition - b.partition).map((p) => p.offset);
}

/** Received messages as `partition:offset:value`, sorted by partition then offset. */
export function placed(seen: Received[]): string[] {
  return [...seen].sort((a, b) => a.partition - b.partition || a.offset - b.offset).map((m) => `${m.partition}:${m.offset}:${m.value}`);
}

/** Java's `String.hashCode`, which Kafka uses to place a transactional id on a partition of `__transaction_state`. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * The broker coordinating `transactionalId`: the leader of its partition of `__transaction_state`
 * (Kafka's `Utils.abs(hashCode) % partitions`). The topic exists once a transactional producer has
 * found its coordinator.
 */
export async function transactionCoordinator(c: Control, admin: Admin, transactionalId: string): Promise<number> {
  let leader = -1;
  await c.waitUntil(
    async () => {
      const partitions = (await admin.fetchTopicMetadata({ topics: ['__transaction_state'] })).topics[0]?.partitions ?? [];
      if (partitions.length === 0) return false;
      const hash = javaStringHash(transactionalId);
      const index = (hash === -2147483648 ? 0 : Math.abs(hash)) % partitions.length;
      leader = partitions.find((p) => p.partitionId === index)?.leader ?? -1;
      return leader >= 0;
    },
    { message: `the transaction coordinator of ${transactionalId}` },
  );
  return leader;
}
