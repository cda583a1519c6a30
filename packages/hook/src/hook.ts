import * as tf from '@tensorflow/tfjs-core';
import { Observable, type Subscriber } from 'rxjs';
import { inject, injectable } from 'tsyringe';
import { MetricRegistry, transformGradient, type MetricSpec } from '@cdg/core';
import { guessWeightInfo, indexModelWeights } from './layout';
import { assignRule, DEFAULT_RULES, validateRules } from './rules';
import type {
  GradientStepEvent, HookSettings, LayerRule, ModelLike, NonFinitePolicy, VariableGradient, WeightAssignment, WeightInfo,
} from './types';

/** tsyringe token for a container's HookSettings (rules, weight decay, non-finite policy, label). */
export const HOOK_SETTINGS = 'cdg.hook.Settings';
/** tsyringe token for a container's rule list (wins over `HookSettings.rules`). */
export const HOOK_RULES = 'cdg.hook.Rules';

const POLICIES: readonly NonFinitePolicy[] = ['throw', 'skip', 'ignore'];

interface DecaySetting {
  rate: number;
  mode: 'coupled' | 'decoupled';
}

function parseWeightDecay(option: HookSettings['weightDecay']): DecaySetting {
  if (option === undefined) return { rate: 0, mode: 'coupled' };
  const { rate, mode = 'coupled' } = typeof option === 'number' ? { rate: option } : (option ?? ({} as { rate?: unknown; mode?: unknown }));
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0) {
    throw new Error(`weightDecay must be a finite number >= 0 (or { rate, mode }), got ${String(rate)}`);
  }
  if (mode !== 'coupled' && mode !== 'decoupled') throw new Error(`weightDecay.mode must be 'coupled' or 'decoupled', got ${String(mode)}`);
  return { rate, mode };
}

/** One gradient after the hook: what goes to the inner optimizer, and what this step owns. */
export interface PreparedGradient {
  assignment: WeightAssignment;
  raw: tf.Tensor;
  transformed: tf.Tensor;
  applied: tf.Tensor;
}

/**
 * The per-optimizer part of channel-directed training: resolves which rule applies to each
 * variable, transforms gradients, applies weight decay, checks for non-finite values, and
 * publishes the step stream. `ChannelDirectedOptimizer` drives it from `applyGradients`.
 */
@injectable()
export class GradientHook {
  readonly label: string;
  readonly rules: readonly LayerRule[];
  readonly onNonFinite: NonFinitePolicy;
  readonly weightDecay: Readonly<DecaySetting>;
  /** The per-step stream; see GradientStepEvent for the lifetime of its tensors. */
  readonly steps$: Observable<GradientStepEvent>;

  private readonly subscribers = new Set<Subscriber<GradientStepEvent>>();
  private readonly assignments = new Map<string, WeightAssignment>();
  private model: ModelLike | null = null;
  private modelIndex: ReturnType<typeof indexModelWeights> | null = null;
  private closed = false;

