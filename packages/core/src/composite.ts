// Composite-op versions of the fused filters: portable to every tfjs backend (cpu, wasm, webgl,
// node), used where no fused kernel is registered, and kept as a second implementation for tests.
import * as tf from '@tensorflow/tfjs-core';
import { fibreLayout } from './layout';
import type { ResolvedMetricSpec } from './types';

/**
 * Runs `fibre` on the tensor seen as [outer, n, inner] with fibres along axis 1. When inner = 1
 * the view is [outer, n] and the fibres are the last axis, so no op needs a transpose.
 * Adds spec.mix·grad. Returns a new tensor; `grad` is not disposed.
 */
export function alongFibres(
  grad: tf.Tensor,
  spec: ResolvedMetricSpec,
  fibre: (x: tf.Tensor, n: number, axis: number) => tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const { outer, n, inner } = fibreLayout(grad.shape, spec.axis);
    const view = inner === 1 ? tf.reshape(grad, [outer, n]) : tf.reshape(grad, [outer, n, inner]);
    let out = tf.reshape(fibre(view, n, 1), grad.shape);
    if (spec.mix !== 0) out = tf.add(out, tf.mul(grad, spec.mix));
    return out;
  });
}

/** eq. (8) exact: m + (f − m)/λ; Fig. 3 paper: f + λm. */
export function reweightedComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
  return alongFibres(grad, spec, (x, n, axis) => {
    const m = tf.mean(x, axis, true);
    if (spec.formulation === 'paper') return tf.add(x, tf.mul(m, spec.lambda));
    if (n === 1) return tf.clone(x);
    return tf.add(m, tf.div(tf.sub(x, m), spec.lambda));
  });
}

/** Sobolev gradient by the cumulative-sum recursion of Fig. 12 (see method.md), exact or paper. */
export function sobolevComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
  return alongFibres(grad, spec, (x, n, axis) => {
    if (n === 1 && spec.formulation === 'exact') return tf.clone(x);
    const lam = spec.lambda;
    const rankShape = x.shape.map((d, i) => (i === axis ? d : 1));
    const s = tf.reshape(tf.range(0, n, 1, 'float32'), rankShape);
    const m = tf.mean(x, axis, true);
    const h = tf.sub(x, m);
    const S = tf.cumsum(h, axis); // S_s = Σ_{j≤s} h_j
    const T = tf.cumsum(S, axis, true); // T_s = Σ_{j<s} S_j = Σ_{j≤s} (s − j) h_j
    const c = tf.mul(tf.sum(tf.mul(h, s), axis, true), -1 / (lam * n ** 3));
    const t = tf.sub(tf.mul(s, c), tf.div(T, lam * n * n));
    if (spec.formulation === 'paper') return tf.mul(tf.add(m, t), lam); // Fig. 12
    return tf.add(m, tf.sub(t, tf.mean(t, axis, true)));
  });
}

/** Root r ∈ (0, 1) of σr² − (1 + 2σ)r + σ: (I − σΔ) has symbol (σ/r)(1 − rz)(1 − r/z). */
export function laplacianRoot(sigma: number): number {
  return (1 + 2 * sigma - Math.sqrt(1 + 4 * sigma)) / (2 * sigma);
}

/** Periodic impulse response of (I − σΔ)⁻¹ on n points at offset d ∈ [0, n): (r/σ)(r^d + r^{n−d}) / ((1 − r²)(1 − rⁿ)). */
export function laplacianImpulse(d: number, n: number, sigma: number): number {
  const r = laplacianRoot(sigma);
  return ((r / sigma) * (Math.pow(r, d) + Math.pow(r, n - d))) / ((1 - r * r) * (1 - Math.pow(r, n)));
}

/**
 * (I − σΔ)⁻¹ as a periodic 1-D convolution with its impulse response, truncated where the
 * two-sided tail falls below 1e-8 of the total (exact, all n taps, when the fibre is shorter).
 * conv1d exists on every backend, unlike FFT (wasm has none), and the cost is linear in the size.
 */
export function laplacianComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
  return tf.tidy(() => {
    const { outer, n, inner } = fibreLayout(grad.shape, spec.axis);
    const sigma = spec.sigma;
    let out: tf.Tensor;
    if (n === 1) out = tf.clone(grad);
    else {
      const r = laplacianRoot(sigma);
      const half = Math.ceil(Math.log(5e-9) / Math.log(r));
      let left: number; // taps cover offsets d = −left … right
      let right: number;
      if (2 * half + 1 >= n) {
        left = Math.floor((n - 1) / 2);
        right = n - 1 - left;
      } else {
        left = half;
        right = half;
      }
      const width = left + right + 1;
      const taps = new Float32Array(width);
      for (let t = 0; t < width; t++) taps[t] = laplacianImpulse((((right - t) % n) + n) % n, n, sigma);
      let rows = tf.reshape(grad, [outer, n, inner]);
      if (inner !== 1) rows = tf.transpose(rows, [0, 2, 1]);
      const x = tf.reshape(rows, [outer * inner, n, 1]) as tf.Tensor3D;
      const parts: tf.Tensor3D[] = [];
      if (right > 0) parts.push(tf.slice(x, [0, n - right, 0], [-1, right, 1]));
      parts.push(x);
      if (left > 0) parts.push(tf.slice(x, [0, 0, 0], [-1, left, 1]));
      const padded = tf.concat(parts, 1);
      const y = tf.conv1d(padded, tf.tensor3d(taps, [width, 1, 1]), 1, 'valid');
      let back = tf.reshape(y, inner === 1 ? [outer, n, 1] : [outer, inner, n]);
      if (inner !== 1) back = tf.transpose(back, [0, 2, 1]);
      out = tf.reshape(back, grad.shape);
    }
    if (spec.mix !== 0) out = tf.add(out, tf.mul(grad, spec.mix));
    return out;
  });
}
