import { mixSeed, seededRandom } from './random';
import { VOC_IGNORE_INDEX } from './palette';
import type { SegmentationSample, SegmentationSource, SegmentationSplit } from './types';

/** Classes of the synthetic shapes dataset (index = label). */
export const SYNTHETIC_SHAPE_CLASSES: readonly string[] = ['background', 'disc', 'square', 'triangle', 'ring', 'cross'];

/**
 * Default difficulty. Earlier versions drew radius 15–28 % of the side on a background
 * grating 2.5× as strong with noise σ = 18 (`{ radius: [0.15, 0.28], backgroundTexture: 1, noise: 18 }`
 * gives those images back exactly); a from-scratch UNet-ResNet-50 ×0.125 stayed at the
 * all-background baseline there for the first ~750 steps of batch 8 (docs/segmentation.md).
 */
export const SYNTHETIC_SHAPES_DEFAULTS = { noise: 8, radius: [0.2, 0.4] as readonly [number, number], backgroundTexture: 0.4 } as const;

export interface SyntheticShapesOptions {
  /** Image side in pixels (default 64). */
  size?: number;
  trainSize?: number;
  valSize?: number;
  /** Fixes the dataset's content; independent of the training seed (default 2021). */
  seed?: number;
  /** Objects per image, inclusive range (default [1, 2]). */
  objects?: [number, number];
  /** Standard deviation of the per-pixel noise, in 0…255 units (default 8). */
  noise?: number;
  /** Object radius as a fraction of the image side, range (default [0.2, 0.4]). */
  radius?: [number, number];
  /**
   * Amplitude multiplier of the background's grating (default 0.4: 4–18 per channel, ×1.5 at the
   * peaks of its two waves); objects always get 0.25.
   */
  backgroundTexture?: number;
}

type Texture = { colour: number[]; amp: number[]; fx: number; fy: number; phase: number; fx2: number; fy2: number; phase2: number };

/** A random colour with a grating pattern of amplitude `strength` · (10…45) per channel. */
function randomTexture(rnd: () => number, size: number, strength = 1): Texture {
  const freq = () => ((rnd() * 2 - 1) * (2 + 10 * rnd())) / size;
  return {
    colour: [0, 1, 2].map(() => 30 + 195 * rnd()),
    amp: [0, 1, 2].map(() => strength * (10 + 35 * rnd())),
    fx: freq(),
    fy: freq(),
    phase: 2 * Math.PI * rnd(),
    fx2: freq() * 2.5,
    fy2: freq() * 2.5,
    phase2: 2 * Math.PI * rnd(),
  };
}

function textureAt(t: Texture, x: number, y: number, c: number): number {
  const w = Math.sin(2 * Math.PI * (t.fx * x + t.fy * y) + t.phase) + 0.5 * Math.sin(2 * Math.PI * (t.fx2 * x + t.fy2 * y) + t.phase2 + c);
  return t.colour[c] + t.amp[c] * w;
}

/** Whether (lx, ly) — coordinates in the shape's rotated frame, in units of its radius — lies inside shape `cls`. */
function insideShape(cls: number, lx: number, ly: number): boolean {
  const d2 = lx * lx + ly * ly;
  switch (cls) {
    case 1: // disc
      return d2 <= 1;
    case 2: // square, half side 0.8
      return Math.abs(lx) <= 0.8 && Math.abs(ly) <= 0.8;
    case 3: {
      // equilateral triangle inscribed in the unit circle: three half-planes, apothem ½
      for (const a of [Math.PI / 2, Math.PI / 2 + (2 * Math.PI) / 3, Math.PI / 2 + (4 * Math.PI) / 3]) {
        if (lx * Math.cos(a) + ly * Math.sin(a) > 0.5) return false;
      }
      return true;
    }
    case 4: // ring
      return d2 <= 1 && d2 >= 0.55 * 0.55;
    case 5: // cross (plus sign), arm half-width 0.3
      return (Math.abs(lx) <= 0.3 && Math.abs(ly) <= 1) || (Math.abs(ly) <= 0.3 && Math.abs(lx) <= 1);
    default:
      return false;
  }
}

/**
 * Deterministic synthetic segmentation data: discs, squares, triangles, rings and crosses, rotated
 * and scaled, each filled with its own random colour and a faint grating, on a background with a
 * stronger grating, plus pixel noise. Colour says nothing about the class; only shape does.
 */
export class SyntheticShapesDataset implements SegmentationSource {
  readonly name = 'synthetic';
  readonly numClasses = SYNTHETIC_SHAPE_CLASSES.length;
  readonly classNames = SYNTHETIC_SHAPE_CLASSES;
  readonly ignoreIndex = VOC_IGNORE_INDEX;
  readonly imageSize: number;
  private readonly sizes: Record<SegmentationSplit, number>;
  private readonly seed: number;
  private readonly objects: [number, number];
  private readonly noise: number;
  private readonly radius: [number, number];
  private readonly backgroundTexture: number;

