import * as tf from '@tensorflow/tfjs-core';
import type { Observable } from 'rxjs';
import { builtinRegistry, MetricRegistry } from '@cdg/core';
import { GradientHook, HOOK_RULES, HOOK_SETTINGS, registeredVariable, type PreparedGradient } from './hook';
import { formatAssignments } from './rules';
import type { ChannelDirectedOptions, GradientStepEvent, HookSettings, LayerRule, WeightAssignment } from './types';

/** tfjs-core's NamedTensor (not re-exported by its index). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

type Gradients = tf.NamedTensorMap | NamedTensor[];

interface LearningRateHolder {
  learningRate?: number;
  setLearningRate?: (lr: number) => void;
}

/**
 * A tf.Optimizer that replaces each gradient by its channel-directed version (per layer rule),
 * then lets the wrapped optimizer do its usual update. Usable in `model.compile({ optimizer })`
 * and in custom loops (`minimize`, `applyGradients` with a map or a list). Optimizer state,
 * iterations, serialization and the learning rate belong to the wrapped optimizer.
 */
export class ChannelDirectedOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'ChannelDirected';
  }

  readonly inner: tf.Optimizer;
  readonly hook: GradientHook;
  /** Steps skipped because of non-finite gradients (`onNonFinite: 'skip'`). */
  skippedSteps = 0;

  constructor(inner: tf.Optimizer, hook: GradientHook) {
    super();
    // tf.Optimizer's instanceof is duck-typed (and inherited), so recognise a wrapper by its own field
    if (!(inner instanceof tf.Optimizer) || (inner as Partial<ChannelDirectedOptimizer>).hook instanceof GradientHook) {
      throw new Error('channelDirected(optimizer): optimizer must be a tfjs optimizer such as tf.train.sgd(0.01) (and not already wrapped)');
    }
    this.inner = inner;
    this.hook = hook;
  }

  /** One event per step: raw and transformed gradient per variable, valid during synchronous delivery only. */
  get steps$(): Observable<GradientStepEvent> {
    return this.hook.steps$;
  }

  get label(): string {
    return this.hook.label;
  }

  override applyGradients(variableGradients: Gradients): void {
    const isList = Array.isArray(variableGradients);
    const names = isList ? variableGradients.map((g) => g.name) : Object.keys(variableGradients);
    const raws: Array<tf.Tensor | null | undefined> = isList
      ? variableGradients.map((g) => g.tensor)
      : names.map((n) => (variableGradients as tf.NamedTensorMap)[n]);
    const prepared: Array<PreparedGradient | null> = [];
    const owned = new Set<tf.Tensor>();
    let errors: unknown[] = [];
    try {
      raws.forEach((raw, i) => {
        if (raw == null) {
          prepared.push(null); // kept in place: tfjs optimizers keep their state by position
          return;
        }
        const p = this.hook.prepare(names[i], raw);
        if (p.transformed !== raw) owned.add(p.transformed);
        if (p.applied !== p.transformed) owned.add(p.applied);
        prepared.push(p);
      });
      const step = this.inner.iterations;
      const nonFinite = this.hook.onNonFinite === 'ignore' ? [] : this.hook.findNonFinite(prepared);
      if (nonFinite.length > 0) {
        if (this.hook.onNonFinite === 'throw') {
          const list = nonFinite.map((b) => `"${b.name}" (${b.count} of ${prepared.find((p) => p?.assignment.variable === b.name)?.raw.size} entries)`);
          throw new Error(
            `non-finite gradient at step ${step} of optimizer "${this.label}": ${list.join(', ')}; ` +
              `weights and optimizer state were left unchanged (use onNonFinite: 'skip' to skip such steps)`,
          );
        }
        this.skippedSteps++;
        errors = this.hook.emit(step, true, nonFinite, prepared);
        return;
      }
      if (this.hook.weightDecay.mode === 'decoupled') this.decayDecoupled(prepared);
      const forwarded: Gradients = isList
        ? names.map((name, i) => ({ name, tensor: prepared[i]?.applied ?? (raws[i] as tf.Tensor) }))
        : Object.fromEntries(names.map((name, i) => [name, prepared[i]?.applied ?? (raws[i] as tf.Tensor)]));
      this.inner.applyGradients(forwarded);
      errors = this.hook.emit(step, false, [], prepared);
    } finally {
      for (const t of owned) t.dispose();
    }
    if (errors.length > 0) throw errors[0]; // after the step is complete and its tensors released
  }

  /** AdamW-style: w ← w·(1 − lr·rate), before the inner step. */
  private decayDecoupled(prepared: ReadonlyArray<PreparedGradient | null>): void {
    const lr = this.learningRate;
    if (typeof lr !== 'number' || !Number.isFinite(lr)) {
      throw new Error(`decoupled weight decay needs the inner optimizer's numeric learningRate, got ${String(lr)}`);
    }
    for (const p of prepared) {
      if (!p || p.assignment.weightDecay === 0) continue;
      const v = registeredVariable(p.assignment.variable);
      const factor = 1 - lr * p.assignment.weightDecay;
      tf.tidy(() => {
        v.assign(tf.mul(v, factor));
      });
    }
  }

  /** The inner optimizer's learning rate. Setting it reaches the inner optimizer (sgd/momentum recompute their step constant). */
  get learningRate(): number {
    return (this.inner as unknown as LearningRateHolder).learningRate as number;
  }

  set learningRate(lr: number) {
    this.setLearningRate(lr);
  }

  setLearningRate(lr: number): void {
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new Error(`learningRate must be a finite number >= 0, got ${String(lr)}`);
    const inner = this.inner as unknown as LearningRateHolder;
    if (typeof inner.setLearningRate === 'function') inner.setLearningRate(lr); // SGD and Momentum cache −lr in a scalar
    else inner.learningRate = lr;
  }

  override get iterations(): number {
    return this.inner.iterations;
  }

  override getWeights(): Promise<NamedTensor[]> {
    return this.inner.getWeights();
  }

  override setWeights(weightValues: NamedTensor[]): Promise<void> {
    return this.inner.setWeights(weightValues);
  }

  override saveIterations(): Promise<NamedTensor> {
    return this.inner.saveIterations();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return this.inner.getConfig();
  }

  /** The inner optimizer's class name, so a saved model restores its optimizer state into a plain one of that class. */
  override getClassName(): string {
    return this.inner.getClassName();
  }

  override dispose(): void {
    this.hook.close();
    this.inner.dispose();
  }

  /** Which rule applies to which weight (all trainable weights of the model, or the variables seen so far). */
  describe(variables?: ReadonlyArray<{ name: string; shape: readonly number[] }>): WeightAssignment[] {
    return this.hook.describe(variables);
  }

  /** `describe()` as a text table. */
  describeTable(variables?: ReadonlyArray<{ name: string; shape: readonly number[] }>): string {
    return formatAssignments(this.describe(variables));
  }
}

