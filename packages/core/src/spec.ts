import type { MetricSpec, ResolvedMetricSpec } from './types';

function describe(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** Validates a spec against a tensor of the given rank and fills in defaults. Throws naming the culprit. */
export function resolveSpec(spec: MetricSpec, rank: number): ResolvedMetricSpec {
  if (spec == null || typeof spec !== 'object') throw new Error(`a metric spec must be an object like { metric: 'sobolev' }, got ${describe(spec)}`);
  if (typeof spec.metric !== 'string' || spec.metric.length === 0) throw new Error(`metric must be a non-empty string (e.g. 'sobolev'), got ${describe(spec.metric)}`);
  const lambda = spec.lambda ?? 1;
  const sigma = spec.sigma ?? 1;
  const mix = spec.mix ?? 0;
  const formulation = spec.formulation ?? 'exact';
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda <= 0) throw new Error(`lambda must be a finite number > 0, got ${describe(spec.lambda)}`);
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0) throw new Error(`sigma must be a finite number > 0, got ${describe(spec.sigma)}`);
  if (typeof mix !== 'number' || !Number.isFinite(mix)) throw new Error(`mix must be a finite number, got ${describe(spec.mix)}`);
  if (formulation !== 'exact' && formulation !== 'paper') throw new Error(`formulation must be 'exact' or 'paper', got ${describe(spec.formulation)}`);
  let axis: number | 'rasterized';
  const a = spec.axis ?? -1;
  if (a === 'rasterized') axis = a;
  else {
    if (typeof a !== 'number' || !Number.isInteger(a)) throw new Error(`axis must be an integer or 'rasterized', got ${describe(a)}`);
    if (rank === 0) throw new Error("cannot transform a scalar (rank 0) gradient along an axis; use axis: 'rasterized'");
    if (a < -rank || a >= rank) throw new Error(`axis ${a} is out of range for a rank-${rank} tensor (valid: ${-rank}..${rank - 1}, or 'rasterized')`);
    axis = a < 0 ? a + rank : a;
  }
  return { metric: spec.metric, lambda, sigma, axis, formulation, mix };
}
