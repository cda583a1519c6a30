import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Plain-number measurements; every value in metrics.json is a finite number or null. */
export type Metrics = Record<string, number>;

/** Options every `cdg train <task>` shares (CLI flags in camelCase). Task adapters add their own. */
export interface CommonTrainConfig {
  task: string;
  dataset: string;
  dataDir?: string;
  model?: string;
  optimizer: 'sgd' | 'momentum' | 'adam';
  lr: number;
  momentum: number;
  weightDecay: number;
  metric: string;
  lambda: number;
  sigma: number;
  formulation: 'exact' | 'paper';
  direction: 'output' | 'input' | 'rasterized';
  mix: number;
  batchSize: number;
  epochs: number;
  maxSteps?: number;
  lrSchedule: 'constant' | 'step' | 'cosine';
  lrStepEpochs: number;
  lrStepFactor: number;
  seed: number;
  backend: string;
  out: string;
  resume: boolean;
}

/** One optimizer the trainer drives: it sets `learningRate = baseLearningRate × schedule(epoch)` and checkpoints its state. */
export interface OptimizerSlot {
  name: string; // 'model', or 'generator' / 'discriminator'
  optimizer: tf.Optimizer;
  baseLearningRate: number;
}

/** What the trainer hands an adapter. */
export interface TaskContext {
  config: CommonTrainConfig & Record<string, unknown>;
  outDir: string;
  log: (message: string) => void;
}

/**
 * A task (classification, segmentation, GAN) as the one shared trainer sees it. The trainer owns
 * the loop, schedules, evaluation cadence, checkpoints, resume, progress and metrics.json; the
 * adapter owns data, models, losses and task metrics.
 */
export interface TaskAdapter<Batch = unknown> {
  readonly task: string;
  /** Networks saved in checkpoints, by name. */
  models(): Record<string, LayersModel>;
  /** Optimizers (already wrapped with channelDirected), saved in checkpoints and scheduled. */
  optimizers(): OptimizerSlot[];
  /** Training steps in one epoch. */
  stepsPerEpoch(): number;
  /** Training batches of one epoch, deterministic given (seed, epoch); the trainer may stop early. Batches own their tensors: the trainer disposes nothing, the adapter disposes each batch after its step. */
  trainBatches(epoch: number): AsyncIterable<Batch>;
  /** One optimization step (the GAN: D then G). Returns plain-number losses. Must not leak tensors. */
  trainStep(batch: Batch, step: number): Metrics | Promise<Metrics>;
  /** After each epoch: test-split metrics (e.g. { loss, accuracy }), plus any train-split ones prefixed `train`. */
  evaluate(epoch: number): Promise<Metrics>;
  /** Artefacts per epoch (prediction PNGs, sample grids). */
  onEpochEnd?(epoch: number, outDir: string): Promise<void>;
  /** JSON description of the hook configuration (rules per optimizer), stored in checkpoints and config. */
  describeHooks?(): unknown;
  dispose(): void;
}

/** How the CLI learns a task: its flags and a factory. Each adapter package exports one. */
export interface TaskDefinition {
  task: string;
  describe: string;
  /** yargs option definitions for task-specific flags (e.g. `--g-lr`). */
  options: Record<string, { type: 'string' | 'number' | 'boolean'; describe: string; default?: unknown; choices?: readonly unknown[] }>;
  /** Task defaults for common flags (e.g. { lr: 0.01, batchSize: 32, dataset: 'mnist' }). */
  defaults: Partial<CommonTrainConfig>;
  /**
   * Defaults that depend on `--dataset`: for a run on that dataset they replace `defaults` for every
   * common flag not given on the command line (e.g. the paper's VOC optimizer settings).
   */
  datasetDefaults?: Record<string, Partial<CommonTrainConfig>>;
  create(ctx: TaskContext): Promise<TaskAdapter>;
}
