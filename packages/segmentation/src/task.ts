import type { TaskDefinition } from '@cdg/trainer';
import { createSegmentationAdapter, defaultSegmentationOptions, SEGMENTATION_DATASETS, type SegmentationOptions } from './adapter';

/** The paper's Pascal VOC optimizer settings: the defaults of a `--dataset voc` run (flags given on the command line win). */
export const PAPER_VOC_SETTINGS = { optimizer: 'sgd', lr: 7e-3, batchSize: 2 } as const;

/** Reads and checks the task flags of a config; unset ones take the dataset's defaults. */
export function segmentationOptions(cfg: Record<string, unknown>): SegmentationOptions {
  const dataset = String(cfg.dataset ?? 'synthetic');
  const d = defaultSegmentationOptions(dataset);
  const flag = (k: string) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
  const int = (key: keyof SegmentationOptions, min: number): number => {
    const v = cfg[key] ?? d[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${flag(key)} must be an integer ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const widthMultiplier = cfg.widthMultiplier ?? d.widthMultiplier;
  if (typeof widthMultiplier !== 'number' || !Number.isFinite(widthMultiplier) || widthMultiplier <= 0 || widthMultiplier > 4) {
    throw new Error(`--width-multiplier must be a number in (0, 4], got ${String(widthMultiplier)}`);
  }
  const imageSize = int('imageSize', 32);
  if (imageSize % 32 !== 0) throw new Error(`--image-size must be a multiple of 32 (the encoder downsamples 32×), got ${imageSize}`);
  const augment = cfg.augment ?? d.augment;
  if (typeof augment !== 'boolean') throw new Error(`--augment must be a boolean, got ${String(augment)}`);
  let scaleRange = d.scaleRange;
  if (cfg.scaleRange !== undefined) {
    const parts = String(cfg.scaleRange).split(',').map(Number);
    if (parts.length !== 2 || !(parts[0] > 0 && parts[1] >= parts[0])) throw new Error(`--scale-range must be "min,max" with 0 < min <= max, got ${String(cfg.scaleRange)}`);
    scaleRange = [parts[0], parts[1]];
  }
  const hookScope = cfg.hookScope ?? d.hookScope;
  if (hookScope !== 'all' && hookScope !== 'encoder' && hookScope !== 'decoder') throw new Error(`--hook-scope must be 'all', 'encoder' or 'decoder', got ${String(hookScope)}`);
  const encoderWeights = cfg.encoderWeights;
  if (encoderWeights !== undefined && (typeof encoderWeights !== 'string' || encoderWeights.length === 0)) throw new Error(`--encoder-weights must name a folder holding model.json, got ${String(encoderWeights)}`);
  return {
    widthMultiplier,
    imageSize,
    augment,
    scaleRange,
    evalLimit: int('evalLimit', 0),
    trainEvalLimit: int('trainEvalLimit', 0),
    trainLimit: int('trainLimit', 0),
    evalBatchSize: int('evalBatchSize', 1),
    preciseBn: int('preciseBn', 0),
    predictionImages: int('predictionImages', 0),
    hookScope,
    encoderWeights: encoderWeights as string | undefined,
    syntheticTrainSize: int('syntheticTrainSize', 1),
    syntheticValSize: int('syntheticValSize', 1),
  };
}

/** `cdg train segmentation`: UNet-ResNet-50 on Pascal VOC 2012 (--data-dir) or the built-in synthetic shapes. */
export const segmentationTask: TaskDefinition = {
  task: 'segmentation',
  describe: 'semantic segmentation: UNet with a ResNet-50 encoder on Pascal VOC 2012 (--data-dir) or built-in synthetic shapes; mIoU',
  options: {
    'width-multiplier': { type: 'number', describe: 'channel multiplier of encoder and decoder; 1 = the faithful ResNet-50 (default: 1 for voc, 0.125 for synthetic)' },
    'image-size': { type: 'number', describe: 'square training/evaluation window in pixels, a multiple of 32 (default: 320 for voc, 64 for synthetic)' },
    augment: { type: 'boolean', describe: 'random scale, crop and horizontal flip while training (default on)' },
    'scale-range': { type: 'string', describe: 'augmentation scale range "min,max", relative to the shorter side filling the window (default 0.5,2 for voc, 0.75,1.25 for synthetic)' },
    'eval-limit': { type: 'number', describe: 'evaluate on the first N validation images (0 = all)' },
    'train-eval-limit': { type: 'number', describe: 'training images evaluated each epoch for train mIoU and the train–test gap (0 = skip; default 300 for voc, 32 for synthetic)' },
    'train-limit': { type: 'number', describe: 'train on the first N training images only (0 = all)' },
    'eval-batch-size': { type: 'number', describe: 'images per evaluation batch (default 4 for voc, 16 for synthetic)' },
    'precise-bn': { type: 'number', describe: 'before each evaluation, set batch-norm statistics from this many training images ("precise BN"; 0 = keep the moving averages; default 64 synthetic, 200 voc)' },
    'prediction-images': { type: 'number', describe: 'validation images drawn as image | truth | prediction PNGs after each epoch (default 3)' },
    'hook-scope': { type: 'string', describe: 'which convolution kernels the metric transforms (default all)', choices: ['all', 'encoder', 'decoder'] },
    'encoder-weights': { type: 'string', describe: 'tfjs weights folder (model.json + shards, Keras ResNet50 layer names) to initialise the encoder; default: from scratch' },
    'synthetic-train-size': { type: 'number', describe: 'images in the synthetic training split (default 512)' },
    'synthetic-val-size': { type: 'number', describe: 'images in the synthetic validation split (default 128)' },
  },
  // Defaults for the default dataset (synthetic shapes): Adam 3e-3, batch 8 learns there within a few
  // hundred steps, where the paper's VOC settings stayed at the all-background baseline. A VOC run
  // takes the paper's settings unless the flags say otherwise.
  defaults: { dataset: 'synthetic', optimizer: 'adam', lr: 3e-3, momentum: 0.9, weightDecay: 0, batchSize: 8, epochs: 1 },
  datasetDefaults: { voc: PAPER_VOC_SETTINGS },
  async create(ctx) {
    const cfg = ctx.config;
    if (!(SEGMENTATION_DATASETS as readonly string[]).includes(cfg.dataset)) throw new Error(`dataset must be one of ${SEGMENTATION_DATASETS.join(', ')} for segmentation, got ${String(cfg.dataset)}`);
    if (cfg.model !== undefined && cfg.model !== 'unet-resnet50') throw new Error(`model must be unet-resnet50 for segmentation, got ${String(cfg.model)}`);
    const options = segmentationOptions(cfg);
    ctx.log(`segmentation: ${cfg.dataset}, UNet-ResNet-50 ×${options.widthMultiplier} at ${options.imageSize}×${options.imageSize}, metric ${cfg.metric} on ${options.hookScope} conv kernels`);
    return createSegmentationAdapter(ctx, options);
  },
};
