/** Shared by the wire server specs: a real-clock cluster and unchanged kafkajs over it, with short timeouts. */
import kafkajs from 'kafkajs';
import { Cluster } from '../../src/index.js';
import type { ClusterOptions } from '../../emulator/engine.js';

const { Kafka, logLevel } = kafkajs;

export function realCluster(options: ClusterOptions = {}): Cluster {
  return new Cluster({ clock: 'real', seed: 7, ...options });
}

/** kafkajs over `brokers` (and a socketFactory when given), with fast retries and timeouts and no logs. */
export function kafkaOver(config: { brokers: string[]; socketFactory?: unknown }, clientId = 'wire-spec'): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    ...config,
    connectionTimeout: 300,
    requestTimeout: 1500,
    retry: { retries: 2, initialRetryTime: 20, maxRetryTime: 100 },
    logLevel: logLevel.NOTHING,
  } as ConstructorParameters<typeof Kafka>[0]);
}
