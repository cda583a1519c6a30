import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import {
  segmentationBatches,
  SyntheticShapesDataset,
  VocSegmentationDataset,
  type SegmentationAugmentation,
  type SegmentationBatchData,
  type SegmentationSource,
  type SegmentationSplit,
} from '@cdg/data';
import { createHookedOptimizer, describeOptimizerHook, hookRulesFromConfig, type HookRuleConfig, type Metrics, type OptimizerSlot, type TaskAdapter, type TaskContext } from '@cdg/trainer';
import { recomputeBatchNormStatistics } from './batchnorm';
import { ConfusionMatrix } from './confusion';
import { pixelCrossEntropy, pixelCrossEntropySum } from './loss';
import { buildUNetResNet50, DECODER_LAYER_PATTERN, ENCODER_LAYER_PATTERN } from './model';
import { predictionStrip, writeFileAtomicSync } from './render';
import { loadEncoderWeights } from './weights';

export const SEGMENTATION_DATASETS = ['synthetic', 'voc'] as const;
export type SegmentationDatasetName = (typeof SEGMENTATION_DATASETS)[number];

/** Task-specific settings (flags of `cdg train segmentation`). */
export interface SegmentationOptions {
  /** Channel multiplier of encoder and decoder (1 = faithful ResNet-50 widths). */
  widthMultiplier: number;
  /** Square training/evaluation window, a multiple of 32. */
  imageSize: number;
  /** Random scale/crop/flip during training. */
  augment: boolean;
  /** Scale range of the augmentation, relative to "shorter side fills the window". */
  scaleRange: [number, number];
  /** Evaluate on the first N validation images (0 = all). */
  evalLimit: number;
  /** Train-split images evaluated (without augmentation) for the train–test gap (0 = none). */
  trainEvalLimit: number;
  /** Train on the first N training images (0 = all). */
  trainLimit: number;
  evalBatchSize: number;
  /** Training images (no augmentation) whose statistics replace the batch-norm moving averages before each evaluation ("precise BN"); 0 = keep the moving averages. */
  preciseBn: number;
  /** Validation images drawn as image | truth | prediction PNGs after each epoch. */
  predictionImages: number;
  /** Which layers' convolution kernels the metric transforms. */
  hookScope: 'all' | 'encoder' | 'decoder';
  /** A tfjs weights folder (model.json + shards) for the encoder; none = random init. */
  encoderWeights?: string;
  /** Synthetic dataset sizes. */
  syntheticTrainSize: number;
  syntheticValSize: number;
}

/** Defaults per dataset: small and fast for synthetic, the faithful network for VOC. */
export function defaultSegmentationOptions(dataset: string): SegmentationOptions {
  const voc = dataset === 'voc';
  return {
    widthMultiplier: voc ? 1 : 0.125,
    imageSize: voc ? 320 : 64,
    augment: true,
    scaleRange: voc ? [0.5, 2] : [0.75, 1.25],
    evalLimit: 0,
    trainEvalLimit: voc ? 300 : 32,
    trainLimit: 0,
    evalBatchSize: voc ? 4 : 16,
    preciseBn: voc ? 200 : 64,
    predictionImages: 3,
    hookScope: 'all',
    syntheticTrainSize: 512,
    syntheticValSize: 128,
  };
}

/** Values per channel that a batch-norm layer at the encoder's stride 32 normalizes over in one training batch. */
export function deepestBatchNormSamples(batchSize: number, imageSize: number): number {
  return batchSize * Math.floor(imageSize / 32) ** 2;
}

/** Fewer values per channel than this at stride 32 and the deepest batch norms erase what they normalize (see batchNormWarning). */
export const MIN_DEEPEST_BATCH_NORM_SAMPLES = 8;

