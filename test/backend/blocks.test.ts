// ResNet-, UNet- and SPADE-style blocks train on wasm(+pack) with the same gradients as on cpu,
// through tf.variableGrads, through optimizer.minimize, and through tfjs-layers model.fit.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'chai';
import { selectBackend } from '@cdg/backend';
import { Inputs, rand, relErr, runOn, wasmDataIds } from './helpers';

type Loss = (x: tf.Tensor4D, labels: tf.Tensor, v: tf.Variable[]) => tf.Scalar;

/** Loss value and the gradient of every weight, computed with tf.variableGrads. */
function gradsOf(loss: Loss, nData: number) {
  return (...ts: tf.Tensor[]): tf.Tensor[] => {
    const vars = ts.slice(nData).map((t) => tf.variable(t));
    const { value, grads } = tf.variableGrads(() => loss(ts[0] as tf.Tensor4D, ts[1], vars));
    const out = [value, ...vars.map((v) => grads[v.name])];
    tf.dispose(vars);
    return out;
  };
}

async function expectSameGrads(what: string, inputs: Inputs, loss: Loss, nData = 2, tol = 1e-4, cpuLoss = loss) {
  const ref = await runOn('cpu', inputs, gradsOf(cpuLoss, nData));
  const got = await runOn('wasm', inputs, gradsOf(loss, nData));
  expect(got.length).to.equal(ref.length);
  for (let k = 0; k < ref.length; k++) {
    expect(got[k].shape, `${what}: shape of output ${k}`).to.deep.equal(ref[k].shape);
    const e = relErr(got[k].data, ref[k].data);
    expect(e, `${what}: ${k === 0 ? 'loss' : `gradient of weight ${k - 1}`} relative error`).to.be.at.most(tol);
  }
  // The gradients are not trivially zero (each weight influences the loss).
  for (let k = 1; k < ref.length; k++) expect(Math.max(...Array.from(ref[k].data, Math.abs)), `${what}: weight ${k - 1} gradient`).to.be.greaterThan(0);
}

function labelsOneHot(n: number, classes: number, seed: number) {
  const data = new Float32Array(n * classes);
  const r = rand([n], seed).data;
  for (let i = 0; i < n; i++) data[i * classes + Math.floor((r[i] + 1) / 2 * classes) % classes] = 1;
  return data;
}

function bn(h: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const m = tf.moments(h, [0, 1, 2]);
  return tf.batchNorm(h, m.mean, m.variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3);
}

function conv(x: tf.Tensor, w: tf.Tensor, s: number, pad: 'same' | 'valid' = 'same'): tf.Tensor4D {
  return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, pad);
}

// ResNet basic block with projection shortcut, then a stride-2 conv, global pool, dense, softmax CE.
const resnetLoss: Loss = (x, labels, [w1, g1, b1, w2, g2, b2, wp, w3, bias3, wd]) => {
  let h = tf.relu(bn(conv(x, w1, 1), g1, b1));
  h = bn(conv(h, w2, 1), g2, b2);
  h = tf.relu(tf.add(h, conv(x, wp, 1)));
  h = tf.relu(tf.add(conv(h, w3, 2), bias3));
  const pooled = tf.mean(h, [1, 2]);
  const logits = tf.matMul(pooled as tf.Tensor2D, wd as tf.Tensor2D);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 1))) as tf.Scalar;
};
const resnetShapes = [[3, 3, 3, 8], [8], [8], [3, 3, 8, 8], [8], [8], [1, 1, 3, 8], [3, 3, 8, 12], [12], [12, 5]];

// UNet encoder/decoder: conv, max- and avg-pool, bottleneck, upsampling by conv2dTranspose,
// nearest and bilinear resize, concatenation with the skip, 1x1 conv, per-pixel softmax CE.
// `resize` is injectable: the cpu backend's own resize gradients are wrong in tfjs 4.22 (see
// resize_pool_kernels.test.ts), so the cpu reference resizes by dense interpolation matrices.
type Resize = (x: tf.Tensor4D, size: [number, number], kind: 'nearest' | 'bilinear') => tf.Tensor4D;
const opResize: Resize = (x, size, kind) =>
  kind === 'nearest' ? tf.image.resizeNearestNeighbor(x, size) : tf.image.resizeBilinear(x, size);
