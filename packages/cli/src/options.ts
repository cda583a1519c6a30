import type { Options } from 'yargs';
import type { CommonTrainConfig, TaskDefinition } from '@cdg/trainer';

export const BUILTIN_METRIC_NAMES = ['l2', 'reweighted-l2', 'sobolev', 'laplacian-smoothing'] as const;
export const BACKEND_CHOICES = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export const PROGRESS_CHOICES = ['auto', 'bar', 'plain', 'none'] as const;

/** Defaults of the common flags when the task gives none. */
export const COMMON_DEFAULTS: Omit<CommonTrainConfig, 'task' | 'dataset' | 'maxSteps' | 'dataDir' | 'model'> = {
  optimizer: 'sgd',
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 0,
  metric: 'sobolev',
  lambda: 1,
  sigma: 1,
  formulation: 'exact',
  direction: 'output',
  mix: 0,
  batchSize: 32,
  epochs: 1,
  lrSchedule: 'constant',
  lrStepEpochs: 40,
  lrStepFactor: 0.1,
  seed: 1,
  backend: 'auto',
  out: 'out',
  resume: false,
};

const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Config keys (camelCase) whose default depends on the dataset in `perDataset`. */
function datasetDefaultKeys(perDataset: TaskDefinition['datasetDefaults']): string[] {
  return [...new Set(Object.values(perDataset ?? {}).flatMap((d) => Object.keys(d)))];
}

/**
 * The common `cdg train <task>` flags (kebab-case on the command line, camelCase in the config).
 * Flags whose default depends on the dataset (`perDataset`) get no parser default: they are
 * filled after parsing by {@link applyDatasetDefaults}, and their help names every default.
 */
export function commonOptions(defaults: Partial<CommonTrainConfig>, perDataset?: TaskDefinition['datasetDefaults']): Record<string, Options> {
  const options = baseOptions({ ...COMMON_DEFAULTS, ...defaults } as Partial<CommonTrainConfig>);
  for (const k of datasetDefaultKeys(perDataset)) {
    const o = options[kebab(k)];
    const per = Object.entries(perDataset ?? {}).filter(([, d]) => k in d).map(([name, d]) => `${name}: ${String((d as Record<string, unknown>)[k])}`);
    options[kebab(k)] = { ...o, default: undefined, describe: `${o.describe} (default ${String(o.default)}; ${per.join('; ')})` };
  }
  return options;
}

/**
 * Fills the flags whose default depends on the dataset and that the command line left unset: the
 * dataset's default, else the task's. Runs on the parsed arguments before validation, so a flag
 * given in any spelling (`--batch-size 4`, `--batchSize=4`) wins.
 */
export function applyDatasetDefaults(a: Record<string, unknown>, def: Pick<TaskDefinition, 'defaults' | 'datasetDefaults'>): void {
  const mine = (def.datasetDefaults?.[String(a.dataset)] ?? {}) as Record<string, unknown>;
  const task = { ...COMMON_DEFAULTS, ...def.defaults } as Record<string, unknown>;
  for (const k of datasetDefaultKeys(def.datasetDefaults)) {
    if (a[k] !== undefined) continue;
    a[k] = a[kebab(k)] = k in mine ? mine[k] : task[k];
  }
}

