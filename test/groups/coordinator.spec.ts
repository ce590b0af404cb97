/**
 * The coordinator itself, without the twin client: its answers carry Kafka's codes, it runs
 * behind a port any broker can provide, its timers are keyed, and it learns of leadership from
 * explicit onElection/onResignation calls.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../../emulator/clock.js';
import { parseBrokerConfig, type BrokerConfig } from '../../emulator/config.js';
import type { EventInput } from '../../emulator/events.js';
import { GroupCoordinator, OFFSETS_TOPIC, type GroupPort, type JoinGroupRequest, type PortBroker } from '../../emulator/groups/coordinator.js';
import { kafkaError, NONE } from '../../protocol/errors.js';
import { encodeAssignment } from './harness.js';
import { joinRequest, newCluster } from './helpers.js';

const code = (type: string) => kafkaError(type).code;
const moves = (events: readonly EventInput[]) =>
  events.filter((e): e is Extract<EventInput, { type: 'group-coordinator-moved' }> => e.type === 'group-coordinator-moved');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A coordinator behind a hand-made port: two brokers, topic `t` with 2 partitions, one offsets partition led by broker 1. */
function bareCoordinator() {
  const clock = new VirtualClock();
  const events: EventInput[] = [];
  const partitions = new Map<string, number>([['t', 2]]);
  const status = new Map<number, PortBroker['status']>([
    [1, 'running'],
    [2, 'running'],
  ]);
  let uuids = 0;
  let coordinator: GroupCoordinator | undefined;
  const port: GroupPort = {
    config: parseBrokerConfig({ 'offsets.topic.num.partitions': 1, 'group.initial.rebalance.delay.ms': 0 }) as BrokerConfig,
    clock,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
    brokers: () => [...status].map(([nodeId, s]) => ({ nodeId, host: 'localhost', port: 9091 + nodeId, status: s })),
    partitionCount: (topic) => partitions.get(topic),
    partition: (topic, p) => (p < (partitions.get(topic) ?? 0) ? { leader: 1, highWatermark: 10, logStartOffset: 2 } : undefined),
    record: (event) => void events.push(event),
    createOffsetsTopic: (count) => {
      partitions.set(OFFSETS_TOPIC, count);
      coordinator!.onOffsetsTopicCreated(count);
      for (let p = 0; p < count; p++) coordinator!.onElection(p, 1);
      return { errorCode: NONE };
    },
  };
  coordinator = new GroupCoordinator(port);
  return { coordinator, clock, events, status };
}

/** Joins (MEMBER_ID_REQUIRED, then again with the id) and syncs one member owning t-0 and t-1. */
async function stableMember(coordinator: GroupCoordinator, clock: VirtualClock, request: JoinGroupRequest = joinRequest('g')): Promise<string> {
  const first = await coordinator.joinGroup(request);
  expect(first.errorCode).to.equal(code('MEMBER_ID_REQUIRED'));
  const joining = coordinator.joinGroup({ ...request, memberId: first.memberId });
  await clock.advance(0);
  const joined = await joining;
  expect(joined.errorCode).to.equal(NONE);
  const synced = await coordinator.syncGroup({
    groupId: request.groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    assignments: [{ memberId: joined.memberId, memberAssignment: encodeAssignment(new Map([['t', [0, 1]]])) }],
  });
  expect(synced.errorCode).to.equal(NONE);
  return joined.memberId;
}