/** The same resize as y[b,r,c,d] = Σ_{h,w} A[r,h]·B[c,w]·x[b,h,w,d], with A and B read off the forward op. */
const matrixResize: Resize = (x, size, kind) => {
  const axisMatrix = (n: number, m: number, alongRows: boolean) => {
    // Resize the n basis images e_i (1 pixel wide) and read the interpolation weights.
    const eye = tf.reshape(tf.eye(n), alongRows ? [n, n, 1, 1] : [n, 1, n, 1]) as tf.Tensor4D;
    const r = opResize(eye, alongRows ? [m, 1] : [1, m], kind);
    return tf.transpose(tf.reshape(r, [n, m])); // [m, n]
  };
  const [B, H, W, D] = x.shape;
  const A = axisMatrix(H, size[0], true);
  const Bm = axisMatrix(W, size[1], false);
  const xh = tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [H, B * W * D]);
  const y1 = tf.reshape(tf.matMul(A, xh), [size[0], B, W, D]); // rows resized
  const yw = tf.reshape(tf.transpose(y1, [2, 0, 1, 3]), [W, size[0] * B * D]);
  const y2 = tf.reshape(tf.matMul(Bm, yw), [size[1], size[0], B, D]);
  return tf.transpose(y2, [2, 1, 0, 3]) as tf.Tensor4D;
};
const unetLossWith = (resize: Resize): Loss => (x, labels, [e1, e2, bt, wt, d1, out]) => {
  const s1 = tf.relu(conv(x, e1, 1));
  const p = tf.concat([tf.maxPool(s1, 2, 2, 'same'), tf.avgPool(s1, 2, 2, 'same')], 3);
  const b = tf.relu(conv(p, e2, 1));
  const bb = tf.relu(conv(b, bt, 1, 'valid'));
  const u1 = tf.conv2dTranspose(bb, wt as tf.Tensor4D, [x.shape[0], x.shape[1], x.shape[2], 4], 2, 'same');
  const u2 = resize(bb, [x.shape[1], x.shape[2]], 'nearest');
  const u3 = resize(bb, [x.shape[1], x.shape[2]], 'bilinear');
  const cat = tf.concat([s1, u1, u2, u3], 3);
  const h = tf.relu(conv(cat, d1, 1));
  const logits = conv(h, out, 1);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), 3))) as tf.Scalar;
};
const unetLoss = unetLossWith(opResize);
const unetShapes = [[3, 3, 3, 6], [3, 3, 12, 8], [1, 1, 8, 6], [3, 3, 4, 6], [3, 3, 6 + 4 + 6 + 6, 6], [1, 1, 6, 3]];

// SPADE residual block: instance norm via moments, label map resized (nearest) to the feature
// size, shared conv, γ/β convs, (1+γ)·x̂+β, leakyReLU, conv, batch norm, tanh output.
const spadeLoss: Loss = (x, seg, [w0, ws, wg, wb, w1, g, b]) => {
  const h0 = conv(x, w0, 2); // [n, H/2, W/2, 6]
  const inst = tf.moments(h0, [1, 2], true);
  const xn = tf.div(tf.sub(h0, inst.mean), tf.sqrt(tf.add(inst.variance, 1e-5)));
  const segr = tf.image.resizeNearestNeighbor(seg as tf.Tensor4D, [h0.shape[1], h0.shape[2]]);
  const actv = tf.relu(conv(segr, ws, 1));
  const gamma = conv(actv, wg, 1);
  const beta = conv(actv, wb, 1);
  const mod = tf.add(tf.mul(xn, tf.add(1, gamma)), beta);
  const h1 = conv(tf.leakyRelu(mod, 0.2), w1, 1);
  const y = tf.tanh(bn(h1, g, b));
  const target = tf.image.resizeBilinear(x, [y.shape[1] as number, y.shape[2] as number], true);
  return tf.mean(tf.square(tf.sub(y, tf.slice(target, [0, 0, 0, 0], [-1, -1, -1, 3])))) as tf.Scalar;
};
const spadeShapes = [[3, 3, 3, 6], [3, 3, 4, 8], [3, 3, 8, 6], [3, 3, 8, 6], [3, 3, 6, 3], [3], [3]];

function weights(shapes: number[][], seed: number) {
  return shapes.map((s, i) => {
    const r = rand(s, seed + i);
    // Scale like a fan-in init so activations stay O(1); γ near 1.
    const fanIn = s.length === 4 ? s[0] * s[1] * s[2] : s.length === 2 ? s[0] : 1;
    const scale = s.length === 1 ? 0.1 : Math.sqrt(2 / fanIn);
    const base = s.length === 1 && i % 3 === 1 ? 1 : 0;
    return { shape: s, data: r.data.map((v) => base + scale * v) };
  });
}

