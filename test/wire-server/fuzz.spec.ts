/**
 * The broker under garbage: thousands of mutated valid requests (bytes flipped, inserted or cut,
 * frames truncated or extended, size prefix, API key, version and correlation id rewritten) and
 * random byte strings, each on a fresh connection to a live real-clock broker, in memory and over
 * TCP. After each: nothing threw out of the server (no uncaught exception, no unhandled
 * rejection), the connection was answered or closed as Kafka would (see `expectedOutcome`), no
 * handler failed on a request that decoded, and the cluster's state is what it was.
 *
 * State: the request mix is what keeps that comparison exact. Valid requests of the read-only APIs
 * (Metadata, with auto-creation off, Fetch, ListOffsets, OffsetFetch, FindCoordinator,
 * DescribeGroups, ListGroups, DescribeConfigs, DescribeAcls, ApiVersions, SaslHandshake) may go
 * through, and Produce to the topic `sink`, which may grow; a mutation that leaves any other
 * request valid (a JoinGroup, a CreateTopics, a Produce to another topic, ...) is discarded, so
 * state-changing APIs are thrown only as garbage. Everything but `sink`'s records and watermarks
 * must then be unchanged: topics, configs, partitions, watermarks, records, groups, offsets.
 *
 * FUZZ_RUNS sets the in-memory run count (the TCP test runs a tenth); FUZZ_SEED replays a seed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { connect as tcpConnect, type Socket } from 'node:net';
import { apiVersionRanges, handlerFor, HANDLERS } from '../../adapters/wire/handlers/index.js';
import {
  ApiVersions,
  COMPRESSION,
  DEFAULT_MAX_FRAME_BYTES,
  decodeRequest,
  decodeRequestHeader,
  decodeResponse,
  encodeRecordBatch,
  encodeRequest,
  WireDecodeError,
  type ApiSchema,
} from '../../protocol/wire/index.js';
import type { Cluster } from '../../src/index.js';
import { structArb } from '../wire/helpers.js';
import { kafkaOver, realCluster } from './helpers.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 1500);
const SEED = process.env['FUZZ_SEED'] === undefined ? undefined : Number(process.env['FUZZ_SEED']);
const SINK = 'sink';
/** API keys whose valid requests leave the cluster as it was (Metadata once auto-creation is off). */
const READ_ONLY = new Set([1, 2, 3, 9, 10, 15, 16, 17, 18, 29, 32]);
const PRODUCE = 0;
/** How long a request that should be answered may take (Fetch waits are kept below it). */
const ANSWER_MS = 1000;
/** How long a connection expected to stay open is watched. */
const QUIET_MS = 3;

// ---- Seeds: valid requests of every served API and version ----

const batch = (value: string, compression: number = COMPRESSION.none): Buffer =>
  encodeRecordBatch({ baseTimestamp: 1_700_000_000_000n, compression, records: [{ key: Buffer.from('k'), value: Buffer.from(value) }] });