/**
 * A warning when a training batch is too small for the encoder's stride-32 batch norms, else null.
 * With 2 values per channel (batch 2 on a 32×32 window) batch norm outputs ±1 whatever its input, so
 * the stride-32 features carry no information and the encoder's gradient is float32 rounding noise:
 * on that setting a 1e-6 relative change of the input changed the encoder's kernel gradients by 14–64 %
 * (cpu backend, both times; width 1/16), against about 3e-4 with 8 values (batch 2 at 64×64) or 32 (batch 8 at 64×64).
 */
export function batchNormWarning(batchSize: number, imageSize: number): string | null {
  const n = deepestBatchNormSamples(batchSize, imageSize);
  if (n >= MIN_DEEPEST_BATCH_NORM_SAMPLES) return null;
  const side = Math.floor(imageSize / 32);
  return (
    `segmentation: warning: --batch-size ${batchSize} at --image-size ${imageSize} leaves the stride-32 batch norms ${n} value(s) per channel ` +
    `(${batchSize} image(s) × ${side}×${side}); batch norm over so few values erases its input and the encoder's gradients are rounding noise. ` +
    `Use --batch-size × (--image-size / 32)² ≥ ${MIN_DEEPEST_BATCH_NORM_SAMPLES}, e.g. --batch-size 8 --image-size 64`
  );
}

/** The hook rules for a config: the flags' metric on every conv / transposed-conv kernel of the chosen part of the network. */
export function segmentationHookRules(config: TaskContext['config'], scope: SegmentationOptions['hookScope']): HookRuleConfig[] {
  const rules = hookRulesFromConfig(config);
  if (scope === 'all') return rules;
  const layer = scope === 'encoder' ? ENCODER_LAYER_PATTERN : DECODER_LAYER_PATTERN;
  return rules.map((r) => ({ ...r, name: `${scope} ${r.name ?? 'rule'}`, layer }));
}

/** Opens the named dataset. */
export async function openSegmentationSource(dataset: string, dataDir: string | undefined, opts: SegmentationOptions): Promise<SegmentationSource> {
  if (dataset === 'synthetic') return new SyntheticShapesDataset({ size: opts.imageSize, trainSize: opts.syntheticTrainSize, valSize: opts.syntheticValSize });
  if (dataset === 'voc') {
    if (!dataDir) throw new Error('--data-dir is required for --dataset voc: the folder holding VOCdevkit/VOC2012 (or VOC2012 itself)');
    return VocSegmentationDataset.open(dataDir, { maxShorterSide: 2 * opts.imageSize });
  }
  throw new Error(`dataset must be one of ${SEGMENTATION_DATASETS.join(', ')} for segmentation, got ${String(dataset)}`);
}

/** A training batch as tensors; trainStep disposes it. */
export interface SegmentationTensorBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

function range(n: number, limit: number): number[] {
  const k = limit > 0 ? Math.min(n, limit) : n;
  return Array.from({ length: k }, (_, i) => i);
}

/** Loss, mIoU and pixel accuracy of one pass over some images of a split. */
export interface SplitEvaluation {
  loss: number;
  miou: number;
  pixelAccuracy: number;
  confusion: ConfusionMatrix;
}

/**
 * Semantic segmentation as the shared trainer sees it: one UNet-ResNet-50, one channel-directed
 * optimizer, per-pixel cross-entropy with the ignore label, and validation loss / mIoU / pixel
 * accuracy (plus the same on training images and the train–test mIoU gap) after each epoch.
 */
export class SegmentationAdapter implements TaskAdapter<SegmentationTensorBatch> {
  readonly task = 'segmentation';
  readonly model: LayersModel;
  readonly optimizer: tf.Optimizer;
  private readonly trainIndices: number[];
  private readonly valIndices: number[];
  private readonly trainEvalIndices: number[];

