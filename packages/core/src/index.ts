import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { container as rootContainer, DependencyContainer } from 'tsyringe';
import { MetricRegistry, METRIC_STRATEGY } from './registry';
import type { MetricSpec, MetricStrategy, ResolvedMetricSpec } from './types';

export * from './types';
export { MetricRegistry, METRIC_STRATEGY } from './registry';

// ---------------------------------------------------------------------------------------------
// PROVISIONAL composite-op implementation (portable, slow). The core work replaces this file's
// strategies with fused kernels and moves them into their own modules; the exported API stays.
// ---------------------------------------------------------------------------------------------

function moveAxisLast<T extends tf.Tensor>(x: T, axis: number): { y: tf.Tensor; perm: number[] | null } {
  const r = x.rank;
  if (axis === r - 1) return { y: x, perm: null };
  const perm = [...Array(r).keys()].filter((i) => i !== axis).concat([axis]);
  return { y: tf.transpose(x, perm), perm };
}

function alongAxis(grad: tf.Tensor, spec: ResolvedMetricSpec, fibreLast: (x: tf.Tensor, n: number) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (spec.axis === 'rasterized') {
      const flat = tf.reshape(grad, [1, grad.size]);
      return tf.reshape(fibreLast(flat, grad.size), grad.shape);
    }
    const { y, perm } = moveAxisLast(grad, spec.axis);
    const n = grad.shape[spec.axis];
    const out = n === 1 ? y.clone() : fibreLast(y, n);
    if (!perm) return out;
    const inv = new Array(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return tf.transpose(out, inv);
  });
}

export class L2Metric implements MetricStrategy {
  readonly name = 'l2';
  apply(grad: tf.Tensor): tf.Tensor {
    return grad.clone();
  }
  symbol(): number {
    return 1;
  }
}

export class ReweightedL2Metric implements MetricStrategy {
  readonly name = 'reweighted-l2';
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return alongAxis(grad, spec, (x) => {
      const m = tf.mean(x, -1, true);
      if (spec.formulation === 'paper') return tf.add(x, tf.mul(m, spec.lambda)); // Fig. 3
      return tf.add(m, tf.div(tf.sub(x, m), spec.lambda)); // eq. (8)
    });
  }
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    if (spec.formulation === 'paper') return k % n === 0 ? 1 + spec.lambda : 1;
    return k % n === 0 ? 1 : 1 / spec.lambda;
  }
}

export class SobolevMetric implements MetricStrategy {
  readonly name = 'sobolev';
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return alongAxis(grad, spec, (x, n) => {
      const lam = spec.lambda;
      const m = tf.mean(x, -1, true);
      const h = tf.sub(x, m);
      const s = tf.range(0, n, 1, 'float32');
      const last = x.rank - 1; // tf.cumsum mishandles negative axes
      const S = tf.cumsum(h, last);
      const T = tf.cumsum(S, last, true); // T_s = Σ_{j≤s} (s−j) h_j
      const c = tf.mul(tf.sum(tf.mul(h, s), -1, true), -1 / (lam * n ** 3));
      const t = tf.sub(tf.mul(s, c), tf.div(T, lam * n * n));
      if (spec.formulation === 'paper') return tf.mul(tf.add(m, t), lam); // Fig. 12
      return tf.add(m, tf.sub(t, tf.mean(t, -1, true)));
    });
  }
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    if (k % n === 0) return 1;
    const sn = Math.sin((Math.PI * k) / n);
    return 1 / (4 * spec.lambda * n * n * sn * sn);
  }
}

export class LaplacianSmoothingMetric implements MetricStrategy {
  readonly name = 'laplacian-smoothing';
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return alongAxis(grad, spec, (x, n) => {
      // Dense circulant inverse (provisional): (I − σΔ)⁻¹ applied as x · C.
      const c = new Float32Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let v = 0;
          for (let k = 0; k < n; k++) v += Math.cos((2 * Math.PI * k * (i - j)) / n) / (1 + 4 * spec.sigma * Math.sin((Math.PI * k) / n) ** 2);
          c[i * n + j] = v / n;
        }
      }
      const shape = x.shape;
      const x2 = tf.reshape(x, [-1, n]);
      return tf.reshape(tf.matMul(x2, tf.tensor2d(c, [n, n])), shape);
    });
  }
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    const sn = Math.sin((Math.PI * k) / n);
    return 1 / (1 + 4 * spec.sigma * sn * sn);
  }
}

