/**
 * Conformance: consumer groups. Assignment across members, members leaving or timing out,
 * partitions added under a running group, and the admin's group calls.
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import {
  adminOf,
  assignments,
  createTopic,
  messages,
  producerOf,
  record,
  rejectionOf,
  shapeOf,
  waitForGroup,
  waitForLeaders,
  type Recorder,
} from './helpers.js';
import { conformance, scenario } from './targets.js';

const { AssignerProtocol } = kafkajs;

/** kafkajs answers each group with its error code; its typings leave the field out. */
const errorCodeOf = (g: object) => (g as { errorCode?: number }).errorCode;

conformance('consumer groups', () => {
  scenario('two, then four consumers of one group on three partitions: 2+1, then 1+1+1 and one idle', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('split'), numPartitions: 3 });
    const groupId = c.name('split-g');
    const members: Recorder[] = [];
    for (let i = 0; i < 2; i++) members.push(await record(c, { groupId, topics: [topic], fromBeginning: true, waitForFetch: false }));
    expect(await waitForGroup(c, admin, groupId, topic, 2, 3)).to.satisfy((a: number[][]) => a.map((x) => x.length).join() === '1,2');
    for (let i = 0; i < 2; i++) members.push(await record(c, { groupId, topics: [topic], fromBeginning: true, waitForFetch: false }));
    const four = await waitForGroup(c, admin, groupId, topic, 4, 3);
    expect(four.map((x) => x.length)).to.deep.equal([0, 1, 1, 1]);
    expect(four.flat().sort()).to.deep.equal([0, 1, 2]);
    // Each partition's messages go to exactly one member, once.
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [0, 1, 2].flatMap((p) => messages(3, `p${p}`, { partition: p })) });
    await c.waitUntil(() => members.reduce((n, m) => n + m.seen.length, 0) === 9, { message: 'nine messages over the members' });
    await c.settle();
    const perMember = members.map((m) => [...new Set(m.seen.map((s) => s.partition))].length).sort();
    expect(perMember).to.deep.equal([0, 1, 1, 1]);
    expect(members.flatMap((m) => m.values()).sort()).to.deep.equal([0, 1, 2].flatMap((p) => [0, 1, 2].map((i) => `p${p}-${i}`)));
  });

  scenario('a member that leaves hands its partitions to the others, which resume from its commits', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('leave'), numPartitions: 3 });
    const groupId = c.name('leave-g');
    const members: Recorder[] = [];
    for (let i = 0; i < 3; i++) members.push(await record(c, { groupId, topics: [topic], fromBeginning: true, waitForFetch: false }));
    expect((await waitForGroup(c, admin, groupId, topic, 3, 3)).map((x) => x.length)).to.deep.equal([1, 1, 1]);
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [0, 1, 2].map((p) => ({ value: `before-${p}`, partition: p })) });
    await c.waitUntil(() => members.reduce((n, m) => n + m.seen.length, 0) === 3, { message: 'three messages' });
    const leaver = members.find((m) => m.seen.length > 0)!;
    const orphan = leaver.seen[0]!.partition;
    await leaver.consumer.disconnect();
    const stay = members.filter((m) => m !== leaver);
    expect((await waitForGroup(c, admin, groupId, topic, 2, 3)).map((x) => x.length)).to.deep.equal([1, 2]);
    await producer.send({ topic, messages: [{ value: 'after', partition: orphan }] });
    await c.waitUntil(() => stay.some((m) => m.values().includes('after')), { message: 'the orphaned partition consumed' });
    await c.settle();
    // The leaver committed what it processed: nobody reads its message again.
    expect(
      stay
        .flatMap((m) => m.seen)
        .filter((s) => s.partition === orphan)
        .map((s) => s.value),
    ).to.deep.equal(['after']);
  });

  scenario('a member that stops heartbeating is removed after its session timeout; its partition moves', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('session'), numPartitions: 2 });
    const groupId = c.name('session-g');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const config = { sessionTimeout: 6000, heartbeatInterval: 500 };
    const live = await record(c, { groupId, topics: [topic], fromBeginning: true, config, waitForFetch: false });
    // The stuck member blocks in its handler: no heartbeats (kafkajs heartbeats between messages), no leave.
    const stuck = await record(c, { groupId, topics: [topic], fromBeginning: true, config, waitForFetch: false, onMessage: () => released });
    await waitForGroup(c, admin, groupId, topic, 2, 2);
    const producer = await producerOf(c);
    await producer.send({
      topic,
      messages: [
        { value: 'm0', partition: 0 },
        { value: 'm1', partition: 1 },
      ],
    });
    try {
      await c.waitUntil(
        async () => {
          const { groups } = await admin.describeGroups([groupId]);
          return groups[0]!.state === 'Stable' && groups[0]!.members.length === 1;
        },
        { message: 'the stuck member to be removed', timeoutMs: 30_000 },
      );
      expect(await assignments(admin, groupId, topic)).to.deep.equal([[0, 1]]);
      // The live member now owns both partitions, and reads the message the stuck one never finished.
      await c.waitUntil(() => live.values().includes('m0') && live.values().includes('m1'), { message: 'both messages at the live member' });
      expect(stuck.seen).to.deep.equal([]);
    } finally {
      release();
    }
  });

  scenario('adding partitions to a subscribed topic rebalances the group, and the new partitions are consumed', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('addp'), numPartitions: 1 });
    const groupId = c.name('addp-g');
    const r = await record(c, { groupId, topics: [topic], fromBeginning: true, config: { metadataMaxAge: 1000 } });
    await waitForGroup(c, admin, groupId, topic, 1, 1);
    await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
    await waitForLeaders(c, admin, topic, 3);
    expect(await waitForGroup(c, admin, groupId, topic, 1, 3)).to.deep.equal([[0, 1, 2]]);
    const producer = await producerOf(c);
    await producer.send({
      topic,
      messages: [
        { value: 'new-1', partition: 1 },
        { value: 'new-2', partition: 2 },
      ],
    });
    await c.waitUntil(() => r.seen.length === 2, { message: 'messages on the new partitions' });
    expect(r.seen.map((m) => [m.partition, m.value]).sort()).to.deep.equal([
      [1, 'new-1'],
      [2, 'new-2'],
    ]);
  });

  scenario('describeGroups: Stable with its members while running, Empty after, Dead for an unknown group', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('desc'), numPartitions: 2 });
    const groupId = c.name('desc-g');
    const r = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await waitForGroup(c, admin, groupId, topic, 1, 2);
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0]!;
    expect({
      groupId: g.groupId,
      state: g.state,
      protocol: g.protocol,
      protocolType: g.protocolType,
      errorCode: errorCodeOf(g),
      members: g.members.length,
    }).to.deep.equal({
      groupId,
      state: 'Stable',
      protocol: 'RoundRobinAssigner',
      protocolType: 'consumer',
      errorCode: 0,
      members: 1,
    });
    const member = g.members[0]!;
    expect(member.clientId).to.equal('conformance');
    expect(member.memberId.startsWith('conformance-')).to.equal(true);
    expect(typeof member.clientHost).to.equal('string');
    expect(AssignerProtocol.MemberMetadata.decode(member.memberMetadata)).to.deep.equal({ version: 0, topics: [topic], userData: Buffer.alloc(0) });
    expect(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)).to.deep.equal({
      version: 0,
      assignment: { [topic]: [1, 0] },
      userData: Buffer.alloc(0),
    });
    // The consumer's own describeGroup answers the same.
    const own = await r.consumer.describeGroup();
    expect({ state: own.state, members: own.members.map((m) => m.memberId) }).to.deep.equal({ state: 'Stable', members: [member.memberId] });
    await r.consumer.disconnect();
    const after = (await admin.describeGroups([groupId])).groups[0]!;
    expect({ state: after.state, members: after.members, protocolType: after.protocolType }).to.deep.equal({
      state: 'Empty',
      members: [],
      protocolType: 'consumer',
    });
    const unknown = (await admin.describeGroups([c.name('never')])).groups[0]!;
    expect({
      state: unknown.state,
      members: unknown.members,
      protocol: unknown.protocol,
      protocolType: unknown.protocolType,
      errorCode: errorCodeOf(unknown),
    }).to.deep.equal({
      state: 'Dead',
      members: [],
      protocol: '',
      protocolType: '',
      errorCode: 0,
    });
  });

  scenario('listGroups includes a consumer group with its protocol type', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('list'), numPartitions: 1 });
    const groupId = c.name('list-g');
    await record(c, { groupId, topics: [topic] });
    const { groups } = await admin.listGroups();
    expect(groups.filter((g) => g.groupId === groupId)).to.deep.equal([{ groupId, protocolType: 'consumer' }]);
  });
});