  constructor(opts: SyntheticShapesOptions = {}) {
    this.imageSize = opts.size ?? 64;
    this.sizes = { train: opts.trainSize ?? 256, val: opts.valSize ?? 32 };
    this.seed = opts.seed ?? 2021;
    this.objects = opts.objects ?? [1, 2];
    this.noise = opts.noise ?? SYNTHETIC_SHAPES_DEFAULTS.noise;
    this.radius = opts.radius ?? [...SYNTHETIC_SHAPES_DEFAULTS.radius];
    this.backgroundTexture = opts.backgroundTexture ?? SYNTHETIC_SHAPES_DEFAULTS.backgroundTexture;
    if (!Number.isInteger(this.imageSize) || this.imageSize < 8) throw new Error(`synthetic image size must be an integer >= 8, got ${opts.size}`);
    for (const s of ['train', 'val'] as const) {
      if (!Number.isInteger(this.sizes[s]) || this.sizes[s] < 1) throw new Error(`synthetic ${s}Size must be a positive integer, got ${this.sizes[s]}`);
    }
    const [a, b] = this.objects;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 1 || b < a) throw new Error(`objects must be [min, max] integers with 1 <= min <= max, got [${a}, ${b}]`);
    if (!(this.noise >= 0)) throw new Error(`noise must be >= 0, got ${opts.noise}`);
    const [r0, r1] = this.radius;
    if (!(r0 > 0 && r1 >= r0 && r1 <= 0.5)) throw new Error(`radius must be [min, max] fractions of the side with 0 < min <= max <= 0.5, got [${r0}, ${r1}]`);
    if (!(this.backgroundTexture >= 0)) throw new Error(`backgroundTexture must be >= 0, got ${opts.backgroundTexture}`);
  }

  size(split: SegmentationSplit): number {
    return this.sizes[split];
  }

  async load(split: SegmentationSplit, index: number): Promise<SegmentationSample> {
    return this.render(split, index);
  }

  /** Renders sample `index` of `split` (pure function of the dataset seed, split and index). */
  render(split: SegmentationSplit, index: number): SegmentationSample {
    const n = this.sizes[split];
    if (!Number.isInteger(index) || index < 0 || index >= n) throw new Error(`synthetic ${split} index must be an integer in [0, ${n - 1}], got ${index}`);
    const S = this.imageSize;
    const rnd = seededRandom(mixSeed(this.seed, split === 'train' ? 1 : 2, index));
    const image = new Uint8Array(S * S * 3);
    const mask = new Uint8Array(S * S);
    const canvas = new Float32Array(S * S * 3);
    const bg = randomTexture(rnd, S, this.backgroundTexture);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) canvas[(y * S + x) * 3 + c] = textureAt(bg, x, y, c);
    const [lo, hi] = this.objects;
    const count = lo + Math.floor(rnd() * (hi - lo + 1));
    for (let k = 0; k < count; k++) {
      const cls = 1 + Math.floor(rnd() * (this.numClasses - 1));
      const r = S * (this.radius[0] + (this.radius[1] - this.radius[0]) * rnd());
      const cx = r + (S - 2 * r) * rnd();
      const cy = r + (S - 2 * r) * rnd();
      const theta = 2 * Math.PI * rnd();
      const cos = Math.cos(theta);
      const sin = Math.sin(theta);
      const tex = randomTexture(rnd, S, 0.25); // objects: faint texture, the background a strong one
      const x0 = Math.max(0, Math.floor(cx - r - 1));
      const x1 = Math.min(S - 1, Math.ceil(cx + r + 1));
      const y0 = Math.max(0, Math.floor(cy - r - 1));
      const y1 = Math.min(S - 1, Math.ceil(cy + r + 1));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const dx = (x + 0.5 - cx) / r;
          const dy = (y + 0.5 - cy) / r;
          if (!insideShape(cls, cos * dx + sin * dy, -sin * dx + cos * dy)) continue;
          mask[y * S + x] = cls;
          for (let c = 0; c < 3; c++) canvas[(y * S + x) * 3 + c] = textureAt(tex, x, y, c);
        }
      }
    }
    for (let i = 0; i < canvas.length; i++) {
      // approximately Gaussian noise: sum of three uniforms, variance 3/12 · (2·noise)² = noise²
      const g = (rnd() + rnd() + rnd() - 1.5) * 2 * this.noise;
      image[i] = Math.max(0, Math.min(255, Math.round(canvas[i] + g)));
    }
    return { id: `${split}-${String(index).padStart(5, '0')}`, width: S, height: S, image, mask };
  }
}
