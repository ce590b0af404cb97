/**
 * Conformance: what a consumer logs. The twin client logs the lines kafkajs writes for a group
 * join, a rebalance, a crash and its restart, and a stop; on the other targets kafkajs itself
 * writes them, over the twin's brokers or real Kafka. Only the consumer's own namespaces are
 * compared: kafkajs also logs its connections' errors (a JoinGroup answered MEMBER_ID_REQUIRED...),
 * which the twin client, having no connections, has no equivalent of (docs/fidelity.md).
 */
import { expect } from 'chai';
import kafkajs from 'kafkajs';
import type { LogEntry } from 'kafkajs';
import { adminOf, createTopic, producerOf } from './helpers.js';
import { conformance, scenario, type Control } from './targets.js';
import { liftLogLevelOverride } from '../helpers.js';

const { logLevel } = kafkajs;

const CONSUMER_NAMESPACES = new Set(['Consumer', 'ConsumerGroup', 'Runner']);
const JOINED = 'Consumer has joined the group';

/** A client whose consumer's log lines at INFO and above are kept, as "Namespace LABEL message", with the entries. */
function logged(c: Control) {
  const entries: LogEntry[] = [];
  const kafka = c.loggingKafka({ logLevel: logLevel.INFO, logCreator: () => (entry) => void entries.push(entry) });
  const mine = () => entries.filter((e) => CONSUMER_NAMESPACES.has(e.namespace));
  return { kafka, entries: mine, lines: () => mine().map((e) => `${e.namespace} ${e.label} ${e.log.message}`) };
}

conformance('logging', () => {
  liftLogLevelOverride();
  scenario('a consumer logs its start, its join (with the join payload) and its stop', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('logged'), numPartitions: 2 });
    const groupId = c.name('logged-g');
    const log = logged(c);
    const consumer = log.kafka.consumer({ groupId });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    await c.waitUntil(() => log.lines().some((l) => l.endsWith(JOINED)), { message: 'the join logged' });
    expect(log.lines()).to.deep.equal(['Consumer INFO Starting', `ConsumerGroup INFO ${JOINED}`]);
    const [starting, join] = log.entries();
    expect(starting!.log).to.deep.include({ groupId });
    expect(Object.keys(join!.log)).to.deep.equal([
      'timestamp',
      'logger',
      'message',
      'groupId',
      'memberId',
      'leaderId',
      'isLeader',
      'memberAssignment',
      'groupProtocol',
      'duration',
    ]);
    expect(join!.log).to.deep.include({
      groupId,
      leaderId: join!.log.memberId,
      isLeader: true,
      memberAssignment: { [topic]: [0, 1] },
      groupProtocol: 'RoundRobinAssigner',
    });
    expect(join!.log.duration).to.be.a('number').and.at.least(0);
    expect(join!.log.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    await consumer.disconnect();
    expect(log.lines().slice(2)).to.deep.equal(['Runner INFO consumer not running, exiting', 'Consumer INFO Stopped']);
  });

  scenario('a member logs the rebalance a new member starts, then its new join', async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('rebalanced'), numPartitions: 2 });
    const groupId = c.name('rebalanced-g');
    const first = logged(c);
    const a = first.kafka.consumer({ groupId, heartbeatInterval: 500 });
    await a.connect();
    await a.subscribe({ topics: [topic], fromBeginning: true });
    await a.run({ eachMessage: async () => undefined });
    await c.waitUntil(() => first.lines().some((l) => l.endsWith(JOINED)), { message: 'the first join logged' });
    const memberId = first.entries().find((e) => e.log.message === JOINED)!.log.memberId as string;

    const b = c.kafka.consumer({ groupId, heartbeatInterval: 500 });
    await b.connect();
    await b.subscribe({ topics: [topic], fromBeginning: true });
    await b.run({ eachMessage: async () => undefined });
    await c.waitUntil(() => first.lines().filter((l) => l.endsWith(JOINED)).length === 2, { message: 'the second join logged' });
    expect(first.lines()).to.deep.equal([
      'Consumer INFO Starting',
      `ConsumerGroup INFO ${JOINED}`,
      'Runner WARN The group is rebalancing, re-joining',
      `ConsumerGroup INFO ${JOINED}`,
    ]);
    const rebalancing = first.entries()[2]!;
    expect(rebalancing.log).to.deep.include({ groupId, memberId });
    expect(rebalancing.log.error).to.be.a('string').and.not.equal('');
    expect((first.entries()[3]!.log.memberAssignment as Record<string, number[]>)[topic]).to.have.length(1);
  });

  scenario("a handler's failure, once its retries are spent, logs a crash and a restart, then a new start and join", async (c) => {
    const admin = await adminOf(c);
    const topic = await createTopic(c, admin, { topic: c.name('crashed'), numPartitions: 1 });
    const groupId = c.name('crashed-g');
    const producer = await producerOf(c);
    await producer.send({ topic, messages: [{ value: 'poison' }] });
    const log = logged(c);
    const consumer = log.kafka.consumer({ groupId, retry: { retries: 0, initialRetryTime: 100 } });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let calls = 0;
    await consumer.run({
      eachMessage: async () => {
        if (calls++ === 0) throw new Error('boom');
      },
    });
    await c.waitUntil(() => log.lines().filter((l) => l.endsWith(JOINED)).length === 2 && calls === 2, {
      message: 'the restart, its join, and the message again',
    });
    const atErrorOrLifecycle = log.entries().filter((e) => e.level === logLevel.ERROR || ['Starting', 'Stopped', JOINED].includes(e.log.message));
    const lines = atErrorOrLifecycle.map((e) => `${e.namespace} ${e.label} ${e.log.message}`);
    expect(lines.map((l) => l.replace(/in \d+ms$/, 'in Nms'))).to.deep.equal([
      'Consumer INFO Starting',
      `ConsumerGroup INFO ${JOINED}`,
      'Runner ERROR Error when calling eachMessage',
      'Consumer ERROR Crash: KafkaJSNumberOfRetriesExceeded: boom',
      'Consumer INFO Stopped',
      'Consumer ERROR Restarting the consumer in Nms',
      'Consumer INFO Starting',
      `ConsumerGroup INFO ${JOINED}`,
    ]);
    const [, , failed, crash, , restarting] = atErrorOrLifecycle;
    expect(failed!.log).to.deep.include({ topic, partition: 0, offset: '0' });
    expect(String(failed!.log.stack)).to.include('boom');
    expect(crash!.log).to.deep.include({ groupId, retryCount: 0 });
    // kafkajs waits the failed attempt's retry time: initialRetryTime with up to 20% jitter.
    expect(restarting!.log.retryTime).to.be.within(80, 120);
    expect(restarting!.log.message).to.equal(`Restarting the consumer in ${restarting!.log.retryTime}ms`);
  });
});
