/**
 * Exactly-once, model-based, at the engine level: random schedules of transactional produce,
 * commit and abort from two transactional ids, an idempotent (non-transactional) producer,
 * producer restarts that leave the old instance running as a zombie (acting before and after its
 * fence's abort is written), KIP-360 epoch bumps, answers the client treats as lost (produce,
 * EndTxn, InitProducerId) and retries with the same sequence or epoch, acks=all requests left
 * outstanding while the schedule goes on, broker stops, starts, isolation and healing (3 brokers,
 * replication 3, min.insync.replicas 2, clean elections only; some faults aimed at a partition's
 * leader and next leader, so unreplicated tails get truncated), and clock advances past the
 * transaction timeout. The producers are driven as a client drives the engine: InitProducerId,
 * AddPartitionsToTxn before the first send to a partition, one request in flight per partition,
 * retriable codes retried after a backoff on the cluster clock, EndTxn after flushing.
 *
 * An oracle follows every record (each value is unique; a retry resends the same values), the
 * transaction it belongs to and that transaction's fate as the coordinator decided it (EndTxn
 * answered, or the txn-fenced events of a timeout or a new instance). After every command, on
 * every partition whose leader runs and is reachable:
 * - read_committed (fetchRanges + visibleRanges) shows no record of an aborted or undecided
 *   transaction, no record twice, each producer's records in the order sent, every acknowledged
 *   record of a committed transaction or of the idempotent producer below the last stable offset
 *   at the offset it was acknowledged at, and the same when read a record at a time;
 * - no value is in the log twice and each producer epoch's sequences run from 0 without a gap or
 *   a repeat (a retried sequence is appended once), and every record answered with acks=all is
 *   still at its offset (none lost under clean elections);
 * - LSO <= HW, and the LSO never goes back while the leader and its epoch stay;
 * - zombies are fenced: a write at an epoch older than one the partition has seen, and an
 *   AddPartitionsToTxn or EndTxn at an epoch the coordinator has bumped, are refused (a zombie's
 *   write the partition takes before the fence's abort marker reaches it belongs to the aborted
 *   transaction, and the read_committed check covers it); a retried batch answers the offsets of
 *   its first append, a retried InitProducerId the epoch of the lost answer.
 * At the end all brokers start and heal, every timeout passes, and the markers settle: every
 * transaction is decided, LSO = HW (no hanging transaction), the checks above then cover every
 * acknowledged record, and every in-sync replica holds the leader's batches and aborted-transaction
 * index with nothing left open (any of them could lead next).
 *
 * fast-check prints the seed, path and the commands' replayPath of a failure; replay with
 * TXN_PROPS_SEED, TXN_PROPS_PATH and TXN_PROPS_REPLAY (TXN_PROPS_DEBUG=1 prints the run's events
 * and logs). TXN_PROPS_RUNS sets the number of runs (a longer hunt), TXN_PROPS_COMMANDS the
 * longest schedule, TXN_PROPS_STATS=1 prints what the runs exercised.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { settle } from '../../emulator/clock.js';
import { Engine, type ProduceResult } from '../../emulator/engine.js';
import { lastStableOffsetOf, visibleRanges } from '../../emulator/fetch.js';
import { readRecords, type RecordRange } from '../../emulator/records.js';
import type { EngineState, Partition } from '../../emulator/state.js';
import { TxnErrors as E } from '../../emulator/transactions/index.js';

const TOPIC = 't';
const PARTITIONS = 2;
const BROKERS = [1, 2, 3];
const IDS = ['tx-a', 'tx-b'] as const;
const TXN_TIMEOUT_MS = 3000;
const CLEANUP_INTERVAL_MS = 1000;
const BACKOFF_MS = 100;
const RUNS = Number(process.env['TXN_PROPS_RUNS'] ?? 800);
/** Longest schedule (TXN_PROPS_COMMANDS): longer ones reach deeper states at the cost of speed. */
const MAX_COMMANDS = Number(process.env['TXN_PROPS_COMMANDS'] ?? 50);

/** Codes after which a client retries the same request (Kafka's RetriableException ones the schedules meet). */
const RETRY_PRODUCE = new Set<number>([
  E.NETWORK_EXCEPTION,
  E.LEADER_NOT_AVAILABLE,
  E.NOT_LEADER_OR_FOLLOWER,
  E.REQUEST_TIMED_OUT,
  E.NOT_ENOUGH_REPLICAS,
  E.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
]);
const RETRY_COORDINATOR = new Set<number>([
  E.NETWORK_EXCEPTION,
  E.CONCURRENT_TRANSACTIONS,
  E.COORDINATOR_NOT_AVAILABLE,
  E.NOT_COORDINATOR,
  E.COORDINATOR_LOAD_IN_PROGRESS,
]);
const FENCED = new Set<number>([E.INVALID_PRODUCER_EPOCH, E.PRODUCER_FENCED]);

/** What the runs exercised, so that the properties are not vacuous. */
const stats: Record<string, number> = {};
const count = (what: string, n = 1): void => {
  stats[what] = (stats[what] ?? 0) + n;
};

