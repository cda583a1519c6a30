import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { ChannelDirectedFactory, createHookContainer, type ChannelDirectedOptimizer, type LayerRule, type ModelLike } from '@cdg/hook';
import type { OptimizerSlot } from '@cdg/trainer';

export type GanNetworkName = 'generator' | 'discriminator';
export const GAN_NETWORKS: readonly GanNetworkName[] = ['generator', 'discriminator'];

/** One network's optimizer: inner tfjs optimizer, base learning rate, weight decay and hook rules. */
export interface GanOptimizerConfig {
  /** 'momentum' + weightDecay 5e-4 is the paper's SGD; 'adam' with β1 = 0, β2 = 0.999 is SPADE's. */
  optimizer: 'sgd' | 'momentum' | 'adam';
  learningRate: number;
  momentum?: number;
  /** Coupled weight decay added by the hook after the transform (PyTorch SGD's weight_decay). */
  weightDecay?: number;
  adamBeta1?: number;
  adamBeta2?: number;
  /** The hook's per-layer rules for this network only. */
  rules: LayerRule[];
  onNonFinite?: 'throw' | 'skip';
}

function finite(name: string, v: unknown, min: number, strict: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (strict ? v <= min : v < min)) {
    throw new Error(`${name} must be a finite number ${strict ? '>' : '>='} ${min}, got ${String(v)}`);
  }
  return v;
}

/** The inner tfjs optimizer of one network. */
export function createInnerOptimizer(c: GanOptimizerConfig, who: string): tf.Optimizer {
  const lr = finite(`${who} learning rate`, c.learningRate, 0, true);
  switch (c.optimizer) {
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, finite(`${who} momentum`, c.momentum ?? 0.9, 0, false));
    case 'adam':
      return tf.train.adam(lr, finite(`${who} adam beta1`, c.adamBeta1 ?? 0, 0, false), finite(`${who} adam beta2`, c.adamBeta2 ?? 0.999, 0, false), 1e-8);
    default:
      throw new Error(`${who} optimizer must be 'sgd', 'momentum' or 'adam', got ${String(c.optimizer)}`);
  }
}

export interface GanOptimizers {
  slots: OptimizerSlot[];
  optimizers: Record<GanNetworkName, ChannelDirectedOptimizer>;
  /** The child container each optimizer was resolved from (its rules, metrics, label). */
  containers: Record<GanNetworkName, DependencyContainer>;
}

/**
 * Builds G's and D's optimizers, each from its own child container (created with @cdg/hook's
 * createHookContainer under `parent`) holding that network's rules, weight decay and the label
 * ('generator' / 'discriminator') that its step events carry. `configure` may register more in a
 * child (e.g. a custom metric for D only) before the optimizer is resolved.
 */
export function createGanOptimizers(
  networks: Record<GanNetworkName, { model: LayersModel; config: GanOptimizerConfig }>,
  parent: DependencyContainer = rootContainer,
  configure?: (network: GanNetworkName, container: DependencyContainer) => void,
): GanOptimizers {
  const optimizers = {} as Record<GanNetworkName, ChannelDirectedOptimizer>;
  const containers = {} as Record<GanNetworkName, DependencyContainer>;
  const slots: OptimizerSlot[] = [];
  for (const name of GAN_NETWORKS) {
    const { model, config } = networks[name];
    const weightDecay = finite(`${name} weight decay`, config.weightDecay ?? 0, 0, false);
    const child = createHookContainer({ rules: config.rules, weightDecay, label: name, onNonFinite: config.onNonFinite ?? 'throw' }, parent);
    configure?.(name, child);
    const inner = createInnerOptimizer(config, name);
    const opt = child.resolve(ChannelDirectedFactory).wrap(inner, { model: model as unknown as ModelLike }); // LayersModel's Shape allows null; weights' shapes are concrete
    optimizers[name] = opt;
    containers[name] = child;
    slots.push({ name, optimizer: opt, baseLearningRate: config.learningRate });
  }
  return { slots, optimizers, containers };
}
