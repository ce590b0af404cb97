/** `kafka-twin demo` and the timeline's wording: the built-in story, its seeds, usage errors, and how each event reads. */
import { expect } from 'chai';
import { main } from '../../src/cli/main.js';
import { clockTime, describeEvent } from '../../src/cli/timeline.js';

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l));
  return { code, lines };
}

describe('kafka-twin CLI', () => {
  it('demo: prints the scenario timeline, byte-identical for the same seed', async () => {
    const first = await run(['demo']);
    const second = await run(['demo', '--seed', '1']);
    expect(first.code).to.equal(0);
    expect(first.lines.join('\n')).to.equal(second.lines.join('\n'));
    const text = first.lines.join('\n');
    expect(text).to.contain('topic rides created: 3 partitions x 2 replicas');
    expect(text).to.match(/\[\d\d:\d\d\] broker \d stopped/);
    expect(text).to.match(/leader \d -> \d \(clean election, epoch 1\)/);
    expect(text).to.match(/ISR grew to/);
    expect(text).to.match(/preferred election/);
    expect(text).to.match(/deleted \d+ segment\(s\), offsets \[0, \d+\), by retention\.ms/);
    expect(text).to.contain('instance-4   (idle: more instances than partitions)');
    expect(text).to.match(/instance-2 left group dashboards[\s\S]*generation 5:\n(.*\n){3}/);
    expect(text).to.contain('instance-5 read 60 message(s)');
    expect(text).to.contain('300 messages written, 300 delivered');
  });

  it('demo: another seed places replicas differently but tells the same story', async () => {
    const other = await run(['demo', '--seed', '7']);
    expect(other.code).to.equal(0);
    expect(other.lines.join('\n')).to.contain('300 messages written, 300 delivered');
  });

  it('rejects unknown commands and options with usage and exit code 2', async () => {
    for (const argv of [['nope'], ['demo', '--seed'], ['demo', '--fast'], []]) {
      const { code, lines } = await run(argv);
      expect(code, argv.join(' ')).to.equal(2);
      expect(lines.join('\n')).to.contain('Usage: kafka-twin');
    }
    const help = await run(['help']);
    expect(help.code).to.equal(0);
  });

  it('formats time and describes every kind of event it shows', () => {
    expect(clockTime(0)).to.equal('00:00');
    expect(clockTime(61_500)).to.equal('01:01');
    const base = { seq: 0, time: 0 };
    const tp = { topic: 't', partition: 0 };
    expect(describeEvent({ ...base, type: 'broker-isolated', broker: 2 })).to.contain('cut off');
    expect(describeEvent({ ...base, type: 'broker-healed', broker: 2 })).to.contain('back');
    expect(describeEvent({ ...base, type: 'topic-deleted', topic: 't' })).to.contain('deleted');
    expect(describeEvent({ ...base, type: 'partitions-created', topic: 't', from: 1, to: 3 })).to.contain('from 1 to 3');
    expect(describeEvent({ ...base, type: 'topic-config-changed', topic: 't', config: { 'retention.ms': '1' } })).to.contain('retention.ms');
    expect(describeEvent({ ...base, ...tp, type: 'leader-changed', leader: -1, previousLeader: 1, leaderEpoch: 1, isr: [1], election: 'none' })).to.contain(
      'offline',
    );
    expect(describeEvent({ ...base, ...tp, type: 'leader-changed', leader: 2, previousLeader: -1, leaderEpoch: 3, isr: [2], election: 'unclean' })).to.contain(
      '(none) -> 2',
    );
    expect(describeEvent({ ...base, ...tp, type: 'log-truncated', broker: 1, from: 8, to: 6, records: 2 })).to.contain('2 record(s) discarded');
    expect(describeEvent({ ...base, ...tp, type: 'high-watermark-decreased', from: 8, to: 6 })).to.contain('lost');
    expect(describeEvent({ ...base, ...tp, type: 'records-deleted', logStartOffset: 4 })).to.contain('up to 4');
    expect(
      describeEvent({
        ...base,
        ...tp,
        type: 'segment-deleted',
        broker: 1,
        baseOffset: 0,
        endOffset: 4,
        size: 10,
        maxTimestamp: 0,
        reason: 'retention.bytes',
        logStartOffset: 4,
      }),
    ).to.contain('retention.bytes');
    expect(describeEvent({ ...base, ...tp, type: 'segment-rolled', broker: 1, baseOffset: 4 })).to.equal(undefined);
  });
});
