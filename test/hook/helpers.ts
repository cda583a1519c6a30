import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** Deterministic pseudo-random numbers (mulberry32), so tests do not depend on tfjs's RNG. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, scale), shape);
}

/** A small conv net: two Conv2D, a Dense head. */
export function smallConvNet(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, activation: 'tanh' }));
  m.add(tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'tanh' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 3 }));
  return m;
}

/** Gives `model` deterministic weights (seeded), so two models can start identical. */
export function seedWeights(model: tfl.LayersModel, seed: number): void {
  const ws = model.getWeights().map((w, i) => randomTensor(w.shape, seed + 17 * i, 0.5));
  model.setWeights(ws);
  tf.dispose(ws);
}

export async function weightValues(model: tfl.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function isConvKernel(model: tfl.LayersModel, variableName: string): boolean {
  return model.layers.some((l) => l.getClassName() === 'Conv2D' && l.weights.some((w) => w.name === variableName && w.originalName.endsWith('/kernel')));
}

/**
 * Dense-matrix oracle for a circulant metric along one axis of a row-major array: builds the
 * n×n matrix C_ij = (1/n) Σ_k s(k) cos(2πk(i−j)/n) from the Fourier symbol and applies it to every
 * fibre with plain loops (no tensors), independent of the code under test.
 */
export function circulantAlongAxis(data: ArrayLike<number>, shape: number[], axis: number, symbol: (k: number, n: number) => number): Float64Array {
  const n = shape[axis];
  const c = new Float64Array(n); // circulant: C_ij depends on (i − j) mod n only
  for (let d = 0; d < n; d++) {
    let v = 0;
    for (let k = 0; k < n; k++) v += symbol(k, n) * Math.cos((2 * Math.PI * k * d) / n);
    c[d] = v / n;
  }
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) C[i * n + j] = c[(((i - j) % n) + n) % n];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out = new Float64Array(data.length);
  const total = data.length;
  for (let base = 0; base < total; base++) {
    // visit each fibre once, from its element with index 0 along `axis`
    if (Math.floor(base / strides[axis]) % n !== 0) continue;
    for (let i = 0; i < n; i++) {
      let v = 0;
      for (let j = 0; j < n; j++) v += C[i * n + j] * data[base + j * strides[axis]];
      out[base + i * strides[axis]] = v;
    }
  }
  return out;
}

/** Sobolev symbol (method.md): 1 at k = 0, 1/(4λn² sin²(πk/n)) otherwise. */
export const sobolevSymbol = (lambda: number) => (k: number, n: number): number =>
  k % n === 0 ? 1 : 1 / (4 * lambda * n * n * Math.sin((Math.PI * k) / n) ** 2);

/** Row-major transpose with plain loops: out has shape perm.map(p => shape[p]). */
export function permuteArray(data: ArrayLike<number>, shape: number[], perm: number[]): { data: Float64Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  const inStrides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const out = new Float64Array(data.length);
  const idx = new Array(outShape.length).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let d = 0; d < outShape.length; d++) src += idx[d] * inStrides[perm[d]];
    out[o] = data[src];
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** Oracle for 'rasterized' with a layer order: permute, circulant over the whole flat vector, permute back. */
export function rasterizedOracle(data: ArrayLike<number>, shape: number[], order: number[], symbol: (k: number, n: number) => number): Float64Array {
  const p = permuteArray(data, shape, order);
  const smoothed = circulantAlongAxis(p.data, [p.data.length], 0, symbol);
  const inverse = new Array<number>(order.length);
  order.forEach((o, i) => (inverse[o] = i));
  return permuteArray(smoothed, p.shape, inverse).data;
}