conformance('consumer groups: offsets through the admin', () => {
  scenario('fetchOffsets of a group that committed nothing answers -1 with no metadata', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('fo'), numPartitions: 2 });
    expect(await admin.fetchOffsets({ groupId: c.name('fo-g'), topics: [topic] })).to.deep.equal([
      {
        topic,
        partitions: [
          { partition: 0, offset: '-1', metadata: null },
          { partition: 1, offset: '-1', metadata: null },
        ],
      },
    ]);
  });

  scenario('setOffsets points an idle group at given offsets; its consumers start there', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('set'), numPartitions: 1 });
    const groupId = c.name('set-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(5, 's') });
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).to.deep.equal([{ topic, partitions: [{ partition: 0, offset: '3', metadata: null }] }]);
    const r = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: 'two messages' });
    await c.settle();
    expect(r.values()).to.deep.equal(['s-3', 's-4']);
  });

  scenario("resetOffsets leaves kafkajs's markers (-2 earliest, -1 latest); fetchOffsets with resolveOffsets turns them into offsets", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('reset'), numPartitions: 1 });
    const groupId = c.name('reset-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(3, 'r') });
    const first = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => first.seen.length === 3, { message: 'three messages' });
    await first.consumer.disconnect();
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const marked = await admin.fetchOffsets({ groupId, topics: [topic] });
    const resolved = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
    const stored = await admin.fetchOffsets({ groupId, topics: [topic] });
    // The group now starts at the earliest offset, even for a consumer that would start at the latest.
    const again = await record(c, { groupId, topics: [topic] });
    await c.waitUntil(() => again.seen.length === 3, { message: 'three messages again' });
    await again.consumer.disconnect();
    await admin.resetOffsets({ groupId, topic, earliest: false });
    const latest = await admin.fetchOffsets({ groupId, topics: [topic], resolveOffsets: true });
    await producer.send({ topic, messages: messages(1, 'new') });
    const last = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => last.seen.length === 1, { message: 'the new message' });
    await c.settle();
    const at = (offset: string) => [{ topic, partitions: [{ partition: 0, offset, metadata: null }] }];
    expect({ marked, resolved, stored, again: again.values(), latest, last: last.values() }).to.deep.equal({
      marked: at('-2'),
      resolved: at('0'),
      stored: at('0'),
      again: ['r-0', 'r-1', 'r-2'],
      latest: at('3'),
      last: ['new-0'],
    });
  });

  scenario('a marker left by resetOffsets is no offset: a consumer starts per its own fromBeginning', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('marker'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(2, 'm') });
    const early = c.name('marker-early');
    await admin.resetOffsets({ groupId: early, topic, earliest: true });
    const fromLatest = await record(c, { groupId: early, topics: [topic] });
    const late = c.name('marker-late');
    await admin.resetOffsets({ groupId: late, topic, earliest: false });
    const fromBeginning = await record(c, { groupId: late, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => fromBeginning.seen.length === 2, { message: 'two messages' });
    await c.settle();
    expect({ fromLatest: fromLatest.values(), fromBeginning: fromBeginning.values() }).to.deep.equal({ fromLatest: [], fromBeginning: ['m-0', 'm-1'] });
  });

  scenario('setOffsets on a group with a running member is refused', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('busy'), numPartitions: 1 });
    const groupId = c.name('busy-g');
    await record(c, { groupId, topics: [topic] });
    expect(await rejectionOf(admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] }))).to.deep.equal({
      name: 'KafkaJSNonRetriableError',
      retriable: false,
    });
  });

  scenario('deleteGroups deletes an empty group and its offsets; a group with members, or none, is an error', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('delg'), numPartitions: 1 });
    const producer = await producerOf(c);
    await producer.send({ topic, messages: messages(2, 'd') });
    const idle = c.name('delg-idle');
    const first = await record(c, { groupId: idle, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => first.seen.length === 2, { message: 'two messages' });
    await first.consumer.disconnect();
    expect(await admin.deleteGroups([idle])).to.deep.equal([{ groupId: idle, errorCode: 0 }]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.to.include(idle);
    expect(await admin.fetchOffsets({ groupId: idle, topics: [topic] })).to.deep.equal([
      { topic, partitions: [{ partition: 0, offset: '-1', metadata: null }] },
    ]);

    const busy = c.name('delg-busy');
    await record(c, { groupId: busy, topics: [topic] });
    const busyError = (await admin.deleteGroups([busy]).catch((e: unknown) => e)) as {
      name: string;
      groups: { groupId: string; errorCode: number; error: unknown }[];
    };
    expect({
      name: busyError.name,
      groups: busyError.groups.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, error: shapeOf(g.error) })),
    }).to.deep.equal({
      name: 'KafkaJSDeleteGroupsError',
      groups: [{ groupId: busy, errorCode: 68, error: { name: 'KafkaJSProtocolError', type: 'NON_EMPTY_GROUP', retriable: false } }],
    });
    const unknown = c.name('delg-none');
    const unknownError = (await admin.deleteGroups([unknown]).catch((e: unknown) => e)) as {
      name: string;
      groups: { groupId: string; errorCode: number; error: unknown }[];
    };
    expect({
      name: unknownError.name,
      groups: unknownError.groups.map((g) => ({ groupId: g.groupId, errorCode: g.errorCode, error: shapeOf(g.error) })),
    }).to.deep.equal({
      name: 'KafkaJSDeleteGroupsError',
      groups: [{ groupId: unknown, errorCode: 69, error: { name: 'KafkaJSProtocolError', type: 'GROUP_ID_NOT_FOUND', retriable: false } }],
    });
  });

  scenario('a consumer whose committed offset fell below the log start resets to the earliest offset (retention)', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('ret'), numPartitions: 1 });
    const groupId = c.name('ret-g');
    const producer = await producerOf(c);
    // Ten records from two hours ago, and a committed offset in their middle.
    const old = String(c.now() - 2 * 3_600_000);
    await producer.send({ topic, messages: messages(10, 'old', { timestamp: old }) });
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '4' }] });
    // Retention of one hour: the old records' segment goes (rolled first, as it is the only one).
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    });
    await c.waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0]!.low === '10', { message: 'the old records deleted', timeoutMs: 30_000 });
    expect(await admin.fetchTopicOffsets(topic)).to.deep.equal([{ partition: 0, offset: '10', high: '10', low: '10' }]);
    await producer.send({ topic, messages: messages(2, 'new') });
    const r = await record(c, { groupId, topics: [topic], fromBeginning: true });
    await c.waitUntil(() => r.seen.length === 2, { message: 'the new records' });
    await c.settle();
    expect(r.seen.map((m) => [m.offset, m.value])).to.deep.equal([
      [10, 'new-0'],
      [11, 'new-1'],
    ]);
  });
});