/** A transaction as the oracle knows it: its producer id and epoch, and its fate as the coordinator decided it. */
interface TxnRec {
  readonly name: string;
  readonly producerId: number;
  readonly epoch: number;
  fate: 'open' | 'commit' | 'abort';
  why?: string;
}

/** One record sent: its value (unique), who sent it, and the offset an answer gave it. */
interface Sent {
  readonly value: string;
  readonly n: number;
  readonly partition: number;
  readonly producer: Producer;
  readonly txn: TxnRec | undefined;
  /** The offset of a success answer (what the client saw or not). */
  offset?: number;
}

interface Batch {
  readonly partition: number;
  readonly baseSequence: number;
  readonly records: readonly Sent[];
  /** Sent and still waiting for its acks=all answer while the schedule goes on, with the epoch the partition knew when it was sent. */
  outstanding?: { readonly answer: Promise<ProduceResult>; readonly known: number | undefined };
}

/** A producer instance as a client holds it. */
class Producer {
  producerId = -1;
  epoch = -1;
  /** Next sequence per partition. */
  readonly sequences = new Map<number, number>();
  /** The batch in flight per partition: sent, its answer unknown to the client (lost or a retriable error). */
  readonly pending = new Map<number, Batch>();
  /** Partitions added to the transaction under way (as the client was told). */
  readonly added = new Set<number>();
  txn: TxnRec | undefined;
  /** EndTxn sent, its answer not seen yet. */
  ending: boolean | undefined;
  /** Must call InitProducerId before anything else (new, fenced, or its sequences are unknown after an abandoned batch). */
  needsInit = true;
  /** A batch was abandoned undelivered: its sequence may or may not be taken, so a new epoch is needed. */
  sequencesUnknown = false;
  txns = 0;

  constructor(
    readonly transactionalId: string | null,
    readonly name: string,
  ) {}

  /** A new epoch: sequences start again at 0. */
  reset(): void {
    this.sequences.clear();
    this.sequencesUnknown = false;
    this.endTxn();
  }

  /** The transaction is over; sequences go on in the same epoch. */
  endTxn(): void {
    this.pending.clear();
    this.added.clear();
    this.txn = undefined;
    this.ending = undefined;
  }
}

class World {
  readonly engine: Engine;
  readonly state: EngineState;
  /** Instances per transactional id, oldest first: the last is current, the others zombies. Index IDS.length: the idempotent producer. */
  readonly instances: Producer[][] = [];
  readonly sent = new Map<string, Sent>();
  readonly txns: TxnRec[] = [];
  /** The newest epoch the coordinator gave or bumped to, per producer id. */
  readonly currentEpoch = new Map<number, number>();
  /** Per partition: the leader, its epoch and the LSO last seen. */
  readonly lso = new Map<number, { leader: number; leaderEpoch: number; lso: number }>();
  readonly violations: string[] = [];
  private eventsSeen = 0;
  private next = 0;

  constructor(seed: number) {
    this.engine = new Engine({
      brokers: BROKERS.length,
      clock: 'virtual',
      seed,
      config: {
        'transaction.state.log.num.partitions': 3,
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': CLEANUP_INTERVAL_MS,
        'replica.lag.time.max.ms': 4000,
        'leader.imbalance.check.interval.seconds': 5,
      },
    });
    this.state = (this.engine as unknown as { state: EngineState }).state;
    this.engine.createTopic({
      topic: TOPIC,
      numPartitions: PARTITIONS,
      replicationFactor: 3,
      config: { 'min.insync.replicas': 2, 'unclean.leader.election.enable': false },
    });
    for (const id of IDS) this.engine.findTransactionCoordinator({ transactionalId: id });
    for (const id of IDS) this.instances.push([new Producer(id, `${id}#0`)]);
    this.instances.push([new Producer(null, 'idem#0')]);
  }

  partition(index: number): Partition {
    return this.state.topics.get(TOPIC)!.partitions[index]!;
  }

  value(producer: Producer, partition: number, txn: TxnRec | undefined): Sent {
    const n = this.next++;
    const s: Sent = { value: `v${n}`, n, partition, producer, txn };
    this.sent.set(s.value, s);
    return s;
  }

  /** Reads the events since the last look: fencing (a new instance, a timeout) decides an open transaction as aborted. */
  sync(): void {
    const events = this.engine.events();
    for (; this.eventsSeen < events.length; this.eventsSeen++) {
      const e = events[this.eventsSeen]!;
      if (e.type === 'txn-fenced') {
        this.bump(e.newProducerId, e.producerEpoch);
        const open = this.txns.find((t) => t.producerId === e.producerId && t.epoch === e.fencedEpoch && t.fate === 'open');
        if (open !== undefined) this.decide(open, false, e.reason === 'timeout' ? 'timeout' : 'fenced');
        count(`fence (${e.reason})`);
      } else if (e.type === 'txn-commit') count('commits');
      else if (e.type === 'txn-abort') count(`aborts (${e.reason})`);
      else if (e.type === 'leader-changed') {
        if (e.election === 'unclean') this.violations.push(`unclean election: ${JSON.stringify(e)}`);
        count(`elections (${e.topic === TOPIC ? 'data' : e.topic}, ${e.election})`);
      } else if (e.type === 'duplicate-batch') count('duplicates answered');
      else if (e.type === 'log-truncated' && e.topic === TOPIC) count('truncations (data)');
      else if (e.type === 'isr-shrunk' && e.topic === TOPIC && e.reason === 'lagging') count('isr shrinks (data, lagging)');
    }
  }