export const BUILTIN_METRICS = [L2Metric, ReweightedL2Metric, SobolevMetric, LaplacianSmoothingMetric];

/** Validates a spec against a tensor of the given rank and fills in defaults. Throws naming the culprit. */
export function resolveSpec(spec: MetricSpec, rank: number): ResolvedMetricSpec {
  if (spec == null || typeof spec !== 'object') throw new Error(`a metric spec must be an object, got ${String(spec)}`);
  if (typeof spec.metric !== 'string' || spec.metric.length === 0) throw new Error(`metric must be a non-empty string, got ${String(spec.metric)}`);
  const lambda = spec.lambda ?? 1;
  const sigma = spec.sigma ?? 1;
  const mix = spec.mix ?? 0;
  const formulation = spec.formulation ?? 'exact';
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda <= 0) throw new Error(`lambda must be a finite number > 0, got ${String(spec.lambda)}`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0) throw new Error(`sigma must be a finite number > 0, got ${String(spec.sigma)}`);
  if (typeof mix !== 'number' || !Number.isFinite(mix)) throw new Error(`mix must be a finite number, got ${String(spec.mix)}`);
  if (formulation !== 'exact' && formulation !== 'paper') throw new Error(`formulation must be 'exact' or 'paper', got ${String(spec.formulation)}`);
  let axis: number | 'rasterized';
  const a = spec.axis ?? -1;
  if (a === 'rasterized') axis = a;
  else {
    if (typeof a !== 'number' || !Number.isInteger(a)) throw new Error(`axis must be an integer or 'rasterized', got ${String(a)}`);
    if (rank === 0) throw new Error('cannot transform a scalar (rank 0) gradient along an axis; use axis: \'rasterized\'');
    if (a < -rank || a >= rank) throw new Error(`axis ${a} is out of range for a rank-${rank} tensor (valid: ${-rank}..${rank - 1})`);
    axis = a < 0 ? a + rank : a;
  }
  return { metric: spec.metric, lambda, sigma, axis, formulation, mix };
}

/** A child container with the built-in metrics and a MetricRegistry registered. */
export function createMetricContainer(parent: DependencyContainer = rootContainer): DependencyContainer {
  const c = parent.createChildContainer();
  for (const cls of BUILTIN_METRICS) c.register<MetricStrategy>(METRIC_STRATEGY, { useClass: cls as new () => MetricStrategy });
  c.registerSingleton(MetricRegistry);
  return c;
}

/** Registers a user metric (a class or an instance) in a container, usable by name everywhere. */
export function registerMetric(c: DependencyContainer, strategy: MetricStrategy | (new (...args: any[]) => MetricStrategy)): void {
  if (typeof strategy === 'function') c.register(METRIC_STRATEGY, { useClass: strategy });
  else c.register(METRIC_STRATEGY, { useValue: strategy });
}

let defaultRegistry: MetricRegistry | null = null;
/** The registry of built-in metrics used when no registry is passed. */
export function builtinRegistry(): MetricRegistry {
  if (!defaultRegistry) defaultRegistry = new MetricRegistry(BUILTIN_METRICS.map((C) => new C()));
  return defaultRegistry;
}

/**
 * Replaces a gradient by its gradient under a channel-directed metric. Returns a new tensor;
 * `grad` is not disposed.
 */
export function transformGradient(grad: tf.Tensor, spec: MetricSpec, registry: MetricRegistry = builtinRegistry()): tf.Tensor {
  if (!(grad instanceof tf.Tensor)) throw new Error('transformGradient: grad must be a tf.Tensor');
  if (grad.dtype !== 'float32') throw new Error(`transformGradient: grad must have a float dtype, got ${grad.dtype}`);
  const resolved = resolveSpec(spec, grad.rank);
  const strategy = registry.get(resolved.metric);
  strategy.validate?.(resolved);
  if (resolved.mix === 0) return strategy.apply(grad, resolved);
  return tf.tidy(() => tf.add(strategy.apply(grad, resolved), tf.mul(grad, resolved.mix)));
}
