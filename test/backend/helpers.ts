// Shared helpers for the backend tests: run the same computation on cpu and on wasm(+pack) from
// identical input data, and compare with a relative tolerance.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';

export type Inputs = { shape: number[]; data: Float32Array }[];

/** Deterministic pseudo-random data in [-1, 1) (a small LCG, no tfjs RNG involved). */
export function rand(shape: number[], seed: number): { shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { shape, data };
}

/** Runs `f` on `backend` with fresh tensors made from `inputs`; returns the output values. */
export async function runOn(
  backend: string,
  inputs: Inputs,
  f: (...t: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<{ shape: number[]; data: Float32Array }[]> {
  await tf.setBackend(backend);
  const ts = inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
  const out = f(...ts);
  const outs = Array.isArray(out) ? out : [out];
  const res = outs.map((o) => ({ shape: o.shape.slice(), data: o.dataSync() as Float32Array }));
  tf.dispose([...ts, ...outs]);
  return res;
}

/** max |a − b| / max(|b|) over all elements (b is the reference). */
export function relErr(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s === 0 ? m : m / s;
}

/** Asserts that `f` gives the same result (shape and values to `tol`) on wasm as on cpu. */
export async function expectSameOnWasmAndCpu(
  what: string,
  inputs: Inputs,
  f: (...t: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  tol = 1e-4,
): Promise<void> {
  const ref = await runOn('cpu', inputs, f);
  const got = await runOn('wasm', inputs, f);
  expect(got.length, `${what}: number of outputs`).to.equal(ref.length);
  for (let k = 0; k < ref.length; k++) {
    expect(got[k].shape, `${what}: shape of output ${k}`).to.deep.equal(ref[k].shape);
    const e = relErr(got[k].data, ref[k].data);
    expect(e, `${what}: relative error of output ${k}`).to.be.at.most(tol);
  }
}

/** Number of buffers held by the wasm backend (catches leaks of kernel-internal TensorInfos). */
export function wasmDataIds(): number {
  return (tf.engine().findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}