/** Bodies naming what exists, one superset per API (fields a version lacks are not written). */
function namedBodies(): Map<number, Record<string, unknown>[]> {
  const fetchTopic = { topic: 'fz', partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 1n, partitionMaxBytes: 4096 })) };
  return new Map<number, Record<string, unknown>[]>([
    [
      0,
      [
        {
          acks: 1,
          timeoutMs: 500,
          topicData: [
            {
              name: SINK,
              partitionData: [
                { index: 0, records: batch('s') },
                { index: 1, records: batch('z', COMPRESSION.zstd) },
              ],
            },
          ],
        },
      ],
    ],
    [1, [{ maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 16, topics: [fetchTopic], forgottenTopicsData: [] }]],
    [
      2,
      [
        {
          replicaId: -1,
          isolationLevel: 0,
          topics: [
            {
              name: 'fz',
              partitions: [
                { partitionIndex: 0, timestamp: -1n },
                { partitionIndex: 1, timestamp: -2n },
              ],
            },
          ],
        },
      ],
    ],
    [
      3,
      [
        { topics: null, allowAutoTopicCreation: true },
        { topics: [{ name: 'fz' }, { name: 'nope' }], allowAutoTopicCreation: true },
      ],
    ],
    [8, [{ groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'fz', partitions: [{ partitionIndex: 0, committedOffset: 0n }] }] }]],
    [9, [{ groupId: 'g1', topics: null, groups: [{ groupId: 'g1', topics: null }] }]],
    [10, [{ key: 'g1', keyType: 0, coordinatorKeys: ['g1'] }]],
    [
      11,
      [
        {
          groupId: 'g1',
          sessionTimeoutMs: 6000,
          rebalanceTimeoutMs: 6000,
          memberId: '',
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
        },
      ],
    ],
    [15, [{ groups: ['g1', 'none'] }]],
    [16, [{ statesFilter: [] }]],
    [19, [{ topics: [{ name: 'fresh', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 500 }]],
    [20, [{ topicNames: ['fz'], topics: [{ name: 'fz' }], timeoutMs: 500 }]],
    [21, [{ topics: [{ name: 'fz', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 500 }]],
    [32, [{ resources: [{ resourceType: 2, resourceName: 'fz', configurationKeys: null }] }]],
    [37, [{ topics: [{ name: 'fz', count: 5, assignments: null }], timeoutMs: 500 }]],
    [42, [{ groupsNames: ['g1'] }]],
  ]);
}

/** Generated values of every served request (bounded waits), plus the named ones. */
function seedFrames(): Buffer[] {
  const named = namedBodies();
  const frames: Buffer[] = [];
  let correlationId = 100;
  for (const handler of HANDLERS) {
    const api = handler.api as ApiSchema;
    for (let version = handler.versions[0]; version <= handler.versions[1]; version++) {
      const generated = fc.sample(
        structArb(api.request.fields, version, {
          maxLength: 2,
          override: { maxWaitMs: fc.integer({ min: 0, max: 20 }), timeoutMs: fc.integer({ min: 0, max: 200 }), records: fc.constant(batch('g')) },
        }),
        { numRuns: 3, seed: api.key * 100 + version },
      );
      for (const body of [...(named.get(api.key) ?? []), ...generated]) {
        try {
          frames.push(encodeRequest(api, version, { correlationId: correlationId++, clientId: 'fuzz' }, body as never));
        } catch {
          // A named body that does not fit a version (a field the version makes non-nullable): skipped.
        }
      }
    }
  }
  return frames;
}

// ---- Mutations ----

type Mutation = (frame: Buffer) => Buffer;
const int16 = fc.integer({ min: -32768, max: 32767 });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const junk = fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => Buffer.from(b));
const withSize = (body: Buffer): Buffer => {
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
};
const at = (f: Buffer, i: number): number => (f.length === 0 ? 0 : i % f.length);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => (f: Buffer) => {
    const out = Buffer.from(f);
    for (const [i, x] of flips) if (out.length > 0) out[at(out, i)]! ^= x;
    return out;
  }),
  fc.nat().map((i) => (f: Buffer) => f.subarray(0, at(f, i))),
  fc.nat().map((i) => (f: Buffer) => withSize(f.subarray(4, Math.max(4, at(f, i))))),
  junk.map((extra) => (f: Buffer) => Buffer.concat([f, extra])),
  junk.map((extra) => (f: Buffer) => withSize(Buffer.concat([f.subarray(4), extra]))),
  fc.tuple(fc.nat(), junk).map(
    ([i, extra]) =>
      (f: Buffer) =>
        withSize(Buffer.concat([f.subarray(4, 4 + at(f, i)), extra, f.subarray(4 + at(f, i))])),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })).map(
    ([i, n]) =>
      (f: Buffer) =>
        withSize(Buffer.concat([f.subarray(4, 4 + at(f, i)), f.subarray(4 + at(f, i) + n)])),
  ),
  fc.oneof(int32, fc.integer({ min: 0, max: 64 }), fc.constant(DEFAULT_MAX_FRAME_BYTES + 1)).map((size) => (f: Buffer) => {
    const out = Buffer.from(f);
    if (out.length >= 4) out.writeInt32BE(size, 0);
    return out;
  }),
  ...([4, 6] as const).map((offset) =>
    fc.oneof(int16, fc.integer({ min: -1, max: 70 })).map((v) => (f: Buffer) => {
      const out = Buffer.from(f);
      if (out.length >= offset + 2) out.writeInt16BE(v, offset);
      return out;
    }),
  ),
  int32.map((v) => (f: Buffer) => {
    const out = Buffer.from(f);
    if (out.length >= 12) out.writeInt32BE(v, 8);
    return out;
  }),
);

