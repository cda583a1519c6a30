import { resolveSpec, type MetricRegistry, type MetricSpec } from '@cdg/core';
import { ALL_CONVOLUTION_LAYERS, CONVOLUTION_KERNEL_ROLES, channelLayout } from './layout';
import type { Direction, LayerRule, NameMatcher, WeightAssignment, WeightInfo } from './types';

/** The paper's setup: `sobolev` λ=1 along the output-channel axis of every convolution kernel. */
export const DEFAULT_RULES: readonly LayerRule[] = Object.freeze([
  Object.freeze({
    name: 'default: sobolev on convolution kernels',
    layerType: ALL_CONVOLUTION_LAYERS,
    weight: CONVOLUTION_KERNEL_ROLES,
    metric: 'sobolev',
    lambda: 1,
    direction: 'output' as const,
  }),
]);

const RULE_KEYS = new Set([
  'name', 'layer', 'layerType', 'weight', 'variable', 'where',
  'metric', 'lambda', 'sigma', 'formulation', 'mix', 'direction', 'axis', 'weightDecay',
]);
const DIRECTIONS: readonly Direction[] = ['output', 'input', 'rasterized'];
const MATCHER_KEYS = ['layer', 'layerType', 'weight', 'variable'] as const;

export function ruleLabel(rule: LayerRule, index: number): string {
  return rule.name ?? `rule ${index}`;
}

function where(rule: LayerRule, index: number): string {
  return rule.name ? `rule ${index} ("${rule.name}")` : `rule ${index}`;
}

function isMatcher(m: unknown): boolean {
  const one = (x: unknown) => typeof x === 'string' || x instanceof RegExp;
  return one(m) || (Array.isArray(m) && m.length > 0 && m.every(one));
}

export function matchName(matcher: NameMatcher | undefined, value: string | null): boolean {
  if (matcher === undefined) return true;
  if (value == null) return false;
  const list: ReadonlyArray<string | RegExp> = typeof matcher === 'string' || matcher instanceof RegExp ? [matcher] : matcher;
  return list.some((m) => {
    if (typeof m === 'string') return m === value;
    m.lastIndex = 0; // a /g or /y RegExp keeps state between test() calls
    return m.test(value);
  });
}

export function ruleMatches(rule: LayerRule, info: WeightInfo): boolean {
  return (
    matchName(rule.layer, info.layer) &&
    matchName(rule.layerType, info.layerType) &&
    matchName(rule.weight, info.weight) &&
    matchName(rule.variable, info.variable) &&
    (rule.where === undefined || rule.where(info) === true)
  );
}

function specOf(rule: LayerRule, axis: number | 'rasterized' | undefined): MetricSpec {
  const spec: MetricSpec = { metric: rule.metric };
  if (rule.lambda !== undefined) spec.lambda = rule.lambda;
  if (rule.sigma !== undefined) spec.sigma = rule.sigma;
  if (rule.formulation !== undefined) spec.formulation = rule.formulation;
  if (rule.mix !== undefined) spec.mix = rule.mix;
  if (axis !== undefined) spec.axis = axis;
  return spec;
}

/** Checks a rule list up front; every error names the rule and what would be right. */
export function validateRules(rules: readonly LayerRule[], registry: MetricRegistry): void {
  if (!Array.isArray(rules)) throw new Error(`rules must be an array of rule objects, got ${typeof rules}`);
  rules.forEach((rule, i) => {
    if (rule == null || typeof rule !== 'object') throw new Error(`rule ${i} must be an object, got ${String(rule)}`);
    const at = where(rule, i);
    for (const key of Object.keys(rule)) {
      if (!RULE_KEYS.has(key)) throw new Error(`${at}: unknown field "${key}"; known fields: ${[...RULE_KEYS].join(', ')}`);
    }
    if (rule.name !== undefined && typeof rule.name !== 'string') throw new Error(`${at}: name must be a string`);
    for (const key of MATCHER_KEYS) {
      if (rule[key] !== undefined && !isMatcher(rule[key])) {
        throw new Error(`${at}: ${key} must be a string, a RegExp or a non-empty array of them, got ${String(rule[key])}`);
      }
    }
    if (rule.where !== undefined && typeof rule.where !== 'function') throw new Error(`${at}: where must be a function (info) => boolean`);
    if (typeof rule.metric !== 'string' || rule.metric.length === 0) {
      throw new Error(`${at}: metric must be a metric name (one of ${registry.names().join(', ')}), got ${String(rule.metric)}`);
    }
    if (!registry.has(rule.metric)) {
      throw new Error(`${at}: unknown metric "${rule.metric}"; known metrics: ${registry.names().join(', ')} (register custom ones with registerMetric in the container)`);
    }
    if (rule.direction !== undefined && !DIRECTIONS.includes(rule.direction)) {
      throw new Error(`${at}: direction must be one of ${DIRECTIONS.join(', ')}, got ${String(rule.direction)}`);
    }
    if (rule.direction !== undefined && rule.axis !== undefined) {
      throw new Error(`${at}: give either direction (resolved per layer class) or axis (a raw tensor axis), not both`);
    }
    if (rule.axis !== undefined && rule.axis !== 'rasterized' && !Number.isInteger(rule.axis)) {
      throw new Error(`${at}: axis must be an integer or 'rasterized', got ${String(rule.axis)}`);
    }
    if (rule.weightDecay !== undefined && !(typeof rule.weightDecay === 'number' && Number.isFinite(rule.weightDecay) && rule.weightDecay >= 0)) {
      throw new Error(`${at}: weightDecay must be a finite number >= 0, got ${String(rule.weightDecay)}`);
    }
    try {
      const resolved = resolveSpec(specOf(rule, undefined), 1);
      registry.get(rule.metric).validate?.(resolved);
    } catch (e) {
      throw new Error(`${at}: ${(e as Error).message}`);
    }
  });
}

