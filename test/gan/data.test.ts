import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, unlinkSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { instanceEdges, openCityscapes, syntheticStreetScenes, SYNTHETIC_STREET_CLASSES } from '@cdg/data';

const W = 16, H = 8;
/** 2×2-block-constant maps so that any nearest-neighbour choice inside a block gives the same value. */
const blockLabel = (x: number, y: number) => (y < 4 ? 23 : x < 8 ? 7 : 26);
const blockInstance = (x: number, y: number) => (y < 4 ? 23 : x < 8 ? 7 : x < 12 ? 26000 : 26001);

async function writeCity(root: string, split: string, city: string, stem: string, opts: { labelValue?: number; labelWidth?: number } = {}) {
  const img = path.join(root, 'leftImg8bit', split, city);
  const gt = path.join(root, 'gtFine', split, city);
  mkdirSync(img, { recursive: true });
  mkdirSync(gt, { recursive: true });
  const rgb = Buffer.alloc(W * H * 3);
  for (let i = 0; i < W * H; i++) rgb.set([200, 100, 50], 3 * i);
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(img, `${stem}_leftImg8bit.png`));
  const lw = opts.labelWidth ?? W;
  const lab = Buffer.alloc(lw * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < lw; x++) lab[y * lw + x] = opts.labelValue ?? blockLabel(x, y);
  await sharp(lab, { raw: { width: lw, height: H, channels: 1 } }).png().toFile(path.join(gt, `${stem}_gtFine_labelIds.png`));
  const ins = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ins[y * W + x] = blockInstance(x, y);
  await sharp(ins, { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toFile(path.join(gt, `${stem}_gtFine_instanceIds.png`));
}

describe('gan data: Cityscapes reader and synthetic street scenes', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'cdg-cityscapes-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads the official layout, resizes labels nearest and builds the instance edge map', async () => {
    await writeCity(root, 'train', 'aachen', 'aachen_000000_000019');
    await writeCity(root, 'train', 'bremen', 'bremen_000001_000019');
    await writeCity(root, 'val', 'lindau', 'lindau_000000_000019');
    const ds = await openCityscapes({ root, height: H / 2, width: W / 2 });
    expect(ds.numClasses).to.equal(35);
    expect(ds.size('train')).to.equal(2);
    expect(ds.size('val')).to.equal(1);
    const s = await ds.get('train', 1);
    expect(s.id).to.equal('bremen_000001_000019');
    const h = H / 2, w = W / 2;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(s.labels[y * w + x]).to.equal(blockLabel(2 * x, 2 * y));
    // Edges by hand on the 4×8 instance map: row 1/2 boundary (sky|ground) everywhere, column 3/4 (road|car)
    // and 5/6 (car 0|car 1) on the ground rows.
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const expected = y === 1 || y === 2 || (y >= 2 && (x === 3 || x === 4 || x === 5 || x === 6));
        expect(s.edges[y * w + x], `edge at ${x},${y}`).to.equal(expected ? 1 : 0);
      }
    }
    expect(s.image.length).to.equal(h * w * 3);
    expect(Array.from(s.image.subarray(0, 3))).to.deep.equal([200, 100, 50]);
  });

  it('names a missing annotation file', async () => {
    await writeCity(root, 'train', 'aachen', 'aachen_000000_000019');
    const missing = path.join(root, 'gtFine', 'train', 'aachen', 'aachen_000000_000019_gtFine_instanceIds.png');
    unlinkSync(missing);
    let err: Error | null = null;
    await openCityscapes({ root }).catch((e) => (err = e));
    expect(err!.message).to.contain(missing);
  });

  it('names a label map whose size does not match its image, and out-of-range label ids', async () => {
    await writeCity(root, 'train', 'aachen', 'a_0', { labelWidth: W + 2 });
    await writeCity(root, 'train', 'aachen', 'b_0', { labelValue: 200 });
    const ds = await openCityscapes({ root, height: 4, width: 8 });
    let err: Error | null = null;
    await ds.get('train', 0).catch((e) => (err = e));
    expect(err!.message).to.match(/a_0_gtFine_labelIds\.png is 18x8 but its image .* is 16x8/);
    err = null;
    await ds.get('train', 1).catch((e) => (err = e));
    expect(err!.message).to.match(/b_0_gtFine_labelIds\.png has label id 200/);
  });

  it('explains a folder without leftImg8bit/', async () => {
    let err: Error | null = null;
    await openCityscapes({ root }).catch((e) => (err = e));
    expect(err!.message).to.contain(path.join(root, 'leftImg8bit')).and.to.contain('does not exist');
  });

  it('instanceEdges marks both pixels of every differing 4-neighbour pair', () => {
    // 3×3 with a single different centre: the centre and its 4 neighbours are edges, corners are not
    expect(Array.from(instanceEdges([0, 0, 0, 0, 5, 0, 0, 0, 0], 3, 3))).to.deep.equal([0, 1, 0, 1, 1, 1, 0, 1, 0]);
  });

  it('synthetic scenes are deterministic, in range, and show every class', async () => {
    const ds = syntheticStreetScenes({ height: 32, width: 64, trainSize: 16, valSize: 4, seed: 5 });
    const a = await ds.get('train', 3);
    const b = await ds.get('train', 3);
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).to.equal(true);
    expect(Buffer.from(a.labels).equals(Buffer.from(b.labels))).to.equal(true);
    const c = await ds.get('val', 3);
    expect(Buffer.from(a.labels).equals(Buffer.from(c.labels))).to.equal(false);
    const seen = new Set<number>();
    for (let i = 0; i < 16; i++) for (const v of (await ds.get('train', i)).labels) seen.add(v);
    expect([...seen].sort()).to.deep.equal(SYNTHETIC_STREET_CLASSES.map((_, k) => k));
    expect(() => syntheticStreetScenes({ height: 0 })).to.throw(/height must be a positive integer, got 0/);
    await ds.get('train', 16).then(() => expect.fail('no error'), (e) => expect(e.message).to.match(/0\.\.15, got 16/));
  });
});
