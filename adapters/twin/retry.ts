/**
 * kafkajs's retry policy (exponential backoff with jitter; KafkaJSNumberOfRetriesExceeded when
 * retries run out), on the cluster clock and with seeded jitter so the twin stays deterministic.
 */
import type { RetryOptions } from 'kafkajs';
import type { TwinCluster as Cluster } from './cluster.js';
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from '../../protocol/errors.js';

/** kafkajs's defaults. */
export const RETRY_DEFAULTS: Required<Pick<RetryOptions, 'maxRetryTime' | 'initialRetryTime' | 'factor' | 'multiplier' | 'retries'>> = {
  maxRetryTime: 30_000,
  initialRetryTime: 300,
  factor: 0.2,
  multiplier: 2,
  retries: 5,
};

/**
 * The errors kafkajs never retries nor restarts after, by name: a bug in the caller's code, not
 * a broker's answer. kafkajs keeps the list in its retrier, which its consumer's runner runs on;
 * here the retrier below and the consumer's error policy (consumer/runner.ts) share this copy.
 */
export const UNRECOVERABLE: ReadonlySet<string> = new Set(['RangeError', 'ReferenceError', 'SyntaxError', 'TypeError']);

function isRetriable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const retriable = (e as { retriable?: boolean }).retriable;
  return retriable !== false && !UNRECOVERABLE.has(e.name);
}

/** kafkajs's constructor takes a cause; its typings omit it. */
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: Error }) => InstanceType<typeof KafkaJSNonRetriableError>;

/** Thrown by an attempt to stop retrying at once with `error` as it is. */
export class Bail extends Error {
  constructor(readonly error: unknown) {
    super('bail');
  }
}

/**
 * Runs `attempt` until it resolves, retrying retriable failures after kafkajs's backoff.
 * Throwing {@link Bail} from an attempt rejects with the wrapped error unchanged. Each attempt is
 * told its number and the wait before the next one, as kafkajs's retrier tells it (for its logs).
 * The caller awaits it, so on the virtual clock it drives time (`cluster.drive`) through its
 * backoffs and whatever its attempts wait for, as awaiting kafkajs lets wall time pass.
 */
export function withRetries<T>(
  cluster: Cluster,
  options: RetryOptions | undefined,
  attempt: (retryCount: number, retryTime: number) => Promise<T>,
): Promise<T> {
  return cluster.drive(retrying(cluster, options, attempt));
}

async function retrying<T>(cluster: Cluster, options: RetryOptions | undefined, attempt: (retryCount: number, retryTime: number) => Promise<T>): Promise<T> {
  const { maxRetryTime, initialRetryTime, factor, multiplier, retries } = { ...RETRY_DEFAULTS, ...options };
  const jitter = (time: number) => {
    const delta = factor * time;
    return Math.ceil(time - delta + (cluster.random.nextUint32() / 2 ** 32) * 2 * delta);
  };
  let retryTime = jitter(initialRetryTime);
  for (let retryCount = 0; ; retryCount++) {
    try {
      return await attempt(retryCount, retryTime);
    } catch (e) {
      if (e instanceof Bail) throw e.error;
      if (!isRetriable(e)) throw new NonRetriable(e as Error, { cause: ((e as { cause?: Error }).cause ?? e) as Error });
      if (retryCount >= retries) throw new KafkaJSNumberOfRetriesExceeded(e as Error, { retryCount, retryTime });
      await new Promise<void>((resolve) => cluster.clock.schedule(retryTime, resolve));
      retryTime = Math.min(jitter(retryTime) * multiplier, maxRetryTime);
    }
  }
}