/** Picks the first matching rule for one weight and resolves its axis; unmatched → l2 pass-through. */
export function assignRule(info: WeightInfo, rules: readonly LayerRule[], registry: MetricRegistry, defaultDecay: number): WeightAssignment {
  const rank = info.shape.length;
  const layout = channelLayout(info.layerType, info.weight, rank);
  const index = rules.findIndex((r) => ruleMatches(r, info));
  if (index < 0) {
    return {
      ...info, ruleIndex: -1, rule: 'unmatched (l2)', metric: 'l2', lambda: 1, sigma: 1, formulation: 'exact', mix: 0,
      direction: null, axis: null, rasterOrder: null, outputAxis: layout.output, weightDecay: defaultDecay, passThrough: true,
    };
  }
  const rule = rules[index];
  const at = `${where(rule, index)} on ${info.layerType ?? 'weight'} "${info.variable}" (shape [${info.shape.join(', ')}])`;
  let axis: number | 'rasterized';
  let rasterOrder: number[] | null = null;
  let direction: Direction | null = null;
  if (rule.axis !== undefined) {
    axis = rule.axis;
  } else {
    direction = rule.direction ?? 'output';
    if (rank === 0) axis = 'rasterized'; // a scalar is one fibre of length 1
    else if (direction === 'rasterized') {
      axis = 'rasterized';
      const order = layout.rasterOrder;
      if (order.some((a, i) => a !== i)) rasterOrder = order;
    } else {
      const a = layout[direction];
      if (a === null) {
        throw new Error(
          `${at}: this weight has no ${direction}-channel axis` +
            (info.weight ? ` (role "${info.weight}")` : '') +
            `; use direction 'output' or 'rasterized', or narrow the rule (e.g. weight: 'kernel')`,
        );
      }
      axis = a;
    }
  }
  const decay = rule.weightDecay ?? defaultDecay;
  let spec;
  try {
    spec = resolveSpec(specOf(rule, axis), rank);
    registry.get(spec.metric).validate?.(spec);
  } catch (e) {
    throw new Error(`${at}: ${(e as Error).message}`);
  }
  return {
    ...info, ruleIndex: index, rule: ruleLabel(rule, index), metric: spec.metric, lambda: spec.lambda, sigma: spec.sigma,
    formulation: spec.formulation, mix: spec.mix, direction, axis: spec.axis, rasterOrder,
    outputAxis: layout.output, weightDecay: decay, passThrough: false,
  };
}

/** A fixed-width text table of assignments, for logs. */
export function formatAssignments(rows: readonly WeightAssignment[]): string {
  const header = ['variable', 'layer type', 'weight', 'shape', 'rule', 'metric', 'axis', 'decay'];
  const cells = rows.map((a) => [
    a.variable, a.layerType ?? '?', a.weight ?? '?', `[${a.shape.join(',')}]`, a.rule,
    a.passThrough ? 'l2 (untouched)' : a.metric === 'sobolev' || a.metric === 'reweighted-l2' ? `${a.metric} λ=${a.lambda}` : a.metric === 'laplacian-smoothing' ? `${a.metric} σ=${a.sigma}` : a.metric,
    a.axis === null ? '-' : a.direction ? `${a.direction}${a.axis === 'rasterized' ? '' : ` (${a.axis})`}` : String(a.axis),
    String(a.weightDecay),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}
