import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { transformGradient } from '@cdg/core';

describe('workspace', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  it('resolves @cdg/* packages from source', () => {
    const g = tf.tensor2d([[1, 2, 3, 4]]);
    const out = transformGradient(g, { metric: 'l2' });
    expect(Array.from(out.dataSync())).to.deep.equal([1, 2, 3, 4]);
    tf.dispose([g, out]);
  });
});
