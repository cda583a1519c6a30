import 'reflect-metadata';
import { container as rootContainer, DependencyContainer, injectable, injectAll } from 'tsyringe';
import type { MetricStrategy } from './types';

/** tsyringe token under which every metric strategy is registered (multi-registration). */
export const METRIC_STRATEGY = 'cdg.MetricStrategy';

/** Looks strategies up by name. Built from every strategy registered under METRIC_STRATEGY. */
@injectable()
export class MetricRegistry {
  private readonly byName = new Map<string, MetricStrategy>();

  constructor(@injectAll(METRIC_STRATEGY) strategies: MetricStrategy[]) {
    for (const s of strategies) this.add(s);
  }

  add(strategy: MetricStrategy): this {
    if (!strategy || typeof strategy.name !== 'string' || strategy.name.length === 0) {
      throw new Error('a metric strategy needs a non-empty string `name`');
    }
    if (typeof strategy.apply !== 'function') {
      throw new Error(`metric strategy "${strategy.name}" has no apply(grad, spec) method`);
    }
    this.byName.set(strategy.name, strategy); // later registrations override earlier ones
    return this;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): MetricStrategy {
    const s = this.byName.get(name);
    if (!s) {
      throw new Error(`unknown metric "${name}"; known metrics: ${this.names().join(', ')}`);
    }
    return s;
  }
}

export type { DependencyContainer };
export { rootContainer };
