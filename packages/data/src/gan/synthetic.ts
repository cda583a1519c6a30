import { instanceEdges } from './edges';
import { mixSeed, seededRandom } from './random';
import type { LabelImageDataset, LabelImageSample, LabelImageSplit } from './types';

/** Classes of the synthetic street scenes (a subset of Cityscapes' classes, with its label colours). */
export const SYNTHETIC_STREET_CLASSES = ['road', 'sidewalk', 'building', 'vegetation', 'sky', 'car', 'pole'] as const;
const PALETTE: [number, number, number][] = [
  [128, 64, 128],
  [244, 35, 232],
  [70, 70, 70],
  [107, 142, 35],
  [70, 130, 180],
  [0, 0, 142],
  [153, 153, 153],
];
const ROAD = 0, SIDEWALK = 1, BUILDING = 2, VEGETATION = 3, SKY = 4, CAR = 5, POLE = 6;

export interface SyntheticStreetOptions {
  height?: number;
  width?: number;
  trainSize?: number;
  valSize?: number;
  seed?: number;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`synthetic street scenes: ${name} must be a positive integer, got ${String(v)}`);
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** Value noise on an integer lattice (deterministic hash), for textures. */
function latticeNoise(x: number, y: number, salt: number): number {
  return mixSeed(x, y, salt) / 4294967296;
}

/**
 * Renders one scene: label map (class per pixel), instance ids (cars get their own id) and an image
 * drawn from the labels with per-class colour, texture (windows, lane marks, foliage, sky
 * gradient) and pixel noise. Fully determined by (seed, split, index).
 */
export function renderStreetScene(height: number, width: number, seed: number): { labels: Uint8Array; instances: Uint16Array; image: Uint8Array } {
  const rnd = seededRandom(seed);
  const H = height, W = width, N = H * W;
  const labels = new Uint8Array(N);
  const instances = new Uint16Array(N);
  const colour = new Float32Array(N * 3);
  const setPx = (x: number, y: number, cls: number, rgb: readonly number[], inst = cls) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = y * W + x;
    labels[i] = cls;
    instances[i] = inst;
    colour[3 * i] = rgb[0];
    colour[3 * i + 1] = rgb[1];
    colour[3 * i + 2] = rgb[2];
  };

  const horizon = Math.round(H * (0.38 + 0.12 * rnd()));
  const vanishX = W * (0.35 + 0.3 * rnd());
  // Sky: vertical gradient towards a paler horizon.
  const skyTop = [70 + 40 * rnd(), 120 + 40 * rnd(), 200 + 40 * rnd()];
  for (let y = 0; y < H; y++) {
    const t = y / Math.max(1, horizon);
    const rgb = [skyTop[0] + 90 * t, skyTop[1] + 70 * t, skyTop[2] + 25 * t];
    for (let x = 0; x < W; x++) setPx(x, y, SKY, rgb);
  }
  // Buildings: a row of blocks with window grids, standing on the horizon.
  let bx = -Math.floor(rnd() * W * 0.1);
  while (bx < W) {
    const bw = Math.max(2, Math.round(W * (0.1 + 0.2 * rnd())));
    const top = Math.round(H * (0.05 + 0.3 * rnd()));
    const base = [90 + 80 * rnd(), 80 + 60 * rnd(), 70 + 60 * rnd()];
    const cell = Math.max(2, Math.round(H / 14));
    if (rnd() < 0.85) {
      for (let y = top; y < horizon + 1; y++) {
        for (let x = bx; x < bx + bw; x++) {
          const window = (x - bx) % cell >= cell / 2 && (y - top) % cell >= cell / 2;
          const f = window ? 0.45 : 1;
          setPx(x, y, BUILDING, [base[0] * f, base[1] * f, base[2] * f * (window ? 1.3 : 1)]);
        }
      }
    }
    bx += bw;
  }
  // Ground: the road is a trapezoid towards the vanishing point, sidewalks on both sides.
  const roadHalfFar = W * 0.02, roadHalfNear = W * (0.45 + 0.2 * rnd());
  const roadGrey = 80 + 30 * rnd();
  const walk = [150 + 40 * rnd(), 140 + 30 * rnd(), 130 + 30 * rnd()];
  const roadEdge = (y: number) => {
    const t = (y - horizon) / Math.max(1, H - 1 - horizon);
    const half = roadHalfFar + (roadHalfNear - roadHalfFar) * t;
    return [vanishX - half, vanishX + half, t] as const;
  };
  for (let y = horizon; y < H; y++) {
    const [l, r, t] = roadEdge(y);
    const dash = Math.floor((t * 6) % 2) === 0;
    const markHalf = 0.5 + t * W * 0.006;
    for (let x = 0; x < W; x++) {
      if (x >= l && x <= r) {
        const mark = dash && Math.abs(x - vanishX) <= markHalf;
        setPx(x, y, ROAD, mark ? [235, 235, 225] : [roadGrey, roadGrey, roadGrey + 5]);
      } else {
        const slab = ((Math.floor(x / Math.max(2, W / 24)) + Math.floor(y / Math.max(2, H / 24))) & 1) === 0 ? 1 : 0.9;
        setPx(x, y, SIDEWALK, [walk[0] * slab, walk[1] * slab, walk[2] * slab]);
      }
    }
  }
  // Trees: blobs of foliage above the sidewalks.
  const nTrees = Math.floor(rnd() * 4);
  for (let k = 0; k < nTrees; k++) {
    const cx = rnd() < 0.5 ? W * 0.15 * rnd() + W * 0.02 : W * (0.83 + 0.15 * rnd());
    const cy = horizon - H * (0.05 + 0.15 * rnd());
    const rad = H * (0.08 + 0.1 * rnd());
    const green = [40 + 40 * rnd(), 90 + 50 * rnd(), 30 + 30 * rnd()];
    for (let y = Math.floor(cy - rad); y <= Math.ceil(cy + rad * 1.6); y++) {
      for (let x = Math.floor(cx - rad); x <= Math.ceil(cx + rad); x++) {
        const inCrown = (x - cx) ** 2 + (y - cy) ** 2 <= rad * rad;
        const inTrunk = Math.abs(x - cx) <= Math.max(0.5, rad * 0.12) && y > cy && y <= cy + rad * 1.6;
        if (!inCrown && !inTrunk) continue;
        const n = 0.7 + 0.6 * latticeNoise(x >> 1, y >> 1, seed + k);
        if (inCrown) setPx(x, y, VEGETATION, [green[0] * n, green[1] * n, green[2] * n]);
        else setPx(x, y, VEGETATION, [90, 70, 50]);
      }
    }
  }
  // Poles along the sidewalks.
  const nPoles = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < nPoles; k++) {
    const yb = Math.round(horizon + (H - horizon) * (0.2 + 0.6 * rnd()));
    const [l, r] = roadEdge(yb);
    const side = rnd() < 0.5;
    const x0 = Math.round(side ? l - 2 - rnd() * W * 0.05 : r + 2 + rnd() * W * 0.05);
    const len = (yb - horizon) * 2.5 + H * 0.1;
    const thick = Math.max(1, Math.round((yb - horizon) / 25));
    for (let y = Math.round(yb - len); y <= yb; y++) for (let x = x0; x < x0 + thick; x++) setPx(x, y, POLE, [60, 60, 65]);
  }
  // Cars on the road, far ones first so near ones overlap them; each is an instance.
  const nCars = Math.floor(rnd() * 4);
  const cars: { yb: number; u: number; rgb: number[] }[] = [];
  const carColours = [[170, 20, 20], [30, 50, 160], [220, 220, 220], [25, 25, 25], [200, 180, 40]];
  for (let k = 0; k < nCars; k++) cars.push({ yb: horizon + (H - horizon) * (0.15 + 0.8 * rnd()), u: rnd(), rgb: carColours[Math.floor(rnd() * carColours.length)] });
  cars.sort((a, b) => a.yb - b.yb);
  cars.forEach((c, k) => {
    const [l, r] = roadEdge(c.yb);
    const ch = Math.max(2, (c.yb - horizon) * 0.45);
    const cw = ch * 1.8;
    const x0 = Math.round(l + (r - l - cw) * c.u);
    const y0 = Math.round(c.yb - ch);
    for (let y = y0; y <= Math.round(c.yb); y++) {
      for (let x = x0; x <= Math.round(x0 + cw); x++) {
        const glass = y < y0 + ch * 0.4 && x > x0 + cw * 0.15 && x < x0 + cw * 0.85;
        const f = glass ? 0.35 : 1;
        setPx(x, y, CAR, [c.rgb[0] * f, c.rgb[1] * f, c.rgb[2] * f + (glass ? 30 : 0)], 1000 + k);
      }
    }
  });
  // Sensor noise.
  const image = new Uint8Array(N * 3);
  for (let i = 0; i < N * 3; i++) image[i] = clamp255(colour[i] + (rnd() - 0.5) * 16);
  return { labels, instances, image };
}

