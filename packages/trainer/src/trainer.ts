import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { writeJsonAtomic } from './atomic';
import { cleanCheckpointLeftovers, clearCheckpoints, findLatestCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { createProgress, ProgressMode } from './progress';
import { learningRateFactor, setOptimizerLearningRate } from './schedule';
import type { CommonTrainConfig, Metrics, TaskAdapter, TaskDefinition } from './types';

/** One line of metrics.json: numbers only (non-finite values are written as null). */
export type EpochRecord = Record<string, number | null>;

export interface TrainOptions {
  log?: (message: string) => void;
  /** `auto` (default): a bar with ETA when stderr is a TTY, plain lines otherwise. */
  progress?: ProgressMode;
  /** Called after each epoch's record is written. */
  onEpochEnd?: (record: EpochRecord) => void;
  /** Return after this many epochs of this call, as if interrupted after the checkpoint (tests, time budgets). */
  stopAfterEpochs?: number;
}

export interface TrainResult {
  history: EpochRecord[];
  /** Optimizer steps taken in total (including those before a resume). */
  steps: number;
  /** Epochs completed in total. */
  epochs: number;
  /** The epoch count the run resumed from, or null for a fresh run. */
  resumedFrom: number | null;
  /** Wall time of this call, seconds. */
  seconds: number;
  /** Mean optimizer steps per second of this call's training phases (evaluation excluded). */
  stepsPerSecond: number;
  checkpoint: string | null;
}

export const METRICS_FILE = 'metrics.json';
export const CONFIG_FILE = 'config.json';

function checkInt(name: string, v: unknown, min: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
}

/** Validates the loop's own settings (task-agnostic), naming the first bad one. */
export function validateTrainConfig(cfg: CommonTrainConfig): void {
  checkInt('epochs', cfg.epochs, 1);
  if (cfg.maxSteps !== undefined && cfg.maxSteps !== null) checkInt('maxSteps', cfg.maxSteps, 1);
  checkInt('batchSize', cfg.batchSize, 1);
  if (typeof cfg.lr !== 'number' || !Number.isFinite(cfg.lr) || cfg.lr <= 0) throw new Error(`lr must be a finite number > 0, got ${String(cfg.lr)}`);
  if (!['constant', 'step', 'cosine'].includes(cfg.lrSchedule)) throw new Error(`lrSchedule must be 'constant', 'step' or 'cosine', got ${String(cfg.lrSchedule)}`);
  if (cfg.lrSchedule === 'step') {
    checkInt('lrStepEpochs', cfg.lrStepEpochs, 1);
    if (!Number.isFinite(cfg.lrStepFactor) || cfg.lrStepFactor <= 0) throw new Error(`lrStepFactor must be a finite number > 0, got ${String(cfg.lrStepFactor)}`);
  }
  if (typeof cfg.out !== 'string' || cfg.out.length === 0) throw new Error('out must name an output folder');
}

function paramCount(adapter: TaskAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, m] of Object.entries(adapter.models())) out[name] = m.countParams();
  return out;
}

function trainKey(k: string): string {
  return `train${k.charAt(0).toUpperCase()}${k.slice(1)}`;
}

/**
 * The one training loop. For each epoch: set every optimizer's learning rate from the schedule,
 * run the adapter's steps (stopping at `maxSteps` in total), evaluate, append a record to
 * metrics.json, and write a checkpoint (all models, all optimizer states, hook config, epoch, step,
 * RNG state). With `config.resume` it continues from the newest complete checkpoint in `config.out`.
 */
