import { promises as fs } from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { DatasetError } from '../common';
import { instanceEdges } from './edges';
import type { LabelImageDataset, LabelImageSample, LabelImageSplit } from './types';

/** Cityscapes label ids 0..33 plus 34 for the license plate (id −1), as SPADE's label_nc = 35. */
export const CITYSCAPES_CLASSES = [
  'unlabeled', 'ego vehicle', 'rectification border', 'out of roi', 'static', 'dynamic', 'ground', 'road',
  'sidewalk', 'parking', 'rail track', 'building', 'wall', 'fence', 'guard rail', 'bridge', 'tunnel', 'pole',
  'polegroup', 'traffic light', 'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
  'truck', 'bus', 'caravan', 'trailer', 'train', 'motorcycle', 'bicycle', 'license plate',
] as const;

const CITYSCAPES_PALETTE: [number, number, number][] = [
  [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [111, 74, 0], [81, 0, 81], [128, 64, 128],
  [244, 35, 232], [250, 170, 160], [230, 150, 140], [70, 70, 70], [102, 102, 156], [190, 153, 153], [180, 165, 180], [150, 100, 100],
  [150, 120, 90], [153, 153, 153], [153, 153, 153], [250, 170, 30], [220, 220, 0], [107, 142, 35], [152, 251, 152], [70, 130, 180],
  [220, 20, 60], [255, 0, 0], [0, 0, 142], [0, 0, 70], [0, 60, 100], [0, 0, 90], [0, 0, 110], [0, 80, 100],
  [0, 0, 230], [119, 11, 32], [0, 0, 142],
];

export interface CityscapesOptions {
  /** Folder holding `leftImg8bit/` and `gtFine/`. */
  root: string;
  /** Output size (SPADE's Cityscapes setup: 256 × 512). */
  height?: number;
  width?: number;
  /** Use at most this many samples per split (first ones in sorted order). */
  maxSamples?: number;
}

interface CityscapesEntry {
  id: string;
  image: string;
  labels: string;
  instances: string;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function requireFile(p: string, pairedWith: string): Promise<void> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) throw new Error();
  } catch {
    throw new DatasetError(`Cityscapes: missing ${p} (the annotation for ${pairedWith})`, p);
  }
}

