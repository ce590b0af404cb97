/**
 * Conformance: partition reassignment (KIP-455) through kafkajs's admin, on three brokers
 * (`@3brokers`: `npm run test:kafka:3` against real Kafka). The target replicas catch up and join
 * the ISR, leadership moves to the first target in sync when the leader is not a target, the
 * removed replicas go; while a target broker is down the reassignment stays listed.
 */
import { expect } from 'chai';
import type { PartitionMetadata } from 'kafkajs';
import type { Admin, ListPartitionReassignmentsResult } from '../../client/interface.js';
import { adminOf, messages, producerOf, record, rejectionOf } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';

const three = { brokers: 3 as const, timeout: 180_000 };

/** Partition 0 of `topic` as metadata shows it, the ISR sorted (Kafka keeps it in the order replicas joined). */
async function partition0(admin: Admin, topic: string): Promise<Pick<PartitionMetadata, 'leader' | 'replicas' | 'isr' | 'offlineReplicas'>> {
  const p = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.find((x) => x.partitionId === 0)!;
  return { leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort(), offlineReplicas: [...(p.offlineReplicas ?? [])].sort() };
}

/** Creates `topic` with partition 0 on `replicas` and waits until metadata shows them all in sync. */
async function topicOn(c: Control, admin: Admin, topic: string, replicas: number[], inSync = replicas): Promise<string> {
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic, replicaAssignment: [{ partition: 0, replicas }] }] });
  await c.waitUntil(
    async () => {
      const p = await partition0(admin, topic);
      return p.leader === replicas[0] && p.isr.join() === [...inSync].sort().join() && (await c.knownEverywhere(topic, 1));
    },
    { message: `${topic} led by ${replicas[0]} with ISR ${inSync.join(',')}` },
  );
  return topic;
}

type Shown = Awaited<ReturnType<typeof partition0>>;

/**
 * Waits until metadata shows partition 0 of `topic` as `expected`. Brokers learn of a change a few
 * ms apart and kafkajs's admin asks any of them, so one answer can be newer than the next: the
 * scenarios wait for the state rather than assert the first answer after a change.
 */
