import type * as tf from '@tensorflow/tfjs-core';

/** Names of the metrics shipped with @cdg/core. */
export type BuiltinMetricName = 'l2' | 'reweighted-l2' | 'sobolev' | 'laplacian-smoothing';

/** `exact`: the Riemannian gradient of method.md; `paper`: the recursions printed in the paper's code. */
export type Formulation = 'exact' | 'paper';

/** How one gradient tensor is transformed. */
export interface MetricSpec {
  /** A built-in metric name or a name registered by the user. */
  metric: BuiltinMetricName | (string & {});
  /** λ of reweighted-l2 and sobolev (default 1). Finite and > 0. */
  lambda?: number;
  /** σ of laplacian-smoothing (default 1). Finite and > 0. */
  sigma?: number;
  /** Axis the fibres run along; negative counts from the end (default -1); 'rasterized' = whole tensor flattened row-major. */
  axis?: number | 'rasterized';
  /** Default 'exact'. */
  formulation?: Formulation;
  /** α: adds α·grad to the transformed gradient (default 0). Finite. */
  mix?: number;
}

/** A spec after validation: every field present, axis normalized to a non-negative integer or 'rasterized'. */
export interface ResolvedMetricSpec {
  metric: string;
  lambda: number;
  sigma: number;
  axis: number | 'rasterized';
  formulation: Formulation;
  mix: number;
}

/**
 * One channel-directed metric. `apply` transforms every 1-D fibre of `grad` along `spec.axis`
 * (already normalized) and returns a new tensor; it must not dispose `grad`.
 */
export interface MetricStrategy {
  readonly name: string;
  /** True when `apply` already adds `spec.mix · grad`; otherwise transformGradient adds it. */
  readonly appliesMix?: boolean;
  /** Throws an Error naming the bad parameter; called before `apply`. */
  validate?(spec: ResolvedMetricSpec): void;
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor;
  /** The circulant filter's Fourier symbol s(k) for a fibre of length n (test oracle), if the metric is circulant. */
  symbol?(k: number, n: number, spec: ResolvedMetricSpec): number;
}
