import type * as tf from '@tensorflow/tfjs-core';
import type { DependencyContainer } from 'tsyringe';
import type { Formulation, MetricRegistry, MetricSpec } from '@cdg/core';

/**
 * Which axis of a weight a metric runs along, in the layer's own terms (method.md's table):
 * `output` = the output-channel axis, `input` = the input-channel axis, `rasterized` = the whole
 * kernel flattened in PyTorch `[out, in, ...spatial]` order.
 */
export type Direction = 'output' | 'input' | 'rasterized';

/** A string matches exactly; a RegExp is tested; an array matches if any element does. */
export type NameMatcher = string | RegExp | ReadonlyArray<string | RegExp>;

/** What the hook knows about one trainable variable. */
export interface WeightInfo {
  /** The tf.Variable's name, as it reaches `applyGradients` (e.g. `conv2d_Conv2D1/kernel`). */
  variable: string;
  /** Owning layer's name, or null if unknown. */
  layer: string | null;
  /** Owning layer's class (`'Conv2D'`, `'Dense'`, …), or null if unknown. */
  layerType: string | null;
  /** The weight's role in its layer (`'kernel'`, `'bias'`, `'gamma'`, `'depthwise_kernel'`, …), or null. */
  weight: string | null;
  shape: number[];
}

/**
 * One per-layer rule. Matchers left out match anything; every given matcher must match (AND).
 * Rules are tried in order and the first match wins; unmatched weights get plain `l2` (untouched).
 * The MetricSpec fields sit flat on the rule: `{ layerType: 'Conv2D', weight: 'kernel', metric: 'sobolev', lambda: 1 }`.
 */
export interface LayerRule {
  /** A label shown by `describe()` and in step events (default `rule <index>`). */
  name?: string;
  /** Matches the owning layer's name. */
  layer?: NameMatcher;
  /** Matches the owning layer's class name (`getClassName()`), e.g. `'Conv2D'`. */
  layerType?: NameMatcher;
  /** Matches the weight's role: `'kernel'`, `'bias'`, `'gamma'`, `'depthwise_kernel'`, … */
  weight?: NameMatcher;
  /** Matches the variable's full name (works without a model). */
  variable?: NameMatcher;
  /** Any further condition. */
  where?: (info: WeightInfo) => boolean;

  /** A built-in metric name or one registered in the container. */
  metric: MetricSpec['metric'];
  lambda?: number;
  sigma?: number;
  formulation?: Formulation;
  mix?: number;
  /** Default `'output'`. Resolved per layer class; see method.md's table. */
  direction?: Direction;
  /** An explicit axis of the TF tensor (or `'rasterized'` = row-major flatten), instead of `direction`. */
  axis?: number | 'rasterized';
  /** Overrides the optimizer-wide weight-decay rate for the weights this rule matches (e.g. 0 for biases). */
  weightDecay?: number;
}

/**
 * `coupled` (default): `g ← T(g) + rate·w` before the inner optimizer, as PyTorch SGD's `weight_decay`.
 * `decoupled`: `w ← w·(1 − lr·rate)` before the inner optimizer's step, as PyTorch's AdamW.
 */
export type WeightDecayOption = number | { rate: number; mode?: 'coupled' | 'decoupled' };

/** `throw` (default) names the variable; `skip` leaves weights and optimizer state untouched; `ignore` does not check (no device sync). */
export type NonFinitePolicy = 'throw' | 'skip' | 'ignore';

/** The structural part of a tfjs-layers LayersModel the hook reads (a `LayersModel` fits). */
export interface ModelLike {
  readonly layers: readonly LayerLike[];
}

export interface LayerLike {
  readonly name: string;
  getClassName(): string;
  readonly weights: ReadonlyArray<{ readonly name: string; readonly originalName: string; readonly shape: ReadonlyArray<number | null> }>;
}

/** Settings shared by every optimizer built from one container (see `createHookContainer`). */
export interface HookSettings {
  /** Ordered per-layer rules; default: `sobolev` λ=1 along the output axis of every convolution kernel. */
  rules?: readonly LayerRule[];
  weightDecay?: WeightDecayOption;
  onNonFinite?: NonFinitePolicy;
  /** Names the optimizer in step events, e.g. `'generator'`. */
  label?: string;
}

export interface ChannelDirectedOptions extends HookSettings {
  /** The model whose weights are trained, to know each weight's layer and class. */
  model?: ModelLike;
  /** A container from `createHookContainer` / `createMetricContainer`: metrics and settings come from it. */
  container?: DependencyContainer;
  /** Metric lookup (default: the container's, else the built-ins). */
  registry?: MetricRegistry;
}

/** Which rule applies to one weight, and how (the rows of `describe()`). */
export interface WeightAssignment extends WeightInfo {
  /** Index into the rules, or -1 when no rule matched (plain l2, untouched). */
  ruleIndex: number;
  /** The rule's label, or `'unmatched (l2)'`. */
  rule: string;
  metric: string;
  lambda: number;
  sigma: number;
  formulation: Formulation;
  mix: number;
  direction: Direction | null;
  /** The TF axis the metric runs along, `'rasterized'`, or null when the gradient passes through. */
  axis: number | 'rasterized' | null;
  /** For rasterized kernels: the permutation of TF axes giving PyTorch `[out, in, ...spatial]` order. */
  rasterOrder: number[] | null;
  /** The weight's output-channel axis (for stats), or null. */
  outputAxis: number | null;
  /** Coupled or decoupled weight-decay rate for this weight (0 = none). */
  weightDecay: number;
  /** True when the raw gradient is handed on unchanged (apart from weight decay). */
  passThrough: boolean;
}

/** One variable in a step event. The tensors are valid only during synchronous delivery. */
export interface VariableGradient {
  name: string;
  layer: string | null;
  layerType: string | null;
  weight: string | null;
  rule: string;
  ruleIndex: number;
  metric: string;
  outputAxis: number | null;
  /** The ordinary (L2) gradient, as it reached `applyGradients`. */
  raw: tf.Tensor;
  /** After the metric (may be the same tensor as `raw` for pass-through weights). */
  transformed: tf.Tensor;
  /** What the inner optimizer received: `transformed` plus coupled weight decay. */
  applied: tf.Tensor;
}

/**
 * One optimizer step. Delivered synchronously inside `applyGradients`, after the update (or after
 * deciding to skip it); every tensor in it is disposed (or handed back to its owner) as soon as
 * delivery returns. Turn it into numbers synchronously (the operators in this package do).
 */
export interface GradientStepEvent {
  /** The inner optimizer's `iterations` before this step (a skipped step repeats the next step's index). */
  step: number;
  /** The optimizer's label (`'generator'`, `'discriminator'`, …; default `'optimizer'`). */
  label: string;
  /** True when a non-finite gradient made the step be skipped (`onNonFinite: 'skip'`). */
  skipped: boolean;
  /** Variables whose applied gradient had NaN/±Inf entries (checked unless `onNonFinite: 'ignore'`). */
  nonFinite: Array<{ name: string; count: number }>;
  variables: VariableGradient[];
}
