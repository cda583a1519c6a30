import * as tf from '@tensorflow/tfjs-core';
import * as hook from '@cdg/hook';
import type { CommonTrainConfig } from './types';

/** Convolution classes whose `kernel` the default rule transforms (the paper's main setting). */
export const CONV_LAYER_TYPES = ['Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose', 'SeparableConv2D'] as const;

/** One flat hook rule, as @cdg/hook's `channelDirected` takes them. */
export interface HookRuleConfig {
  name?: string;
  layer?: string | RegExp | ReadonlyArray<string | RegExp>;
  layerType?: string | RegExp | ReadonlyArray<string | RegExp>;
  weight?: string | RegExp | ReadonlyArray<string | RegExp>;
  direction?: 'output' | 'input' | 'rasterized';
  metric: string;
  lambda?: number;
  sigma?: number;
  formulation?: 'exact' | 'paper';
  mix?: number;
}

type HookFlags = Pick<CommonTrainConfig, 'metric' | 'lambda' | 'sigma' | 'formulation' | 'direction' | 'mix'>;

/**
 * The rules the common flags describe: the chosen metric on every convolution kernel (all other
 * weights plain L2). `--metric l2` therefore trains exactly like the unwrapped optimizer.
 */
export function hookRulesFromConfig(cfg: HookFlags): HookRuleConfig[] {
  return [
    {
      name: `conv kernels: ${cfg.metric}`,
      layerType: [...CONV_LAYER_TYPES],
      weight: ['kernel', 'pointwise_kernel'],
      metric: cfg.metric,
      lambda: cfg.lambda,
      sigma: cfg.sigma,
      formulation: cfg.formulation,
      direction: cfg.direction,
      mix: cfg.mix,
    },
  ];
}

/** The inner tfjs optimizer for `--optimizer sgd|momentum|adam`. */
export function createBaseOptimizer(kind: CommonTrainConfig['optimizer'], lr: number, momentum = 0.9): tf.Optimizer {
  switch (kind) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, momentum);
    case 'adam':
      return tf.train.adam(lr);
    default:
      throw new Error(`optimizer must be 'sgd', 'momentum' or 'adam', got ${String(kind)}`);
  }
}

export interface HookedOptimizerOptions {
  config: Pick<CommonTrainConfig, 'optimizer' | 'lr' | 'momentum' | 'weightDecay'> & HookFlags;
  /** The network this optimizer trains (the hook reads layer classes from it). */
  model: unknown;
  /** Rules to use instead of the ones the flags describe. */
  rules?: HookRuleConfig[];
  /** Learning rate instead of `config.lr` (e.g. the GAN's D). */
  lr?: number;
  /** A tsyringe container (from @cdg/hook's createHookContainer or @cdg/core's createMetricContainer). */
  container?: unknown;
  label?: string;
  onNonFinite?: 'throw' | 'skip';
}

/** The optimizer the flags describe, wrapped with @cdg/hook's `channelDirected` (weight decay applied by the hook after the transform). */
export function createHookedOptimizer(opts: HookedOptimizerOptions): tf.Optimizer {
  const { config } = opts;
  const inner = createBaseOptimizer(config.optimizer, opts.lr ?? config.lr, config.momentum);
  const channelDirected = (hook as Record<string, unknown>).channelDirected as undefined | ((o: tf.Optimizer, options: Record<string, unknown>) => tf.Optimizer);
  if (typeof channelDirected !== 'function') throw new Error('@cdg/hook does not export channelDirected (is the hook package built?)');
  return channelDirected(inner, {
    model: opts.model,
    rules: opts.rules ?? hookRulesFromConfig(config),
    weightDecay: config.weightDecay,
    container: opts.container,
    label: opts.label,
    onNonFinite: opts.onNonFinite ?? 'throw',
  });
}

/** `describe()` of a hooked optimizer, if it has one (for config.json and checkpoints). */
export function describeOptimizerHook(optimizer: tf.Optimizer): unknown {
  const d = (optimizer as unknown as { describe?: () => unknown }).describe;
  if (typeof d !== 'function') return null;
  try {
    return JSON.parse(JSON.stringify(d.call(optimizer), (_k, v) => (v instanceof RegExp ? String(v) : v)));
  } catch {
    return null;
  }
}
