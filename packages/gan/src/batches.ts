import * as tf from '@tensorflow/tfjs-core';
import type { LabelImageDataset, LabelImageSample } from '@cdg/data';

/** One training or evaluation batch. The adapter disposes it after use. */
export interface GanBatch {
  /** [N, H, W, classes (+1 edge map)]: one-hot labels, then the instance edge map. */
  labelMap: tf.Tensor4D;
  /** [N, H, W, 3] in [−1, 1]. */
  image: tf.Tensor4D;
  samples: LabelImageSample[];
}

/** Channels of the generator's input for a dataset. */
export function labelMapChannels(dataset: Pick<LabelImageDataset, 'numClasses'>, useEdges: boolean): number {
  return dataset.numClasses + (useEdges ? 1 : 0);
}

/** Builds tensors from samples (one-hot labels + edge map, image scaled to [−1, 1]). */
export function samplesToBatch(samples: LabelImageSample[], numClasses: number, useEdges: boolean): GanBatch {
  if (samples.length === 0) throw new Error('samplesToBatch: no samples');
  const { height: H, width: W } = samples[0];
  const C = numClasses + (useEdges ? 1 : 0);
  const n = samples.length;
  const seg = new Float32Array(n * H * W * C);
  const img = new Float32Array(n * H * W * 3);
  samples.forEach((s, b) => {
    if (s.height !== H || s.width !== W) throw new Error(`sample ${s.id} is ${s.height}x${s.width}, the batch is ${H}x${W}`);
    const base = b * H * W;
    for (let p = 0; p < H * W; p++) {
      const cls = s.labels[p];
      if (cls >= numClasses) throw new Error(`sample ${s.id}: label ${cls} at pixel ${p} is outside 0..${numClasses - 1}`);
      seg[(base + p) * C + cls] = 1;
      if (useEdges) seg[(base + p) * C + numClasses] = s.edges[p];
    }
    for (let i = 0; i < H * W * 3; i++) img[base * 3 + i] = s.image[i] / 127.5 - 1;
  });
  return { labelMap: tf.tensor4d(seg, [n, H, W, C]), image: tf.tensor4d(img, [n, H, W, 3]), samples };
}

export function disposeBatch(b: GanBatch): void {
  tf.dispose([b.labelMap, b.image]);
}

/** A seeded permutation of 0..n−1 (Fisher–Yates on a mulberry32 stream). */
export function seededPermutation(n: number, seed: number): number[] {
  let a = (Math.floor(seed) >>> 0) ^ 0x85ebca6b;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
