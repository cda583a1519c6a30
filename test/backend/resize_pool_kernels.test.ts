// MaxPoolGrad, ResizeNearestNeighborGrad and ResizeBilinearGrad on wasm (replaced by the pack:
// the stock wasm ones are wrong). References are independent of any gradient kernel: a linear op's
// gradient is its adjoint, so dx[j] = Σ_i f(e_j)[i]·dy[i] is read off the forward op applied to
// basis images (a dense matrix); max-pool's is checked by a hand loop (first maximum wins).
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import { registerCpuGradientFixes, selectBackend } from '@cdg/backend';
import { expectSameOnWasmAndCpu, rand, relErr, runOn } from './helpers';

/** The adjoint of the linear map f (computed on cpu from f's forward op), applied to w. */
async function adjointByBasis(shape: number[], f: (x: tf.Tensor) => tf.Tensor, w: Float32Array): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const n = shape.reduce((a, b) => a * b, 1);
  const ref = new Float32Array(n);
  tf.tidy(() => {
    // All n basis images as one batch: row j of eye(n) reshaped is e_j.
    const per = shape.slice(1);
    const basis = tf.reshape(tf.eye(n), [n * shape[0], ...per]);
    const y = f(basis).dataSync();
    const m = w.length;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += y[j * m + i] * w[i];
      ref[j] = s;
    }
  });
  return ref;
}

describe('backend: wasm resize and max-pool gradients are the exact adjoints', function () {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });

  const resizeCases: [string, number[], [number, number], 'nearest' | 'bilinear', boolean, boolean][] = [
    ['nearest 2x upsample, 2 channels', [2, 3, 3, 2], [6, 6], 'nearest', false, false],
    ['nearest non-square, halfPixelCenters', [1, 2, 3, 2], [5, 7], 'nearest', false, true],
    ['nearest downsample, alignCorners', [1, 5, 4, 2], [3, 3], 'nearest', true, false],
    ['bilinear non-square upsample', [1, 2, 3, 2], [5, 7], 'bilinear', false, false],
    ['bilinear halfPixelCenters', [1, 3, 3, 2], [5, 4], 'bilinear', false, true],
    ['bilinear downsample, alignCorners', [2, 5, 4, 1], [3, 3], 'bilinear', true, false],
    ['bilinear 2x upsample', [1, 4, 4, 3], [8, 8], 'bilinear', false, false],
  ];
  for (const [name, shape, size, kind, ac, hp] of resizeCases) {
    it(`${kind === 'nearest' ? 'ResizeNearestNeighborGrad' : 'ResizeBilinearGrad'}: ${name}`, async () => {
      // Per-image op: the basis trick batches e_j; the adjoint is per image, so use batch 1 shapes.
      const f = (x: tf.Tensor) => kind === 'nearest'
        ? tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, ac, hp)
        : tf.image.resizeBilinear(x as tf.Tensor4D, size, ac, hp);
      const oshape = [shape[0], size[0], size[1], shape[3]];
      const dy = rand(oshape, 1);
      const ref = await adjointByBasis(shape, f, dy.data);
      const got = (await runOn('wasm', [rand(shape, 2), dy], (x, w) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)))[0];
      expect(got.shape).to.deep.equal(shape);
      expect(relErr(got.data, ref)).to.be.at.most(1e-5);
    });
  }

  it('with registerCpuGradientFixes() the cpu backend\'s resize gradients are the exact adjoints too', async () => {
    registerCpuGradientFixes();
    for (const [name, shape, size, kind, ac, hp] of resizeCases) {
      const f = (x: tf.Tensor) => kind === 'nearest'
        ? tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, ac, hp)
        : tf.image.resizeBilinear(x as tf.Tensor4D, size, ac, hp);
      const dy = rand([shape[0], size[0], size[1], shape[3]], 1);
      const ref = await adjointByBasis(shape, f, dy.data);
      const got = (await runOn('cpu', [rand(shape, 2), dy], (x, w) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)))[0];
      expect(got.shape, name).to.deep.equal(shape);
      expect(relErr(got.data, ref), name).to.be.at.most(1e-5);
    }
  });

  it('resize forward ops agree between wasm and cpu (the adjoint references use the cpu forward)', async () => {
    for (const [, shape, size, kind, ac, hp] of resizeCases) {
      await expectSameOnWasmAndCpu(`${kind} forward`, [rand(shape, 3)], (x) => kind === 'nearest'
        ? tf.image.resizeNearestNeighbor(x as tf.Tensor4D, size, ac, hp)
        : tf.image.resizeBilinear(x as tf.Tensor4D, size, ac, hp), 1e-5);
    }
  });

  const poolCases: [number[], number | [number, number], number | [number, number], 'same' | 'valid'][] = [
    [[2, 8, 6, 3], 2, 2, 'same'],
    [[2, 9, 7, 3], 3, 2, 'same'],
    [[1, 9, 7, 2], [3, 2], [2, 1], 'valid'],
    [[3, 5, 5, 4], 3, 1, 'same'],
  ];
  for (const [shape, fsz, st, pad] of poolCases) {
    it(`MaxPoolGrad x[${shape}] filter ${fsz} stride ${st} ${pad} equals a hand loop and cpu`, async () => {
      const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], fsz, st, 1, pad);
      const x = rand(shape, 4);
      const dy = rand(info.outShape, 5);
      const [B, H, W, C] = shape;
      const ref = new Float32Array(x.data.length);
      for (let b = 0; b < B; b++) for (let p = 0; p < info.outHeight; p++) for (let q = 0; q < info.outWidth; q++) for (let c = 0; c < C; c++) {
        let best = -Infinity;
        let at = -1;
        for (let i = 0; i < info.filterHeight; i++) for (let j = 0; j < info.filterWidth; j++) {
          const h = p * info.strideHeight - info.padInfo.top + i;
          const w = q * info.strideWidth - info.padInfo.left + j;
          if (h < 0 || h >= H || w < 0 || w >= W) continue;
          const idx = ((b * H + h) * W + w) * C + c;
          if (x.data[idx] > best) { best = x.data[idx]; at = idx; }
        }
        ref[at] += dy.data[((b * info.outHeight + p) * info.outWidth + q) * C + c];
      }
      const g = (xt: tf.Tensor, w: tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, fsz, st, pad), w)))(xt);
      const got = (await runOn('wasm', [x, dy], g))[0];
      expect(relErr(got.data, ref)).to.be.at.most(1e-6);
      await expectSameOnWasmAndCpu('maxPool grad', [x, dy], g, 1e-6);
    });
  }

  it('MaxPoolGrad sends a tie to the first maximum, as TensorFlow and the cpu backend do', async () => {
    const x = { shape: [1, 2, 2, 1], data: new Float32Array([3, 3, 1, 3]) };
    const got = (await runOn('wasm', [x], (t) => tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid')))(t)))[0];
    expect(Array.from(got.data)).to.deep.equal([1, 0, 0, 0]);
  });
});
