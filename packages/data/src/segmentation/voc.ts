import { promises as fs, existsSync } from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { DatasetError } from '../common';
import { VOC_IGNORE_INDEX, VOC_CLASS_NAMES, vocIndexOfColour } from './palette';
import type { SegmentationSample, SegmentationSource, SegmentationSplit } from './types';

export interface VocSegmentationOptions {
  /** Downsizes images whose shorter side exceeds this (image: sharp's Lanczos, mask: nearest) right after decoding. */
  maxShorterSide?: number;
  /** Use at most this many ids of each split (first ones of the list). */
  limit?: Partial<Record<SegmentationSplit, number>>;
}

/** Finds VOC2012 inside `dataDir`: accepts the folder holding VOCdevkit, VOCdevkit itself, or VOC2012 itself. */
export function resolveVocRoot(dataDir: string): string {
  const candidates = [path.join(dataDir, 'VOCdevkit', 'VOC2012'), path.join(dataDir, 'VOC2012'), dataDir];
  for (const c of candidates) if (existsSync(path.join(c, 'JPEGImages')) && existsSync(path.join(c, 'ImageSets', 'Segmentation'))) return c;
  throw new DatasetError(
    `no Pascal VOC 2012 found under ${dataDir}: expected JPEGImages/ and ImageSets/Segmentation/ in one of ${candidates.join(', ')}`,
    dataDir,
  );
}

async function readIdList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new DatasetError(`cannot read the VOC split list ${file}: ${(e as Error).message}`, file);
  }
  const ids = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (ids.length === 0) throw new DatasetError(`the VOC split list ${file} is empty; it should hold one image id per line`, file);
  for (const id of ids) if (/[\\/\s]/.test(id)) throw new DatasetError(`the VOC split list ${file} has a malformed id "${id}" (expected e.g. 2007_000032)`, file);
  return ids;
}

/**
 * Pascal VOC 2012 segmentation in its official layout: `JPEGImages/<id>.jpg`,
 * `SegmentationClass/<id>.png` (palette PNG, or single-channel class indices),
 * `ImageSets/Segmentation/{train,val}.txt`. 21 classes, 255 = ignore (object borders).
 */
export class VocSegmentationDataset implements SegmentationSource {
  readonly name = 'voc';
  readonly numClasses = VOC_CLASS_NAMES.length;
  readonly classNames = VOC_CLASS_NAMES;
  readonly ignoreIndex = VOC_IGNORE_INDEX;

  private constructor(
    readonly root: string,
    private readonly ids: Record<SegmentationSplit, string[]>,
    private readonly opts: VocSegmentationOptions,
  ) {}

  /** Opens the dataset: finds the root and reads both split lists (files are decoded lazily by `load`). */
  static async open(dataDir: string, opts: VocSegmentationOptions = {}): Promise<VocSegmentationDataset> {
    if (opts.maxShorterSide !== undefined && !(Number.isInteger(opts.maxShorterSide) && opts.maxShorterSide > 0)) {
      throw new Error(`maxShorterSide must be a positive integer, got ${opts.maxShorterSide}`);
    }
    const root = resolveVocRoot(dataDir);
    const ids = {} as Record<SegmentationSplit, string[]>;
    for (const split of ['train', 'val'] as const) {
      const all = await readIdList(path.join(root, 'ImageSets', 'Segmentation', `${split}.txt`));
      const limit = opts.limit?.[split];
      ids[split] = limit !== undefined ? all.slice(0, limit) : all;
    }
    return new VocSegmentationDataset(root, ids, opts);
  }

  size(split: SegmentationSplit): number {
    return this.ids[split].length;
  }

  idsOf(split: SegmentationSplit): readonly string[] {
    return this.ids[split];
  }

  imagePath(id: string): string {
    return path.join(this.root, 'JPEGImages', `${id}.jpg`);
  }

  maskPath(id: string): string {
    return path.join(this.root, 'SegmentationClass', `${id}.png`);
  }