/**
 * Wraps a tfjs optimizer so that every gradient is first replaced by its channel-directed
 * version, per layer rule. Without `rules`: `sobolev` λ=1 along the output channels of every
 * convolution kernel, everything else untouched.
 *
 *     const optimizer = channelDirected(tf.train.sgd(0.01), { model });
 *     model.compile({ optimizer, loss: 'categoricalCrossentropy' });
 */
export function channelDirected(optimizer: tf.Optimizer, options: ChannelDirectedOptions = {}): ChannelDirectedOptimizer {
  if (options == null || typeof options !== 'object') throw new Error(`channelDirected options must be an object, got ${String(options)}`);
  const { model, container, registry: givenRegistry, ...overrides } = options;
  let settings: HookSettings = {};
  let registry = givenRegistry;
  if (container) {
    if (typeof container.isRegistered !== 'function') throw new Error('options.container must be a tsyringe DependencyContainer');
    if (container.isRegistered(HOOK_SETTINGS, true)) settings = { ...(container.resolve<HookSettings>(HOOK_SETTINGS) ?? {}) };
    if (container.isRegistered(HOOK_RULES, true)) settings.rules = container.resolve<readonly LayerRule[]>(HOOK_RULES);
    if (!registry) {
      if (!container.isRegistered(MetricRegistry, true)) {
        throw new Error('options.container has no MetricRegistry; build it with createHookContainer() or createMetricContainer() from @cdg/core');
      }
      registry = container.resolve(MetricRegistry);
    }
  }
  const merged: HookSettings = { ...settings };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  const hook = new GradientHook(registry ?? builtinRegistry(), merged);
  if (model) hook.attachModel(model);
  return new ChannelDirectedOptimizer(optimizer, hook);
}
