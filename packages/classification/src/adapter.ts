import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { batchCount, ClassificationData, ImageSet, imageBatches, loadClassificationDataset, takeFirst } from '@cdg/data';
import { createHookedOptimizer, describeOptimizerHook, Metrics, OptimizerSlot, TaskAdapter, TaskContext } from '@cdg/trainer';
import { buildClassificationModel } from './models';

/** A training batch as tensors; the adapter disposes it after its step. */
export interface ClassificationBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
}

/** Task-specific settings (flags of `cdg train classification`). */
export interface ClassificationOptions {
  /** Which split to train on: `train` (default) or `test` (the paper's MNIST protocol: fit the 10k test split, evaluate on the 60k train split). */
  trainSplit: 'train' | 'test';
  /** Evaluate on the first N examples of the evaluation split (0 = all; the loaders order splits so a prefix is balanced). */
  evalLimit: number;
  /** Train on the first N examples only (0 = all). */
  trainLimit: number;
  /** Pad + random crop + flip; default on for cifar10, off for the MNISTs. */
  augment?: boolean;
  /** Examples per evaluation batch. */
  evalBatchSize: number;
}

const datasetCache = new Map<string, ClassificationData>();

/** Loads (once per process) a dataset by name and folder. */
export function cachedDataset(name: string, dir?: string): ClassificationData {
  const key = `${name}\u0000${dir ?? ''}`;
  let d = datasetCache.get(key);
  if (!d) {
    d = loadClassificationDataset(name, dir);
    datasetCache.set(key, d);
  }
  return d;
}

/** The default network for a dataset: the paper's 2-layer CNN for the MNISTs, ResNet-56 for CIFAR-10. */
export function defaultModelFor(dataset: string): string {
  return dataset === 'cifar10' ? 'resnet56' : 'cnn2';
}

/** Softmax cross-entropy of logits against integer labels, averaged over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1]);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
  });
}

/**
 * Image classification as the shared trainer sees it: one network, one (channel-directed)
 * optimizer, softmax cross-entropy, and test-split loss and accuracy after each epoch.
 */
export class ClassificationAdapter implements TaskAdapter<ClassificationBatch> {
  readonly task = 'classification';
  readonly model: LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly train: ImageSet;
  readonly evalSet: ImageSet;
  private readonly augment: boolean;

  constructor(
    readonly config: TaskContext['config'],
    readonly data: ClassificationData,
    readonly options: ClassificationOptions,
    model?: LayersModel,
    optimizer?: tf.Optimizer,
  ) {
    const swap = options.trainSplit === 'test';
    let train = swap ? data.test : data.train;
    let evalSet = swap ? data.train : data.test;
    if (options.trainLimit > 0) train = takeFirst(train, options.trainLimit);
    if (options.evalLimit > 0) evalSet = takeFirst(evalSet, options.evalLimit);
    this.train = train;
    this.evalSet = evalSet;
    this.augment = options.augment ?? data.name === 'cifar10';
    const modelName = config.model ?? defaultModelFor(data.name);
    this.model = model ?? buildClassificationModel(modelName, { inputShape: [train.height, train.width, train.channels], classes: train.classes, seed: config.seed });
    this.optimizer = optimizer ?? createHookedOptimizer({ config, model: this.model, label: 'model' });
  }

  models(): Record<string, LayersModel> {
    return { model: this.model };
  }

  optimizers(): OptimizerSlot[] {
    return [{ name: 'model', optimizer: this.optimizer, baseLearningRate: this.config.lr }];
  }

  stepsPerEpoch(): number {
    return batchCount(this.train, { batchSize: this.config.batchSize });
  }

  async *trainBatches(epoch: number): AsyncIterable<ClassificationBatch> {
    const it = imageBatches(this.train, {
      batchSize: this.config.batchSize,
      shuffle: true,
      seed: this.config.seed,
      epoch,
      augment: this.augment,
      mean: this.data.mean,
      std: this.data.std,
    });
    for (const b of it) yield { x: tf.tensor4d(b.x, b.shape), y: tf.tensor1d(b.y, 'int32') };
  }

  trainStep(batch: ClassificationBatch): Metrics {
    try {
      const loss = this.optimizer.minimize(() => crossEntropy(this.model.apply(batch.x, { training: true }) as tf.Tensor2D, batch.y), true) as tf.Scalar;
      const value = loss.dataSync()[0];
      loss.dispose();
      return { loss: value };
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  }

  async evaluate(): Promise<Metrics> {
    const set = this.evalSet;
    let lossSum = 0;
    let correct = 0;
    for (const b of imageBatches(set, { batchSize: this.options.evalBatchSize, mean: this.data.mean, std: this.data.std })) {
      const [l, c] = tf.tidy(() => {
        const x = tf.tensor4d(b.x, b.shape);
        const y = tf.tensor1d(b.y, 'int32');
        const logits = this.model.apply(x, { training: false }) as tf.Tensor2D;
        const lossSum = tf.mul(crossEntropy(logits, y), b.size);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32'));
        return [lossSum, hits];
      });
      const [lv, cv] = await Promise.all([l.data(), c.data()]);
      tf.dispose([l, c]);
      lossSum += lv[0];
      correct += cv[0];
    }
    return { loss: lossSum / set.count, accuracy: correct / set.count };
  }

  describeHooks(): unknown {
    return { model: describeOptimizerHook(this.optimizer) };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}
