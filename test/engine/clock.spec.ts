import { expect } from 'chai';
import { RealClock, VirtualClock } from '../../src/engine.js';
import { Random } from '../../emulator/random.js';

describe('clock', () => {
  describe('VirtualClock', () => {
    it('starts at the given time and only moves on advance', async () => {
      const clock = new VirtualClock(1000);
      expect(clock.now()).to.equal(1000);
      await clock.advance(250);
      expect(clock.now()).to.equal(1250);
    });

    it('fires due timers in time order, then scheduling order, at their own instant', async () => {
      const clock = new VirtualClock();
      const fired: string[] = [];
      clock.schedule(30, () => fired.push(`c@${clock.now()}`));
      clock.schedule(10, () => fired.push(`a@${clock.now()}`));
      clock.schedule(10, () => fired.push(`b@${clock.now()}`));
      clock.schedule(31, () => fired.push('late'));
      await clock.advance(30);
      expect(fired).to.deep.equal(['a@10', 'b@10', 'c@30']);
      expect(clock.pending()).to.equal(1);
      expect(clock.nextDueTime()).to.equal(31);
    });

    it('fires timers scheduled by timers when they fall due within the same advance', async () => {
      const clock = new VirtualClock();
      const fired: number[] = [];
      const tick = () => {
        fired.push(clock.now());
        clock.schedule(100, tick);
      };
      clock.schedule(100, tick);
      await clock.advance(350);
      expect(fired).to.deep.equal([100, 200, 300]);
    });

    it('lets the promise chains a timer starts settle before the next timer fires', async () => {
      const clock = new VirtualClock();
      const seen: string[] = [];
      clock.schedule(5, () => {
        void Promise.resolve()
          .then(() => Promise.resolve())
          .then(() => seen.push('chain done'));
      });
      clock.schedule(6, () => seen.push('next timer'));
      await clock.advance(10);
      expect(seen).to.deep.equal(['chain done', 'next timer']);
    });

    it('cancels timers and ignores cancelling twice', async () => {
      const clock = new VirtualClock();
      let fired = false;
      const id = clock.schedule(1, () => (fired = true));
      clock.cancel(id);
      clock.cancel(id);
      await clock.advance(5);
      expect(fired).to.equal(false);
      expect(clock.nextDueTime()).to.equal(undefined);
    });

    it('queues concurrent advances so time only moves forward', async () => {
      const clock = new VirtualClock();
      const fired: number[] = [];
      clock.schedule(15, () => fired.push(clock.now()));
      await Promise.all([clock.advance(10), clock.advance(10)]);
      expect(clock.now()).to.equal(20);
      expect(fired).to.deep.equal([15]);
    });

    it('rejects a negative or non-finite advance', async () => {
      const clock = new VirtualClock();
      for (const bad of [-1, Number.NaN, Infinity]) {
        let error: unknown;
        await clock.advance(bad).catch((e: unknown) => (error = e));
        expect(error).to.be.instanceOf(RangeError);
      }
      expect(clock.now()).to.equal(0);
    });

    it('close drops every pending timer', async () => {
      const clock = new VirtualClock();
      let fired = false;
      clock.schedule(1, () => (fired = true));
      clock.close();
      await clock.advance(10);
      expect(fired).to.equal(false);
    });
  });

  describe('RealClock', () => {
    it('follows wall time and fires timers', async () => {
      const clock = new RealClock();
      const before = Date.now();
      expect(clock.now()).to.be.within(before - 1, Date.now() + 1);
      const fired = await new Promise<boolean>((resolve) => clock.schedule(5, () => resolve(true)));
      expect(fired).to.equal(true);
      let cancelled = true;
      const id = clock.schedule(5, () => (cancelled = false));
      clock.cancel(id);
      await clock.advance(15);
      expect(cancelled).to.equal(true);
      clock.schedule(1000, () => (cancelled = false));
      clock.close();
      let error: unknown;
      await clock.advance(-5).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(RangeError);
    });
  });

  describe('Random', () => {
    it('is reproducible from a number or string seed', () => {
      const draw = (seed: number | string) => {
        const r = new Random(seed);
        return [r.nextUint32(), r.int(10), r.hex(5), r.uuid(), r.kafkaId()];
      };
      expect(draw(7)).to.deep.equal(draw(7));
      expect(draw('seed')).to.deep.equal(draw('seed'));
      expect(draw(7)).to.not.deep.equal(draw(8));
      const [, , hex, uuid, id] = draw(3) as [number, number, string, string, string];
      expect(hex).to.match(/^[0-9a-f]{10}$/);
      expect(uuid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id).to.have.length(22);
      expect(() => new Random(1).int(0)).to.throw(RangeError);
    });
  });
});

describe('driving a promise on the virtual clock', () => {
  it('jumps from timer to timer only until the promise settles', async () => {
    const clock = new VirtualClock();
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.schedule(1000, tick);
    };
    clock.schedule(1000, tick);
    const done = new Promise<string>((resolve) => clock.schedule(4500, () => resolve('done')));
    expect(await clock.drive(done, 60_000)).to.equal('done');
    expect(clock.now()).to.equal(4500);
    expect(ticks).to.equal(4);
  });

  it('passes a rejection through and gives up after the limit', async () => {
    const clock = new VirtualClock();
    const failing = new Promise((_, reject) => clock.schedule(10, () => reject(new Error('boom'))));
    let error: unknown;
    await clock.drive(failing, 100).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('boom');
    error = undefined;
    await clock.drive(new Promise(() => undefined), 500).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RangeError);
    expect(clock.now()).to.equal(510);
  });

  it('on a cluster with a real clock simply awaits', async () => {
    const { Cluster } = await import('../../src/index.js');
    const cluster = new Cluster();
    expect(await cluster.drive(Promise.resolve(7))).to.equal(7);
    cluster.close();
  });
});