async function shows(c: Control, admin: Admin, topic: string, expected: Shown): Promise<void> {
  let last: Shown | undefined;
  await c
    .waitUntil(
      async () => {
        last = await partition0(admin, topic);
        return JSON.stringify(last) === JSON.stringify(expected);
      },
      { message: `${topic}-0 shown as ${JSON.stringify(expected)}`, timeoutMs: 60_000 },
    )
    .catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; last shown: ${JSON.stringify(last)}`);
    });
  expect(last).to.deep.equal(expected);
}

async function reassignments(admin: Admin, topics?: { topic: string; partitions: number[] }[]): Promise<ListPartitionReassignmentsResult> {
  // kafkajs's typings name the fields otherwise than its answers do (see ListPartitionReassignmentsResult).
  return (await admin.listPartitionReassignments(topics === undefined ? {} : { topics })) as unknown as ListPartitionReassignmentsResult;
}

conformance('partition reassignment (three brokers)', () => {
  scenario(
    'moving a partition: the new replica catches up and joins the ISR, the leader (not a target) hands over to the first target, the old replica goes',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await topicOn(c, admin, c.name('move'), [1, 2]);
      const producer = await producerOf(c);
      await producer.send({ topic, acks: -1, messages: messages(5, 'before') });
      expect(await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [3, 2] }] }] })).to.equal(undefined);
      await shows(c, admin, topic, { leader: 3, replicas: [3, 2], isr: [2, 3], offlineReplicas: [] });
      expect(await reassignments(admin, [{ topic, partitions: [0] }])).to.deep.equal({ topics: [] });
      // Every acknowledged message is there, served by the new leader.
      await producer.send({ topic, acks: -1, messages: messages(2, 'after') });
      const reader = await record(c, { groupId: c.name('move-reader'), topics: [topic], fromBeginning: true });
      const all = ['before-0', 'before-1', 'before-2', 'before-3', 'before-4', 'after-0', 'after-1'];
      // At least once: on a fresh real cluster the group's first join may rebalance and read again from the start.
      await c.waitUntil(() => new Set(reader.values()).size >= 7, { message: 'all seven messages read' });
      expect([...new Set(reader.values())]).to.deep.equal(all);
    },
    three,
  );

  scenario(
    'reordering the replicas completes at once: the leader keeps leading (the new first replica is only preferred)',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await topicOn(c, admin, c.name('reorder'), [1, 2, 3]);
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [3, 2, 1] }] }] });
      await shows(c, admin, topic, { leader: 1, replicas: [3, 2, 1], isr: [1, 2, 3], offlineReplicas: [] });
      expect(await reassignments(admin)).to.deep.equal({ topics: [] });
    },
    three,
  );

  scenario(
    'a reassignment onto a stopped broker stays in progress: listed with its adding and removing replicas, metadata shows every replica; it completes once the broker is back',
    async (c) => {
      const admin = await adminOf(c);
      await c.stopBroker(3);
      const topic = await topicOn(c, admin, c.name('pending'), [1, 2]);
      const producer = await producerOf(c);
      await producer.send({ topic, acks: -1, messages: messages(3, 'm') });
      await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: [3, 1] }] }] });
      const ongoing = { topics: [{ name: topic, partitions: [{ partition: 0, replicas: [3, 1, 2], addingReplicas: [3], removingReplicas: [2] }] }] };
      await c.waitUntil(async () => (await reassignments(admin, [{ topic, partitions: [0] }])).topics.length === 1, { message: `${topic} reassigning` });
      expect(await reassignments(admin, [{ topic, partitions: [0] }])).to.deep.equal(ongoing);
      expect(await reassignments(admin)).to.deep.equal(ongoing);
      await shows(c, admin, topic, { leader: 1, replicas: [3, 1, 2], isr: [1, 2], offlineReplicas: [3] });
      // kafkajs cannot cancel: it refuses a null replica list before sending anything.
      const cancel = admin.alterPartitionReassignments({
        topics: [{ topic, partitionAssignment: [{ partition: 0, replicas: null as unknown as number[] }] }],
      });
      expect(await rejectionOf(cancel)).to.deep.equal({ name: 'KafkaJSNonRetriableError', retriable: false });
      await c.startBroker(3);
      // Broker 1 is a target and in sync: it keeps leading.
      await shows(c, admin, topic, { leader: 1, replicas: [3, 1], isr: [1, 3], offlineReplicas: [] });
      expect(await reassignments(admin)).to.deep.equal({ topics: [] });
      expect((await admin.fetchTopicOffsets(topic))[0]).to.deep.include({ partition: 0, high: '3', low: '0' });
    },
    three,
  );

  scenario(
    'invalid reassignments: each refused partition is a KafkaJSAlterPartitionReassignmentsError in one KafkaJSAggregateError, and nothing changes',
    async (c) => {
      const admin = await adminOf(c);
      const topic = await topicOn(c, admin, c.name('invalid'), [1, 2]);
      const errorsOf = async (promise: Promise<unknown>) => {
        try {
          await promise;
        } catch (e) {
          const error = e as { name: string; errors?: { name: string; type: string; retriable: boolean; topic: string; partition: number }[] };
          return {
            name: error.name,
            errors: error.errors?.map(({ name, type, retriable, topic: t, partition }) => ({ name, type, retriable, topic: t, partition })),
          };
        }
        throw new Error('expected a rejection');
      };
      const refused = (type: string, partition: number, t = topic) => ({
        name: 'KafkaJSAlterPartitionReassignmentsError',
        type,
        retriable: false,
        topic: t,
        partition,
      });
      expect(
        await errorsOf(
          admin.alterPartitionReassignments({
            topics: [
              {
                topic,
                partitionAssignment: [
                  { partition: 0, replicas: [1, 1] },
                  { partition: 0, replicas: [] },
                  { partition: 0, replicas: [1, 99] },
                  { partition: 5, replicas: [1] },
                ],
              },
            ],
          }),
        ),
      ).to.deep.equal({
        name: 'KafkaJSAggregateError',
        errors: [
          refused('INVALID_REPLICA_ASSIGNMENT', 0),
          refused('INVALID_REPLICA_ASSIGNMENT', 0),
          refused('INVALID_REPLICA_ASSIGNMENT', 0),
          { ...refused('UNKNOWN_TOPIC_OR_PARTITION', 5), retriable: true },
        ],
      });
      const missing = c.name('missing');
      expect(
        await errorsOf(admin.alterPartitionReassignments({ topics: [{ topic: missing, partitionAssignment: [{ partition: 0, replicas: [1] }] }] })),
      ).to.deep.equal({
        name: 'KafkaJSAggregateError',
        errors: [{ ...refused('UNKNOWN_TOPIC_OR_PARTITION', 0, missing), retriable: true }],
      });
      await shows(c, admin, topic, { leader: 1, replicas: [1, 2], isr: [1, 2], offlineReplicas: [] });
      expect(
        await reassignments(admin, [
          { topic, partitions: [0, 5] },
          { topic: missing, partitions: [0] },
        ]),
      ).to.deep.equal({ topics: [] });
    },
    three,
  );

  scenario("kafkajs's own argument checks refuse bad requests before sending anything", async (c) => {
    const admin = await adminOf(c);
    const refusal = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (e) {
        return { name: (e as Error).name, message: (e as Error).message };
      }
      throw new Error('expected a rejection');
    };
    const refused = (message: string) => ({ name: 'KafkaJSNonRetriableError', message });
    const alter = (topics: unknown) => refusal(admin.alterPartitionReassignments({ topics: topics as never }));
    expect(await alter(undefined)).to.deep.equal(refused('Invalid topics array undefined'));
    expect(await alter([{ topic: 1 }])).to.deep.equal(refused('Invalid topics array, the topic names have to be a valid string'));
    expect(await alter([{ topic: 'a' }, { topic: 'a' }])).to.deep.equal(refused('Invalid topics array, it cannot have multiple entries for the same topic'));
    expect(await alter([{ topic: 'a' }])).to.deep.equal(refused('Invalid partitions array: undefined for topic: a'));
    expect(await alter([{ topic: 'a', partitionAssignment: [{ partition: -1, replicas: [1] }] }])).to.deep.equal(
      refused('Invalid partitions index: -1 for topic: a'),
    );
    expect(await alter([{ topic: 'a', partitionAssignment: [{ partition: 0 }] }])).to.deep.equal(
      refused('Invalid replica assignment: undefined for topic: a on partition: 0'),
    );
    expect(await alter([{ topic: 'a', partitionAssignment: [{ partition: 0, replicas: [1, -2] }] }])).to.deep.equal(
      refused('Invalid replica assignment: 1,-2 for topic: a on partition: 0. Replicas must be a non negative number'),
    );
    const list = (topics: unknown) => refusal(admin.listPartitionReassignments({ topics: topics as never }));
    expect(await list('a')).to.deep.equal(refused('Invalid topics array a'));
    expect(await list([{ topic: 'a' }])).to.deep.equal(refused('Invalid partition array: undefined for topic: a'));
    expect(await list([{ topic: 'a', partitions: [0, -1] }])).to.deep.equal(
      refused('Invalid partition array: 0,-1 for topic: a. The partition indices have to be a valid number greater than 0.'),
    );
    expect(
      await list([
        { topic: 'a', partitions: [] },
        { topic: 'a', partitions: [] },
      ]),
    ).to.deep.equal(refused('Invalid topics array, it cannot have multiple entries for the same topic'));
  });
});