  bump(producerId: number, epoch: number): void {
    this.currentEpoch.set(producerId, Math.max(epoch, this.currentEpoch.get(producerId) ?? -1));
  }

  decide(t: TxnRec, commit: boolean, why: string): void {
    if (t.fate !== 'open') {
      if ((t.fate === 'commit') !== commit) this.violations.push(`${t.name} decided ${commit ? 'commit' : 'abort'} (${why}) after ${t.fate} (${t.why})`);
      return;
    }
    t.fate = commit ? 'commit' : 'abort';
    t.why = why;
  }

  /** Whether a success at `epoch` for `producerId` is one the coordinator had fenced. */
  fencedAt(producerId: number, epoch: number): boolean {
    return (this.currentEpoch.get(producerId) ?? -1) > epoch;
  }
}

/** Whether a newer instance of the producer's transactional id exists. */
const zombie = (w: World, p: Producer): boolean => w.instances.some((list) => list.includes(p) && list.at(-1) !== p);

const backoff = async (w: World): Promise<void> => {
  await w.engine.advance(BACKOFF_MS);
  w.sync();
};

/** InitProducerId for the instance; a recovering transactional one names its id and epoch (KIP-360). */
async function init(w: World, p: Producer, attempts = 8, loseAnswer = false): Promise<boolean> {
  /** A success whose answer the client did not get: a retry naming the same epoch must get the same one back (KIP-360). */
  let lost: { producerId: number; producerEpoch: number; recover: boolean } | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const recover = p.transactionalId !== null && p.producerId >= 0;
    const a = w.engine.initProducerId(
      p.transactionalId === null
        ? {}
        : {
            transactionalId: p.transactionalId,
            transactionTimeoutMs: TXN_TIMEOUT_MS,
            ...(recover ? { producerId: p.producerId, producerEpoch: p.epoch } : {}),
          },
    );
    w.sync();
    count(`init: ${a.errorCode}`);
    if (a.errorCode === E.NONE && loseAnswer && lost === undefined) {
      count('lost InitProducerId answers');
      lost = { producerId: a.producerId, producerEpoch: a.producerEpoch, recover };
      w.bump(a.producerId, a.producerEpoch);
      continue;
    }
    if (a.errorCode === E.NONE) {
      if (lost?.recover === true && recover && (a.producerId !== lost.producerId || a.producerEpoch !== lost.producerEpoch)) {
        w.violations.push(
          `InitProducerId of ${p.name} retried after a lost answer gave ${a.producerId}/${a.producerEpoch}, first ${lost.producerId}/${lost.producerEpoch}`,
        );
      }
      if (lost?.recover === true) count('InitProducerId retries answered');
      p.producerId = a.producerId;
      p.epoch = a.producerEpoch;
      p.needsInit = false;
      p.reset();
      w.bump(a.producerId, a.producerEpoch);
      return true;
    }
    if (FENCED.has(a.errorCode) && recover) {
      // Another instance took the id: this one is a zombie from now on, and a fresh start names no epoch.
      p.producerId = -1;
      p.epoch = -1;
      continue;
    }
    if (!RETRY_COORDINATOR.has(a.errorCode)) {
      w.violations.push(`InitProducerId of ${p.name} answered ${a.errorCode}: ${a.errorMessage}`);
      return false;
    }
    if (attempt + 1 < attempts) await backoff(w);
  }
  return false;
}

/** The client learns it is fenced (or its transaction timed out): its transaction is gone, it starts again with InitProducerId. */
function fenced(w: World, p: Producer, what: string): void {
  count(`${what} fenced`);
  if (p.txn !== undefined && p.txn.fate === 'open') w.violations.push(`${p.name}: ${what} fenced while ${p.txn.name} is open at the coordinator`);
  p.reset();
  p.needsInit = true;
}

