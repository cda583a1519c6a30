import { promises as fs } from 'fs';
import * as path from 'path';
import sharp from 'sharp';

export interface GridRow {
  height: number;
  width: number;
  labels: Uint8Array;
  edges?: Uint8Array;
  /** Generated RGB in [−1, 1], H·W·3. */
  generated: Float32Array | Uint8Array;
  /** Real RGB bytes, H·W·3. */
  real: Uint8Array;
}

/** Draws rows of (label map | generated | real) side by side into one RGB buffer. */
export function composeGrid(rows: GridRow[], palette: readonly (readonly number[])[]): { data: Buffer; width: number; height: number } {
  if (rows.length === 0) throw new Error('composeGrid: no rows');
  const { height: H, width: W } = rows[0];
  const gap = 2;
  const width = 3 * W + 2 * gap;
  const height = rows.length * H + (rows.length - 1) * gap;
  const data = Buffer.alloc(width * height * 3, 255);
  rows.forEach((r, k) => {
    if (r.height !== H || r.width !== W) throw new Error(`composeGrid: row ${k} is ${r.height}x${r.width}, expected ${H}x${W}`);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const p = y * W + x;
        const o = ((k * (H + gap) + y) * width + x) * 3;
        const c = r.edges && r.edges[p] ? [255, 255, 255] : palette[r.labels[p]] ?? [0, 0, 0];
        for (let ch = 0; ch < 3; ch++) {
          data[o + ch] = c[ch];
          const g = r.generated[3 * p + ch];
          data[o + (W + gap) * 3 + ch] = Math.max(0, Math.min(255, Math.round((g + 1) * 127.5)));
          data[o + 2 * (W + gap) * 3 + ch] = r.real[3 * p + ch];
        }
      }
    }
  });
  return { data, width, height };
}

/** Writes the grid as a PNG atomically (temp file + rename). */
export async function writeSampleGrid(file: string, rows: GridRow[], palette: readonly (readonly number[])[]): Promise<void> {
  const { data, width, height } = composeGrid(rows, palette);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await sharp(data, { raw: { width, height, channels: 3 } }).png().toFile(tmp);
  await fs.rename(tmp, file);
}