  constructor(
    readonly config: TaskContext['config'],
    readonly source: SegmentationSource,
    readonly options: SegmentationOptions,
    model?: LayersModel,
    optimizer?: tf.Optimizer,
  ) {
    this.trainIndices = range(source.size('train'), options.trainLimit);
    this.valIndices = range(source.size('val'), options.evalLimit);
    this.trainEvalIndices = this.trainIndices.slice(0, Math.max(0, options.trainEvalLimit));
    if (this.trainIndices.length < config.batchSize) {
      throw new Error(`the ${source.name} training split has ${this.trainIndices.length} images, fewer than one batch (--batch-size ${config.batchSize})`);
    }
    this.model = model ?? buildUNetResNet50({ numClasses: source.numClasses, inputSize: options.imageSize, widthMultiplier: options.widthMultiplier, seed: config.seed });
    this.optimizer = optimizer ?? createHookedOptimizer({ config, model: this.model, rules: segmentationHookRules(config, options.hookScope), label: 'model' });
  }

  models(): Record<string, LayersModel> {
    return { model: this.model };
  }

  optimizers(): OptimizerSlot[] {
    return [{ name: 'model', optimizer: this.optimizer, baseLearningRate: this.config.lr }];
  }

  stepsPerEpoch(): number {
    return Math.floor(this.trainIndices.length / this.config.batchSize);
  }

  private toTensors(b: SegmentationBatchData): SegmentationTensorBatch {
    return {
      images: tf.tensor4d(b.images, [b.size, b.height, b.width, 3]),
      labels: tf.tensor3d(b.masks, [b.size, b.height, b.width], 'int32'),
    };
  }

  private augmentation(): SegmentationAugmentation | false {
    return this.options.augment ? { scaleRange: this.options.scaleRange, flip: true } : false;
  }

  async *trainBatches(epoch: number): AsyncIterable<SegmentationTensorBatch> {
    const S = this.options.imageSize;
    let last: SegmentationTensorBatch | null = null;
    try {
      for await (const b of segmentationBatches(this.source, 'train', {
        batchSize: this.config.batchSize,
        height: S,
        width: S,
        seed: this.config.seed,
        epoch,
        shuffle: true,
        augment: this.augmentation(),
        indices: this.trainIndices,
        dropLast: true,
      })) {
        last = this.toTensors(b);
        yield last;
      }
    } finally {
      // a batch the trainer took but never stepped (it stopped early) is freed here
      if (last && !last.images.isDisposed) tf.dispose([last.images, last.labels]);
    }
  }

  trainStep(batch: SegmentationTensorBatch): Metrics {
    try {
      const loss = this.optimizer.minimize(
        () => pixelCrossEntropy(this.model.apply(batch.images, { training: true }) as tf.Tensor4D, batch.labels, this.source.ignoreIndex),
        true,
        this.model.trainableWeights.map((w) => w.read() as tf.Variable),
      ) as tf.Scalar;
      const value = loss.dataSync()[0];
      loss.dispose();
      return { loss: value };
    } finally {
      tf.dispose([batch.images, batch.labels]);
    }
  }

  /** Forward pass (inference mode) over some images of a split, accumulating loss and the confusion matrix. */
  async evaluateSplit(split: SegmentationSplit, indices: number[], onBatch?: (b: SegmentationBatchData, predictions: Int32Array) => Promise<void>): Promise<SplitEvaluation> {
    const S = this.options.imageSize;
    const confusion = new ConfusionMatrix(this.source.numClasses, this.source.ignoreIndex);
    let lossSum = 0;
    let count = 0;
    for await (const b of segmentationBatches(this.source, split, { batchSize: this.options.evalBatchSize, height: S, width: S, augment: false, indices })) {
      const [l, c, p] = tf.tidy(() => {
        const { images, labels } = this.toTensors(b);
        const logits = this.model.apply(images, { training: false }) as tf.Tensor4D;
        const { sum, count } = pixelCrossEntropySum(logits, labels, this.source.ignoreIndex);
        return [sum, count, tf.cast(tf.argMax(logits, -1), 'int32')];
      });
      const [lv, cv, pv] = await Promise.all([l.data(), c.data(), p.data()]);
      tf.dispose([l, c, p]);
      lossSum += lv[0];
      count += cv[0];
      const predictions = pv as Int32Array;
      confusion.add(b.masks, predictions);
      if (onBatch) await onBatch(b, predictions);
    }
    return { loss: count > 0 ? lossSum / count : NaN, miou: confusion.meanIoU(), pixelAccuracy: confusion.pixelAccuracy(), confusion };
  }