  constructor(
    @inject(MetricRegistry) readonly registry: MetricRegistry,
    @inject(HOOK_SETTINGS, { isOptional: true }) settings: HookSettings = {},
    @inject(HOOK_RULES, { isOptional: true }) rules?: readonly LayerRule[],
  ) {
    if (!(registry instanceof MetricRegistry)) throw new Error('GradientHook needs a MetricRegistry (from createMetricContainer or builtinRegistry())');
    settings = settings ?? {};
    this.rules = rules ?? settings.rules ?? DEFAULT_RULES;
    validateRules(this.rules, registry);
    this.weightDecay = parseWeightDecay(settings.weightDecay);
    this.onNonFinite = settings.onNonFinite ?? 'throw';
    if (!POLICIES.includes(this.onNonFinite)) throw new Error(`onNonFinite must be one of ${POLICIES.join(', ')}, got ${String(settings.onNonFinite)}`);
    if (settings.label !== undefined && typeof settings.label !== 'string') throw new Error(`label must be a string, got ${String(settings.label)}`);
    this.label = settings.label ?? 'optimizer';
    this.steps$ = new Observable<GradientStepEvent>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers.add(subscriber);
      return () => {
        this.subscribers.delete(subscriber);
      };
    });
  }

  /** Tells the hook which model's weights it trains (layer names and classes come from it). */
  attachModel(model: ModelLike | null | undefined): this {
    this.model = model ?? null;
    this.modelIndex = null;
    this.assignments.clear();
    if (this.model) this.modelIndex = indexModelWeights(this.model);
    return this;
  }

  /** True while someone listens to `steps$`. */
  get observed(): boolean {
    return this.subscribers.size > 0;
  }

  private infoFor(variable: string, shape: number[]): WeightInfo {
    if (this.model) {
      let found = this.modelIndex?.get(variable);
      if (!found) {
        this.modelIndex = indexModelWeights(this.model); // layers built or added since
        found = this.modelIndex.get(variable);
      }
      if (found) return { variable, layer: found.layer, layerType: found.layerType, weight: found.weight, shape };
    }
    return guessWeightInfo(variable, shape);
  }

  /** The rule assignment of one variable (cached per name and shape). */
  assignmentFor(variable: string, shape: readonly number[]): WeightAssignment {
    const cached = this.assignments.get(variable);
    if (cached && cached.shape.length === shape.length && cached.shape.every((d, i) => d === shape[i])) return cached;
    const a = assignRule(this.infoFor(variable, [...shape]), this.rules, this.registry, this.weightDecay.rate);
    this.assignments.set(variable, a);
    return a;
  }

  /**
   * Which rule applies to which weight: every trainable weight of the model, or the given
   * variables, or (without either) the variables seen in steps so far.
   */
  describe(variables?: ReadonlyArray<{ name: string; shape: readonly number[] }>): WeightAssignment[] {
    if (variables) return variables.map((v) => ({ ...this.assignmentFor(v.name, v.shape) }));
    if (this.model) {
      const out: WeightAssignment[] = [];
      const index = (this.modelIndex = indexModelWeights(this.model));
      const trainable = (this.model as unknown as { trainableWeights?: Array<{ name: string; shape: number[] }> }).trainableWeights;
      const list = trainable ?? this.model.layers.flatMap((l) => l.weights);
      for (const w of list) if (index.has(w.name)) out.push({ ...this.assignmentFor(w.name, w.shape as readonly number[]) });
      return out;
    }
    return [...this.assignments.values()].map((a) => ({ ...a }));
  }

  /** Transforms one gradient by its rule and adds coupled weight decay. Caller disposes `transformed`/`applied` when not `raw`. */
  prepare(variable: string, raw: tf.Tensor): PreparedGradient {
    const assignment = this.assignmentFor(variable, raw.shape);
    const decayed = assignment.weightDecay > 0 && this.weightDecay.mode === 'coupled' ? registeredVariable(variable) : null;
    let transformed = raw;
    if (!assignment.passThrough && raw.dtype === 'float32') transformed = this.transform(raw, assignment);
    let applied = transformed;
    if (decayed) {
      try {
        applied = tf.tidy(() => tf.add(transformed, tf.mul(decayed, assignment.weightDecay))); // PyTorch SGD: g + wd·w
      } catch (e) {
        if (transformed !== raw) transformed.dispose();
        throw e;
      }
    }
    return { assignment, raw, transformed, applied };
  }

  private transform(raw: tf.Tensor, a: WeightAssignment): tf.Tensor {
    const spec: MetricSpec = { metric: a.metric, lambda: a.lambda, sigma: a.sigma, formulation: a.formulation, mix: a.mix, axis: a.axis ?? undefined };
    const order = a.rasterOrder;
    if (!order) return transformGradient(raw, spec, this.registry);
    return tf.tidy(() => {
      // Flatten in PyTorch's [out, in, ...spatial] order: permute, transform the flat fibre, permute back.
      const inverse = new Array<number>(order.length);
      order.forEach((p, i) => (inverse[p] = i));
      const permuted = tf.transpose(raw, order);
      return tf.transpose(transformGradient(permuted, spec, this.registry), inverse);
    });
  }

  /** Variables whose applied gradient has NaN/±Inf entries, with counts. One device sync. */
  findNonFinite(prepared: ReadonlyArray<PreparedGradient | null>): Array<{ name: string; count: number }> {
    const live = prepared.filter((p): p is PreparedGradient => p !== null && p.applied.dtype === 'float32');
    if (live.length === 0) return [];
    // x·0 is 0 for finite x and NaN for NaN/±Inf, so each sum is NaN exactly when a non-finite entry exists.
    const probe = tf.tidy(() => tf.stack(live.map((p) => tf.sum(tf.mul(p.applied, 0)))));
    const flags = probe.dataSync();
    probe.dispose();
    const bad: Array<{ name: string; count: number }> = [];
    flags.forEach((f, i) => {
      if (Number.isNaN(f)) {
        const c = tf.tidy(() => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(live[i].applied)), 'int32')));
        bad.push({ name: live[i].assignment.variable, count: c.dataSync()[0] });
        c.dispose();
      }
    });
    return bad;
  }

  /** Delivers one event to every subscriber; returns errors thrown synchronously by them (RxJS normally reports those itself). */
  emit(step: number, skipped: boolean, nonFinite: Array<{ name: string; count: number }>, prepared: ReadonlyArray<PreparedGradient | null>): unknown[] {
    if (this.subscribers.size === 0) return [];
    const variables: VariableGradient[] = [];
    for (const p of prepared) {
      if (!p) continue;
      const a = p.assignment;
      variables.push({
        name: a.variable, layer: a.layer, layerType: a.layerType, weight: a.weight, rule: a.rule, ruleIndex: a.ruleIndex,
        metric: a.passThrough ? 'l2' : a.metric, outputAxis: a.outputAxis, raw: p.raw, transformed: p.transformed, applied: p.applied,
      });
    }
    const event: GradientStepEvent = { step, label: this.label, skipped, nonFinite, variables };
    const errors: unknown[] = [];
    for (const s of [...this.subscribers]) {
      try {
        s.next(event);
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }

  /** Completes the stream; later subscribers complete at once. */
  close(): void {
    this.closed = true;
    for (const s of [...this.subscribers]) s.complete();
    this.subscribers.clear();
  }
}

/** The tf.Variable a gradient belongs to (how tfjs optimizers find it too). */
export function registeredVariable(name: string): tf.Variable {
  const v = tf.engine().registeredVariables[name];
  if (!v) throw new Error(`no tf.Variable named "${name}" is registered; gradients must be keyed by variable name`);
  return v;
}