describe('backend: ResNet/UNet/SPADE-style blocks train on wasm with cpu-equal gradients', function () {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });

  it('ResNet-style block (conv, batch norm, relu, add, stride-2 conv, dense): tf.variableGrads', async () => {
    const x = rand([3, 8, 8, 3], 1);
    const y = { shape: [3, 5], data: labelsOneHot(3, 5, 2) };
    await expectSameGrads('resnet', [x, y, ...weights(resnetShapes, 10)], resnetLoss);
  });

  it('UNet-style block (pooling, conv2dTranspose, nearest/bilinear upsampling, concat): tf.variableGrads (cpu reference resizes by matrices)', async () => {
    const x = rand([2, 8, 12, 3], 3);
    const y = { shape: [2, 8, 12, 3], data: labelsOneHot(2 * 8 * 12, 3, 4) };
    await expectSameGrads('unet', [x, y, ...weights(unetShapes, 20)], unetLoss, 2, 1e-4, unetLossWith(matrixResize));
  });

  it('SPADE-style block (instance norm, label-map resize, modulation, leakyRelu, batch norm, tanh): tf.variableGrads', async () => {
    const x = rand([2, 12, 8, 3], 5);
    const seg = { shape: [2, 3, 2, 4], data: labelsOneHot(2 * 3 * 2, 4, 6) };
    await expectSameGrads('spade', [x, seg, ...weights(spadeShapes, 30)], spadeLoss);
  });

  for (const opt of ['sgd', 'momentum', 'adam'] as const) {
    it(`three ${opt} optimizer.minimize steps on the ResNet block give cpu-equal weights, without leaks`, async () => {
      const x = rand([2, 6, 6, 3], 7);
      const y = { shape: [2, 5], data: labelsOneHot(2, 5, 8) };
      const train = (...ts: tf.Tensor[]) => {
        const vars = ts.slice(2).map((t) => tf.variable(t));
        const o = opt === 'sgd' ? tf.train.sgd(0.1) : opt === 'momentum' ? tf.train.momentum(0.05, 0.9) : tf.train.adam(0.01);
        const step = () => tf.dispose(o.minimize(() => resnetLoss(ts[0] as tf.Tensor4D, ts[1], vars), true) ?? []);
        step();
        const n0 = tf.memory().numTensors;
        step();
        step();
        expect(tf.memory().numTensors, 'tensors after two more steps').to.equal(n0);
        const out = vars.map((v) => tf.clone(v));
        o.dispose();
        tf.dispose(vars);
        return out;
      };
      const inputs = [x, y, ...weights(resnetShapes, 40)];
      const ref = await runOn('cpu', inputs, train);
      const got = await runOn('wasm', inputs, train);
      for (let k = 0; k < ref.length; k++) {
        expect(relErr(got[k].data, ref[k].data), `${opt}: weight ${k}`).to.be.at.most(1e-4);
        expect(relErr(ref[k].data, inputs[k + 2].data), `${opt}: weight ${k} moved`).to.be.greaterThan(1e-6);
      }
    });
  }

  it('tfjs-layers model.fit (conv, batchNorm, depthwise, separable, transpose conv, concat, pooling) matches cpu', async () => {
    function build() {
      const inp = tfl.input({ shape: [8, 8, 3] });
      let h = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(inp) as tfl.SymbolicTensor;
      h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor;
      h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor;
      const d = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor;
      let e = tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }).apply(d) as tfl.SymbolicTensor;
      e = tfl.layers.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(e) as tfl.SymbolicTensor;
      const u1 = tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(e) as tfl.SymbolicTensor;
      // (upSampling2d is left out: the cpu reference's resize gradients are wrong in tfjs 4.22.)
      const cat = tfl.layers.concatenate().apply([h, u1]) as tfl.SymbolicTensor;
      const c2 = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(cat) as tfl.SymbolicTensor;
      const g = tfl.layers.globalAveragePooling2d({}).apply(c2) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 4, activation: 'softmax' }).apply(g) as tfl.SymbolicTensor;
      return tfl.model({ inputs: inp, outputs: out });
    }
    const x = rand([4, 8, 8, 3], 50);
    const y = { shape: [4, 4], data: labelsOneHot(4, 4, 51) };
    const shapes = (() => {
      const m = build();
      const s = m.getWeights().map((w) => w.shape.slice());
      m.dispose();
      return s;
    })();
    const init = shapes.map((s, i) => ({ shape: s, data: rand(s, 60 + i).data.map((v) => (s.length === 1 ? 1 + 0.1 * v : 0.3 * v)) }));
    const results: Float32Array[][] = [];
    for (const be of ['cpu', 'wasm']) {
      await tf.setBackend(be);
      const m = build();
      const ws = init.map((w) => tf.tensor(w.data, w.shape));
      m.setWeights(ws);
      tf.dispose(ws);
      m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
      const xt = tf.tensor(x.data, x.shape);
      const yt = tf.tensor(y.data, y.shape);
      await m.fit(xt, yt, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0 });
      results.push(m.getWeights().map((w) => w.dataSync() as Float32Array));
      tf.dispose([xt, yt]);
      m.dispose();
    }
    for (let k = 0; k < results[0].length; k++) {
      expect(relErr(results[1][k], results[0][k]), `layer weight ${k} (${shapes[k]})`).to.be.at.most(1e-4);
    }
  });

  it('a wasm training step leaves no tensors or wasm buffers behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor(rand([2, 8, 12, 3], 70).data, [2, 8, 12, 3]) as tf.Tensor4D;
    const y = tf.tensor(labelsOneHot(2 * 8 * 12, 3, 71), [2, 8, 12, 3]);
    const vars = weights(unetShapes, 72).map((w) => tf.variable(tf.tensor(w.data, w.shape)));
    const o = tf.train.momentum(0.01, 0.9);
    const step = () => tf.dispose(o.minimize(() => unetLoss(x, y, vars), true) ?? []);
    step();
    const n0 = tf.memory().numTensors;
    const d0 = wasmDataIds();
    step();
    step();
    expect(tf.memory().numTensors).to.equal(n0);
    expect(wasmDataIds()).to.equal(d0);
    o.dispose();
    tf.dispose([x, y, ...vars]);
  });
});
