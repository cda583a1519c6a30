import { mixSeed, seededPermutation, seededRandom } from './random';
import { applyCropPlacement, fitCropPlacement, randomCropPlacement, type SegmentationAugmentation } from './transform';
import type { SegmentationSource, SegmentationSplit } from './types';

/** Default input normalization: ImageNet channel statistics on the [0, 1] scale (what ResNet encoders are trained with). */
export const SEGMENTATION_NORMALIZATION = {
  mean: [0.485, 0.456, 0.406] as const,
  std: [0.229, 0.224, 0.225] as const,
};

/** One batch as plain arrays (NHWC), ready for `tf.tensor4d(images, [size, height, width, 3])`. */
export interface SegmentationBatchData {
  size: number;
  height: number;
  width: number;
  /** Normalized RGB, size·H·W·3. */
  images: Float32Array;
  /** The same pixels as bytes, for drawing. */
  pixels: Uint8Array;
  /** Class index or ignore index per pixel, size·H·W. */
  masks: Int32Array;
  ids: string[];
  /** Dataset indices the batch was drawn from. */
  indices: number[];
}

export interface SegmentationBatchOptions {
  batchSize: number;
  height: number;
  width: number;
  /** Shuffle and augmentation seed; together with `epoch` it fixes the whole stream. */
  seed?: number;
  epoch?: number;
  shuffle?: boolean;
  /** Random scale/crop/flip (training); false: the whole image fitted into the window (evaluation). */
  augment?: SegmentationAugmentation | false;
  /** Only these dataset indices (in this order, before shuffling); default all. */
  indices?: number[];
  /** Drop a final partial batch (default false). */
  dropLast?: boolean;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
}

function checkPositiveInteger(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${v}`);
}

/**
 * Batches of one split, deterministic in (seed, epoch): seeded order, and per-sample augmentation
 * drawn from (seed, epoch, index). The next batch is decoded while the current one is used.
 */
export async function* segmentationBatches(
  source: SegmentationSource,
  split: SegmentationSplit,
  opts: SegmentationBatchOptions,
): AsyncGenerator<SegmentationBatchData> {
  checkPositiveInteger('batchSize', opts.batchSize);
  checkPositiveInteger('height', opts.height);
  checkPositiveInteger('width', opts.width);
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  const n = source.size(split);
  let order = opts.indices ? [...opts.indices] : Array.from({ length: n }, (_, i) => i);
  for (const i of order) if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`index ${i} is out of range for ${source.name} ${split} (size ${n})`);
  if (opts.shuffle) {
    const perm = seededPermutation(order.length, mixSeed(seed, epoch, 0x5eed));
    order = perm.map((k) => order[k]);
  }
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += opts.batchSize) {
    const chunk = order.slice(s, s + opts.batchSize);
    if (chunk.length < opts.batchSize && opts.dropLast) break;
    batches.push(chunk);
  }
  const mean = opts.mean ?? SEGMENTATION_NORMALIZATION.mean;
  const std = opts.std ?? SEGMENTATION_NORMALIZATION.std;
  const { height: H, width: W } = opts;
  const make = async (chunk: number[]): Promise<SegmentationBatchData> => {
    const samples = await Promise.all(chunk.map((i) => source.load(split, i)));
    const b = chunk.length;
    const images = new Float32Array(b * H * W * 3);
    const pixels = new Uint8Array(b * H * W * 3);
    const masks = new Int32Array(b * H * W);
    samples.forEach((sample, k) => {
      const placement =
        opts.augment === false || opts.augment === undefined
          ? fitCropPlacement(sample.width, sample.height, W, H)
          : randomCropPlacement(sample.width, sample.height, W, H, seededRandom(mixSeed(seed, epoch, chunk[k], 0xa097)), opts.augment);
      const { image, mask } = applyCropPlacement(sample, W, H, placement, source.ignoreIndex);
      pixels.set(image, k * H * W * 3);
      for (let p = 0; p < H * W; p++) {
        masks[k * H * W + p] = mask[p];
        for (let c = 0; c < 3; c++) images[(k * H * W + p) * 3 + c] = (image[p * 3 + c] / 255 - mean[c]) / std[c];
      }
    });
    return { size: b, height: H, width: W, images, pixels, masks, ids: samples.map((s) => s.id), indices: chunk };
  };
  let pending: Promise<SegmentationBatchData> | null = batches.length > 0 ? make(batches[0]) : null;
  try {
    for (let k = 0; k < batches.length; k++) {
      const current = await pending!;
      pending = k + 1 < batches.length ? make(batches[k + 1]) : null;
      pending?.catch(() => undefined); // surfaced when awaited; never an unhandled rejection if we stop early
      yield current;
    }
  } finally {
    pending = null;
  }
}