// ---- What Kafka does with the bytes ----

interface Expected {
  /** Correlation ids of the answers due, in order, and how to read each. */
  readonly answers: { readonly correlationId: number; readonly api: ApiSchema; readonly version: number; readonly unsupported: boolean }[];
  /** Whether the broker closes the connection after them. */
  readonly closes: boolean;
  /** Whether a valid request that changes state other than `sink` is among them (such inputs are discarded). */
  readonly changesState: boolean;
  /** Whether an answer may come late or never (a Fetch that waits, acks=0). */
  readonly open: boolean;
  /** Whether the last request is one Kafka fails in its handler (the twin closes the connection over it). */
  readonly handlerError?: boolean;
}

function isStateChanging(apiKey: number, body: Record<string, unknown>): boolean {
  if (READ_ONLY.has(apiKey)) return false;
  if (apiKey !== PRODUCE) return true;
  return (body['topicData'] as { name: string }[]).some((t) => t.name !== SINK);
}

/** The frames in `bytes` and Kafka's answer to each, up to the first that closes the connection. */
function expectedOutcome(bytes: Buffer): Expected {
  const answers: Expected['answers'] = [];
  let open = false;
  let changesState = false;
  for (let offset = 0; ;) {
    if (bytes.length - offset < 4) return { answers, closes: false, changesState, open };
    const size = bytes.readInt32BE(offset);
    if (size < 0 || size > DEFAULT_MAX_FRAME_BYTES) return { answers, closes: true, changesState, open };
    if (bytes.length - offset - 4 < size) return { answers, closes: false, changesState, open };
    const frame = bytes.subarray(offset + 4, offset + 4 + size);
    offset += 4 + size;
    let header;
    try {
      header = decodeRequestHeader(frame).header;
    } catch (e) {
      if (!(e instanceof WireDecodeError)) throw e;
      return { answers, closes: true, changesState, open };
    }
    const handler = handlerFor(header.requestApiKey);
    const version = header.requestApiVersion;
    if (handler === undefined || version < handler.versions[0] || version > handler.versions[1]) {
      if (header.requestApiKey !== ApiVersions.key) return { answers, closes: true, changesState, open };
      if (!open) answers.push({ correlationId: header.correlationId, api: ApiVersions, version: 0, unsupported: true });
      continue;
    }
    let body: Record<string, unknown>;
    try {
      body = decodeRequest(frame).body;
    } catch (e) {
      if (!(e instanceof WireDecodeError)) throw e;
      return { answers, closes: true, changesState, open };
    }
    if (isStateChanging(header.requestApiKey, body)) changesState = true;
    if (header.requestApiKey === 3 && version < 12 && ((body['topics'] as { name: string | null }[] | null) ?? []).some((t) => t.name === null)) {
      // Metadata v10–11 makes request names nullable but not response names: Kafka 3.9 throws
      // INVALID_REQUEST ("Topic name can not be null for version 10") and its error response,
      // which echoes the names, cannot be written either. The twin closes the connection.
      return { answers, closes: true, changesState, open, handlerError: true };
    }
    const acksZero = header.requestApiKey === PRODUCE && body['acks'] === 0;
    const waits = header.requestApiKey === 1 && (body['maxWaitMs'] as number) > ANSWER_MS / 4;
    if (acksZero || waits) {
      // What follows may queue behind these, or be answered out of step: only the earlier answers are checked.
      open = true;
    }
    if (!open) answers.push({ correlationId: header.correlationId, api: handler.api as ApiSchema, version, unsupported: false });
  }
}

// ---- Connections ----

interface Probe {
  readonly frames: Buffer[];
  closed: boolean;
  write(bytes: Buffer): void;
  destroy(): void;
}

type Transport = () => Promise<Probe>;

