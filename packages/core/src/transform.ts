import * as tf from '@tensorflow/tfjs-core';
import { builtinRegistry } from './container';
import type { MetricRegistry } from './registry';
import { resolveSpec } from './spec';
import type { MetricSpec } from './types';

/**
 * Replaces a gradient by its gradient under a channel-directed metric. Returns a new tensor;
 * `grad` is not disposed.
 */
export function transformGradient(grad: tf.Tensor, spec: MetricSpec, registry: MetricRegistry = builtinRegistry()): tf.Tensor {
  if (!(grad instanceof tf.Tensor)) throw new Error(`transformGradient: grad must be a tf.Tensor, got ${grad === null ? 'null' : typeof grad}`);
  if (grad.isDisposed) throw new Error('transformGradient: grad has already been disposed');
  if (grad.dtype !== 'float32') throw new Error(`transformGradient: grad must have the float dtype 'float32', got '${grad.dtype}'`);
  const resolved = resolveSpec(spec, grad.rank);
  const strategy = registry.get(resolved.metric);
  strategy.validate?.(resolved);
  if (resolved.mix === 0 || strategy.appliesMix) return strategy.apply(grad, resolved);
  return tf.tidy(() => tf.add(strategy.apply(grad, resolved), tf.mul(grad, resolved.mix)));
}