/** AddPartitionsToTxn, retried while the coordinator asks; false when the partition could not be added. */
async function add(w: World, p: Producer, partition: number, zombie: boolean): Promise<boolean> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const code = w.engine.addPartitionsToTxn({
      transactionalId: p.transactionalId!,
      producerId: p.producerId,
      producerEpoch: p.epoch,
      topics: [{ topic: TOPIC, partitions: [partition] }],
    }).results[0]!.partitions[0]!.errorCode;
    const wasFenced = w.fencedAt(p.producerId, p.epoch);
    w.sync();
    count(`add${zombie ? ' (zombie)' : ''}: ${code}`);
    if (code === E.NONE) {
      if (wasFenced) w.violations.push(`AddPartitionsToTxn of ${p.name} at fenced epoch ${p.epoch} succeeded`);
      p.added.add(partition);
      if (p.txn === undefined) {
        p.txn = { name: `${p.name}/txn${p.txns++}`, producerId: p.producerId, epoch: p.epoch, fate: 'open' };
        w.txns.push(p.txn);
      }
      return true;
    }
    if (FENCED.has(code)) {
      fenced(w, p, 'AddPartitionsToTxn');
      return false;
    }
    if (!RETRY_COORDINATOR.has(code)) {
      w.violations.push(`AddPartitionsToTxn of ${p.name} answered ${code}`);
      return false;
    }
    await backoff(w);
  }
  return false;
}

/**
 * Sends one batch (up to `attempts` times while the answer is retriable); `loseAck`: a success is
 * treated as lost, so the batch stays in flight and the client sends it again later with the same
 * sequence. True when the client saw it acknowledged.
 */
async function deliver(w: World, p: Producer, batch: Batch, loseAck: boolean, attempts = 3, leaveOutstanding = false): Promise<boolean> {
  const { partition, baseSequence, records } = batch;
  p.pending.set(partition, batch);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const retry = records[0]!.offset !== undefined;
    let known: number | undefined;
    let r: ProduceResult;
    if (batch.outstanding !== undefined) {
      // One request in flight per partition: the client awaits the answer of the one sent earlier.
      known = batch.outstanding.known;
      r = await w.engine.drive(batch.outstanding.answer, { maxMs: 60_000 });
      batch.outstanding = undefined;
      count('outstanding answers awaited');
    } else {
      const part = w.partition(partition);
      known = part.leader === -1 ? undefined : w.engine.producerStates(TOPIC, partition).find((x) => x.producerId === p.producerId)?.epoch;
      const answer = w.engine.produce({
        topic: TOPIC,
        partition,
        records: records.map((s) => ({ value: Buffer.from(s.value) })),
        producerId: p.producerId,
        producerEpoch: p.epoch,
        baseSequence,
        isTransactional: p.transactionalId !== null,
        acks: -1,
        timeout: 2000,
      });
      const got: { answer?: ProduceResult } = {};
      void answer.then((x) => (got.answer = x));
      await settle();
      if (got.answer === undefined && leaveOutstanding && attempt === 0) {
        // The followers have not all got it: the schedule goes on (a broker may stop) with the request unanswered.
        batch.outstanding = { answer, known };
        count('requests left outstanding');
        return false;
      }
      r = got.answer ?? (await w.engine.drive(answer, { maxMs: 60_000 }));
    }
    w.sync();
    count(`produce${p.transactionalId === null ? ' (idempotent)' : zombie(w, p) ? ' (zombie)' : ''}: ${r.errorCode}`);
    if (r.errorCode === E.NONE) {
      if (known !== undefined && known > p.epoch && !retry)
        w.violations.push(`${p.name} wrote ${records[0]!.value} at epoch ${p.epoch} to ${TOPIC}-${partition}, which had seen epoch ${known}`);
      records.forEach((s, i) => {
        if (s.offset !== undefined && s.offset !== r.baseOffset + i)
          w.violations.push(`retried ${s.value} answered offset ${r.baseOffset + i}, first acknowledged at ${s.offset}`);
        s.offset = r.baseOffset + i;
      });
      if (retry) count('lost acks retried');
      if (loseAck && attempt === 0) {
        count('lost acks');
        return false;
      }
      p.pending.delete(partition);
      p.sequences.set(partition, baseSequence + records.length);
      return true;
    }
    if (FENCED.has(r.errorCode)) {
      if (p.transactionalId === null) w.violations.push(`idempotent ${p.name} answered ${r.errorCode}`);
      fenced(w, p, 'produce');
      return false;
    }
    if (!RETRY_PRODUCE.has(r.errorCode)) {
      w.violations.push(`produce of ${records[0]!.value} by ${p.name} (epoch ${p.epoch}, sequence ${baseSequence}) answered ${r.errorCode}: ${r.errorMessage}`);
      return false;
    }
    await backoff(w);
  }
  return false;
}

