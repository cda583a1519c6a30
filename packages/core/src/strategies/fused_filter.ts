import * as tf from '@tensorflow/tfjs-core';
import type { FusedMetric } from '../fibre';
import { fusedKernelAvailable, runChannelFilter } from '../kernels/channel_filter';
import type { MetricStrategy, ResolvedMetricSpec } from '../types';

/**
 * A metric with a fused kernel (cpu, wasm) and a composite-op fallback (every other backend).
 * `apply` includes spec.mix·grad itself (appliesMix), so the fused kernel adds it in the same pass.
 */
export abstract class FusedFilterMetric implements MetricStrategy {
  abstract readonly name: string;
  readonly appliesMix = true;
  protected abstract readonly fusedMetric: FusedMetric;

  /** The portable composite-op version (includes mix). */
  abstract applyComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor;

  /** The fused kernel on the active backend; throws if that backend has none. */
  applyFused(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    if (!fusedKernelAvailable()) {
      throw new Error(`${this.name}: no fused kernel for backend "${tf.getBackend()}" (fused kernels exist for cpu and wasm)`);
    }
    return runChannelFilter(grad, spec, this.fusedMetric);
  }

  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    if (grad.size === 0) return tf.clone(grad);
    if (grad.dtype === 'float32' && fusedKernelAvailable()) return runChannelFilter(grad, spec, this.fusedMetric);
    return this.applyComposite(grad, spec);
  }
}

export function requirePositive(name: 'lambda' | 'sigma', value: number, metric: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a finite number > 0, got ${String(value)} (metric "${metric}")`);
  }
}
