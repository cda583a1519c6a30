// The fused channel-filter kernel: one kernel name, registered per backend beside the composite op.
import * as tf from '@tensorflow/tfjs-core';
import type { FibreFilterParams, FusedMetric } from '../fibre';
import { fibreLayout } from '../layout';
import type { ResolvedMetricSpec } from '../types';
import { cpuChannelFilterConfig, isCpuLikeBackend } from './cpu';
import { isWasmLikeBackend, wasmChannelFilterConfig } from './wasm';

import { CHANNEL_FILTER_KERNEL } from './name';

export { CHANNEL_FILTER_KERNEL };

/** Backends for which a fused kernel exists, and how to recognise their backend object. */
const FUSED_BACKENDS: Record<string, { matches: (b: unknown) => boolean; config: () => tf.KernelConfig }> = {
  cpu: { matches: isCpuLikeBackend, config: cpuChannelFilterConfig },
  wasm: { matches: isWasmLikeBackend, config: wasmChannelFilterConfig },
};

/**
 * True when the active backend runs the fused kernel, registering it on first use. Kernels are
 * registered lazily, for a backend that exists and is active, so importing @cdg/core never needs
 * @tensorflow/tfjs-backend-cpu or -wasm and a backend registered after import still gets them.
 */
export function fusedKernelAvailable(): boolean {
  const name = tf.getBackend();
  if (name == null) return false;
  if (tf.getKernel(CHANNEL_FILTER_KERNEL, name) != null) return true;
  const entry = FUSED_BACKENDS[name];
  if (!entry || !entry.matches(tf.backend())) return false;
  tf.registerKernel(entry.config());
  return true;
}

/** Names of the backends that have a fused kernel implementation. */
export function fusedKernelBackends(): string[] {
  return Object.keys(FUSED_BACKENDS);
}

/** Runs the fused kernel on the active backend (call {@link fusedKernelAvailable} first). */
export function runChannelFilter(grad: tf.Tensor, spec: ResolvedMetricSpec, metric: FusedMetric): tf.Tensor {
  const { outer, n, inner } = fibreLayout(grad.shape, spec.axis);
  const attrs: FibreFilterParams = {
    metric,
    lambda: spec.lambda,
    sigma: spec.sigma,
    formulation: spec.formulation,
    mix: spec.mix,
    outer,
    n,
    inner,
  };
  return tf.engine().runKernel(CHANNEL_FILTER_KERNEL, { x: grad }, attrs as unknown as tf.NamedAttrMap);
}
