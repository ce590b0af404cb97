/** Shared test helpers. */
import { expect } from 'chai';
import { Cluster, type ClusterOptions } from '../src/index.js';
import { KafkaJSProtocolError } from '../protocol/errors.js';

/** A virtual-clock cluster with a fixed seed. */
export function virtualCluster(options: ClusterOptions = {}): Cluster {
  // The specs state cluster times from 0 (a session expiring at 10000), not from the cluster's default start.
  return new Cluster({ clock: 'virtual', seed: 42, startTime: 0, ...options });
}

/** Runs `fn` and returns the kafkajs protocol error it throws, failing the test if it throws none or another kind. */
export function protocolErrorOf(fn: () => unknown, type: string): InstanceType<typeof KafkaJSProtocolError> {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${type} to be thrown`).to.be.instanceOf(KafkaJSProtocolError);
  const error = thrown as InstanceType<typeof KafkaJSProtocolError>;
  expect(error.type).to.equal(type);
  return error;
}

/** Awaits `promise` and returns the kafkajs protocol error it rejects with. */
export async function rejection(promise: Promise<unknown>, type: string): Promise<InstanceType<typeof KafkaJSProtocolError>> {
  let thrown: unknown;
  try {
    await promise;
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a rejection with ${type}`).to.be.instanceOf(KafkaJSProtocolError);
  expect((thrown as InstanceType<typeof KafkaJSProtocolError>).type).to.equal(type);
  return thrown as InstanceType<typeof KafkaJSProtocolError>;
}

/** `n` records with values `prefix-0`, `prefix-1`, ... */
export function values(n: number, prefix = 'v', timestamp?: number): { value: Buffer; timestamp?: number }[] {
  return Array.from({ length: n }, (_, i) => (timestamp === undefined ? { value: Buffer.from(`${prefix}-${i}`) } : { value: Buffer.from(`${prefix}-${i}`), timestamp }));
}

/** Reads a whole partition (up to the high watermark) as strings. */
export function readAll(cluster: Cluster, topic: string, partition: number): string[] {
  const out: string[] = [];
  let offset = cluster.listOffsets(topic, partition, 'earliest').offset;
  for (;;) {
    const { records } = cluster.fetch({ topic, partition, offset });
    if (records.length === 0) return out;
    for (const r of records) out.push(r.value?.toString() ?? 'null');
    offset = records[records.length - 1]!.offset + 1;
  }
}

/**
 * Lifts the suite's `KAFKAJS_LOG_LEVEL=NOTHING` (test/quiet-logs.ts) for the specs of the
 * enclosing `describe`, so the log levels they give take effect, and puts it back after them.
 */
export function liftLogLevelOverride(): void {
  let saved: string | undefined;
  before(() => {
    saved = process.env.KAFKAJS_LOG_LEVEL;
    delete process.env.KAFKAJS_LOG_LEVEL;
  });
  after(() => {
    if (saved === undefined) delete process.env.KAFKAJS_LOG_LEVEL;
    else process.env.KAFKAJS_LOG_LEVEL = saved;
  });
}