  async load(split: SegmentationSplit, index: number): Promise<SegmentationSample> {
    const list = this.ids[split];
    if (!Number.isInteger(index) || index < 0 || index >= list.length) throw new Error(`VOC ${split} index must be an integer in [0, ${list.length - 1}], got ${index}`);
    const id = list[index];
    const imageFile = this.imagePath(id);
    const maskFile = this.maskPath(id);
    if (!existsSync(imageFile)) throw new DatasetError(`missing image ${imageFile} (listed in ${split}.txt)`, imageFile);
    if (!existsSync(maskFile)) throw new DatasetError(`missing mask ${maskFile} for image ${id} (listed in ${split}.txt); VOC masks are palette PNGs in SegmentationClass/`, maskFile);
    const [img, mask] = await Promise.all([decodeImage(imageFile), decodeMask(maskFile, this.numClasses)]);
    if (img.width !== mask.width || img.height !== mask.height) {
      throw new DatasetError(`mask ${maskFile} is ${mask.width}×${mask.height} but image ${imageFile} is ${img.width}×${img.height}; they must be the same size`, maskFile);
    }
    let sample: SegmentationSample = { id, width: img.width, height: img.height, image: img.data, mask: mask.data };
    const cap = this.opts.maxShorterSide;
    if (cap !== undefined && Math.min(img.width, img.height) > cap) sample = await shrink(sample, imageFile, cap);
    return sample;
  }
}

async function decodeImage(file: string): Promise<{ width: number; height: number; data: Uint8Array }> {
  try {
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new DatasetError(`cannot decode image ${file}: ${(e as Error).message}`, file);
  }
}

/** Decodes a VOC mask: palette/RGB PNGs map colours back to class indices; 1-channel PNGs hold indices. */
async function decodeMask(file: string, numClasses: number): Promise<{ width: number; height: number; data: Uint8Array }> {
  let data: Buffer;
  let info: sharp.OutputInfo;
  try {
    // sharp expands grey PNGs to RGB on raw output; keep one channel when the file holds indices
    const meta = await sharp(file).metadata();
    const indexed = !meta.isPalette && (meta.channels ?? 3) <= 2;
    const img = indexed ? sharp(file).extractChannel(0) : sharp(file);
    ({ data, info } = await img.raw().toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw new DatasetError(`cannot decode mask ${file}: ${(e as Error).message}`, file);
  }
  const { width, height, channels } = info;
  const out = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    let v: number;
    if (channels <= 2) {
      v = data[p * channels];
      if (v >= numClasses && v !== VOC_IGNORE_INDEX) {
        throw new DatasetError(`mask ${file} has label ${v} at pixel (${p % width}, ${Math.floor(p / width)}); labels must be 0…${numClasses - 1} or ${VOC_IGNORE_INDEX}`, file);
      }
    } else {
      const r = data[p * channels];
      const g = data[p * channels + 1];
      const b = data[p * channels + 2];
      v = vocIndexOfColour(r, g, b);
      if (v < 0 || (v >= numClasses && v !== VOC_IGNORE_INDEX)) {
        throw new DatasetError(`mask ${file} has colour rgb(${r},${g},${b}) at pixel (${p % width}, ${Math.floor(p / width)}), which is not a VOC palette label colour`, file);
      }
    }
    out[p] = v;
  }
  return { width, height, data: out };
}

async function shrink(s: SegmentationSample, imageFile: string, shorterSide: number): Promise<SegmentationSample> {
  const k = shorterSide / Math.min(s.width, s.height);
  const w = Math.max(1, Math.round(s.width * k));
  const h = Math.max(1, Math.round(s.height * k));
  let image: Uint8Array;
  try {
    const buf = await sharp(s.image, { raw: { width: s.width, height: s.height, channels: 3 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
    image = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (e) {
    throw new DatasetError(`cannot resize image ${imageFile}: ${(e as Error).message}`, imageFile);
  }
  const mask = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(s.height - 1, Math.floor(((y + 0.5) * s.height) / h));
    for (let x = 0; x < w; x++) mask[y * w + x] = s.mask[sy * s.width + Math.min(s.width - 1, Math.floor(((x + 0.5) * s.width) / w))];
  }
  return { id: s.id, width: w, height: h, image, mask };
}
