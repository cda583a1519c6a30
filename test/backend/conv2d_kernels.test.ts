import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { selectBackend } from '@cdg/backend';
import { expectSameOnWasmAndCpu, rand, wasmDataIds } from './helpers';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case { B: number; H: number; W: number; C: number; O: number; fh: number; fw: number; s: [number, number]; pad: Pad }

// Grid: batch sizes, non-square inputs and filters, strides 1..3 (also unequal), all padding kinds,
// including explicit paddings larger than the filter and shapes where trailing rows are never used.
const cases: Case[] = [];
const pads: Pad[] = ['same', 'valid', [[0, 0], [1, 2], [0, 1], [0, 0]], [[0, 0], [3, 0], [2, 4], [0, 0]]];
const geoms: [number, number, number, number, number, number, number][] = [
  // B, H, W, C, O, fh, fw
  [1, 7, 7, 1, 1, 3, 3],
  [2, 8, 11, 3, 4, 3, 3],
  [3, 9, 6, 2, 5, 2, 4],
  [2, 10, 10, 4, 3, 5, 5],
  [1, 5, 9, 3, 2, 1, 1],
  [2, 6, 7, 5, 3, 1, 3],
];
const strides: [number, number][] = [[1, 1], [2, 2], [3, 3], [2, 1]];
let k = 0;
for (const g of geoms) {
  for (const s of strides) {
    const pad = pads[k++ % pads.length];
    const [B, H, W, C, O, fh, fw] = g;
    cases.push({ B, H, W, C, O, fh, fw, s, pad });
  }
}

function outShape(c: Case): number[] {
  // Forward output shape via a shape-only computation on the cpu backend's conv op.
  const info = tf.backend_util.computeConv2DInfo([c.B, c.H, c.W, c.C], [c.fh, c.fw, c.C, c.O], c.s, 1, c.pad as never);
  return info.outShape;
}

describe('backend: wasm Conv2D gradient kernels equal cpu', function () {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });

  for (const c of cases) {
    const name = `B${c.B} ${c.H}x${c.W}x${c.C}->${c.O} f${c.fh}x${c.fw} s${c.s.join(',')} pad ${JSON.stringify(c.pad)}`;
    it(`Conv2DBackpropFilter ${name}`, async () => {
      const x = rand([c.B, c.H, c.W, c.C], 1);
      const dy = rand(outShape(c), 2);
      await expectSameOnWasmAndCpu(name, [x, dy], (xt, dyt) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, {
          strides: c.s, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.fh, c.fw, c.C, c.O],
        } as never) as tf.Tensor);
    });
    it(`Conv2DBackpropInput ${name}`, async () => {
      const w = rand([c.fh, c.fw, c.C, c.O], 3);
      const dy = rand(outShape(c), 4);
      await expectSameOnWasmAndCpu(name, [dy, w], (dyt, wt) =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: wt }, {
          strides: c.s, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.B, c.H, c.W, c.C],
        } as never) as tf.Tensor);
    });
  }

  it('conv2d gradients through tf.grads (both kernels via the op-level gradient) equal cpu', async () => {
    const x = rand([2, 9, 7, 3], 5);
    const w = rand([3, 2, 3, 4], 6);
    await expectSameOnWasmAndCpu('grads', [x, w], (xt, wt) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([xt, wt]));
  });

  it('conv2dTranspose (forward uses Conv2DBackpropInput) and its gradient equal cpu', async () => {
    const x = rand([2, 5, 4, 6], 7);
    const w = rand([3, 3, 2, 6], 8);
    await expectSameOnWasmAndCpu('conv2dTranspose', [x, w], (xt, wt) => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, 10, 8, 2], 2, 'same');
      return [f(xt, wt), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a, b))))([xt, wt])];
    });
  });

  it('NCHW data format is handled by the kernels', async () => {
    const x = rand([2, 3, 8, 7], 9); // NCHW
    const dy = rand([2, 4, 4, 4], 10);
    const w = rand([3, 3, 3, 4], 11);
    await expectSameOnWasmAndCpu('NCHW filter', [x, dy], (xt, dyt) =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, {
        strides: [2, 2], pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4],
      } as never) as tf.Tensor);
    await expectSameOnWasmAndCpu('NCHW input', [dy, w], (dyt, wt) =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: wt }, {
        strides: [2, 2], pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 8, 7],
      } as never) as tf.Tensor);
  });

  for (const [pad, mode, s] of [[1, 'floor', 2], [2, 'ceil', 2], [1, 'round', 3], [0, 'ceil', 1]] as const) {
    it(`numeric pad ${pad} with dimRoundingMode '${mode}', stride ${s}`, async () => {
      const xs = [2, 9, 8, 3];
      const fs = [3, 3, 3, 4];
      const info = tf.backend_util.computeConv2DInfo(xs as never, fs as never, s, 1, pad, mode);
      const x = rand(xs, 20);
      const dy = rand(info.outShape, 21);
      const w = rand(fs, 22);
      const attrs = { strides: s, pad, dimRoundingMode: mode, dataFormat: 'NHWC' };
      await expectSameOnWasmAndCpu('filter', [x, dy], (xt, dyt) =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: xt, dy: dyt }, { ...attrs, filterShape: fs } as never) as tf.Tensor);
      await expectSameOnWasmAndCpu('input', [dy, w], (dyt, wt) =>
        tf.engine().runKernel('Conv2DBackpropInput', { dy: dyt, filter: wt }, { ...attrs, inputShape: xs } as never) as tf.Tensor);
    });
  }

  it('XNNPACK (stock wasm Conv2D) accepts stride > 1 together with dilation > 1 (the pack does not rely on it)', async () => {
    const x = rand([2, 11, 12, 3], 30);
    const w = rand([3, 3, 3, 4], 31);
    // The cpu kernel computes both in one loop; tfjs's conv2d op forbids the combination, so call the kernel.
    await expectSameOnWasmAndCpu('stride 2 + dilation 2', [x, w], (xt, wt) =>
      tf.engine().runKernel('Conv2D', { x: xt, filter: wt }, { strides: [2, 2], dilations: [2, 2], pad: 'valid', dataFormat: 'NHWC' } as never) as tf.Tensor);
  });

  it('does not leak tensors or wasm buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(rand([2, 8, 8, 3], 12).data, [2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.tensor(rand([3, 3, 3, 4], 13).data, [3, 3, 3, 4]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
    tf.dispose(g([x, w]));
    const n0 = tf.memory().numTensors;
    const d0 = wasmDataIds();
    for (let i = 0; i < 3; i++) tf.dispose(g([x, w]));
    expect(tf.memory().numTensors).to.equal(n0);
    expect(wasmDataIds()).to.equal(d0);
    tf.dispose([x, w]);
  });
});