/** A client's commit or abort: flushes what is in flight, then EndTxn (aborting if a batch could not be delivered). */
async function end(w: World, p: Producer, commit: boolean, loseAck: boolean, zombie: boolean): Promise<void> {
  if (p.txn === undefined) return;
  if (p.ending === undefined) {
    for (const batch of [...p.pending.values()]) await deliver(w, p, batch, false);
    if (p.needsInit) return;
    if (p.pending.size > 0) {
      // Never sent again: a transactional batch arriving after the transaction ended would open a
      // new one on the partition that no marker ever closes (what KIP-890's verification refuses).
      count('abort: undelivered batch');
      commit = false;
      p.pending.clear();
      p.sequencesUnknown = true;
    }
    p.ending = commit;
  }
  const t = p.txn;
  for (let attempt = 0; attempt < 8; attempt++) {
    const code = w.engine.endTxn({ transactionalId: p.transactionalId!, producerId: p.producerId, producerEpoch: p.epoch, committed: p.ending }).errorCode;
    const wasFenced = w.fencedAt(p.producerId, p.epoch);
    w.sync();
    count(`end ${p.ending ? 'commit' : 'abort'}${zombie ? ' (zombie)' : ''}: ${code}`);
    if (code === E.NONE) {
      if (wasFenced) w.violations.push(`EndTxn of ${p.name} at fenced epoch ${p.epoch} succeeded`);
      w.decide(t, p.ending, 'client');
      if (loseAck && attempt === 0) {
        count('lost EndTxn answers');
        await backoff(w);
        continue;
      }
      p.endTxn();
      // A batch whose fate is unknown leaves the sequence unknown: the client bumps its epoch (KIP-360).
      if (p.sequencesUnknown) p.needsInit = true;
      return;
    }
    if (FENCED.has(code)) {
      fenced(w, p, 'EndTxn');
      return;
    }
    if (!RETRY_COORDINATOR.has(code)) {
      w.violations.push(`EndTxn(${p.ending ? 'commit' : 'abort'}) of ${p.name} answered ${code}`);
      return;
    }
    await backoff(w);
  }
}

type Who = number; // an index of IDS, or IDS.length for the idempotent producer
type Cmd = fc.AsyncCommand<object, World>;

function instanceOf(w: World, who: Who, zombie: boolean): Producer | undefined {
  const list = w.instances[who]!;
  return zombie ? list.at(-2) : list.at(-1);
}

class Send implements Cmd {
  constructor(
    readonly who: Who,
    readonly zombie: boolean,
    readonly partition: number,
    readonly n: number,
    readonly loseAck: boolean,
    /** Goes on without waiting for an acks=all answer that needs the followers. */
    readonly leaveOutstanding: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const p = instanceOf(w, this.who, this.zombie);
    if (p === undefined) return;
    if (p.needsInit) {
      // A zombie that learnt it is fenced has stopped; the current instance (re)starts.
      if (this.zombie || !(await init(w, p))) return check(w);
    }
    if (p.ending !== undefined) {
      await end(w, p, p.ending, false, this.zombie);
      return check(w);
    }
    let batch = p.pending.get(this.partition);
    if (batch === undefined) {
      if (p.transactionalId !== null && !p.added.has(this.partition) && !(await add(w, p, this.partition, this.zombie))) return check(w);
      const records = Array.from({ length: this.n }, () => w.value(p, this.partition, p.txn));
      batch = { partition: this.partition, baseSequence: p.sequences.get(this.partition) ?? 0, records };
    }
    if (this.zombie) count('zombie sends');
    await deliver(w, p, batch, this.loseAck, 3, this.leaveOutstanding);
    check(w);
  }
  toString = (): string =>
    `send(${nameOf(this.who)}${this.zombie ? ' zombie' : ''}, p${this.partition}, ${this.n}${this.loseAck ? ', lose ack' : ''}${this.leaveOutstanding ? ', outstanding' : ''})`;
}

class End implements Cmd {
  constructor(
    readonly who: number,
    readonly zombie: boolean,
    readonly commit: boolean,
    readonly loseAck: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const p = instanceOf(w, this.who, this.zombie);
    if (p === undefined || p.needsInit) return;
    await end(w, p, this.commit, this.loseAck, this.zombie);
    check(w);
  }
  toString = (): string => `${this.commit ? 'commit' : 'abort'}(${nameOf(this.who)}${this.zombie ? ' zombie' : ''}${this.loseAck ? ', lose ack' : ''})`;
}

/** The application restarts: a new instance with the same transactional id; the old one lives on as a zombie. */
class Restart implements Cmd {
  /** `patient`: retries InitProducerId until it succeeds; else one attempt, so the old instance may act while the fence's abort is under way. */
  constructor(
    readonly who: Who,
    readonly patient: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const list = w.instances[this.who]!;
    const old = list.at(-1)!;
    const p = new Producer(old.transactionalId, `${nameOf(this.who)}#${list.length}`);
    list.push(p);
    count('restarts');
    await init(w, p, this.patient ? 8 : 1);
    check(w);
  }
  toString = (): string => `restart(${nameOf(this.who)}${this.patient ? '' : ', impatient'})`;
}

type Fault = 'stop' | 'start' | 'isolate' | 'heal';

/**
 * Aimed at the data partitions: isolates the follower that a clean election would pick next
 * (still in the ISR for `replica.lag.time.max.ms`, so acks=all writes and markers wait for it),
 * or stops the leader; together they make the leader's unreplicated tail be truncated.
 */
class Aim implements Cmd {
  constructor(
    readonly partition: number,
    readonly stopLeader: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const part = w.partition(this.partition);
    const up = w.engine.brokers().filter((b) => b.status === 'running').length;
    if (part.leader === -1 || up < 2) return;
    if (this.stopLeader) w.engine.stopBroker(part.leader);
    else {
      const next = part.replicas.find((b) => b !== part.leader && part.isr.includes(b));
      if (next !== undefined) w.engine.isolateBroker(next);
    }
    await w.engine.advance(0);
    w.sync();
    check(w);
  }
  toString = (): string => (this.stopLeader ? `stop(leader of p${this.partition})` : `isolate(next leader of p${this.partition})`);
}