class SyntheticStreetScenes implements LabelImageDataset {
  readonly name = 'synthetic';
  readonly numClasses = SYNTHETIC_STREET_CLASSES.length;
  readonly classNames = SYNTHETIC_STREET_CLASSES;
  readonly palette = PALETTE;
  readonly hasInstances = true;
  constructor(readonly height: number, readonly width: number, private readonly sizes: Record<LabelImageSplit, number>, private readonly seed: number) {}

  size(split: LabelImageSplit): number {
    if (!(split in this.sizes)) throw new Error(`unknown split "${split}"; expected 'train' or 'val'`);
    return this.sizes[split];
  }

  async get(split: LabelImageSplit, index: number): Promise<LabelImageSample> {
    const n = this.size(split);
    if (!Number.isInteger(index) || index < 0 || index >= n) throw new Error(`synthetic ${split} index must be an integer in 0..${n - 1}, got ${index}`);
    const { labels, instances, image } = renderStreetScene(this.height, this.width, mixSeed(this.seed, split === 'train' ? 1 : 2, index));
    return { id: `synthetic/${split}/${index}`, height: this.height, width: this.width, labels, edges: instanceEdges(instances, this.height, this.width), image };
  }
}

/** A deterministic synthetic street-scene dataset (label maps and images rendered from them). */
export function syntheticStreetScenes(options: SyntheticStreetOptions = {}): LabelImageDataset {
  const { height = 64, width = 128, trainSize = 512, valSize = 64, seed = 0 } = options;
  checkPositiveInt('height', height);
  checkPositiveInt('width', width);
  checkPositiveInt('trainSize', trainSize);
  checkPositiveInt('valSize', valSize);
  if (!Number.isFinite(seed)) throw new Error(`synthetic street scenes: seed must be a finite number, got ${seed}`);
  return new SyntheticStreetScenes(height, width, { train: trainSize, val: valSize }, seed);
}
