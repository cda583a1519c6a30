import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { saveCheckpoint } from '@cdg/trainer';
import { correlationOfModel, kernelCorrelation, writeCorrelationReport } from '@cdg/report';

/** Zero-mean orthonormal u, v of length n (n divisible by 4): u = ±1 alternating, v = ++−− repeating. */
function orthonormalPair(n: number): [number[], number[]] {
  const u = Array.from({ length: n }, (_, p) => (p % 2 === 0 ? 1 : -1) / Math.sqrt(n));
  const v = Array.from({ length: n }, (_, p) => (p % 4 < 2 ? 1 : -1) / Math.sqrt(n));
  return [u, v];
}

/**
 * Conv kernel [kh, kw, in, out] whose output filter o is c_o·(cos(oα)·u + sin(oα)·v) + b_o:
 * any two filters at distance d have Pearson correlation cos(dα), whatever the scales c and offsets b.
 */
function rotatingOutputKernel(kh: number, kw: number, cin: number, cout: number, alpha: number): Float32Array {
  const len = kh * kw * cin;
  const [u, v] = orthonormalPair(len);
  const w = new Float32Array(len * cout);
  for (let o = 0; o < cout; o++) {
    const c = 0.5 + o; // re-scaling per output channel
    const b = o % 3 === 0 ? 2 : -1; // and a shift
    for (let p = 0; p < len; p++) w[p * cout + o] = c * (Math.cos(o * alpha) * u[p] + Math.sin(o * alpha) * v[p]) + b;
  }
  return w;
}