/** The producer bumps its own epoch between transactions (KIP-360, as after an abortable error), its answer possibly lost. */
class Recover implements Cmd {
  constructor(
    readonly who: number,
    readonly loseAnswer: boolean,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const p = instanceOf(w, this.who, false)!;
    if (p.producerId < 0 || p.txn !== undefined || p.ending !== undefined) return;
    await init(w, p, 8, this.loseAnswer);
    check(w);
  }
  toString = (): string => `recover(${nameOf(this.who)}${this.loseAnswer ? ', lose answer' : ''})`;
}

class Broker implements Cmd {
  constructor(
    readonly fault: Fault,
    readonly broker: number,
  ) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    const up = w.engine.brokers().filter((b) => b.status === 'running').length;
    // At least one broker stays up and reachable, so the schedules keep making progress.
    if (this.fault === 'stop' && up > 1) w.engine.stopBroker(this.broker);
    else if (this.fault === 'isolate' && up > 1) w.engine.isolateBroker(this.broker);
    else if (this.fault === 'start') w.engine.startBroker(this.broker);
    else if (this.fault === 'heal') w.engine.healBroker(this.broker);
    await w.engine.advance(0);
    w.sync();
    check(w);
  }
  toString = (): string => `${this.fault}(${this.broker})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = (): boolean => true;
  async run(_: object, w: World): Promise<void> {
    await w.engine.advance(this.ms);
    w.sync();
    check(w);
  }
  toString = (): string => `advance(${this.ms})`;
}

const nameOf = (who: Who): string => (who < IDS.length ? IDS[who]! : 'idem');

/**
 * Every record below `upTo`, read from the leader as a client fetches: in one fetch, or
 * (`maxRecords`) in many small ones, each filtered with the aborted transactions its own answer names.
 */
function readRanges(w: World, partition: number, upTo: number, isolationLevel: 'read_committed' | 'read_uncommitted', maxRecords?: number): RecordRange[] {
  const out: RecordRange[] = [];
  let offset = 0;
  while (offset < upTo) {
    const r = w.engine.fetchRanges({ topic: TOPIC, partition, offset, isolationLevel, maxBytes: 1 << 20, ...(maxRecords === undefined ? {} : { maxRecords }) });
    if (r.errorCode !== E.NONE) throw new Error(`fetch of ${TOPIC}-${partition} at ${offset} answered ${r.errorCode}: ${r.errorMessage}`);
    const ranges = isolationLevel === 'read_committed' ? visibleRanges(r) : [...r.ranges];
    out.push(...ranges);
    const last = r.ranges.at(-1);
    if (last === undefined) break;
    offset = last.batch.baseOffset + last.to;
  }
  return out;
}

function check(w: World): void {
  w.sync();
  const v = w.violations;
  for (let i = 0; i < PARTITIONS; i++) {
    const part = w.partition(i);
    const leader = w.state.brokersById.get(part.leader);
    if (leader === undefined || !leader.running || leader.isolated) continue;
    const hw = part.highWatermark;
    const lso = lastStableOffsetOf(part);
    if (lso > hw) v.push(`p${i}: LSO ${lso} above HW ${hw}`);
    const seen = w.lso.get(i);
    if (seen !== undefined && seen.leader === part.leader && seen.leaderEpoch === part.leaderEpoch && lso < seen.lso)
      v.push(`p${i}: LSO went back from ${seen.lso} to ${lso} under leader ${part.leader}`);
    w.lso.set(i, { leader: part.leader, leaderEpoch: part.leaderEpoch, lso });

    // The whole log below the HW: each value once, each acknowledged value at its offset, and each
    // producer epoch's batches in sequence from 0 without a gap or a repeat.
    const ranges = readRanges(w, i, hw, 'read_uncommitted');
    const nextSequence = new Map<string, number>();
    for (const { batch, from } of ranges) {
      if (batch.isControl || batch.producerId < 0 || from > 0) continue;
      const key = `${batch.producerId}/${batch.producerEpoch}`;
      const expected = nextSequence.get(key) ?? 0;
      if (batch.baseSequence !== expected) v.push(`p${i}: producer ${key} has sequence ${batch.baseSequence} at ${batch.baseOffset}, ${expected} expected`);
      nextSequence.set(key, batch.baseSequence + batch.count);
    }
    const log = new Map<string, number>();
    for (const rec of readRecords(ranges)) {
      if (rec.offset >= hw || rec.isControl) continue;
      const value = rec.value!.toString();
      const s = w.sent.get(value);
      if (s === undefined || s.partition !== i) v.push(`p${i}: unknown value ${value} at ${rec.offset}`);
      if (log.has(value)) v.push(`p${i}: ${value} appended twice, at ${log.get(value)} and ${rec.offset}`);
      log.set(value, rec.offset);
    }
    // read_committed: only committed transactions and the idempotent producer, once each, in order.
    const visible = new Map<string, number>();
    const lastOf = new Map<Producer, number>();
    const committed = readRecords(readRanges(w, i, lso, 'read_committed'));
    // A consumer reading a record at a time sees the same.
    const oneByOne = readRecords(readRanges(w, i, lso, 'read_committed', 1));
    const offsets = (rs: typeof committed) =>
      rs
        .filter((x) => x.offset < lso)
        .map((x) => x.offset)
        .join(',');
    if (offsets(oneByOne) !== offsets(committed))
      v.push(`p${i}: read_committed a record at a time shows [${offsets(oneByOne)}], at once [${offsets(committed)}]`);
    for (const rec of committed) {
      if (rec.offset >= lso) continue;
      const value = rec.value!.toString();
      const s = w.sent.get(value);
      if (s === undefined) continue;
      if (s.txn !== undefined && s.txn.fate !== 'commit')
        v.push(`p${i}: read_committed shows ${value} at ${rec.offset} of ${s.txn.name}, which is ${s.txn.fate}${s.txn.why ? ` (${s.txn.why})` : ''}`);
      if (visible.has(value)) v.push(`p${i}: read_committed shows ${value} twice`);
      visible.set(value, rec.offset);
      if ((lastOf.get(s.producer) ?? -1) > s.n) v.push(`p${i}: read_committed shows ${value} of ${s.producer.name} after a later record of it`);
      lastOf.set(s.producer, s.n);
    }
    for (const s of w.sent.values()) {
      if (s.partition !== i || s.offset === undefined) continue;
      if (s.offset >= hw) v.push(`p${i}: ${s.value} acknowledged at ${s.offset}, above the HW ${hw} now`);
      else if (log.get(s.value) !== s.offset) v.push(`p${i}: ${s.value} acknowledged at ${s.offset} is lost (log has it at ${log.get(s.value)})`);
      if (s.offset < lso && (s.txn === undefined || s.txn.fate === 'commit') && visible.get(s.value) !== s.offset) {
        v.push(`p${i}: ${s.value} (${s.txn?.name ?? s.producer.name}) acknowledged at ${s.offset} below the LSO ${lso} is not visible to read_committed`);
      }
    }
  }
  expect(v, v.join('\n')).to.deep.equal([]);
}

/** All brokers back, every timeout past, the markers written; then nothing may be left undecided or unstable. */
async function settleAll(w: World): Promise<void> {
  for (const b of BROKERS) {
    w.engine.startBroker(b);
    w.engine.healBroker(b);
  }
  await w.engine.advance(1000);
  w.sync();
  // The current instances deliver what they still hold (an idempotent producer flushing on close).
  for (const list of w.instances) {
    const p = list.at(-1)!;
    if (p.needsInit || p.ending !== undefined) continue;
    for (const batch of [...p.pending.values()]) await deliver(w, p, batch, false);
  }
  for (let i = 0; i < 4; i++) {
    await w.engine.advance(TXN_TIMEOUT_MS + CLEANUP_INTERVAL_MS);
    w.sync();
  }
  check(w);
  for (const t of w.txns) if (t.fate === 'open') w.violations.push(`${t.name} is still undecided after every timeout passed`);
  for (let i = 0; i < PARTITIONS; i++) {
    const part = w.partition(i);
    if (lastStableOffsetOf(part) !== part.highWatermark)
      w.violations.push(`p${i}: LSO ${lastStableOffsetOf(part)} stays below HW ${part.highWatermark} after settling`);
    // Every in-sync replica could lead next: the same batches below the HW, no transaction left
    // open, and the same aborted-transaction index as the leader's.
    const hw = part.highWatermark;
    const leader = part.replicaStates.get(part.leader)!.log;
    const shape = (log: typeof leader): string =>
      JSON.stringify({
        batches: log
          .batchesFrom(log.logStartOffset)
          .filter((b) => b.baseOffset < hw)
          .map((b) => [b.baseOffset, b.count, b.producerId, b.producerEpoch, b.baseSequence, b.isControl]),
        aborted: log.producerState.abortedTransactions(0, hw),
      });
    count('in-sync replicas compared at the end', part.isr.length);
    for (const b of part.isr) {
      const log = part.replicaStates.get(b)!.log;
      const unstable = log.producerState.firstUnstableOffset();
      if (unstable !== undefined && unstable < hw) w.violations.push(`p${i}: replica ${b} has a transaction open at ${unstable} after settling`);
      if (shape(log) !== shape(leader)) w.violations.push(`p${i}: in-sync replica ${b} differs from leader ${part.leader}: ${shape(log)} vs ${shape(leader)}`);
    }
  }
  for (const d of w.engine.describeTransactions({ transactionalIds: [...IDS] }).transactionStates) {
    if (d.errorCode === E.NONE && !['Empty', 'CompleteCommit', 'CompleteAbort'].includes(d.transactionState))
      w.violations.push(`${d.transactionalId} is ${d.transactionState} after settling`);
  }
  if (w.violations.length > 0 && process.env['TXN_PROPS_DEBUG'] === '1') dump(w);
  count('records acknowledged', [...w.sent.values()].filter((s) => s.offset !== undefined).length);
  count('committed transactions (oracle)', w.txns.filter((t) => t.fate === 'commit').length);
  count('aborted transactions (oracle)', w.txns.filter((t) => t.fate === 'abort').length);
  expect(w.violations, w.violations.join('\n')).to.deep.equal([]);
}

/** What a failing run did, for TXN_PROPS_DEBUG=1: the event log and each partition's log. */
function dump(w: World): void {
  for (const e of w.engine.events()) if (!['segment-rolled', 'producer-id-allocated'].includes(e.type)) console.log(JSON.stringify(e));
  for (let i = 0; i < PARTITIONS; i++) {
    const d = w.engine.describePartition(TOPIC, i);
    console.log(`p${i}`, JSON.stringify({ leader: d.leader, isr: d.isr, hw: w.partition(i).highWatermark, lso: lastStableOffsetOf(w.partition(i)) }));
    for (const b of w.engine.producerStates(TOPIC, i)) console.log('  producer', JSON.stringify(b));
    const r = w.engine.fetchRanges({ topic: TOPIC, partition: i, offset: 0 });
    for (const { batch } of r.ranges)
      console.log(
        '  batch',
        JSON.stringify({
          base: batch.baseOffset,
          last: batch.lastOffset,
          pid: batch.producerId,
          epoch: batch.producerEpoch,
          seq: batch.baseSequence,
          txn: batch.isTransactional,
          control: batch.isControl,
        }),
      );
  }
}

const who = fc.integer({ min: 0, max: IDS.length });
const txnWho = fc.integer({ min: 0, max: IDS.length - 1 });
const send = fc
  .tuple(who, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: PARTITIONS - 1 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }))
  .map(([x, z, part, n, how]): Cmd => new Send(x, z === 0, part, n, how === 0, how === 1));
const fault = fc
  .tuple(fc.constantFrom<Fault>('stop', 'start', 'start', 'isolate', 'heal', 'heal'), fc.constantFrom(...BROKERS))
  .map(([f, b]): Cmd => new Broker(f, b));
/** Weighted by repetition (fc.commands picks among its arbitraries evenly): mostly sends, then ends, few faults. */
const commands: fc.Arbitrary<Cmd>[] = [
  send,
  send,
  send,
  send,
  fc
    .tuple(txnWho, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .map(([x, z, c, lose]): Cmd => new End(x, z === 0, c !== 0, lose === 0)),
  fc
    .tuple(txnWho, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }))
    .map(([x, z, c, lose]): Cmd => new End(x, z === 0, c !== 0, lose === 0)),
  fc.tuple(who, fc.boolean()).map(([x, patient]): Cmd => new Restart(x, patient)),
  fault,
  fc.tuple(fc.integer({ min: 0, max: PARTITIONS - 1 }), fc.boolean()).map(([part, stop]): Cmd => new Aim(part, stop)),
  fc.tuple(txnWho, fc.boolean()).map(([x, lose]): Cmd => new Recover(x, lose)),
  fc.constantFrom(0, 100, 100, 500, 1500, TXN_TIMEOUT_MS + CLEANUP_INTERVAL_MS).map((ms): Cmd => new Advance(ms)),
];

describe('engine: transactions, exactly-once (model-based)', () => {
  after(() => {
    if (process.env['TXN_PROPS_STATS'] === '1') console.log(JSON.stringify(stats, null, 1));
  });

  it('read_committed shows each committed record once and in order, nothing aborted or open; acked records survive; retries append once; LSO <= HW and never back; zombies fenced', async function () {
    this.timeout(Math.max(120_000, RUNS * 100));
    const seed = process.env['TXN_PROPS_SEED'];
    const path = process.env['TXN_PROPS_PATH'];
    const replayPath = process.env['TXN_PROPS_REPLAY'];
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max', ...(replayPath === undefined ? {} : { replayPath }) }),
        async (engineSeed, cmds) => {
          let w: World | undefined;
          await fc.asyncModelRun(() => {
            w = new World(engineSeed);
            return { model: {}, real: w };
          }, cmds);
          await settleAll(w!);
          w!.engine.close();
          runs++;
          count('commands', [...cmds].length);
        },
      ),
      { numRuns: RUNS, ...(seed === undefined ? {} : { seed: Number(seed) }), ...(path === undefined ? {} : { path }) },
    );
    count('runs', runs);
    if (seed === undefined) {
      expect(stats['commits'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(RUNS / 4);
      expect(stats['duplicates answered'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(RUNS / 4);
      expect(stats['produce (zombie): 47'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(0);
      expect(stats['lost acks retried'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(0);
      expect(stats['fence (init)'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(0);
      expect(stats['fence (timeout)'] ?? 0, JSON.stringify(stats)).to.be.greaterThan(0);
    }
  });
});
