import { expect } from 'chai';
import { Cluster } from '../../src/index.js';
import { KafkaJSNonRetriableError } from '../../protocol/errors.js';
import { Lifecycle, LifecycleStates, VALID_PREVIOUS_STATES, type LifecycleState } from '../../adapters/twin/consumer/lifecycle.js';
import type { TwinConsumer } from '../../adapters/twin/consumer/index.js';

const STATES = Object.values(LifecycleStates);

/** A lifecycle brought to `state` through legal moves. */
function at(state: LifecycleState): Lifecycle {
  const paths: { [S in LifecycleState]: LifecycleState[] } = {
    disconnected: [],
    connected: ['connected'],
    running: ['connected', 'running'],
    stopping: ['connected', 'running', 'stopping'],
    crashed: ['connected', 'running', 'crashed'],
    dead: ['dead'],
  };
  const lifecycle = new Lifecycle();
  for (const to of paths[state]) lifecycle.transitionTo(to, to === 'crashed' ? new Error('boom') : undefined);
  expect(lifecycle.state).to.equal(state);
  return lifecycle;
}

const stateOf = (consumer: TwinConsumer) => (consumer as unknown as { lifecycle: Lifecycle }).lifecycle.state;

describe('twin consumer lifecycle', () => {
  it('declares exactly these moves', () => {
    const declared = STATES.flatMap((to) => VALID_PREVIOUS_STATES[to].map((from) => `${from} -> ${to}`)).sort();
    expect(declared).to.deep.equal(
      [
        // connect(); disconnect() (also of a crashed consumer, or one whose stop() another call is finishing)
        'disconnected -> connected',
        'connected -> disconnected',
        'crashed -> disconnected',
        'stopping -> disconnected',
        // run(): first, after a crash, or while a stop() is finishing
        'connected -> running',
        'crashed -> running',
        'stopping -> running',
        // stop(), and its end
        'running -> stopping',
        'stopping -> connected',
        // a crash kafkajs does not restart from
        'running -> crashed',
        // crash(), from anything but dead
        'disconnected -> dead',
        'connected -> dead',
        'running -> dead',
        'stopping -> dead',
        'crashed -> dead',
      ].sort(),
    );
  });

  it('makes every declared move and throws on every other one, leaving the state as it was', () => {
    const legal: string[] = [];
    for (const from of STATES) {
      for (const to of STATES) {
        const lifecycle = at(from);
        if (VALID_PREVIOUS_STATES[to].includes(from)) {
          expect(lifecycle.canMoveTo(to), `${from} -> ${to}`).to.equal(true);
          lifecycle.transitionTo(to);
          expect(lifecycle.state).to.equal(to);
          legal.push(`${from} -> ${to}`);
        } else {
          expect(lifecycle.canMoveTo(to), `${from} -> ${to}`).to.equal(false);
          expect(() => lifecycle.transitionTo(to), `${from} -> ${to}`).to.throw(Error, `before moving to ${to}, but is ${from}`);
          expect(lifecycle.state).to.equal(from);
        }
      }
    }
    // No self-moves, and nothing out of dead.
    expect(legal.filter((m) => m.startsWith('dead ') || m.split(' -> ')[0] === m.split(' -> ')[1])).to.deep.equal([]);
    expect(legal).to.have.length(15);
  });

  it('starts disconnected; dead is the only state with no way out', () => {
    expect(new Lifecycle().state).to.equal('disconnected');
    const terminal = STATES.filter((from) => STATES.every((to) => !VALID_PREVIOUS_STATES[to].includes(from)));
    expect(terminal).to.deep.equal(['dead']);
    expect(() => at('dead').assertAlive()).to.throw(KafkaJSNonRetriableError, /crash\(\)/);
    for (const state of STATES.filter((s) => s !== 'dead')) expect(() => at(state).assertAlive()).to.not.throw();
  });

  it('keeps the error of a crash until the next run', () => {
    const lifecycle = at('running');
    const error = new TypeError('bad');
    lifecycle.transitionTo('crashed', error);
    expect(lifecycle.failure).to.equal(error);
    lifecycle.transitionTo('disconnected');
    expect(lifecycle.failure).to.equal(error);
    lifecycle.transitionTo('connected');
    lifecycle.transitionTo('running');
    expect(lifecycle.failure).to.equal(undefined);
  });

  it('ends the waits of the loop once it leaves running, and does not wait when not running', async () => {
    for (const leave of ['stopping', 'crashed', 'dead'] as const) {
      const lifecycle = at('running');
      let ended = false;
      const wait = lifecycle.interruptible(new Promise<void>(() => undefined)).then(() => (ended = true));
      await Promise.resolve();
      expect(ended, leave).to.equal(false);
      lifecycle.transitionTo(leave);
      await wait;
      expect(ended, leave).to.equal(true);
    }
    for (const state of STATES.filter((s) => s !== 'running')) await at(state).interruptible(new Promise<void>(() => undefined));
    // A wait that ends by itself ends the same way.
    await at('running').interruptible(Promise.resolve());
    const failing = at('running').interruptible(Promise.reject(new Error('gone')));
    expect(await failing.catch((e: unknown) => (e as Error).message)).to.equal('gone');
  });

  describe('moved by the consumer', () => {
    function setup(config: Record<string, number> = {}) {
      const cluster = new Cluster({ clock: 'virtual', seed: 3, config, startTime: 0 });
      cluster.createTopic({ topic: 't', numPartitions: 2 });
      return { cluster, kafka: cluster.kafka() };
    }

    it('connect, run, stop, run again, disconnect', async () => {
      const { cluster, kafka } = setup();
      const consumer = kafka.consumer({ groupId: 'g' });
      const states: string[] = [stateOf(consumer)];
      await consumer.connect();
      states.push(stateOf(consumer));
      await consumer.subscribe({ topics: ['t'] });
      await consumer.run({ eachMessage: async () => undefined });
      states.push(stateOf(consumer));
      const stopped = consumer.stop();
      states.push(stateOf(consumer));
      await stopped;
      states.push(stateOf(consumer));
      await consumer.run({ eachMessage: async () => undefined });
      states.push(stateOf(consumer));
      await consumer.disconnect();
      states.push(stateOf(consumer));
      expect(states).to.deep.equal(['disconnected', 'connected', 'running', 'stopping', 'connected', 'running', 'disconnected']);
      // Calls that move nothing: connect() twice, stop() when not running, run() while running.
      await consumer.connect();
      await consumer.connect();
      await consumer.stop();
      expect(stateOf(consumer)).to.equal('connected');
      await consumer.run({ eachMessage: async () => undefined });
      await consumer.run({ eachMessage: async () => undefined });
      expect(stateOf(consumer)).to.equal('running');
      await consumer.disconnect();
      cluster.close();
    });

    it('stop() while joining: the JoinGroup under way completes, then the member leaves', async () => {
      const { cluster, kafka } = setup({ 'group.initial.rebalance.delay.ms': 3000 });
      const consumer = kafka.consumer({ groupId: 'g' });
      const joins: number[] = [];
      consumer.on(consumer.events.GROUP_JOIN, () => void joins.push(cluster.now()));
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'] });
      const running = consumer.run({ eachMessage: async () => undefined });
      expect(stateOf(consumer)).to.equal('running');
      expect(joins).to.deep.equal([]);
      const stopped = consumer.stop();
      expect(stateOf(consumer)).to.equal('stopping');
      await Promise.all([running, stopped]);
      expect(stateOf(consumer)).to.equal('connected');
      expect(joins).to.deep.equal([3000]);
      expect(cluster.events().filter((e) => e.type === 'group-member-left')).to.have.length(1);
      expect(cluster.groups.describeGroup('g').members).to.deep.equal([]);
      cluster.close();
    });

    it('crash() from running, stopping and connected: dead for good', async () => {
      const { cluster, kafka } = setup();
      const make = async (groupId: string) => {
        const consumer = kafka.consumer({ groupId });
        await consumer.connect();
        await consumer.subscribe({ topics: ['t'] });
        return consumer;
      };
      const connected = await make('a');
      connected.crash();
      expect(stateOf(connected)).to.equal('dead');
      const running = await make('b');
      await running.run({ eachMessage: async () => undefined });
      running.crash();
      expect(stateOf(running)).to.equal('dead');
      const stopping = await make('c');
      await stopping.run({ eachMessage: async () => undefined });
      const stopped = stopping.stop();
      stopping.crash();
      await stopped;
      expect(stateOf(stopping)).to.equal('dead');
      for (const consumer of [connected, running, stopping]) {
        expect(await consumer.connect().catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
        expect(await consumer.run({ eachMessage: async () => undefined }).catch((e: unknown) => e)).to.be.instanceOf(KafkaJSNonRetriableError);
        consumer.crash();
        await consumer.disconnect();
        expect(stateOf(consumer)).to.equal('dead');
      }
      cluster.close();
    });

    it('a crash kafkajs does not restart from: crashed, then run() again consumes', async () => {
      const { cluster, kafka } = setup();
      const consumer = kafka.consumer({ groupId: 'g' });
      await consumer.connect();
      await consumer.subscribe({ topics: ['t'], fromBeginning: true });
      const seen: string[] = [];
      await consumer.run({
        eachMessage: async () => {
          throw new TypeError('bad');
        },
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 't', messages: [{ value: 'm', partition: 0 }] });
      await cluster.idle();
      expect(stateOf(consumer)).to.equal('crashed');
      expect(consumer.isIdle()).to.equal(true);
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
      expect(stateOf(consumer)).to.equal('running');
      await cluster.idle();
      expect(seen).to.deep.equal(['m']);
      await consumer.stop();
      await consumer.run({ eachMessage: async () => Promise.reject(new TypeError('bad again')) });
      await producer.send({ topic: 't', messages: [{ value: 'n', partition: 0 }] });
      await cluster.idle();
      await consumer.disconnect();
      expect(stateOf(consumer)).to.equal('disconnected');
      cluster.close();
    });
  });
});
