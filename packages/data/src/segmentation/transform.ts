import type { SegmentationSample } from './types';

/** Random geometric augmentation for training; image and mask always get the same transform. */
export interface SegmentationAugmentation {
  /** Scale factor range, relative to the scale at which the image's shorter side fills the crop. Default [0.5, 2]. */
  scaleRange?: [number, number];
  /** Random horizontal flip with probability 1/2. Default true. */
  flip?: boolean;
}

/** Where the output window lies on the source image: scale, window origin in scaled pixels, mirror. */
export interface CropPlacement {
  scale: number;
  originX: number;
  originY: number;
  flip: boolean;
}

/** Padding colour for image pixels outside the source (ImageNet mean, so it normalizes to ≈ 0). */
export const SEGMENTATION_PAD_RGB: readonly [number, number, number] = [124, 116, 104];

/** Random scale, crop (padding where the scaled image is smaller than the window) and flip. */
export function randomCropPlacement(
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  rnd: () => number,
  aug: SegmentationAugmentation = {},
): CropPlacement {
  const [lo, hi] = aug.scaleRange ?? [0.5, 2];
  if (!(lo > 0 && hi >= lo)) throw new Error(`scaleRange must be [min, max] with 0 < min <= max, got [${lo}, ${hi}]`);
  const base = Math.max(outWidth / width, outHeight / height); // shorter side covers the window
  const scale = base * (lo + (hi - lo) * rnd());
  const spanX = width * scale - outWidth;
  const spanY = height * scale - outHeight;
  const originX = Math.min(0, spanX) + Math.abs(spanX) * rnd();
  const originY = Math.min(0, spanY) + Math.abs(spanY) * rnd();
  const flip = (aug.flip ?? true) && rnd() < 0.5;
  return { scale, originX, originY, flip };
}

/** Evaluation placement: the whole image scaled to fit the window, centred, the rest padded (mask: ignore). */
export function fitCropPlacement(width: number, height: number, outWidth: number, outHeight: number): CropPlacement {
  const scale = Math.min(outWidth / width, outHeight / height);
  return { scale, originX: (width * scale - outWidth) / 2, originY: (height * scale - outHeight) / 2, flip: false };
}

/**
 * Resamples image (bilinear) and mask (nearest) through one placement into an outWidth×outHeight
 * window. Pixel centres map as u = (origin + x + ½)/scale − ½, so both stay aligned.
 */
export function applyCropPlacement(
  sample: SegmentationSample,
  outWidth: number,
  outHeight: number,
  p: CropPlacement,
  ignoreIndex: number,
): { image: Uint8Array; mask: Uint8Array } {
  const { width: W, height: H, image: src, mask: srcMask } = sample;
  const image = new Uint8Array(outWidth * outHeight * 3);
  const mask = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const v = (p.originY + y + 0.5) / p.scale - 0.5;
    const inY = v >= -0.5 && v < H - 0.5;
    const y0 = Math.max(0, Math.min(H - 1, Math.floor(v)));
    const y1 = Math.min(H - 1, y0 + 1);
    const fy = Math.max(0, Math.min(1, v - y0));
    const ny = Math.max(0, Math.min(H - 1, Math.round(v)));
    for (let x = 0; x < outWidth; x++) {
      const xs = p.flip ? outWidth - 1 - x : x;
      const u = (p.originX + xs + 0.5) / p.scale - 0.5;
      const o = y * outWidth + x;
      if (!inY || u < -0.5 || u >= W - 0.5) {
        image[o * 3] = SEGMENTATION_PAD_RGB[0];
        image[o * 3 + 1] = SEGMENTATION_PAD_RGB[1];
        image[o * 3 + 2] = SEGMENTATION_PAD_RGB[2];
        mask[o] = ignoreIndex;
        continue;
      }
      const x0 = Math.max(0, Math.min(W - 1, Math.floor(u)));
      const x1 = Math.min(W - 1, x0 + 1);
      const fx = Math.max(0, Math.min(1, u - x0));
      for (let c = 0; c < 3; c++) {
        const a = src[(y0 * W + x0) * 3 + c];
        const b = src[(y0 * W + x1) * 3 + c];
        const d = src[(y1 * W + x0) * 3 + c];
        const e = src[(y1 * W + x1) * 3 + c];
        const top = a + (b - a) * fx;
        const bottom = d + (e - d) * fx;
        image[o * 3 + c] = Math.round(top + (bottom - top) * fy);
      }
      const nx = Math.max(0, Math.min(W - 1, Math.round(u)));
      mask[o] = srcMask[ny * W + nx];
    }
  }
  return { image, mask };
}
