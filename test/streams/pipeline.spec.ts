import { expect } from 'chai';
import { clean } from '../../examples/pipeline/cleaning.js';

/** The pipeline example's cleaning rule; the pipeline itself runs in test/conformance/streams.spec.ts, on both targets. */
describe('streams: the pipeline example (raw -> cleaning -> clean)', () => {
  it('the cleaning rule', () => {
    expect(clean({ value: 21.04, unit: 'C' })).to.deep.equal({ celsius: 21 });
    expect(clean({ value: '212', unit: 'F' })).to.equal(undefined); // 100 °C: out of range
    expect(clean({ value: 50, unit: 'F' })).to.deep.equal({ celsius: 10 });
    expect(clean({ value: null, unit: 'C' })).to.equal(undefined);
    expect(clean({ value: 'n/a', unit: 'C' })).to.equal(undefined);
  });
});
