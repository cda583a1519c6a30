// @cdg/core: channel-directed metric strategies and transformGradient.
import 'reflect-metadata';

export * from './types';
export { MetricRegistry, METRIC_STRATEGY } from './registry';
export { resolveSpec } from './spec';
export { BUILTIN_METRICS, builtinRegistry, createMetricContainer, registerMetric } from './container';
export { transformGradient } from './transform';
export { L2Metric } from './strategies/l2';
export { ReweightedL2Metric } from './strategies/reweighted_l2';
export { SobolevMetric } from './strategies/sobolev';
export { LaplacianSmoothingMetric } from './strategies/laplacian_smoothing';
export { FusedFilterMetric } from './strategies/fused_filter';
export { fibreLayout, type FibreLayout } from './layout';
export { filterFibres, type FibreFilterParams, type FusedMetric } from './fibre';
export {
  alongFibres,
  laplacianComposite,
  laplacianImpulse,
  laplacianRoot,
  reweightedComposite,
  sobolevComposite,
} from './composite';
export { CHANNEL_FILTER_KERNEL, fusedKernelAvailable, fusedKernelBackends, runChannelFilter } from './kernels/channel_filter';
export { wasmSimdFiltersActive } from './kernels/wasm';
