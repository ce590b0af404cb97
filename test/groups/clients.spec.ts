import { expect } from 'chai';
import type { TwinCluster as Cluster } from '../../adapters/twin/cluster.js';
import { decodeAssignmentMap, GroupHarness, type AssignorName, type SimClient } from './harness.js';
import { eventsOf, newCluster } from './helpers.js';

/** Who owns each `topic:partition`, from the clients' own view. */
function owners(clients: readonly SimClient[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of clients) for (const [t, ps] of c.assignment) for (const p of ps) out.set(`${t}:${p}`, [...(out.get(`${t}:${p}`) ?? []), c.clientId]);
  return out;
}

function setup(assignor: AssignorName, partitions = 3): { cluster: Cluster; harness: GroupHarness } {
  const cluster = newCluster({ config: { 'group.initial.rebalance.delay.ms': 3000 } });
  cluster.createTopic({ topic: 'orders', numPartitions: partitions });
  return { cluster, harness: new GroupHarness(cluster, 'app', { topics: ['orders'], assignors: [assignor] }) };
}

describe('groups: simulated clients', () => {
  describe('the issue example: three partitions, four members', () => {
    it('cooperative-sticky: one member idles; when an active one leaves, the idle one takes over exactly its partition', async () => {
      const { harness } = setup('cooperative-sticky');
      const clients = [harness.add(), harness.add(), harness.add(), harness.add()];
      expect(await harness.settle()).to.equal(true);
      const idle = clients.filter((c) => c.assignment.size === 0);
      expect(idle).to.have.length(1);
      expect([...owners(clients).values()].every((o) => o.length === 1)).to.equal(true);
      const leaver = clients.find((c) => c.assignment.size > 0)!;
      const [topic, [partition]] = [...leaver.assignment][0]! as [string, number[]];
      const before = new Map(clients.map((c) => [c.clientId, JSON.stringify([...c.assignment])]));
      leaver.leave();
      expect(await harness.settle()).to.equal(true);
      expect(idle[0]!.assignment).to.deep.equal(new Map([[topic, [partition!]]]));
      for (const c of harness.live()) if (c !== idle[0]) expect(JSON.stringify([...c.assignment])).to.equal(before.get(c.clientId));
    });

    for (const assignor of ['roundrobin', 'range'] as const) {
      for (const leaverIndex of [0, 1, 2]) {
        it(`${assignor}: one member idles; after active member #${leaverIndex} leaves, the idle one is active and every partition has one owner`, async () => {
          const { harness } = setup(assignor);
          const clients = [harness.add(), harness.add(), harness.add(), harness.add()];
          expect(await harness.settle()).to.equal(true);
          const idle = clients.filter((c) => c.assignment.size === 0);
          expect(idle).to.have.length(1);
          const active = clients.filter((c) => c.assignment.size > 0).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
          const leaver = active[leaverIndex]!;
          leaver.leave();
          expect(await harness.settle()).to.equal(true);
          expect(idle[0]!.assignment.size).to.equal(1);
          const o = owners(harness.live());
          expect([...o.keys()].sort()).to.deep.equal(['orders:0', 'orders:1', 'orders:2']);
          expect([...o.values()].every((x) => x.length === 1)).to.equal(true);
        });
      }
    }
  });

  it('a subscribed topic gaining partitions: the leader notices and rejoins, the coordinator relays a new assignment', async () => {
    const { cluster, harness } = setup('range', 2);
    const clients = [harness.add(), harness.add()];
    expect(await harness.settle()).to.equal(true);
    const generation = cluster.groups.describeGroup('app').generationId;
    cluster.createPartitions('orders', 6);
    expect(await harness.settle()).to.equal(true);
    expect(cluster.groups.describeGroup('app').generationId).to.equal(generation + 1);
    expect(clients.map((c) => c.assignment.get('orders')!.length)).to.deep.equal([3, 3]);
    const joins = eventsOf(cluster, 'group-member-joined').filter((e) => e.rejoin);
    const leaderId = cluster.groups.describeGroup('app').leaderId;
    expect(joins[0]!.memberId).to.equal(leaderId);
  });

  it('a topic matching a pattern appears: members notice and rejoin with the new subscription', async () => {
    const cluster = newCluster();
    cluster.createTopic({ topic: 'metrics-a', numPartitions: 2 });
    const harness = new GroupHarness(cluster, 'app', { pattern: /^metrics-/, assignors: ['range'] });
    const clients = [harness.add(), harness.add()];
    expect(await harness.settle()).to.equal(true);
    cluster.createTopic({ topic: 'metrics-b', numPartitions: 2 });
    cluster.createTopic({ topic: 'other', numPartitions: 2 });
    expect(await harness.settle()).to.equal(true);
    expect(clients.every((c) => c.topics.join() === 'metrics-a,metrics-b')).to.equal(true);
    const o = owners(clients);
    expect([...o.keys()].sort()).to.deep.equal(['metrics-a:0', 'metrics-a:1', 'metrics-b:0', 'metrics-b:1']);
  });

  it('a crashed member is expired after its session timeout and its partitions move', async () => {
    const { cluster, harness } = setup('roundrobin', 4);
    const [a, b] = [harness.add(), harness.add()];
    expect(await harness.settle()).to.equal(true);
    b.crash();
    expect(await harness.settle()).to.equal(true);
    expect(a.assignment.get('orders')).to.deep.equal([0, 1, 2, 3]);
    expect(eventsOf(cluster, 'group-member-expired').map((e) => [e.memberId, e.reason])).to.deep.equal([[b.memberId, 'session-timeout']]);
  });

  it('the event log alone tells who owned which partition, generation by generation', async () => {
    const { cluster, harness } = setup('roundrobin', 3);
    const [a, b] = [harness.add(), harness.add()];
    expect(await harness.settle()).to.equal(true);
    const c = harness.add();
    expect(await harness.settle()).to.equal(true);
    a.leave();
    expect(await harness.settle()).to.equal(true);
    const timeline = eventsOf(cluster, 'group-assignment').map((e) => ({
      generation: e.generationId,
      owners: Object.fromEntries(e.assignments.flatMap((x) => (x.partitions ?? []).flatMap((t) => t.partitions.map((p) => [`${t.topic}:${p}`, x.memberId])))),
    }));
    expect(timeline.map((t) => t.generation)).to.deep.equal([1, 2, 3]);
    for (const t of timeline) expect(Object.keys(t.owners).sort()).to.deep.equal(['orders:0', 'orders:1', 'orders:2']);
    // The last generation in the log is what the members hold now.
    const last = timeline.at(-1)!.owners;
    for (const client of [b, c]) for (const [topic, ps] of client.assignment) for (const p of ps) expect(last[`${topic}:${p}`]).to.equal(client.memberId);
    // And what DescribeGroups reports.
    for (const m of cluster.groups.describeGroup('app').members) {
      for (const [topic, ps] of decodeAssignmentMap(m.memberAssignment)) for (const p of ps) expect(last[`${topic}:${p}`]).to.equal(m.memberId);
    }
  });

  it('records undecodable assignments as null', async () => {
    const cluster = newCluster();
    const join = cluster.groups.joinGroup({
      groupId: 'raw',
      memberId: '',
      clientId: 'x',
      sessionTimeout: 10000,
      protocolType: 'custom',
      protocols: [{ name: 'p', metadata: Buffer.alloc(0) }],
      requireKnownMemberId: false,
    });
    await cluster.advance(0);
    const j = await join;
    await cluster.groups.syncGroup({
      groupId: 'raw',
      generationId: j.generationId,
      memberId: j.memberId,
      assignments: [{ memberId: j.memberId, memberAssignment: Buffer.from([0]) }],
    });
    expect(eventsOf(cluster, 'group-assignment')[0]!.assignments).to.deep.equal([{ memberId: j.memberId, partitions: null }]);
  });
});