function probeOf(socket: { write(b: Buffer): unknown; destroy(): unknown; on(e: string, l: (...a: unknown[]) => void): unknown }): Probe {
  const probe: Probe = { frames: [], closed: false, write: (b) => void socket.write(b), destroy: () => void socket.destroy() };
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      probe.frames.push(pending.subarray(4, 4 + pending.readInt32BE(0)));
      pending = pending.subarray(4 + pending.readInt32BE(0));
    }
  });
  for (const event of ['end', 'close', 'error']) socket.on(event, () => (probe.closed = true));
  return probe;
}

function memoryTransport(cluster: Cluster): Transport {
  const { socketFactory } = cluster.wire();
  return () =>
    new Promise((resolve) => {
      const socket = socketFactory({ host: 'broker-1', port: 9092, ssl: {}, onConnect: () => resolve(probe) } as never) as unknown as Socket;
      const probe = probeOf(socket);
    });
}

function tcpTransport(host: string, port: number): Transport {
  return () =>
    new Promise((resolve, reject) => {
      const socket = tcpConnect({ host, port }, () => resolve(probe));
      socket.once('error', reject);
      const probe = probeOf(socket);
    });
}

async function until(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  // setImmediate: in-memory sockets deliver within a turn or two of the event loop; a 1 ms timer would dominate.
  while (!done() && Date.now() < end) await new Promise((r) => setImmediate(r));
}

// ---- State ----

function snapshot(cluster: Cluster): unknown {
  const topics = cluster.topicNames().sort();
  return {
    topics: topics.map((name) => {
      const described = cluster.describeTopic(name);
      return {
        name,
        config: cluster.topicConfig(name),
        partitions: described.partitions.map((p) =>
          name === SINK
            ? { partition: p.partition, leader: p.leader, replicas: p.replicas }
            : {
                ...cluster.describePartition(name, p.partition),
                records: cluster.fetch({ topic: name, partition: p.partition, offset: 0, maxRecords: 10_000 }).records,
              },
        ),
      };
    }),
    groups: cluster.groups.describeGroups(
      cluster.groups
        .listGroups()
        .map((g) => g.groupId)
        .sort(),
    ),
    offsets: cluster.groups.listGroups().map((g) => cluster.groups.offsetFetch({ groupId: g.groupId })),
  };
}

// ---- The property ----

interface Figures {
  requests: number;
  closed: number;
  answered: number;
  unsupportedVersion: number;
  discarded: number;
}

async function fuzz(cluster: Cluster, transport: Transport, runs: number, figures: Figures): Promise<void> {
  const seeds = seedFrames();
  const before = snapshot(cluster);
  const crashes: unknown[] = [];
  const crash = (e: unknown): void => void crashes.push(e);
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  const failures: string[] = [];
  const stopEvents = cluster.onWireEvent((e) => {
    if (e.reason === 'handler-error') failures.push(e.detail);
  });
  const input = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([seed, ms]) => ms.reduce((f, m) => m(f), seed)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    // ApiVersions of a version not served: answered UNSUPPORTED_VERSION with the ranges, the connection kept.
    {
      weight: 1,
      arbitrary: fc.tuple(fc.oneof(fc.integer({ min: 4, max: 32767 }), fc.integer({ min: -32768, max: -1 })), int32).map(([version, correlationId]) => {
        const frame = encodeRequest(ApiVersions, 3, { correlationId, clientId: 'fuzz' }, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' });
        frame.writeInt16BE(version, 6);
        return frame;
      }),
    },
    // A valid request, then garbage on the same connection: the first is answered before the close.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.constantFrom(...seeds), mutation).map(([a, b, m]) => Buffer.concat([a, m(b)])) },
  );
  try {
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const expected = expectedOutcome(bytes);
        if (expected.changesState) {
          figures.discarded++;
          return;
        }
        figures.requests++;
        failures.length = 0;
        const probe = await transport();
        probe.write(bytes);
        await until(() => probe.closed || probe.frames.length >= expected.answers.length, ANSWER_MS);
        // After a request that waits, a close the later bytes cause may come at any time.
        const closes = expected.open ? undefined : expected.closes;
        if (closes === true) await until(() => probe.closed, ANSWER_MS);
        else await until(() => probe.closed, QUIET_MS);
        const closedByBroker = probe.closed;
        probe.destroy();
        expect(crashes.map(String).join('\n'), 'an exception escaped the server').to.equal('');
        if (expected.handlerError === true) failures.length = 0;
        expect(failures.join('\n'), 'a handler failed on a request that decoded').to.equal('');
        expect(probe.frames.length, 'answers').to.be.at.least(expected.answers.length);
        if (!expected.open) expect(probe.frames.length, 'answers').to.equal(expected.answers.length);
        expected.answers.forEach((a, i) => {
          const answer = decodeResponse(a.api, a.version, probe.frames[i]!);
          expect(answer.correlationId).to.equal(a.correlationId);
          if (a.unsupported) {
            expect(answer.body).to.deep.include({ errorCode: 35, apiKeys: apiVersionRanges() });
            figures.unsupportedVersion++;
          }
        });
        if (closes !== undefined) expect(closedByBroker, closes ? 'the broker closes the connection' : 'the connection stays open').to.equal(closes);
        if (closedByBroker) figures.closed++;
        figures.answered += expected.answers.length;
        expect(snapshot(cluster)).to.deep.equal(before);
      }),
      { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }), maxSkipsPerRun: 100 },
    );
  } finally {
    stopEvents();
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
  }
}

