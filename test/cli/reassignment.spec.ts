/** `kafka-twin simulate` with partition reassignments: examples/scenarios/reassignment.yaml, and the checks of `reassign` faults. */
import { expect } from 'chai';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { validateScenario } from '../../src/cli/scenario.js';

// Compiled to dist/test/cli/; the repository root is three levels up.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (l) => out.push(l), { error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const base = {
  brokers: 3,
  duration: '1m',
  topics: [{ name: 'orders', partitions: 2, replicationFactor: 2 }],
};

describe('simulate: partition reassignment', () => {
  it('examples/scenarios/reassignment.yaml: in progress while the target is stopped, completed once it is back, then a cancellation and a refused one', async () => {
    const { code, out, err } = await run(['simulate', join(root, 'examples/scenarios/reassignment.yaml'), '--no-color']);
    expect(err).to.equal('');
    expect(code).to.equal(0);
    const lines = out.split('\n');
    const after = (text: string) => lines.findIndex((l) => l.includes(text));
    const story = [
      '[00:12] orders-0 reassignment to [1,4] started: replicas [1,4,2,3], adding [1], removing [2,3]',
      '[00:25] orders-0 ISR grew to [1,4,2,3] (broker 1 caught up)',
      '[00:25] orders-0 leader 2 -> 1 (clean election, epoch 1)',
      '[00:25] orders-0 reassignment completed: replicas [1,4], ISR [1,4], leader 1, [2,3] removed',
      '[00:42] orders-0 reassignment to [3,4,2] started: replicas [3,4,2,1], adding [2,3], removing [1]',
      '[00:50] orders-0 reassignment cancelled: replicas [4,1], ISR [4,1], leader 1, [2,3] dropped',
      '[00:55] reassignment of orders-0 refused: No partition reassignment is in progress',
    ];
    const at = story.map(after);
    expect(
      at.every((i) => i >= 0),
      `every step is in the timeline:\n${out}`,
    ).to.equal(true);
    expect([...at].sort((a, b) => a - b)).to.deep.equal(at);
    // While in progress the status table lists every replica, the stopped one outside the ISR.
    expect(out).to.match(/\n {4}orders-0 +2 +\[1,4,2,3\] +\[4,2,3\] /);
    expect(out).to.contain('acknowledged and later lost: 0');
    expect(out).to.contain('0 acknowledged record(s) never processed');
  });

  it('checks each reassign fault: an existing partition, distinct broker ids of the cluster, or null', () => {
    const faults = [
      { at: '10s', reassign: 'orders-2', replicas: [1] },
      { at: '10s', reassign: 'other-0', replicas: [1] },
      { at: '10s', reassign: 'orders-0' },
      { at: '10s', reassign: 'orders-0', replicas: [] },
      { at: '10s', reassign: 'orders-0', replicas: [1, 7] },
      { at: '10s', reassign: 'orders-0', replicas: [2, 2] },
      { at: '10s', reassign: 'orders-0', replicas: [1], broker: 1 },
    ];
    const { problems } = validateScenario({ ...base, faults });
    expect(problems).to.deep.equal([
      { path: 'faults[0].reassign', message: 'must name a partition of the scenario\'s topics as topic-N (orders-0..1), got "orders-2"' },
      { path: 'faults[1].reassign', message: 'must name a partition of the scenario\'s topics as topic-N (orders-0..1), got "other-0"' },
      {
        path: 'faults[2].replicas',
        message: 'is required: the target broker ids, e.g. [2, 3] (the first is the preferred leader), or null to cancel the reassignment in progress',
      },
      {
        path: 'faults[3].replicas',
        message: 'is required: the target broker ids, e.g. [2, 3] (the first is the preferred leader), or null to cancel the reassignment in progress',
      },
      { path: 'faults[4].replicas', message: 'must hold broker ids from 1 to 3, got 7' },
      { path: 'faults[5].replicas', message: 'must not name a broker twice, got [2, 2]' },
      {
        path: 'faults[6].broker',
        message: 'unknown field (expected one of: at, stop, start, isolate, heal, inject-fault, set-latency, clear-faults, reassign, replicas)',
      },
    ]);
    const ok = validateScenario({
      ...base,
      faults: [
        { at: '5s', reassign: 'orders-1', replicas: [3, 1] },
        { at: '6s', reassign: 'orders-1', replicas: null },
      ],
    });
    expect(ok.problems).to.deep.equal([]);
    expect(ok.scenario).to.deep.include({
      faults: [
        { atMs: 5000, action: 'reassign', topic: 'orders', partition: 1, replicas: [3, 1] },
        { atMs: 6000, action: 'reassign', topic: 'orders', partition: 1, replicas: null },
      ],
    });
  });
});
