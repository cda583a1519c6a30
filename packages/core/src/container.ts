import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { MetricRegistry, METRIC_STRATEGY } from './registry';
import { L2Metric } from './strategies/l2';
import { LaplacianSmoothingMetric } from './strategies/laplacian_smoothing';
import { ReweightedL2Metric } from './strategies/reweighted_l2';
import { SobolevMetric } from './strategies/sobolev';
import type { MetricStrategy } from './types';

export const BUILTIN_METRICS = [L2Metric, ReweightedL2Metric, SobolevMetric, LaplacianSmoothingMetric];

/** A child container with the built-in metrics and a MetricRegistry registered. */
export function createMetricContainer(parent: DependencyContainer = rootContainer): DependencyContainer {
  const c = parent.createChildContainer();
  for (const cls of BUILTIN_METRICS) c.register<MetricStrategy>(METRIC_STRATEGY, { useClass: cls as new () => MetricStrategy });
  c.registerSingleton(MetricRegistry);
  return c;
}

/**
 * Registers a user metric (a class or an instance) in a container, usable by name everywhere a
 * built-in name works once the MetricRegistry is resolved from that container. A registry resolved
 * earlier keeps its old list; resolve again after registering.
 */
export function registerMetric(c: DependencyContainer, strategy: MetricStrategy | (new (...args: any[]) => MetricStrategy)): void {
  if (strategy == null || (typeof strategy !== 'function' && typeof strategy !== 'object')) {
    throw new Error(`registerMetric: expected a MetricStrategy instance or class, got ${String(strategy)}`);
  }
  // tsyringe's resolveAll on a child sees only the child's own registrations once it has any:
  // carry the inherited strategies down first so the built-ins stay visible.
  if (!c.isRegistered(METRIC_STRATEGY, false) && c.isRegistered(METRIC_STRATEGY, true)) {
    for (const s of c.resolveAll<MetricStrategy>(METRIC_STRATEGY)) c.register<MetricStrategy>(METRIC_STRATEGY, { useValue: s });
  }
  if (typeof strategy === 'function') c.register(METRIC_STRATEGY, { useClass: strategy });
  else c.register(METRIC_STRATEGY, { useValue: strategy });
  c.registerSingleton(MetricRegistry); // a fresh registry that includes the new strategy
}

let defaultRegistry: MetricRegistry | null = null;
/** The registry of built-in metrics used when no registry is passed. */
export function builtinRegistry(): MetricRegistry {
  if (!defaultRegistry) defaultRegistry = new MetricRegistry(BUILTIN_METRICS.map((C) => new C()));
  return defaultRegistry;
}
