import { DatasetError, mixSeed, SeededRandom, seededPermutation } from '../common';

/** A labelled image split held as bytes: `images` is N×H×W×C (HWC, uint8), `labels` is N class ids. */
export interface ImageSet {
  name: string;
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
}

/** A dataset with both splits, class names, and per-channel mean/std of the training images (on the [0,1] scale). */
export interface ClassificationData {
  name: string;
  train: ImageSet;
  test: ImageSet;
  classNames: string[];
  mean: number[];
  std: number[];
}

/** One batch as typed arrays, ready for `tf.tensor4d(x, shape)`: x is B×H×W×C float32, y holds class ids. */
export interface ImageBatch {
  x: Float32Array;
  y: Int32Array;
  size: number;
  shape: [number, number, number, number];
}

export interface BatchOptions {
  batchSize: number;
  /** Shuffle with a permutation drawn from (seed, epoch). Default false. */
  shuffle?: boolean;
  seed?: number;
  epoch?: number;
  /** 4-pixel zero padding, random crop back to size and random horizontal flip (CIFAR). Default false. */
  augment?: boolean;
  /** Padding of the random crop (default 4). */
  cropPadding?: number;
  /** Per-channel mean and std on the [0,1] scale; x = (byte/255 − mean) / std. Default: no centring. */
  mean?: number[];
  std?: number[];
  /** Drop a last incomplete batch (default false). */
  dropLast?: boolean;
}

/** Checks that a split's arrays agree with its declared shape. */
export function checkImageSet(set: ImageSet): void {
  const per = set.height * set.width * set.channels;
  if (set.images.length !== set.count * per) throw new DatasetError(`${set.name}: ${set.images.length} image bytes, expected ${set.count} × ${per}`);
  if (set.labels.length !== set.count) throw new DatasetError(`${set.name}: ${set.labels.length} labels for ${set.count} images`);
}

/** The first `n` examples of a split (a fixed, documented subset: no sampling). */
export function takeFirst(set: ImageSet, n: number): ImageSet {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`subset size must be a positive integer, got ${String(n)}`);
  if (n >= set.count) return set;
  const per = set.height * set.width * set.channels;
  return { ...set, name: `${set.name}[:${n}]`, images: set.images.subarray(0, n * per), labels: set.labels.subarray(0, n), count: n };
}

/** Per-channel mean and standard deviation of a split on the [0,1] scale. */
export function channelStats(set: ImageSet): { mean: number[]; std: number[] } {
  const c = set.channels;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const img = set.images;
  for (let i = 0; i < img.length; i++) {
    const v = img[i] / 255;
    const k = i % c;
    sum[k] += v;
    sq[k] += v * v;
  }
  const n = img.length / c;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(s / n - mean[k] * mean[k], 1e-12)));
  return { mean, std };
}

/** Number of batches `imageBatches` yields for these options. */
export function batchCount(set: ImageSet, opts: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  checkBatchSize(opts.batchSize);
  return opts.dropLast ? Math.floor(set.count / opts.batchSize) : Math.ceil(set.count / opts.batchSize);
}

function checkBatchSize(b: number): void {
  if (!Number.isInteger(b) || b <= 0) throw new Error(`batchSize must be a positive integer, got ${String(b)}`);
}

/**
 * Streams a split as batches of typed arrays. The order (and augmentation) depends only on
 * (seed, epoch), so an epoch can be replayed exactly; nothing but one batch is materialized.
 */
export function* imageBatches(set: ImageSet, opts: BatchOptions): Generator<ImageBatch> {
  checkBatchSize(opts.batchSize);
  const { height: H, width: W, channels: C } = set;
  const per = H * W * C;
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  const order = opts.shuffle ? seededPermutation(set.count, mixSeed(seed, epoch, 1)) : null;
  const aug = opts.augment ? new SeededRandom(mixSeed(seed, epoch, 2)) : null;
  const pad = opts.cropPadding ?? 4;
  const scale = new Float32Array(C);
  const shift = new Float32Array(C);
  for (let k = 0; k < C; k++) {
    const s = opts.std?.[k] ?? 1;
    const m = opts.mean?.[k] ?? 0;
    scale[k] = 1 / (255 * s);
    shift[k] = -m / s;
  }
  const nBatches = batchCount(set, opts);
  for (let b = 0; b < nBatches; b++) {
    const start = b * opts.batchSize;
    const size = Math.min(opts.batchSize, set.count - start);
    const x = new Float32Array(size * per);
    const y = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const idx = order ? order[start + i] : start + i;
      y[i] = set.labels[idx];
      const src = idx * per;
      const dst = i * per;
      if (!aug) {
        for (let p = 0; p < per; p++) {
          const k = p % C;
          x[dst + p] = set.images[src + p] * scale[k] + shift[k];
        }
        continue;
      }
      // Crop offset in the zero-padded image, and a coin for the horizontal flip.
      const dy = aug.int(2 * pad + 1) - pad;
      const dx = aug.int(2 * pad + 1) - pad;
      const flip = aug.next() < 0.5;
      for (let r = 0; r < H; r++) {
        const sr = r + dy;
        for (let col = 0; col < W; col++) {
          const sc0 = col + dx;
          const sc = flip ? W - 1 - sc0 + 2 * dx : sc0;
          const o = dst + (r * W + col) * C;
          const inside = sr >= 0 && sr < H && sc >= 0 && sc < W;
          for (let k = 0; k < C; k++) {
            // Padding is zero in pixel space, i.e. before normalization.
            const v = inside ? set.images[src + (sr * W + sc) * C + k] : 0;
            x[o + k] = v * scale[k] + shift[k];
          }
        }
      }
    }
    yield { x, y, size, shape: [size, H, W, C] };
  }
}
