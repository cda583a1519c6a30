import type { TaskDefinition } from '@cdg/trainer';
import { CLASSIFICATION_DATASETS } from '@cdg/data';
import { ClassificationAdapter, cachedDataset, ClassificationOptions } from './adapter';
import { CLASSIFICATION_MODELS } from './models';

/** Reads the task flags from a config, checking them. */
export function classificationOptions(cfg: Record<string, unknown>): ClassificationOptions {
  const int = (key: string, dflt: number, min: number): number => {
    const v = cfg[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${key} must be an integer ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const split = cfg.trainSplit ?? 'train';
  if (split !== 'train' && split !== 'test') throw new Error(`trainSplit must be 'train' or 'test', got ${String(split)}`);
  const augment = cfg.augment;
  if (augment !== undefined && typeof augment !== 'boolean') throw new Error(`augment must be a boolean, got ${String(augment)}`);
  return { trainSplit: split, evalLimit: int('evalLimit', 0, 0), trainLimit: int('trainLimit', 0, 0), augment, evalBatchSize: int('evalBatchSize', 500, 1) };
}

/** `cdg train classification`: MNIST / Fashion-MNIST / CIFAR-10 with the 2-layer CNN, CIFAR ResNets or VGG-16-BN. */
export const classificationTask: TaskDefinition = {
  task: 'classification',
  describe: 'image classification: MNIST, Fashion-MNIST (bundled) or CIFAR-10 (--data-dir) with the 2-layer CNN, ResNet-20/32/56 or VGG-16-BN',
  options: {
    'train-split': { type: 'string', describe: "split to train on; 'test' = the paper's MNIST protocol (fit the 10k test split, evaluate on the 60k train split)", default: 'train', choices: ['train', 'test'] },
    'eval-limit': { type: 'number', describe: 'evaluate on the first N examples of the evaluation split (0 = all)', default: 0 },
    'train-limit': { type: 'number', describe: 'train on the first N examples only (0 = all)', default: 0 },
    'eval-batch-size': { type: 'number', describe: 'examples per evaluation batch', default: 500 },
    augment: { type: 'boolean', describe: 'pad 4 + random crop + horizontal flip (default: on for cifar10, off for the MNISTs)' },
  },
  defaults: { dataset: 'mnist', optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, batchSize: 32, epochs: 1 },
  async create(ctx) {
    const cfg = ctx.config;
    if (!(CLASSIFICATION_DATASETS as readonly string[]).includes(cfg.dataset)) throw new Error(`dataset must be one of ${CLASSIFICATION_DATASETS.join(', ')} for classification, got ${String(cfg.dataset)}`);
    if (cfg.model !== undefined && !(CLASSIFICATION_MODELS as readonly string[]).includes(cfg.model)) throw new Error(`model must be one of ${CLASSIFICATION_MODELS.join(', ')} for classification, got ${String(cfg.model)}`);
    const options = classificationOptions(cfg);
    const data = cachedDataset(cfg.dataset, cfg.dataDir);
    ctx.log(`classification: ${data.name}, ${options.trainSplit === 'test' ? 'training on the test split' : 'training on the train split'}, model ${cfg.model ?? '(default)'}`);
    return new ClassificationAdapter(cfg, data, options);
  },
};
