import { expect } from 'chai';
import { AutoOffsetReset, StreamEndType, type StreamData } from '../../src/streams/index.js';
import { clean, startCleaningStep, type CleanReading, type RawReading } from '../../examples/pipeline/cleaning.js';
import { setup } from './helpers.js';

describe('streams: the pipeline example (raw -> cleaning -> clean)', () => {
  it('the cleaning rule', () => {
    expect(clean({ value: 21.04, unit: 'C' })).to.deep.equal({ celsius: 21 });
    expect(clean({ value: '212', unit: 'F' })).to.equal(undefined); // 100 °C: out of range
    expect(clean({ value: 50, unit: 'F' })).to.deep.equal({ celsius: 10 });
    expect(clean({ value: null, unit: 'C' })).to.equal(undefined);
    expect(clean({ value: 'n/a', unit: 'C' })).to.equal(undefined);
  });

  it('runs on the twin with two instances: every stream cleaned, in order, with properties and ends', async () => {
    const { cluster, client } = setup({ partitions: 3, topics: ['raw-readings', 'clean-readings'] });
    const steps = [
      await startCleaningStep(client, { rawTopic: 'raw-readings', cleanTopic: 'clean-readings' }),
      await startCleaningStep(client, { rawTopic: 'raw-readings', cleanTopic: 'clean-readings' }),
    ];
    const handled = steps.map(() => new Set<string>());
    steps.forEach((step, i) => step.input.on('streamReceived', (s) => void handled[i]!.add(s.streamId)));
    // What downstream sees.
    const sink = client.getTopicConsumer<CleanReading>('clean-readings', 'dashboard', { autoOffsetReset: AutoOffsetReset.Earliest });
    const seen = new Map<string, number[]>();
    const ends = new Map<string, string>();
    const parents = new Map<string, string[]>();
    sink.on('streamReceived', (s) => {
      s.on('data', ({ value }: StreamData<CleanReading>) => void seen.set(s.streamId, [...(seen.get(s.streamId) ?? []), value.celsius]));
      s.on('propertiesChanged', (p) => void parents.set(s.streamId, p.parents));
      s.on('closed', (end) => void ends.set(s.streamId, end));
    });
    await sink.subscribe();

    const sensors = client.getTopicProducer<RawReading>('raw-readings');
    const expected = new Map<string, number[]>();
    for (let s = 0; s < 8; s++) {
      const stream = sensors.createStream(`sensor-${s}`);
      stream.properties.name = `Sensor ${s}`;
      for (let i = 0; i < 10; i++) {
        const raw: RawReading = i % 4 === 3 ? { value: null, unit: 'C' } : { value: s * 10 + i, unit: 'C' };
        stream.publish(raw, { timestamp: 1000 + i });
        const c = clean(raw);
        if (c) expected.set(stream.streamId, [...(expected.get(stream.streamId) ?? []), c.celsius]);
      }
      if (s % 2 === 0) await stream.close(s === 4 ? StreamEndType.Aborted : StreamEndType.Closed);
    }
    await sensors.flush();
    await cluster.idle();
    await Promise.all(steps.map((step) => step.output.flush()));
    await cluster.idle();

    expect(new Map([...seen].sort())).to.deep.equal(new Map([...expected].sort()));
    expect(Object.fromEntries([...ends].sort())).to.deep.equal({ 'sensor-0': 'Closed', 'sensor-2': 'Closed', 'sensor-4': 'Aborted', 'sensor-6': 'Closed' });
    for (const [id, p] of parents) expect(p).to.deep.equal([id]);
    // Both instances did part of the work, each stream on one instance only.
    for (const h of handled) expect(h.size).to.be.greaterThan(0);
    expect(handled[0]!.size + handled[1]!.size).to.equal(8);
    for (const step of steps) await step.close();
    await sink.close();
    await sensors.close();
  });
});
