import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { colourizeLabels, vocPalette } from '@cdg/data';

/**
 * One PNG row: image | truth | prediction, labels drawn with the VOC palette (ignore = cream),
 * 2-pixel white gaps, scaled up by an integer factor with nearest-neighbour sampling.
 */
export async function predictionStrip(
  pixels: Uint8Array,
  truth: ArrayLike<number>,
  prediction: ArrayLike<number>,
  width: number,
  height: number,
  scale = 1,
): Promise<Buffer> {
  const n = width * height;
  if (pixels.length !== n * 3 || truth.length !== n || prediction.length !== n) {
    throw new Error(`predictionStrip: expected ${n * 3} image bytes and ${n} labels each, got ${pixels.length}, ${truth.length}, ${prediction.length}`);
  }
  const palette = vocPalette();
  const panels = [pixels, colourizeLabels(truth, palette), colourizeLabels(prediction, palette)];
  const gap = 2;
  const W = width * 3 + gap * 2;
  const out = Buffer.alloc(W * height * 3, 255);
  panels.forEach((panel, k) => {
    for (let y = 0; y < height; y++) {
      const dst = (y * W + k * (width + gap)) * 3;
      out.set(panel.subarray(y * width * 3, (y + 1) * width * 3), dst);
    }
  });
  const s = Math.max(1, Math.floor(scale));
  return sharp(out, { raw: { width: W, height, channels: 3 } }).resize(W * s, height * s, { kernel: 'nearest' }).png().toBuffer();
}

/** Writes bytes atomically: a temp file beside the target, then rename. */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
