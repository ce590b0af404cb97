/**
 * The built-in teaching scenario: a topic with three partitions and replication factor two on
 * three brokers, traffic on the virtual clock, a broker stopping and coming back, and retention
 * deleting old segments. Everything printed comes from the cluster's state and event log.
 */
import { Cluster } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { painter, type Style } from './style.js';

/** Options for {@link runDemo}. */
export interface DemoOptions {
  /**
   * Seed of the cluster; the same seed prints the same output.
   * @defaultValue 1
   */
  seed?: number;
  /** Where lines go. */
  write: (line: string) => void;
  /** ANSI colours in the timeline. @defaultValue false */
  color?: boolean;
}

/** What a demo run leaves behind besides the printed timeline. */
export interface DemoResult {
  /** The cluster's whole event log. */
  events: readonly ClusterEvent[];
  /** Cluster time at the end of the run. */
  endMs: number;
}

/** The demo's topic and group, for the HTML page. */
export const DEMO_LAYOUT = {
  title: 'kafka-twin demo',
  description:
    'A topic with 3 partitions and replication factor 2 on 3 brokers. Consumer instances of one group join one by one (the fourth stays idle), one leaves and its partition moves, a broker stops and leadership and the ISR change, retention deletes old segments, and the group resumes from its committed offsets.',
  topics: [{ name: 'rides', partitions: 3, replicationFactor: 2 }],
  groups: [{ id: 'dashboards', topics: ['rides'] }],
} as const;

const TOPIC = 'rides';

/** Formats cluster time as mm:ss from the start of the run. */
export function clockTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Short name of a member: its client id (member ids are `clientId-uuid`). */
function instanceName(memberId: string): string {
  return memberId.replace(/-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, '');
}

const at = (e: { topic: string; partition: number }) => `${e.topic}-${e.partition}`;

/** One line of text for an event, or undefined for events too fine-grained for the timeline. */
export function describeEvent(e: ClusterEvent): string | undefined {
  switch (e.type) {
    case 'broker-started':
      return `broker ${e.broker} started`;
    case 'broker-stopped':
      return `broker ${e.broker} stopped`;
    case 'broker-isolated':
      return `broker ${e.broker} cut off from the network`;
    case 'broker-healed':
      return `broker ${e.broker} back on the network`;
    case 'topic-created':
      return `topic ${e.topic} created: ${e.partitions} partitions x ${e.replicationFactor} replicas${e.topic === '__consumer_offsets' ? ' (consumer groups live on the leaders of its partitions)' : ''}`;
    case 'topic-deleted':
      return `topic ${e.topic} deleted`;
    case 'partitions-created':
      return `topic ${e.topic} grew from ${e.from} to ${e.to} partitions`;
    case 'topic-config-changed':
      return `topic ${e.topic} config changed: ${JSON.stringify(e.config)}`;
    case 'leader-changed':
      if (e.leader === -1) return `${at(e)} is offline: no in-sync replica is running`;
      if (e.previousLeader === -1 && e.leaderEpoch === 0) return undefined;
      return `${at(e)} leader ${e.previousLeader === -1 ? '(none)' : e.previousLeader} -> ${e.leader} (${e.election} election, epoch ${e.leaderEpoch})`;
    case 'isr-shrunk':
      return `${at(e)} ISR shrank to [${e.isr.join(',')}] (broker ${e.removed.join(',')}: ${e.reason.replace('-', ' ')})`;
    case 'isr-expanded':
      return `${at(e)} ISR grew to [${e.isr.join(',')}] (broker ${e.added} caught up)`;
    case 'log-truncated':
      return `${at(e)} broker ${e.broker} truncated its log from ${e.from} to ${e.to}: ${e.records} record(s) discarded`;
    case 'high-watermark-decreased':
      return `${at(e)} high watermark went back from ${e.from} to ${e.to}: acknowledged records lost`;
    case 'segment-deleted':
      return `${at(e)} broker ${e.broker} deleted segment [${e.baseOffset}, ${e.endOffset}) by ${e.reason}; log start offset now ${e.logStartOffset}`;
    case 'records-deleted':
      return `${at(e)} records deleted up to ${e.logStartOffset}`;
    case 'group-member-left':
      return `${instanceName(e.memberId)} left group ${e.groupId}`;
    case 'group-member-expired':
      return `${instanceName(e.memberId)} removed from group ${e.groupId} (${e.reason})`;
    case 'group-coordinator-moved':
      return `group ${e.groupId}'s coordinator moved from broker ${e.from} to broker ${e.to} (leader of __consumer_offsets-${e.partition})`;
    default:
      // Segment rolls and consumer-group events are not part of this timeline.
      return undefined;
  }
}

