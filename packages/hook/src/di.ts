import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { inject, injectable, container as rootContainer, type DependencyContainer } from 'tsyringe';
import { createMetricContainer, MetricRegistry } from '@cdg/core';
import { HOOK_RULES, HOOK_SETTINGS } from './hook';
import { channelDirected, type ChannelDirectedOptimizer } from './optimizer';
import type { ChannelDirectedOptions, HookSettings, LayerRule } from './types';

/**
 * Builds channel-directed optimizers from one container's metrics and settings. Resolve it from a
 * container made by `createHookContainer`; each container (the GAN's G and D) has its own.
 */
@injectable()
export class ChannelDirectedFactory {
  constructor(
    @inject(MetricRegistry) private readonly registry: MetricRegistry,
    @inject(HOOK_SETTINGS, { isOptional: true }) private readonly settings: HookSettings = {},
    @inject(HOOK_RULES, { isOptional: true }) private readonly rules?: readonly LayerRule[],
  ) {}

  /** Wraps `optimizer`; `options` (model, or overrides of the container's settings) win over the container's. */
  wrap(optimizer: tf.Optimizer, options: Omit<ChannelDirectedOptions, 'container' | 'registry'> = {}): ChannelDirectedOptimizer {
    const merged: ChannelDirectedOptions = { ...(this.settings ?? {}), registry: this.registry };
    if (this.rules) merged.rules = this.rules;
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    return channelDirected(optimizer, merged);
  }
}

/**
 * A child container holding the built-in metrics, a MetricRegistry, these hook settings (rules,
 * weight decay, non-finite policy, label; rules also under HOOK_RULES) and a ChannelDirectedFactory. Register custom metrics in
 * it with `registerMetric(container, metric)` before the first optimizer is built from it.
 */
export function createHookContainer(settings: HookSettings = {}, parent: DependencyContainer = rootContainer): DependencyContainer {
  const c = createMetricContainer(parent);
  c.register<HookSettings>(HOOK_SETTINGS, { useValue: settings });
  if (settings.rules) c.register<readonly LayerRule[]>(HOOK_RULES, { useValue: settings.rules });
  c.register(ChannelDirectedFactory, { useClass: ChannelDirectedFactory });
  return c;
}
