// The pack's Slice and Tile (faster copies of contiguous runs) against the cpu backend and hand indexing.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { selectBackend } from '@cdg/backend';
import { expectSameOnWasmAndCpu, rand, runOn, wasmDataIds } from './helpers';

describe('backend: wasm Slice and Tile', function () {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });

  const sliceCases: [number[], number[], number[]][] = [
    [[7], [2], [4]],
    [[5, 6], [1, 0], [3, 6]], // whole rows: one run
    [[5, 6], [1, 2], [3, 3]],
    [[4, 5, 6], [0, 1, 2], [4, 3, -1]],
    [[3, 4, 5, 6], [1, 0, 0, 0], [2, 4, 5, 6]],
    [[3, 4, 5, 6], [0, 1, 2, 3], [3, 2, 2, 3]],
    [[2, 3, 2, 3, 2, 4], [0, 1, 0, 1, 1, 0], [2, 2, 1, 2, 1, 4]], // rank 6, as in ResNet's shortcut
    [[2, 3, 4, 2, 3], [1, 0, 2, 0, 1], [1, 3, 2, 2, 2]],
    [[3, 4], [0, 0], [0, 4]], // empty
  ];
  for (const [shape, begin, size] of sliceCases) {
    it(`Slice x[${shape}] begin [${begin}] size [${size}] equals cpu and hand indexing`, async () => {
      const x = rand(shape, 1);
      const f = (t: tf.Tensor) => tf.slice(t, begin, size);
      await expectSameOnWasmAndCpu('slice', [x], f, 0);
      const got = (await runOn('wasm', [x], f))[0];
      // Hand indexing: walk the output, map each index back into x.
      const outShape = size.map((s, d) => (s === -1 ? shape[d] - begin[d] : s));
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1));
      const n = outShape.reduce((a, c) => a * c, 1);
      for (let i = 0; i < n; i++) {
        let rem = i;
        let off = 0;
        for (let d = shape.length - 1; d >= 0; d--) {
          const id = rem % outShape[d];
          rem = Math.floor(rem / outShape[d]);
          off += (begin[d] + id) * strides[d];
        }
        expect(got.data[i]).to.equal(x.data[off]);
      }
    });
  }

  it('Slice on int32 and bool tensors', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    const s = tf.slice(a, [0, 1], [2, 2]);
    expect(s.dtype).to.equal('int32');
    expect(Array.from(s.dataSync())).to.deep.equal([2, 3, 5, 6]);
    const bl = tf.tensor2d([true, false, true, false, false, true], [2, 3], 'bool');
    const sb = tf.slice(bl, [1, 0], [1, 3]);
    expect(Array.from(sb.dataSync())).to.deep.equal([0, 0, 1]);
    tf.dispose([a, s, bl, sb]);
  });

  const tileCases: [number[], number[]][] = [
    [[3], [4]],
    [[1, 1, 1, 5], [2, 3, 4, 1]], // batch-norm broadcast
    [[2, 3], [1, 1]],
    [[2, 3], [3, 2]],
    [[2, 1, 3], [2, 4, 1]],
    [[2, 2, 1, 2, 3], [1, 2, 3, 1, 2]],
    [[3, 2], [0, 2]], // empty
  ];
  for (const [shape, reps] of tileCases) {
    it(`Tile x[${shape}] reps [${reps}] equals cpu`, async () => {
      await expectSameOnWasmAndCpu('tile', [rand(shape, 2)], (t) => tf.tile(t, reps), 0);
    });
  }

  it('Tile on int32 and bool tensors', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    const t = tf.tile(a, [1, 2]);
    expect(Array.from(t.dataSync())).to.deep.equal([1, 2, 1, 2, 3, 4, 3, 4]);
    const bl = tf.tensor1d([true, false], 'bool');
    const tb = tf.tile(bl, [3]);
    expect(tb.dtype).to.equal('bool');
    expect(Array.from(tb.dataSync())).to.deep.equal([1, 0, 1, 0, 1, 0]);
    tf.dispose([a, t, bl, tb]);
  });

  it('gradients that use them (concat, split, pad, batch norm, tile) equal cpu', async () => {
    const x = rand([2, 5, 4, 6], 3);
    await expectSameOnWasmAndCpu('grads', [x], (t) => tf.grads((a: tf.Tensor) => {
      const [p, q] = tf.split(a, [2, 4], 3);
      const c = tf.concat([tf.mul(p, 2), q, tf.slice(tf.pad(p, [[0, 0], [1, 0], [0, 1], [0, 0]]), [0, 0, 0, 0], [2, 5, 4, 2])], 3);
      const m = tf.moments(c, [0, 1, 2]);
      const bn = tf.batchNorm(c, m.mean, m.variance, tf.zeros([8]), tf.add(tf.ones([8]), tf.range(0, 8)), 1e-3);
      return tf.sum(tf.square(tf.mul(bn, tf.tile(tf.reshape(tf.range(0, 8), [1, 1, 1, 8]), [2, 5, 4, 1]))));
    })([t]));
  });

  it('does not leak wasm buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(rand([2, 3, 4, 5], 4).data, [2, 3, 4, 5]);
    tf.dispose([tf.slice(x, [0, 1, 1, 0], [2, 2, 2, 5]), tf.tile(x, [1, 2, 1, 1])]);
    const d0 = wasmDataIds();
    const n0 = tf.memory().numTensors;
    tf.dispose([tf.slice(x, [0, 1, 1, 0], [2, 2, 2, 5]), tf.tile(x, [1, 2, 1, 1])]);
    expect(wasmDataIds()).to.equal(d0);
    expect(tf.memory().numTensors).to.equal(n0);
    x.dispose();
  });
});