function baseOptions(d: Partial<CommonTrainConfig>): Record<string, Options> {
  return {
    dataset: { type: 'string', describe: 'dataset name', default: d.dataset },
    'data-dir': { type: 'string', describe: 'folder holding the dataset files (required for datasets that are not bundled)' },
    model: { type: 'string', describe: 'network architecture (default: the task\'s choice for the dataset)', default: d.model },
    optimizer: { type: 'string', choices: ['sgd', 'momentum', 'adam'], describe: 'inner optimizer the hook wraps', default: d.optimizer },
    lr: { type: 'number', describe: 'base learning rate', default: d.lr },
    momentum: { type: 'number', describe: 'momentum (with --optimizer momentum)', default: d.momentum },
    'weight-decay': { type: 'number', describe: 'L2 weight decay, added by the hook after the metric transform (PyTorch SGD style)', default: d.weightDecay },
    metric: { type: 'string', choices: [...BUILTIN_METRIC_NAMES], describe: 'metric for convolution kernels; l2 = plain SGD', default: d.metric },
    lambda: { type: 'number', describe: 'λ of sobolev / reweighted-l2 (> 0)', default: d.lambda },
    sigma: { type: 'number', describe: 'σ of laplacian-smoothing (> 0)', default: d.sigma },
    formulation: { type: 'string', choices: ['exact', 'paper'], describe: "'exact' Riemannian gradient or the paper's printed code", default: d.formulation },
    direction: { type: 'string', choices: ['output', 'input', 'rasterized'], describe: 'axis the metric runs along in each conv kernel', default: d.direction },
    mix: { type: 'number', describe: 'α: adds α × the plain gradient to the transformed one', default: d.mix },
    'batch-size': { type: 'number', describe: 'examples per step', default: d.batchSize },
    epochs: { type: 'number', describe: 'epochs to train', default: d.epochs },
    'max-steps': { type: 'number', describe: 'stop after this many optimizer steps in total' },
    'lr-schedule': { type: 'string', choices: ['constant', 'step', 'cosine'], describe: 'learning-rate schedule over epochs', default: d.lrSchedule },
    'lr-step-epochs': { type: 'number', describe: 'step schedule: multiply by --lr-step-factor every N epochs', default: d.lrStepEpochs },
    'lr-step-factor': { type: 'number', describe: 'step schedule factor', default: d.lrStepFactor },
    seed: { type: 'number', describe: 'seed for weights, data order and augmentation', default: d.seed },
    backend: { type: 'string', choices: [...BACKEND_CHOICES], describe: 'tfjs backend (auto = fastest present; CDG_BACKEND overrides auto)', default: d.backend },
    out: { type: 'string', describe: 'output folder (metrics.json, config.json, checkpoint/)', default: d.out },
    resume: { type: 'boolean', describe: 'continue from the last complete checkpoint in --out', default: d.resume },
    progress: { type: 'string', choices: [...PROGRESS_CHOICES], describe: 'progress display: bar on a TTY, plain lines otherwise', default: 'auto' },
  };
}

/** Task flags from a TaskDefinition as yargs options. */
export function taskOptions(def: TaskDefinition): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const [name, o] of Object.entries(def.options)) out[name] = { type: o.type, describe: o.describe, default: o.default, choices: o.choices as Options['choices'] };
  return out;
}

const positive = ['lr', 'lambda', 'sigma', 'lrStepFactor'];
const positiveInt = ['batchSize', 'epochs', 'maxSteps', 'lrStepEpochs'];

/** Checks the numeric common flags; returns an error message naming the first bad flag, or null. */
export function checkCommonFlags(a: Record<string, unknown>): string | null {
  const flag = (k: string) => '--' + kebab(k);
  for (const k of positive) {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return `${flag(k)} must be a finite number > 0, got ${String(a[k])}`;
  }
  for (const k of positiveInt) {
    const v = a[k];
    if (v === undefined && k === 'maxSteps') continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return `${flag(k)} must be a positive integer, got ${String(v)}`;
  }
  const m = a.momentum;
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m >= 1) return `--momentum must be a number in [0, 1), got ${String(m)}`;
  const wd = a.weightDecay;
  if (typeof wd !== 'number' || !Number.isFinite(wd) || wd < 0) return `--weight-decay must be a finite number ≥ 0, got ${String(wd)}`;
  const mix = a.mix;
  if (typeof mix !== 'number' || !Number.isFinite(mix)) return `--mix must be a finite number, got ${String(mix)}`;
  const seed = a.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0) return `--seed must be an integer ≥ 0, got ${String(seed)}`;
  if (typeof a.out !== 'string' || a.out.length === 0) return '--out must name an output folder';
  return null;
}

/** The config object a parsed `cdg train <task>` command line describes. */
export function configFromArgs(task: string, a: Record<string, unknown>, def: TaskDefinition): CommonTrainConfig & Record<string, unknown> {
  const cfg: Record<string, unknown> = { task };
  const keys = [...Object.keys(COMMON_DEFAULTS), 'dataset', 'dataDir', 'model', 'maxSteps'];
  for (const k of keys) if (a[k] !== undefined) cfg[k] = a[k];
  for (const name of Object.keys(def.options)) {
    const camel = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (a[camel] !== undefined) cfg[camel] = a[camel];
  }
  return cfg as CommonTrainConfig & Record<string, unknown>;
}