function partitionTable(cluster: Cluster, write: (line: string) => void): void {
  write('  partition  leader  replicas  isr     log start  high watermark');
  for (const p of cluster.describeTopic(TOPIC).partitions) {
    const d = cluster.describePartition(TOPIC, p.partition);
    const leader = p.leader === -1 ? 'none' : String(p.leader);
    write(
      `  ${String(p.partition).padEnd(9)}  ${leader.padEnd(6)}  ${`[${p.replicas.join(',')}]`.padEnd(8)}  ${`[${p.isr.join(',')}]`.padEnd(6)}  ${String(d.logStartOffset).padEnd(9)}  ${d.highWatermark}`,
    );
  }
}

/** The ownership table of one generation, from a `group-assignment` event. */
export function describeGeneration(e: Extract<ClusterEvent, { type: 'group-assignment' }>): string[] {
  const lines = [`[${clockTime(e.time)}] group ${e.groupId}, generation ${e.generationId}:`];
  const sorted = [...e.assignments].sort((a, b) => instanceName(a.memberId).localeCompare(instanceName(b.memberId)));
  for (const a of sorted) {
    // Partitions in order, whatever order the assignor listed them in.
    const owned = [...(a.partitions ?? [])]
      .sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : 0))
      .flatMap((t) => [...t.partitions].sort((x, y) => x - y).map((p) => `${t.topic}-${p}`));
    lines.push(`    ${instanceName(a.memberId).padEnd(12)} ${owned.length === 0 ? '(idle: more instances than partitions)' : owned.join(', ')}`);
  }
  return lines;
}

type SegmentDeleted = Extract<ClusterEvent, { type: 'segment-deleted' }>;

/**
 * Holds back the segment deletions of one retention pass (same time, partition and broker) so they
 * are written as one line: one check can delete dozens of one replica's segments at once.
 */
export class DeletionFolder {
  private held: SegmentDeleted[] = [];

  constructor(
    private readonly write: (line: string) => void,
    private readonly stamp: (ms: number) => string,
  ) {}

  /** Writes what is held unless `e` continues the same pass; call it first for every event, in order. */
  before(e: ClusterEvent): void {
    const prev = this.held[0];
    if (prev === undefined) return;
    if (e.type !== 'segment-deleted' || e.time !== prev.time || e.topic !== prev.topic || e.partition !== prev.partition || e.broker !== prev.broker)
      this.flush();
  }

  hold(e: SegmentDeleted): void {
    this.held.push(e);
  }

  /** Writes the held pass, if any. */
  flush(): void {
    if (this.held.length === 0) return;
    const [first, last] = [this.held[0]!, this.held[this.held.length - 1]!];
    this.write(
      `${this.stamp(first.time)} ${first.topic}-${first.partition} broker ${first.broker} deleted ${this.held.length} segment(s), offsets [${first.baseOffset}, ${last.endOffset}), by ${first.reason}; log start offset now ${last.logStartOffset}`,
    );
    this.held = [];
  }
}

/** A generation's ownership table, its heading and idle members styled. */
export function generationLines(
  e: Extract<ClusterEvent, { type: 'group-assignment' }>,
  stamp: (ms: number) => string,
  paint: (style: Style, text: string) => string,
): string[] {
  const [head, ...rest] = describeGeneration(e);
  return [
    `${stamp(e.time)} ${paint('generation', head!.slice(head!.indexOf(']') + 2))}`,
    ...rest.map((line) => (line.includes('(idle') ? paint('idle', line) : line)),
  ];
}