/** Pearson correlation by the textbook formula on explicitly indexed entries (independent of the slicing code). */
function pearsonAlong(w: Float32Array, shape: number[], axis: number, j: number, k: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  const idx = new Array(shape.length).fill(0);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1));
  const total = shape.reduce((x, y) => x * y, 1);
  for (let flat = 0; flat < total; flat++) {
    for (let a = 0; a < shape.length; a++) idx[a] = Math.floor(flat / strides[a]) % shape[a];
    if (idx[axis] !== j) continue;
    xs.push(w[flat]);
    const other = idx.map((v, a) => (a === axis ? k : v));
    ys.push(w[other.reduce((s, v, a) => s + v * strides[a], 0)]);
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('report: kernel correlation along output and input channels', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('filters rotating by α along the output axis correlate as cos(dα), invariant to per-channel scale and shift', () => {
    const alpha = 0.3;
    const r = kernelCorrelation(rotatingOutputKernel(2, 2, 3, 6, alpha), [2, 2, 3, 6]);
    expect(r.output.axis).to.equal(3);
    expect(r.output.length).to.equal(6);
    expect(r.output.byDistance.map((d) => d.distance)).to.deep.equal([1, 2, 3, 4, 5]);
    for (const d of r.output.byDistance) {
      expect(d.mean).to.be.closeTo(Math.cos(d.distance * alpha), 1e-5);
      expect(d.count).to.equal(6 - d.distance);
      if (d.count > 1) expect(d.std).to.be.closeTo(0, 1e-5);
    }
  });

  it('input slices that alternate in sign correlate −1 at odd and +1 at even distances; i.i.d. noise gives ≈ 0', () => {
    const [kh, kw, cin, cout] = [3, 3, 5, 4];
    const w = new Float32Array(kh * kw * cin * cout);
    for (let s = 0; s < kh * kw; s++) {
      for (let i = 0; i < cin; i++) {
        for (let o = 0; o < cout; o++) w[(s * cin + i) * cout + o] = (i % 2 === 0 ? 1 : -1) * Math.sin(1 + s * 7 + o * 3) * (1 + i) + 0.1 * i;
      }
    }
    const r = kernelCorrelation(w, [kh, kw, cin, cout], { maxDistance: 3 });
    expect(r.input.axis).to.equal(2);
    expect(r.input.byDistance.map((d) => Math.round(d.mean * 1e5) / 1e5)).to.deep.equal([-1, 1, -1]);
    // Random kernel: 64 filters of 400 entries — neighbouring correlations are about N(0, 1/400).
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
    const noise = Float32Array.from({ length: 5 * 5 * 16 * 64 }, rand);
    const rn = kernelCorrelation(noise, [5, 5, 16, 64], { maxDistance: 2 });
    expect(Math.abs(rn.output.byDistance[0].mean)).to.be.lessThan(0.03);
    expect(Math.abs(rn.input.byDistance[0].mean)).to.be.lessThan(0.05);
  });

  it('agrees with a textbook Pearson correlation on explicitly indexed entries, per pair and layout', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
    const shape = [3, 2, 4, 5];
    const w = Float32Array.from({ length: 3 * 2 * 4 * 5 }, rand);
    const r = kernelCorrelation(w, shape, { keepPairs: true });
    const d2 = r.output.byDistance[1];
    expect(d2.pairs).to.have.length(3);
    d2.pairs!.forEach((v, j) => expect(v).to.be.closeTo(pearsonAlong(w, shape, 3, j, j + 2), 1e-6));
    r.input.byDistance[0].pairs!.forEach((v, j) => expect(v).to.be.closeTo(pearsonAlong(w, shape, 2, j, j + 1), 1e-6));
    // conv-transpose kernels [kh, kw, out, in]: the output axis is the second to last.
    const t = kernelCorrelation(w, shape, { layout: 'conv-transpose', keepPairs: true });
    expect(t.output.axis).to.equal(2);
    expect(t.output.byDistance[0].pairs![0]).to.be.closeTo(pearsonAlong(w, shape, 2, 0, 1), 1e-6);
  });

  it('names bad input', () => {
    expect(() => kernelCorrelation(new Float32Array(5), [2, 3])).to.throw(/kernel has 5 values but shape \[2,3\] needs 6/);
    expect(() => kernelCorrelation(new Float32Array(3), [3])).to.throw(/rank ≥ 2/);
    expect(() => kernelCorrelation(new Float32Array(6), [2, 3], { outputAxis: 1, inputAxis: 1 })).to.throw(/must differ/);
    expect(() => kernelCorrelation(new Float32Array(6), [2, 3.5])).to.throw(/positive integers/);
  });

  it('reads the trainer\'s checkpoint of a tfjs-layers model and analyzes its conv kernels (not optimizer slots)', async function () {
    this.timeout(20000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-corr-'));
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 2, name: 'convA' }),
        tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 2, name: 'deconvB' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 3, name: 'denseC' }),
      ],
    });
    const alpha = 0.5;
    const optimizer = tf.train.momentum(0.1, 0.9);
    // One step first, so that the optimizer has slot variables shaped like the kernels.
    const x = tf.ones([1, 8, 8, 3]);
    optimizer.minimize(() => tf.sum(model.apply(x) as tf.Tensor) as tf.Scalar);
    x.dispose();
    // Conv2DTranspose kernel [2, 2, out=4, in=6]: make its output axis (2) rotate with α as well.
    const tk = new Float32Array(2 * 2 * 4 * 6);
    const [u, v] = orthonormalPair(24);
    for (let s = 0; s < 4; s++) {
      for (let o = 0; o < 4; o++) {
        for (let i = 0; i < 6; i++) tk[(s * 4 + o) * 6 + i] = Math.cos(o * alpha) * u[s * 6 + i] + Math.sin(o * alpha) * v[s * 6 + i];
      }
    }
    const weights = model.getWeights();
    const replaced = [tf.tensor(rotatingOutputKernel(2, 2, 3, 6, alpha), [2, 2, 3, 6]), weights[1], tf.tensor(tk, [2, 2, 4, 6]), ...weights.slice(3)];
    model.setWeights(replaced);
    tf.dispose([replaced[0], replaced[2]]);
    await saveCheckpoint(dir, { model }, [{ name: 'model', optimizer, baseLearningRate: 0.1 }], { task: 'classification', epoch: 1, step: 1, rng: { seed: 1, nextEpoch: 1 }, hooks: null, history: [], config: {} });
    model.dispose();
    optimizer.dispose();
    const before = tf.memory().numTensors; // reading and analyzing makes no tensors

    const layers = correlationOfModel(dir);
    expect(layers.map((l) => `${l.model}:${l.weight.split('/')[0]}:${l.layout}`)).to.deep.equal(['model:convA:conv', 'model:deconvB:conv-transpose']);
    for (const l of layers) {
      l.correlation.output.byDistance.forEach((d) => expect(d.mean).to.be.closeTo(Math.cos(d.distance * alpha), 1e-5));
    }
    expect(correlationOfModel(dir, { includeDense: true }).map((l) => l.layout)).to.deep.equal(['conv', 'conv-transpose', 'dense']);

    const out = path.join(dir, 'analysis');
    const r = await writeCorrelationReport(dir, out, { maxDistance: 4 });
    expect(r.table).to.contain(`| model | convA/kernel | 2×2×3×6 | ${Math.cos(alpha).toFixed(4)} |`);
    const svg = fs.readFileSync(path.join(out, 'correlation.svg'), 'utf8');
    // The panel of convA/kernel, and its output-axis point at distance 2: cos(2α).
    expect(svg).to.contain('model:convA/kernel');
    expect(svg).to.contain(`channel distance |i − j|: 2; mean correlation: ${Math.cos(2 * alpha).toFixed(4)}`);
    expect(fs.statSync(path.join(out, 'correlation.png')).size).to.be.greaterThan(1000);
    expect(tf.memory().numTensors).to.equal(before);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