  /** Replaces the batch-norm moving statistics by those of the first `preciseBn` training images (see recomputeBatchNormStatistics). */
  async recomputeBatchNorm(): Promise<number> {
    const n = Math.min(this.options.preciseBn, this.trainIndices.length);
    if (n <= 0) return 0;
    const S = this.options.imageSize;
    const self = this;
    async function* images(): AsyncGenerator<tf.Tensor4D> {
      for await (const b of segmentationBatches(self.source, 'train', { batchSize: self.options.evalBatchSize, height: S, width: S, augment: false, indices: self.trainIndices.slice(0, n) })) {
        const x = tf.tensor4d(b.images, [b.size, S, S, 3]);
        try {
          yield x;
        } finally {
          x.dispose();
        }
      }
    }
    return recomputeBatchNormStatistics(this.model, images());
  }

  async evaluate(): Promise<Metrics> {
    await this.recomputeBatchNorm();
    const val = await this.evaluateSplit('val', this.valIndices);
    const out: Metrics = { loss: val.loss, miou: val.miou, pixelAccuracy: val.pixelAccuracy };
    if (this.trainEvalIndices.length > 0) {
      const train = await this.evaluateSplit('train', this.trainEvalIndices);
      out.trainLoss = train.loss;
      out.trainMiou = train.miou;
      out.trainPixelAccuracy = train.pixelAccuracy;
      out.trainTestGap = train.miou - val.miou;
    }
    return out;
  }

  /** Writes `predictions/epoch-NNN/<id>.png` (image | truth | prediction) for the first few validation images. */
  async onEpochEnd(epoch: number, outDir: string): Promise<void> {
    const k = Math.min(this.options.predictionImages, this.valIndices.length);
    if (k <= 0) return;
    const dir = path.join(outDir, 'predictions', `epoch-${String(epoch + 1).padStart(3, '0')}`);
    const S = this.options.imageSize;
    const scale = Math.max(1, Math.ceil(128 / S));
    await this.evaluateSplit('val', this.valIndices.slice(0, k), async (b, predictions) => {
      for (let i = 0; i < b.size; i++) {
        const n = S * S;
        const png = await predictionStrip(b.pixels.subarray(i * n * 3, (i + 1) * n * 3), b.masks.subarray(i * n, (i + 1) * n), predictions.subarray(i * n, (i + 1) * n), S, S, scale);
        writeFileAtomicSync(path.join(dir, `${b.ids[i].replace(/[^\w.-]/g, '_')}.png`), png);
      }
    });
  }

  describeHooks(): unknown {
    return { model: describeOptimizerHook(this.optimizer), scope: this.options.hookScope };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Builds the adapter a config describes: opens the dataset, builds the model, optionally loads encoder weights. */
export async function createSegmentationAdapter(ctx: TaskContext, options: SegmentationOptions): Promise<SegmentationAdapter> {
  const cfg = ctx.config;
  const source = await openSegmentationSource(cfg.dataset, cfg.dataDir, options);
  const warning = batchNormWarning(cfg.batchSize, options.imageSize);
  if (warning) ctx.log(warning);
  const model = buildUNetResNet50({ numClasses: source.numClasses, inputSize: options.imageSize, widthMultiplier: options.widthMultiplier, seed: cfg.seed });
  try {
    if (options.encoderWeights) {
      const r = loadEncoderWeights(model, options.encoderWeights);
      ctx.log(`segmentation: loaded ${r.loaded.length} encoder weights from ${options.encoderWeights}${r.unused.length ? ` (${r.unused.length} in the folder unused)` : ''}`);
    } else {
      ctx.log('segmentation: encoder starts from scratch (He-normal init); no pretrained weights are downloaded (give --encoder-weights DIR to load a tfjs ResNet-50)');
    }
    return new SegmentationAdapter(cfg, source, options, model);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
