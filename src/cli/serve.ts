/**
 * `kafka-twin serve`: a real-clock twin on TCP for any Kafka client. The first line on stdout is
 * the bootstrap list (so a script can read it); then the event log as it happens, in the
 * timeline's words (timeline.ts) or one JSON event a line. Runs until SIGINT or SIGTERM, then
 * closes every connection and the cluster.
 */
import { Cluster, type WireEvent } from '../cluster.js';
import type { ClusterEvent } from '../../emulator/events.js';
import { painter } from './style.js';
import { clockTime, eventLines, isInternalTopic } from './timeline.js';

/** What the command line asks of `serve`. */
export interface ServeRequest {
  brokers: number;
  /** The brokers' ids (`--broker-ids`); undefined for 1..N. */
  brokerIds: number[] | undefined;
  host: string;
  /** The first broker's port (the next brokers take the following ones); undefined for ephemeral ports. */
  port: number | undefined;
  ports: number[] | undefined;
  config: Record<string, string>;
  topics: { name: string; partitions: number; replicationFactor: number }[];
  seed: number;
  output: 'text' | 'json' | 'quiet';
}

const MAX_PORT = 65_535;
/** Kafka's `node.id` is an int32. */
const MAX_BROKER_ID = 2 ** 31 - 1;

/** Reads `serve`'s options: the request, or a one-line reason it makes no sense. */
export function parseServeOptions(args: readonly string[]): ServeRequest | string {
  const r: ServeRequest = { brokers: 1, brokerIds: undefined, host: '127.0.0.1', port: undefined, ports: undefined, config: {}, topics: [], seed: 0, output: 'text' };
  let brokersGiven = false;
  let portGiven = false;
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    if (flag === '--json' || flag === '--quiet') {
      const output = flag === '--json' ? 'json' : 'quiet';
      if (r.output !== 'text' && r.output !== output) return '--json and --quiet exclude each other';
      r.output = output;
      continue;
    }
    if (!['--brokers', '--broker-ids', '--host', '--port', '--ports', '--config', '--topic', '--seed'].includes(flag)) return `unknown option '${flag}'`;
    const value = args[++i];
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value`;
    switch (flag) {
      case '--brokers': {
        const n = integer(value, 1, 1000);
        if (n === undefined) return `--brokers must be an integer from 1 to 1000, got '${value}'`;
        r.brokers = n;
        brokersGiven = true;
        break;
      }
      case '--broker-ids': {
        const ids = value.split(',').map((id) => integer(id.trim(), 0, MAX_BROKER_ID));
        if (ids.some((id) => id === undefined) || ids.length > 1000)
          return `--broker-ids must be up to 1000 broker ids from 0 to ${MAX_BROKER_ID} separated by commas, got '${value}'`;
        const twice = ids.find((id, i) => ids.indexOf(id) !== i);
        if (twice !== undefined) return `--broker-ids must be distinct, got ${twice} twice in '${value}'`;
        r.brokerIds = ids as number[];
        break;
      }
      case '--host':
        r.host = value;
        break;
      case '--port': {
        const n = integer(value, 0, MAX_PORT);
        if (n === undefined) return `--port must be a port number from 0 to ${MAX_PORT}, got '${value}'`;
        // 0 asks for ephemeral ports; 0 + i would be the privileged ports 1, 2, ... for the next brokers.
        r.port = n === 0 ? undefined : n;
        portGiven = true;
        break;
      }
      case '--ports': {
        const ports = value.split(',').map((p) => integer(p.trim(), 0, MAX_PORT));
        if (ports.some((p) => p === undefined)) return `--ports must be port numbers from 0 to ${MAX_PORT} separated by commas, got '${value}'`;
        r.ports = ports as number[];
        break;
      }
      case '--config': {
        const eq = value.indexOf('=');
        if (eq <= 0) return `--config takes key=value (a Kafka broker setting), got '${value}'`;
        r.config[value.slice(0, eq).trim()] = value.slice(eq + 1).trim();
        break;
      }
      case '--topic': {
        const parts = value.split(':');
        const partitions = integer(parts[1] ?? '', 1, 1_000_000);
        const replicas = parts[2] === undefined ? -1 : integer(parts[2], 1, 1000);
        if (parts.length > 3 || parts[0] === '' || partitions === undefined || replicas === undefined)
          return `--topic takes name:partitions[:replicas] with positive counts, got '${value}'`;
        r.topics.push({ name: parts[0]!, partitions, replicationFactor: replicas });
        break;
      }
      default: {
        const n = integer(value, 0, Number.MAX_SAFE_INTEGER);
        if (n === undefined) return `--seed must be a non-negative integer, got '${value}'`;
        r.seed = n;
      }
    }
  }
  if (r.brokerIds !== undefined) {
    // --broker-ids alone says how many brokers there are; with --brokers the two must agree.
    if (!brokersGiven) r.brokers = r.brokerIds.length;
    else if (r.brokerIds.length !== r.brokers) return `--broker-ids lists ${r.brokerIds.length} id(s) for ${r.brokers} broker(s): give one id per broker`;
    brokersGiven = true;
  }
  if (portGiven && r.ports !== undefined) return '--port and --ports exclude each other: give the first port, or one port per broker';
  if (r.ports !== undefined) {
    // --ports alone says how many brokers there are; with --brokers the two must agree.
    if (!brokersGiven) r.brokers = r.ports.length;
    else if (r.ports.length !== r.brokers) return `--ports lists ${r.ports.length} port(s) for ${r.brokers} broker(s): give one port per broker`;
  }
  if (r.port !== undefined && r.port + r.brokers - 1 > MAX_PORT) return `--port ${r.port} leaves no room for ${r.brokers} brokers below ${MAX_PORT}`;
  for (const t of r.topics) {
    if (t.replicationFactor > r.brokers)
      return `--topic ${t.name}: ${t.replicationFactor} replicas need at least ${t.replicationFactor} brokers, there are ${r.brokers}`;
  }
  return r;
}

function integer(text: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** What {@link serve} writes to and waits for; the program's defaults are stdout, stderr and SIGINT/SIGTERM. */
export interface ServeIo {
  write: (line: string) => void;
  error: (line: string) => void;
  /** ANSI colours on event lines (never on the first line). @defaultValue false */
  color?: boolean;
  /** Resolves when the server should stop. @defaultValue the first SIGINT or SIGTERM */
  stop?: Promise<unknown>;
}

/** Runs `kafka-twin serve`; resolves with the exit code once stopped (0), or at once for bad usage or a busy port (2). */
export async function serve(args: readonly string[], io: ServeIo): Promise<number> {
  const usage = (why: string) => {
    io.error(`kafka-twin serve: ${why}`);
    return 2;
  };
  const request = parseServeOptions(args);
  if (typeof request === 'string') return usage(request);
  // Listening for signals from the start: a script may send one as soon as it reads the first line.
  const signals = io.stop === undefined ? stopSignals() : undefined;
  try {
    let cluster: Cluster;
    try {
      cluster = new Cluster({ brokers: request.brokers, brokerIds: request.brokerIds, clock: 'real', seed: request.seed, config: request.config });
    } catch (e) {
      return usage(messageOf(e));
    }
    try {
      for (const t of request.topics) cluster.createTopic({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor });
      const { host, port, ports } = request;
      let brokers: string[];
      try {
        brokers = (await cluster.listen({ host, port, ports })).brokers;
      } catch (e) {
        return usage(listenError(e, request));
      }
      io.write(brokers.join(','));
      if (request.output !== 'quiet') follow(cluster, request.output, io);
      await (io.stop ?? signals!.stopped);
      return 0;
    } catch (e) {
      return usage(messageOf(e));
    } finally {
      cluster.close();
    }
  } finally {
    signals?.dispose();
  }
}

/** Writes the events so far, then each new one; nothing can happen between the two (no await). */
function follow(cluster: Cluster, output: 'text' | 'json', io: ServeIo): void {
  const start = cluster.events()[0]?.time ?? cluster.now();
  const paint = painter(io.color ?? false);
  const stamp = (ms: number) => paint('time', `[${clockTime(ms - start)}]`);
  const onEvent = (e: ClusterEvent) => {
    if (output === 'json') return io.write(JSON.stringify(e));
    // __consumer_offsets's own elections would drown the story; its creation says where groups live.
    if ('topic' in e && isInternalTopic(e.topic) && e.type !== 'topic-created') return;
    for (const line of eventLines(e, stamp, paint)) io.write(line);
  };
  for (const e of cluster.events()) onEvent(e);
  cluster.onEvent(onEvent);
  cluster.onWireEvent((w) => {
    const time = cluster.now();
    io.write(output === 'json' ? JSON.stringify({ ...w, time }) : `${stamp(time)} ${paint('fault', describeWireEvent(w))}`);
  });
}

/** A connection the broker closed over what its client sent. */
export function describeWireEvent(w: WireEvent): string {
  return `broker ${w.broker} closed the connection from ${w.client} (${w.reason}${w.detail === '' ? '' : `: ${w.detail}`})`;
}

function listenError(e: unknown, request: ServeRequest): string {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = err.port === undefined ? request.host : `${err.address ?? request.host}:${err.port}`;
  if (err.code === 'EADDRINUSE') return `cannot listen on ${where}: the port is in use`;
  if (err.code === 'EACCES') return `cannot listen on ${where}: permission denied`;
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') return `cannot listen on ${where}: no such address on this machine`;
  return `cannot listen on ${where}: ${messageOf(e)}`;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` gives the signals back to Node's defaults. */
function stopSignals(): { stopped: Promise<void>; dispose: () => void } {
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const onSignal = () => resolve();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