export async function train(adapter: TaskAdapter, config: CommonTrainConfig & Record<string, unknown>, opts: TrainOptions = {}): Promise<TrainResult> {
  validateTrainConfig(config);
  const log = opts.log ?? ((m: string) => console.log(m));
  const outDir = config.out;
  fs.mkdirSync(outDir, { recursive: true });
  cleanCheckpointLeftovers(outDir);
  const t0 = Date.now();
  const models = adapter.models();
  const slots = adapter.optimizers();

  let epoch = 0;
  let step = 0;
  let history: EpochRecord[] = [];
  let resumedFrom: number | null = null;
  if (!config.resume) {
    const n = clearCheckpoints(outDir);
    if (n > 0) log(`fresh run: removed ${n} older checkpoint(s) from ${outDir} (use --resume to continue one)`);
    fs.rmSync(path.join(outDir, METRICS_FILE), { force: true });
  } else {
    const ckpt = findLatestCheckpoint(outDir);
    if (!ckpt) log(`resume: no checkpoint in ${outDir}, starting from scratch`);
    else {
      if (ckpt.state.task !== adapter.task) throw new Error(`resume: checkpoint ${ckpt.dir} is for task "${ckpt.state.task}", not "${adapter.task}"`);
      const old = ckpt.state.config ?? {};
      for (const key of ['model', 'dataset'] as const) {
        if (old[key] !== undefined && config[key] !== undefined && old[key] !== config[key]) throw new Error(`resume: checkpoint ${ckpt.dir} was trained with ${key}=${String(old[key])}, this run asks for ${String(config[key])}`);
      }
      await restoreCheckpoint(ckpt, models, slots);
      epoch = ckpt.state.epoch;
      step = ckpt.state.step;
      history = ckpt.state.history ?? [];
      resumedFrom = epoch;
      log(`resumed from ${ckpt.dir}: ${epoch} epoch(s), ${step} step(s) done`);
    }
  }

  const hooks = adapter.describeHooks?.() ?? null;
  writeJsonAtomic(path.join(outDir, CONFIG_FILE), {
    config,
    backend: tf.getBackend(),
    parameters: paramCount(adapter),
    stepsPerEpoch: adapter.stepsPerEpoch(),
    optimizers: slots.map((s) => ({ name: s.name, baseLearningRate: s.baseLearningRate })),
    hooks,
  });

  const progress = createProgress(opts.progress ?? 'auto', log);
  const maxSteps = config.maxSteps ?? Infinity;
  let epochsThisCall = 0;
  let trainSecondsTotal = 0;
  let stepsThisCall = 0;
  let checkpoint: string | null = null;

  while (epoch < config.epochs && step < maxSteps) {
    const factor = learningRateFactor(config, epoch);
    for (const s of slots) setOptimizerLearningRate(s.optimizer, s.baseLearningRate * factor);
    const planned = Math.min(adapter.stepsPerEpoch(), maxSteps - step);
    progress.start(epoch, config.epochs, planned);
    const sums: Record<string, number> = {};
    const counts: Record<string, number> = {};
    let done = 0;
    const tTrain = Date.now();
    const it = adapter.trainBatches(epoch)[Symbol.asyncIterator]();
    try {
      while (done < planned) {
        const next = await it.next();
        if (next.done) break;
        const m: Metrics = await adapter.trainStep(next.value, step);
        step++;
        done++;
        for (const [k, v] of Object.entries(m)) {
          if (typeof v !== 'number') continue;
          sums[k] = (sums[k] ?? 0) + v;
          counts[k] = (counts[k] ?? 0) + 1;
        }
        progress.update(done, m);
      }
    } finally {
      await it.return?.();
      progress.stop();
    }
    const trainSeconds = (Date.now() - tTrain) / 1000;
    trainSecondsTotal += trainSeconds;
    stepsThisCall += done;

    const tEval = Date.now();
    const evalMetrics = await adapter.evaluate(epoch);
    const evalSeconds = (Date.now() - tEval) / 1000;
    await adapter.onEpochEnd?.(epoch, outDir);

    const record: EpochRecord = { epoch: epoch + 1, step, learningRate: slots[0] ? slots[0].baseLearningRate * factor : factor };
    for (const k of Object.keys(sums)) {
      const mean = sums[k] / counts[k];
      record[trainKey(k)] = mean;
      if (!(k in evalMetrics)) record[k] = mean;
    }
    for (const [k, v] of Object.entries(evalMetrics)) record[k] = typeof v === 'number' ? v : null;
    record.trainSeconds = trainSeconds;
    record.evalSeconds = evalSeconds;
    record.stepsPerSecond = done / Math.max(trainSeconds, 1e-9);
    for (const k of Object.keys(record)) if (typeof record[k] === 'number' && !Number.isFinite(record[k] as number)) record[k] = null;
    history.push(record);
    epoch++;
    epochsThisCall++;

    checkpoint = await saveCheckpoint(outDir, models, slots, {
      task: adapter.task,
      epoch,
      step,
      rng: { seed: config.seed, nextEpoch: epoch },
      hooks,
      history,
      config,
    });
    writeJsonAtomic(path.join(outDir, METRICS_FILE), history);
    log(`epoch ${epoch}/${config.epochs} step ${step}: ${Object.entries(record).filter(([k]) => !['epoch', 'step', 'trainSeconds', 'evalSeconds'].includes(k)).map(([k, v]) => `${k} ${v === null ? 'null' : Number(v).toPrecision(4)}`).join(', ')}`);
    opts.onEpochEnd?.(record);
    if (opts.stopAfterEpochs !== undefined && epochsThisCall >= opts.stopAfterEpochs) break;
  }
  if (!fs.existsSync(path.join(outDir, METRICS_FILE))) writeJsonAtomic(path.join(outDir, METRICS_FILE), history);
  return {
    history,
    steps: step,
    epochs: epoch,
    resumedFrom,
    seconds: (Date.now() - t0) / 1000,
    stepsPerSecond: stepsThisCall / Math.max(trainSecondsTotal, 1e-9),
    checkpoint,
  };
}

/** Creates the task's adapter from its definition, trains it, and disposes it. */
export async function runTask(definition: TaskDefinition, config: CommonTrainConfig & Record<string, unknown>, opts: TrainOptions = {}): Promise<TrainResult> {
  validateTrainConfig(config);
  const log = opts.log ?? ((m: string) => console.log(m));
  fs.mkdirSync(config.out, { recursive: true });
  const adapter = await definition.create({ config, outDir: config.out, log });
  try {
    return await train(adapter, config, { ...opts, log });
  } finally {
    adapter.dispose();
  }
}