describe('groups: the coordinator behind its port', () => {
  describe('answers with error codes', () => {
    it('JoinGroup answers MEMBER_ID_REQUIRED with the new member id, as a failed JoinGroup response of Kafka', async () => {
      const { coordinator } = bareCoordinator();
      const answer = await coordinator.joinGroup(joinRequest('g', { clientId: 'app' }));
      expect(answer).to.deep.include({
        errorCode: code('MEMBER_ID_REQUIRED'),
        memberId: 'app-00000000-0000-4000-8000-000000000001',
        generationId: -1,
        leaderId: '',
        protocolName: null,
        members: [],
      });
      expect(answer.errorMessage).to.equal('Group g gave the new member the id app-00000000-0000-4000-8000-000000000001; it must rejoin with it');
    });

    it('Heartbeat, LeaveGroup, DescribeGroups, ListGroups and DeleteGroups answer with codes, never throwing', async () => {
      const { coordinator, clock, status } = bareCoordinator();
      const memberId = await stableMember(coordinator, clock);
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 0, memberId })).to.deep.include({ errorCode: code('ILLEGAL_GENERATION') });
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'ghost' }).errorCode).to.equal(code('UNKNOWN_MEMBER_ID'));
      expect(coordinator.leaveGroup({ groupId: '', memberId }).errorCode).to.equal(code('INVALID_GROUP_ID'));
      expect(coordinator.describeGroups(['g', 'none']).map((d) => [d.errorCode, d.state])).to.deep.equal([
        [NONE, 'Stable'],
        [NONE, 'Dead'],
      ]);
      expect(coordinator.deleteGroups(['g', 'none']).map((d) => d.errorCode)).to.deep.equal([code('NON_EMPTY_GROUP'), code('GROUP_ID_NOT_FOUND')]);
      status.set(2, 'isolated');
      expect(coordinator.listGroups({ broker: 2 })).to.deep.include({ errorCode: code('NETWORK_EXCEPTION'), broker: 2, groups: [] });
      expect(coordinator.deleteGroups(['g'], { broker: 2 })[0]).to.deep.include({ errorCode: code('NETWORK_EXCEPTION'), broker: 2 });
      expect(coordinator.findCoordinator('g', { broker: 2 })).to.deep.include({ errorCode: code('NETWORK_EXCEPTION'), nodeId: -1 });
      expect(coordinator.lag('none')).to.deep.include({ errorCode: code('GROUP_ID_NOT_FOUND'), partitions: [] });
      expect(coordinator.partitionFor('g')).to.deep.equal({ errorCode: NONE, partition: 0 });
    });

    it('a caller bug that is no Kafka outcome still throws: an unknown broker id is a RangeError', () => {
      const { coordinator } = bareCoordinator();
      expect(() => coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'm', broker: 9 })).to.throw(RangeError);
    });
  });

  describe('OffsetCommit answers per partition, as Kafka 3.9', () => {
    it('commits the good partitions and answers the bad ones, unknown topic-partitions first', async () => {
      const cluster = newCluster();
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      const answer = cluster.groups.coordinator.offsetCommit({
        groupId: 'g',
        generationId: -1,
        memberId: '',
        topics: [
          {
            topic: 't',
            partitions: [
              { partition: 0, offset: 5 },
              { partition: 9, offset: 1 },
              { partition: 1, offset: 7, metadata: 'x'.repeat(4097) },
            ],
          },
          { topic: 'missing', partitions: [{ partition: 0, offset: 1 }] },
        ],
      });
      // The broker answers the partitions it does not host itself, then adds the coordinator's answers.
      expect(answer.errorCode).to.equal(NONE);
      expect(answer.topics.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.errorCode])])).to.deep.equal([
        [
          't',
          [
            [9, code('UNKNOWN_TOPIC_OR_PARTITION')],
            [0, NONE],
            [1, code('OFFSET_METADATA_TOO_LARGE')],
          ],
        ],
        ['missing', [[0, code('UNKNOWN_TOPIC_OR_PARTITION')]]],
      ]);
      expect(answer.topics[0]!.partitions[0]!.errorMessage).to.equal('Cannot commit an offset for t-9: no such topic-partition');
      expect(cluster.groups.coordinator.offsetFetch({ groupId: 'g', topics: [{ topic: 't' }] }).topics[0]!.partitions.map((p) => p.offset)).to.deep.equal([
        5, -1,
      ]);
      // The twin client throws the first failed partition's error, as kafkajs's OffsetCommit parser does.
      expect(() =>
        cluster.groups.offsetCommit({
          groupId: 'g',
          generationId: -1,
          memberId: '',
          topics: [
            {
              topic: 't',
              partitions: [
                { partition: 1, offset: 1, metadata: 'x'.repeat(4097) },
                { partition: 7, offset: 1 },
              ],
            },
          ],
        }),
      ).to.throw(/Cannot commit an offset for t-7/);
    });

    it("gives the group's verdict to the partitions that exist, and keeps UNKNOWN_TOPIC_OR_PARTITION for the others", async () => {
      const cluster = newCluster({ brokers: 2 });
      cluster.createTopic({ topic: 't', numPartitions: 1 });
      const commit = (generationId: number, broker?: number) =>
        cluster.groups.coordinator.offsetCommit({
          groupId: 'g',
          generationId,
          memberId: 'm',
          topics: [
            {
              topic: 't',
              partitions: [
                { partition: 0, offset: 1 },
                { partition: 3, offset: 1 },
              ],
            },
          ],
          ...(broker === undefined ? {} : { broker }),
        });
      expect(commit(4).topics[0]!.partitions.map((p) => p.errorCode)).to.deep.equal([code('UNKNOWN_TOPIC_OR_PARTITION'), code('ILLEGAL_GENERATION')]);
      const other = cluster.groups.coordinator.findCoordinator('g').nodeId === 1 ? 2 : 1;
      expect(commit(4, other).topics[0]!.partitions.map((p) => p.errorCode)).to.deep.equal([
        code('UNKNOWN_TOPIC_OR_PARTITION'),
        code('NOT_COORDINATOR_FOR_GROUP'),
      ]);
      cluster.stopBroker(other);
      // A stopped broker gives no answer at all.
      expect(commit(4, other)).to.deep.include({ errorCode: code('NETWORK_EXCEPTION'), broker: other, topics: [] });
    });
  });

  describe('timers are keyed', () => {
    it("a rejoin replaces the member's session timer rather than adding a second one", async () => {
      const cluster = newCluster();
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      const memberId = await stableMember(cluster.groups.coordinator, cluster.clock as VirtualClock, joinRequest('g', { sessionTimeout: 10000 }));
      const session = `session:g:${memberId}`;
      const sessions = () => cluster.groups.coordinator.timerKeys().filter((k) => k.startsWith('session:'));
      expect(sessions()).to.deep.equal([session]);
      await cluster.advance(6000);
      // The leader rejoins: a new generation, a new session from now.
      const rejoined = cluster.groups.coordinator.joinGroup({ ...joinRequest('g', { sessionTimeout: 10000 }), memberId });
      await cluster.advance(0);
      expect((await rejoined).generationId).to.equal(2);
      expect(sessions()).to.deep.equal([session]);
      expect(cluster.groups.coordinator.timerKeys()).to.include.members([session, 'sync:g']);
      // The first session would have ended at 10000; only the one started at 6000 counts.
      await cluster.advance(9999);
      expect(cluster.events().filter((e) => e.type === 'group-member-expired')).to.deep.equal([]);
      await cluster.advance(1);
      expect(
        cluster
          .events()
          .filter((e) => e.type === 'group-member-expired')
          .map((e) => e.time),
      ).to.deep.equal([16000]);
      expect(sessions()).to.deep.equal([]);
    });

    it("a static member's new instance takes over the session under its new member id", async () => {
      const cluster = newCluster();
      cluster.createTopic({ topic: 't' });
      const first = cluster.groups.coordinator.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
      await cluster.advance(0);
      const old = await first;
      await cluster.groups.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: old.memberId, groupInstanceId: 'i-1' });
      const replaced = await cluster.groups.coordinator.joinGroup(joinRequest('g', { groupInstanceId: 'i-1' }));
      expect(replaced.memberId).to.not.equal(old.memberId);
      expect(cluster.groups.coordinator.timerKeys().filter((k) => k.startsWith('session:'))).to.deep.equal([`session:g:${replaced.memberId}`]);
    });
  });

  describe('leadership arrives as onElection and onResignation', () => {
    it('moves a group with its offsets; the old broker answers NOT_COORDINATOR, parked requests too', async () => {
      const { coordinator, clock, events } = bareCoordinator();
      const memberId = await stableMember(coordinator, clock);
      expect(
        coordinator.offsetCommit({ groupId: 'g', generationId: 1, memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 5 }] }] }),
      ).to.deep.equal({
        errorCode: NONE,
        topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: NONE }] }],
      });
      // A second member waits in JoinGroup when the coordinator moves.
      const newcomer = await coordinator.joinGroup(joinRequest('g', { clientId: 'b' }));
      const parked = coordinator.joinGroup(joinRequest('g', { clientId: 'b', memberId: newcomer.memberId }));

      coordinator.onElection(0, 2);
      expect((await parked).errorCode).to.equal(code('NOT_COORDINATOR_FOR_GROUP'));
      expect(moves(events)).to.deep.equal([{ type: 'group-coordinator-moved', groupId: 'g', generationId: 1, partition: 0, from: 1, to: 2 }]);
      expect(coordinator.findCoordinator('g').nodeId).to.equal(2);
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId, broker: 1 }).errorCode).to.equal(code('NOT_COORDINATOR_FOR_GROUP'));
      expect(coordinator.offsetFetch({ groupId: 'g', broker: 1 }).errorCode).to.equal(code('NOT_COORDINATOR_FOR_GROUP'));
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId, broker: 2 }).errorCode).to.equal(NONE);
      expect(coordinator.offsetFetch({ groupId: 'g', broker: 2 }).topics).to.deep.equal([
        { topic: 't', partitions: [{ partition: 0, offset: 5, metadata: null, errorCode: NONE }] },
      ]);
      expect(coordinator.describeGroup('g')).to.deep.include({ state: 'Stable', generationId: 1 });

      coordinator.onResignation(0);
      expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId }).errorCode).to.equal(code('GROUP_COORDINATOR_NOT_AVAILABLE'));
      expect(coordinator.listGroups().groups).to.deep.equal([]);
      coordinator.onElection(0, 1);
      expect(coordinator.offsetFetch({ groupId: 'g' }).topics[0]!.partitions[0]!.offset).to.equal(5);
      expect(moves(events).map((e) => [e.from, e.to])).to.deep.equal([
        [1, 2],
        [2, -1],
        [-1, 1],
      ]);
    });

    it('an election of the same leader changes nothing; one outside the offsets topic is ignored', async () => {
      const { coordinator, clock, events } = bareCoordinator();
      await stableMember(coordinator, clock);
      const before = events.length;
      coordinator.onElection(0, 1);
      coordinator.onElection(5, 2);
      expect(events.length).to.equal(before);
      expect(coordinator.describeGroup('g').state).to.equal('Stable');
    });

    it('a deleted topic takes its offsets; a deleted __consumer_offsets takes every group', async () => {
      const { coordinator, clock } = bareCoordinator();
      const memberId = await stableMember(coordinator, clock);
      coordinator.offsetCommit({ groupId: 'g', generationId: 1, memberId, topics: [{ topic: 't', partitions: [{ partition: 0, offset: 5 }] }] });
      coordinator.onTopicDeleted('t');
      expect(coordinator.offsetFetch({ groupId: 'g' }).topics).to.deep.equal([]);
      coordinator.onTopicDeleted(OFFSETS_TOPIC);
      expect(coordinator.timerKeys()).to.deep.equal([]);
    });
  });

  describe('layering', () => {
    const sources = readdirSync(join(root, 'emulator/groups')).filter((f) => f.endsWith('.ts'));

    it('nothing in emulator/groups imports the engine, an adapter or src/', () => {
      expect(sources).to.include.members(['coordinator.ts', 'port.ts', 'join.ts', 'membership.ts', 'offsets.ts', 'placement.ts', 'rebalance.ts']);
      for (const file of sources) {
        const imports = [...readFileSync(join(root, 'emulator/groups', file), 'utf8').matchAll(/^(?:import|export)[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
        for (const path of imports) {
          expect(path, `${file} imports ${path}`).to.not.match(/engine|adapters|\/src\//);
          // Only the floors below: the rest of the emulator and protocol/.
          if (path.startsWith('.')) expect(resolve(root, 'emulator/groups', path), `${file} imports ${path}`).to.match(/\/(emulator|protocol)\/[^/]+/);
        }
      }
    });

    it('no file in emulator/groups builds a kafkajs error: outcomes are codes', () => {
      for (const file of sources) {
        const text = readFileSync(join(root, 'emulator/groups', file), 'utf8');
        expect(text, file).to.not.match(/protocolError\(|brokerUnreachable\(|errorOf\(|orThrow\(|from 'kafkajs'|new KafkaJS/);
      }
    });

    it('every file in emulator/groups stays under 600 lines and says first which Kafka requests it models', () => {
      for (const file of sources) {
        const text = readFileSync(join(root, 'emulator/groups', file), 'utf8');
        expect(text.split('\n').length, file).to.be.below(600);
        expect(text.startsWith('/**'), file).to.equal(true);
      }
    });
  });
});