async function prepare(cluster: Cluster): Promise<void> {
  cluster.createTopic({ topic: 'fz', numPartitions: 2 });
  cluster.createTopic({ topic: SINK, numPartitions: 2 });
  const kafka = kafkaOver(cluster.wire());
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'fz', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })) });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({
    groupId: 'g1',
    topic: 'fz',
    partitions: [
      { partition: 0, offset: '3' },
      { partition: 1, offset: '5' },
    ],
  });
  await admin.disconnect();
}

/** A kafkajs client over the same cluster still produces and consumes. */
async function stillServes(cluster: Cluster, config: { brokers: string[]; socketFactory?: unknown }): Promise<void> {
  const kafka = kafkaOver(config, 'after-fuzz');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'fz', messages: [{ key: 'after', value: 'fuzz', partition: 0 }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'after-fuzz', sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  const seen: string[] = [];
  try {
    await consumer.subscribe({ topic: 'fz', fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.length} of 21`)), 15000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value!.toString());
            if (seen.length === 21) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  expect(seen).to.include('fuzz');
  expect(cluster.describePartition('fz', 0).highWatermark).to.equal(11);
}

describe('wire server: fuzzing a live broker', function () {
  this.timeout(180_000);
  let cluster: Cluster;
  afterEach(() => cluster.close());

  it(`survives ${RUNS} mutated requests and random byte strings in memory: connections answered or closed as Kafka does, state unchanged`, async () => {
    cluster = realCluster({ brokers: 1, config: { 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0 } });
    await prepare(cluster);
    const figures: Figures = { requests: 0, closed: 0, answered: 0, unsupportedVersion: 0, discarded: 0 };
    const started = Date.now();
    await fuzz(cluster, memoryTransport(cluster), RUNS, figures);
    console.log(
      `      fuzz (memory): ${figures.requests} inputs thrown, ${figures.closed} connections closed, ${figures.answered} answers checked (${figures.unsupportedVersion} UNSUPPORTED_VERSION), ${figures.discarded} state-changing mutations discarded, crashes: none, ${Date.now() - started} ms`,
    );
    await stillServes(cluster, cluster.wire());
  });

  it(`survives ${Math.ceil(RUNS / 10)} of them over TCP (listen())`, async () => {
    cluster = realCluster({ brokers: 1, config: { 'auto.create.topics.enable': false, 'group.initial.rebalance.delay.ms': 0 } });
    await prepare(cluster);
    const { brokers } = await cluster.listen();
    const [host, port] = brokers[0]!.split(':') as [string, string];
    const figures: Figures = { requests: 0, closed: 0, answered: 0, unsupportedVersion: 0, discarded: 0 };
    const started = Date.now();
    await fuzz(cluster, tcpTransport(host, Number(port)), Math.ceil(RUNS / 10), figures);
    console.log(
      `      fuzz (tcp): ${figures.requests} inputs thrown, ${figures.closed} connections closed, ${figures.answered} answers checked (${figures.unsupportedVersion} UNSUPPORTED_VERSION), ${figures.discarded} discarded, crashes: none, ${Date.now() - started} ms`,
    );
    await stillServes(cluster, { brokers });
  });
});