async function listSplit(root: string, split: LabelImageSplit): Promise<CityscapesEntry[]> {
  const imgDir = path.join(root, 'leftImg8bit', split);
  if (!(await isDir(imgDir))) return [];
  const entries: CityscapesEntry[] = [];
  const cities = (await fs.readdir(imgDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const city of cities) {
    const files = (await fs.readdir(path.join(imgDir, city))).filter((f) => f.endsWith('_leftImg8bit.png')).sort();
    for (const f of files) {
      const stem = f.slice(0, -'_leftImg8bit.png'.length);
      const image = path.join(imgDir, city, f);
      const labels = path.join(root, 'gtFine', split, city, `${stem}_gtFine_labelIds.png`);
      const instances = path.join(root, 'gtFine', split, city, `${stem}_gtFine_instanceIds.png`);
      await requireFile(labels, image);
      await requireFile(instances, image);
      entries.push({ id: stem, image, labels, instances });
    }
  }
  return entries;
}

async function decode(file: string, pipeline: (s: sharp.Sharp) => sharp.Sharp, depth: 'uchar' | 'ushort'): Promise<{ data: Buffer; info: sharp.OutputInfo; source: sharp.Metadata }> {
  try {
    const s = sharp(file, { failOn: 'error' });
    const source = await s.metadata();
    const { data, info } = await pipeline(s).raw({ depth }).toBuffer({ resolveWithObject: true });
    return { data, info, source };
  } catch (e) {
    throw new DatasetError(`Cityscapes: cannot decode ${file}: ${(e as Error).message}`, file);
  }
}

class Cityscapes implements LabelImageDataset {
  readonly name = 'cityscapes';
  readonly numClasses = CITYSCAPES_CLASSES.length;
  readonly classNames = CITYSCAPES_CLASSES;
  readonly palette = CITYSCAPES_PALETTE;
  readonly hasInstances = true;
  constructor(readonly height: number, readonly width: number, private readonly splits: Record<LabelImageSplit, CityscapesEntry[]>) {}

  size(split: LabelImageSplit): number {
    const s = this.splits[split];
    if (!s) throw new Error(`unknown split "${split}"; expected 'train' or 'val'`);
    return s.length;
  }

  async get(split: LabelImageSplit, index: number): Promise<LabelImageSample> {
    const n = this.size(split);
    if (!Number.isInteger(index) || index < 0 || index >= n) throw new Error(`Cityscapes ${split} index must be an integer in 0..${n - 1}, got ${index}`);
    const e = this.splits[split][index];
    const { height: H, width: W } = this;
    const fill = { fit: 'fill' as const };
    const img = await decode(e.image, (s) => s.removeAlpha().toColourspace('srgb').resize(W, H, { ...fill, kernel: 'cubic' }), 'uchar');
    const lbl = await decode(e.labels, (s) => s.resize(W, H, { ...fill, kernel: 'nearest' }).extractChannel(0), 'uchar');
    const ins = await decode(e.instances, (s) => s.resize(W, H, { ...fill, kernel: 'nearest' }).toColourspace('grey16'), 'ushort');
    for (const [file, meta] of [[e.labels, lbl.source], [e.instances, ins.source]] as const) {
      if (meta.width !== img.source.width || meta.height !== img.source.height) {
        throw new DatasetError(
          `Cityscapes: ${file} is ${meta.width}x${meta.height} but its image ${e.image} is ${img.source.width}x${img.source.height}; they must match`,
          file,
        );
      }
    }
    if (img.info.channels !== 3) throw new DatasetError(`Cityscapes: ${e.image} decoded to ${img.info.channels} channels, expected RGB`, e.image);
    const labels = new Uint8Array(H * W);
    for (let i = 0; i < H * W; i++) {
      const v = lbl.data[i];
      if (v >= this.numClasses) {
        throw new DatasetError(`Cityscapes: ${e.labels} has label id ${v} at pixel ${i}; labelIds must be in 0..${this.numClasses - 1} (is it a trainIds or color file?)`, e.labels);
      }
      labels[i] = v;
    }
    const ids = new Uint16Array(ins.data.buffer, ins.data.byteOffset, H * W);
    return { id: e.id, height: H, width: W, labels, edges: instanceEdges(ids, H, W), image: new Uint8Array(img.data.buffer, img.data.byteOffset, H * W * 3) };
  }
}

/**
 * Opens Cityscapes in its official layout:
 * `leftImg8bit/{train,val}/<city>/<stem>_leftImg8bit.png` with
 * `gtFine/{train,val}/<city>/<stem>_gtFine_labelIds.png` and `<stem>_gtFine_instanceIds.png`.
 * Images are resized bicubic, label and instance maps nearest-neighbour.
 */
export async function openCityscapes(options: CityscapesOptions): Promise<LabelImageDataset> {
  const { root, height = 256, width = 512, maxSamples } = options;
  if (typeof root !== 'string' || root.length === 0) throw new Error('Cityscapes: root must be the folder holding leftImg8bit/ and gtFine/ (pass --data-dir)');
  for (const [k, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`Cityscapes: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (maxSamples !== undefined && (!Number.isInteger(maxSamples) || maxSamples <= 0)) throw new Error(`Cityscapes: maxSamples must be a positive integer, got ${String(maxSamples)}`);
  const leftImg = path.join(root, 'leftImg8bit');
  if (!(await isDir(leftImg))) throw new DatasetError(`Cityscapes: ${leftImg} does not exist; expected ${root}/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png`, leftImg);
  const train = await listSplit(root, 'train');
  const val = await listSplit(root, 'val');
  if (train.length === 0) throw new DatasetError(`Cityscapes: no *_leftImg8bit.png under ${path.join(leftImg, 'train')}/<city>/`, path.join(leftImg, 'train'));
  const cut = (a: CityscapesEntry[]) => (maxSamples ? a.slice(0, maxSamples) : a);
  return new Cityscapes(height, width, { train: cut(train), val: cut(val) });
}