/** Runs the demo scenario on a fresh virtual-clock cluster. */
export async function runDemo({ seed = 1, write, color = false }: DemoOptions): Promise<DemoResult> {
  const paint = painter(color);
  const stamp = (ms: number) => paint('time', `[${clockTime(ms)}]`);
  const cluster = new Cluster({
    brokers: 3,
    clock: 'virtual',
    seed,
    config: { 'log.retention.check.interval.ms': 60000, 'log.initial.task.delay.ms': 60000, 'leader.imbalance.check.interval.seconds': 120 },
  });
  const deletions = new DeletionFolder(write, stamp);
  cluster.onEvent((e) => {
    deletions.before(e);
    if (e.type === 'segment-deleted') {
      deletions.hold(e);
      return;
    }
    // The internal offsets topic's own replication would drown the story; its creation and the
    // coordinator moves it causes are what matter here.
    if ('topic' in e && e.topic.startsWith('__') && e.type !== 'topic-created') return;
    if (e.type === 'group-assignment') {
      for (const line of generationLines(e, stamp, paint)) write(line);
      // What the generation works against: each partition's leader and ISR, and the group's lag.
      const partitions = cluster
        .describeTopic(TOPIC)
        .partitions.map((p) => `${TOPIC}-${p.partition} leader ${p.leader === -1 ? 'none' : p.leader} isr [${p.isr.join(',')}]`);
      write(paint('dim', `    partitions: ${partitions.join(', ')}`));
      const lag = cluster.groups.lag(e.groupId).filter((r) => r.topic === TOPIC);
      const perPartition = lag.length === 0 ? ' (nothing committed yet)' : ` (${lag.map((r) => `${r.topic}-${r.partition} ${r.lag ?? '-'}`).join(', ')})`;
      write(paint('dim', `    lag ${lag.reduce((n, r) => n + (r.lag ?? 0), 0)}${perPartition}`));
      return;
    }
    const line = describeEvent(e);
    if (line === undefined) return;
    const style: Style | undefined = e.type.startsWith('broker-') ? 'fault' : e.type === 'leader-changed' || e.type === 'isr-shrunk' ? 'election' : undefined;
    write(`${stamp(e.time)} ${style === undefined ? line : paint(style, line)}`);
  });
  const section = (title: string) => {
    deletions.flush();
    write('');
    write(paint('heading', `== ${title}`));
  };

  section('A topic with 3 partitions, each replicated on 2 of the 3 brokers');
  cluster.createTopic({ topic: TOPIC, numPartitions: 3, replicationFactor: 2, config: { 'retention.ms': 5 * 60000, 'segment.bytes': 1024 } });
  partitionTable(cluster, write);

  const producer = cluster.kafka({ clientId: 'producer' }).producer();
  await producer.connect();
  let sent = 0;
  let received = 0;
  const traffic = async (seconds: number) => {
    for (let s = 0; s < seconds; s++) {
      await producer.send({ topic: TOPIC, messages: [0, 1, 2].map(() => ({ key: `ride-${sent}`, value: JSON.stringify({ ride: sent++ }) })) });
      await cluster.advance(1000);
    }
  };
  const instances = new Map<string, ReturnType<ReturnType<Cluster['kafka']>['consumer']>>();
  const startInstance = async (name: string) => {
    const consumer = cluster.kafka({ clientId: name }).consumer({ groupId: 'dashboards' });
    await consumer.connect();
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({ eachMessage: async () => void received++ });
    instances.set(name, consumer);
  };

  section('Instances of one consumer group join one by one; the fourth finds no partition left');
  for (const name of ['instance-1', 'instance-2', 'instance-3', 'instance-4']) {
    await startInstance(name);
    await traffic(10);
  }
  await cluster.idle();

  section('instance-2 leaves: its partition moves to the idle instance');
  await instances.get('instance-2')!.disconnect();
  instances.delete('instance-2');
  await traffic(10);
  await cluster.idle();

  const victim = cluster.describeTopic(TOPIC).partitions[0]!.leader;
  section(`Broker ${victim} stops: its partitions elect new leaders from their in-sync replicas; consumers carry on`);
  cluster.stopBroker(victim);
  await traffic(30);
  await cluster.idle();
  partitionTable(cluster, write);

  section(`Broker ${victim} starts again: it catches up, rejoins the ISR, and later gets its leadership back`);
  cluster.startBroker(victim);
  await cluster.advance(2 * 60000);
  partitionTable(cluster, write);

  section('The whole group stops; its committed offsets stay with the group coordinator');
  for (const consumer of instances.values()) await consumer.disconnect();
  instances.clear();
  const committed = cluster.groups.lag('dashboards');
  for (const p of committed) write(`  ${p.topic}-${p.partition}: committed offset ${p.committedOffset}, high watermark ${p.highWatermark}`);
  await traffic(20);

  section('Four quiet minutes: retention (retention.ms = 5 min) deletes closed segments older than that');
  await cluster.advance(4 * 60000);
  deletions.flush();
  partitionTable(cluster, write);

  section('The group comes back and resumes from its committed offsets');
  const before = received;
  await startInstance('instance-5');
  await cluster.idle();
  write(`  instance-5 read ${received - before} message(s): the ${20 * 3} written while the group was away, nothing twice`);
  for (const p of cluster.groups.lag('dashboards')) write(`  ${p.topic}-${p.partition}: committed offset ${p.committedOffset}, lag ${p.lag}`);
  // Half a minute more with instance-5 owning every partition, so the page shows the resumed group.
  await cluster.advance(30_000);
  for (const consumer of instances.values()) await consumer.disconnect();
  await producer.disconnect();

  write('');
  write(`${sent} messages written, ${received} delivered; ${cluster.events().length} events recorded. Every line above came from cluster.events().`);
  const result: DemoResult = { events: cluster.events(), endMs: cluster.now() };
  cluster.close();
  return result;
}
