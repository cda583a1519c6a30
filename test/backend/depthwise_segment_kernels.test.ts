import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { selectBackend } from '@cdg/backend';
import { expectSameOnWasmAndCpu, rand, runOn, relErr, wasmDataIds } from './helpers';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

function dwOutShape(x: number[], f: number[], s: [number, number], d: [number, number], pad: Pad): number[] {
  return tf.backend_util.computeConv2DInfo(x as never, f as never, s, d, pad as never, undefined, true).outShape;
}

/** The filter with (d-1) zeros inserted between taps: a dilated conv equals an undilated one with it. */
function dilateFilter(f: { shape: number[]; data: Float32Array }, d: [number, number]) {
  const [fh, fw, c, m] = f.shape;
  const eh = (fh - 1) * d[0] + 1;
  const ew = (fw - 1) * d[1] + 1;
  const out = new Float32Array(eh * ew * c * m);
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) for (let k = 0; k < c * m; k++) {
    out[((i * d[0]) * ew + j * d[1]) * c * m + k] = f.data[(i * fw + j) * c * m + k];
  }
  return { shape: [eh, ew, c, m], data: out };
}

describe('backend: wasm depthwise-conv gradient kernels and UnsortedSegmentSum equal cpu', function () {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });

  const grid: { x: number[]; f: [number, number]; M: number; s: [number, number]; pad: Pad }[] = [
    { x: [2, 8, 8, 3], f: [3, 3], M: 1, s: [1, 1], pad: 'same' },
    { x: [1, 9, 7, 2], f: [3, 3], M: 2, s: [2, 2], pad: 'same' },
    { x: [3, 10, 6, 4], f: [2, 4], M: 1, s: [2, 1], pad: 'valid' },
    { x: [2, 7, 9, 3], f: [5, 5], M: 3, s: [3, 3], pad: 'same' },
    { x: [2, 6, 6, 5], f: [1, 1], M: 1, s: [2, 2], pad: 'valid' },
    { x: [1, 8, 5, 2], f: [3, 2], M: 2, s: [1, 1], pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
    { x: [2, 9, 8, 3], f: [3, 3], M: 1, s: [2, 2], pad: [[0, 0], [3, 0], [1, 2], [0, 0]] },
  ];
  for (const g of grid) {
    const name = `x${g.x.join('x')} f${g.f.join('x')} M${g.M} s${g.s.join(',')} pad ${JSON.stringify(g.pad)}`;
    const fshape = [g.f[0], g.f[1], g.x[3], g.M];
    const oshape = dwOutShape(g.x, fshape, g.s, [1, 1], g.pad);
    it(`DepthwiseConv2dNativeBackpropFilter ${name}`, async () => {
      await expectSameOnWasmAndCpu(name, [rand(g.x, 1), rand(oshape, 2)], (x, dy) =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, {
          strides: g.s, dilations: [1, 1], pad: g.pad, filterShape: fshape,
        } as never) as tf.Tensor);
    });
    it(`DepthwiseConv2dNativeBackpropInput ${name}`, async () => {
      await expectSameOnWasmAndCpu(name, [rand(oshape, 3), rand(fshape, 4)], (dy, filter) =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, {
          strides: g.s, dilations: [1, 1], pad: g.pad, inputShape: g.x,
        } as never) as tf.Tensor);
    });
  }

  // tfjs's op-level gradients refuse dilation > 1 and the cpu kernels ignore it, so the reference
  // here is the undilated cpu kernel applied with the zero-inserted (dilated) filter.
  for (const kind of ['Conv2D', 'DepthwiseConv2dNative'] as const) {
    for (const [d, pad] of [[[2, 2], 'same'], [[2, 3], 'valid'], [[3, 1], 'same']] as [[number, number], Pad][]) {
      it(`${kind} gradients with dilation ${d} (${pad}) equal cpu with the zero-inserted filter`, async () => {
        const xs = [2, 11, 10, 3];
        const M = kind === 'Conv2D' ? 4 : 2;
        const f = rand([3, 2, 3, M], 5);
        const fd = dilateFilter(f, d);
        const dw = kind === 'DepthwiseConv2dNative';
        const oshape = tf.backend_util.computeConv2DInfo(xs as never, f.shape as never, 1, d, pad as never, undefined, dw).outShape;
        const x = rand(xs, 6);
        const dy = rand(oshape, 7);
        const fName = dw ? 'DepthwiseConv2dNativeBackpropFilter' : 'Conv2DBackpropFilter';
        const iName = dw ? 'DepthwiseConv2dNativeBackpropInput' : 'Conv2DBackpropInput';
        const common = { strides: [1, 1], pad, dataFormat: 'NHWC' };
        const got = await runOn('wasm', [x, dy, f], (xt, dyt, ft) => [
          tf.engine().runKernel(fName, { x: xt, dy: dyt }, { ...common, dilations: d, filterShape: f.shape } as never) as tf.Tensor,
          tf.engine().runKernel(iName, { dy: dyt, filter: ft }, { ...common, dilations: d, inputShape: xs } as never) as tf.Tensor,
        ]);
        const ref = await runOn('cpu', [x, dy, fd], (xt, dyt, ft) => [
          tf.engine().runKernel(fName, { x: xt, dy: dyt }, { ...common, dilations: [1, 1], filterShape: fd.shape } as never) as tf.Tensor,
          tf.engine().runKernel(iName, { dy: dyt, filter: ft }, { ...common, dilations: [1, 1], inputShape: xs } as never) as tf.Tensor,
        ]);
        // Filter gradient: taps of the dilated reference at multiples of d.
        const sub = new Float32Array(f.data.length);
        const [eh, ew, c] = fd.shape;
        const cm = c * M;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < cm; k++) {
          sub[(i * 2 + j) * cm + k] = ref[0].data[((i * d[0]) * ew + j * d[1]) * cm + k];
        }
        expect(eh).to.equal(2 * d[0] + 1);
        expect(got[0].shape).to.deep.equal(f.shape);
        expect(relErr(got[0].data, sub)).to.be.at.most(1e-4);
        expect(got[1].shape).to.deep.equal(xs);
        expect(relErr(got[1].data, ref[1].data)).to.be.at.most(1e-4);
      });
    }
  }

  it('depthwiseConv2d gradients through tf.grads equal cpu', async () => {
    await expectSameOnWasmAndCpu('dw grads', [rand([2, 9, 8, 4], 8), rand([3, 3, 4, 2], 9)], (x, w) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w]));
  });

  for (const [xs, ids, n] of [
    [[6], [0, 2, 0, 1, 2, 2], 3],
    [[5, 3], [4, 0, 4, -1, 1], 5], // -1 is dropped
    [[4, 2, 3], [1, 1, 7, 0], 3], // 7 >= numSegments is dropped
  ] as [number[], number[], number][]) {
    it(`UnsortedSegmentSum x[${xs}] ids [${ids}] into ${n} segments equals cpu and a hand sum`, async () => {
      const x = rand(xs, 10);
      const f = (xt: tf.Tensor) => tf.unsortedSegmentSum(xt, tf.tensor1d(ids, 'int32'), n);
      await expectSameOnWasmAndCpu('segsum', [x], f, 1e-6);
      const got = (await runOn('wasm', [x], f))[0];
      const D = x.data.length / xs[0];
      for (let sgm = 0; sgm < n; sgm++) for (let j = 0; j < D; j++) {
        let acc = 0;
        ids.forEach((id, i) => { if (id === sgm) acc += x.data[i * D + j]; });
        expect(got.data[sgm * D + j]).to.be.closeTo(acc, 1e-5);
      }
    });
  }

  it('gather gradient (which uses UnsortedSegmentSum) equals cpu', async () => {
    await expectSameOnWasmAndCpu('gather grad', [rand([7, 3], 11)], (t) =>
      tf.grad((e: tf.Tensor) => tf.sum(tf.square(tf.gather(e, tf.tensor1d([1, 3, 3, 6, 0], 'int32')))))(t));
  });

  it('UnsortedSegmentSum names bad numSegments', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1, 2]);
    const ids = tf.tensor1d([0, 1], 'int32');
    expect(() => tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 1.5 } as never)).to.throw(/numSegments must be an integer/);
    tf.dispose([x, ids]);
  });

  it('does not leak tensors or wasm buffers', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(rand([2, 8, 8, 3], 12).data, [2, 8, 8, 3]) as tf.Tensor4D;
    const w = tf.tensor(rand([3, 3, 3, 2], 13).data, [3, 3, 3, 2]) as tf.Tensor4D;
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
    tf.dispose(g([x, w]));
    const n0 = tf.memory().numTensors;
    const d0 = wasmDataIds();
    for (let i = 0; i < 3; i++) tf.dispose(g([x, w]));
    expect(tf.memory().numTensors).to.equal(n0);
    expect(wasmDataIds()).to.equal(d0);
    tf.dispose([x, w]);
  });
});
