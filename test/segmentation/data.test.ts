import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import {
  colourizeLabels,
  DatasetError,
  resolveVocRoot,
  segmentationBatches,
  SyntheticShapesDataset,
  VocSegmentationDataset,
  vocPalette,
  type SegmentationSample,
  type SegmentationSource,
} from '@cdg/data';

/** A label map with a few rectangles of classes 0, 1, 15, 20 and a 255 border around the object. */
function labels(width: number, height: number, shift: number): Uint8Array {
  const m = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 0;
      if (x >= 4 + shift && x < 16 + shift && y >= 4 && y < 14) v = 1;
      if (x >= 20 && y >= 16) v = 15;
      if (x < 6 && y >= height - 6) v = 20;
      if ((x === 3 + shift || x === 16 + shift) && y >= 4 && y < 14) v = 255;
      m[y * width + x] = v;
    }
  }
  return m;
}

async function writeJpeg(file: string, width: number, height: number, rgb: [number, number, number]): Promise<void> {
  const buf = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) buf.set(rgb, i * 3);
  await sharp(buf, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toFile(file);
}

/** A palette PNG, as VOC ships its SegmentationClass masks. */
async function writePaletteMask(file: string, width: number, height: number, lab: Uint8Array): Promise<void> {
  await sharp(Buffer.from(colourizeLabels(lab)), { raw: { width, height, channels: 3 } }).png({ palette: true, colours: 256, dither: 0 }).toFile(file);
}

describe('segmentation data: Pascal VOC 2012 layout', () => {
  let tmp: string;
  let root: string;
  const W = 32;
  const H = 24;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-voc-'));
    root = path.join(tmp, 'VOCdevkit', 'VOC2012');
    for (const d of ['JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation']) fs.mkdirSync(path.join(root, d), { recursive: true });
    const train = ['2007_000001', '2007_000002', '2008_000003'];
    const val = ['2009_000004', '2009_000005', 'bad_missing_mask', 'bad_wrong_size', 'bad_colour', 'bad_missing_image'];
    fs.writeFileSync(path.join(root, 'ImageSets/Segmentation/train.txt'), train.join('\n') + '\n');
    fs.writeFileSync(path.join(root, 'ImageSets/Segmentation/val.txt'), val.join('\r\n') + '\r\n');
    for (const [i, id] of [...train, ...val].entries()) {
      if (id !== 'bad_missing_image') await writeJpeg(path.join(root, 'JPEGImages', `${id}.jpg`), W, H, [40 * (i % 6), 200, 100]);
      if (id === 'bad_missing_mask') continue;
      if (id === 'bad_wrong_size') await writePaletteMask(path.join(root, 'SegmentationClass', `${id}.png`), W - 2, H, labels(W - 2, H, 0));
      else if (id === 'bad_colour') {
        const rgb = Buffer.from(colourizeLabels(labels(W, H, 0)));
        rgb.set([1, 2, 3], (5 * W + 7) * 3);
        await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path.join(root, 'SegmentationClass', `${id}.png`));
      } else await writePaletteMask(path.join(root, 'SegmentationClass', `${id}.png`), W, H, labels(W, H, i));
    }
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('finds VOC2012 from the folder above VOCdevkit, from VOCdevkit, or VOC2012 itself', () => {
    expect(resolveVocRoot(tmp)).to.equal(root);
    expect(resolveVocRoot(path.join(tmp, 'VOCdevkit'))).to.equal(root);
    expect(resolveVocRoot(root)).to.equal(root);
    expect(() => resolveVocRoot(os.tmpdir() + '/no-such-voc')).to.throw(DatasetError, /JPEGImages/);
  });

  it('reads the split lists and maps palette colours back to class indices, 255 included', async () => {
    const voc = await VocSegmentationDataset.open(tmp);
    expect(voc.size('train')).to.equal(3);
    expect(voc.size('val')).to.equal(6);
    expect(voc.numClasses).to.equal(21);
    const s = await voc.load('train', 1);
    expect(s.id).to.equal('2007_000002');
    expect([s.width, s.height]).to.deep.equal([W, H]);
    expect(Array.from(s.mask)).to.deep.equal(Array.from(labels(W, H, 1)));
    expect(new Set(s.mask)).to.deep.equal(new Set([0, 1, 15, 20, 255]));
    // JPEG is lossy: the flat colour comes back within a few levels
    expect(Math.abs(s.image[0] - 40)).to.be.lessThan(6);
    expect(Math.abs(s.image[1] - 200)).to.be.lessThan(6);
  });

  it('also accepts single-channel masks that hold the class indices directly', async () => {
    const id = '2008_000003';
    const file = path.join(root, 'SegmentationClass', `${id}.png`);
    const saved = fs.readFileSync(file);
    try {
      const lab = labels(W, H, 2);
      await sharp(Buffer.from(lab), { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toFile(file);
      expect((await sharp(file).metadata()).channels).to.equal(1);
      const voc = await VocSegmentationDataset.open(tmp);
      expect(Array.from((await voc.load('train', 2)).mask)).to.deep.equal(Array.from(lab));
    } finally {
      fs.writeFileSync(file, saved);
    }
  });

  it('names the file for a missing mask, a wrong-size mask, a foreign colour and a missing image', async () => {
    const voc = await VocSegmentationDataset.open(path.join(tmp, 'VOCdevkit'));
    const failure = async (i: number) => {
      try {
        await voc.load('val', i);
      } catch (e) {
        return e as DatasetError;
      }
      throw new Error(`val ${i} loaded without error`);
    };
    const missing = await failure(2);
    expect(missing).to.be.instanceOf(DatasetError);
    expect(missing.message).to.include(path.join(root, 'SegmentationClass', 'bad_missing_mask.png')).and.include('missing mask');
    const wrong = await failure(3);
    expect(wrong.message).to.include('bad_wrong_size.png').and.include(`${W - 2}×${H}`).and.include(`${W}×${H}`);
    expect(wrong.file).to.equal(path.join(root, 'SegmentationClass', 'bad_wrong_size.png'));
    const colour = await failure(4);
    expect(colour.message).to.include('bad_colour.png').and.include('rgb(1,2,3)').and.include('(7, 5)');
    const image = await failure(5);
    expect(image.message).to.include(path.join(root, 'JPEGImages', 'bad_missing_image.jpg'));
  });

  it('rejects a missing or empty split list, naming it', async () => {
    const list = path.join(root, 'ImageSets/Segmentation/val.txt');
    const saved = fs.readFileSync(list);
    try {
      fs.writeFileSync(list, '\n\n');
      await VocSegmentationDataset.open(tmp).then(
        () => expect.fail('opened with an empty val.txt'),
        (e: Error) => expect(e.message).to.include(list).and.include('empty'),
      );
      fs.rmSync(list);
      await VocSegmentationDataset.open(tmp).then(
        () => expect.fail('opened without val.txt'),
        (e: Error) => expect(e.message).to.include(list),
      );
    } finally {
      fs.writeFileSync(list, saved);
    }
  });

  it('shrinks large images on load (mask by nearest neighbour) and batches VOC samples', async () => {
    const voc = await VocSegmentationDataset.open(tmp, { maxShorterSide: 12 });
    const s = await voc.load('train', 0);
    expect([s.width, s.height]).to.deep.equal([16, 12]);
    expect(new Set(s.mask)).to.deep.equal(new Set([0, 1, 15, 20, 255]));
    const batches = [];
    for await (const b of segmentationBatches(voc, 'train', { batchSize: 2, height: 32, width: 32, augment: {}, seed: 3 })) batches.push(b);
    expect(batches.map((b) => b.size)).to.deep.equal([2, 1]);
    expect(batches[0].masks.length).to.equal(2 * 32 * 32);
  });
});

/** An in-memory source whose image colour encodes the class, so alignment can be checked pixel by pixel. */
class ColourCoded implements SegmentationSource {
  readonly name = 'colour-coded';
  readonly numClasses = 4;
  readonly classNames = ['a', 'b', 'c', 'd'];
  readonly ignoreIndex = 255;
  size(): number {
    return 5;
  }
  async load(_split: string, index: number): Promise<SegmentationSample> {
    const width = 37 + index * 5;
    const height = 29 + index * 3;
    const mask = new Uint8Array(width * height);
    const image = new Uint8Array(width * height * 3);
    const pal = vocPalette();
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // left/right asymmetric blocks, so a flip applied to only one of image/mask would show
        const c = x < width / 3 ? 1 : y < height / 2 ? 2 : x > (3 * width) / 4 ? 3 : 0;
        mask[y * width + x] = c;
        image.set(pal.subarray(c * 3 + 3, c * 3 + 6), (y * width + x) * 3); // colour of VOC class c+1
      }
    }
    return { id: `cc${index}`, width, height, image, mask };
  }
}

describe('segmentation data: augmentation and batching', () => {
  it('keeps image and mask aligned under random scale, crop and flip', async () => {
    const src = new ColourCoded();
    const pal = vocPalette();
    let checked = 0;
    let flippedSeen = false;
    for await (const b of segmentationBatches(src, 'train', { batchSize: 5, height: 32, width: 32, augment: { scaleRange: [0.5, 2] }, seed: 11, epoch: 2 })) {
      for (let k = 0; k < b.size; k++) {
        for (let y = 1; y < 31; y++) {
          for (let x = 1; x < 31; x++) {
            const at = (yy: number, xx: number) => b.masks[k * 1024 + yy * 32 + xx];
            const c = at(y, x);
            // interior pixels: the whole 3×3 neighbourhood has one label, so bilinear mixing cannot blur the colour
            let uniform = true;
            for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) uniform &&= at(y + dy, x + dx) === c;
            if (!uniform) continue;
            const p = (k * 1024 + y * 32 + x) * 3;
            const want = c === 255 ? [124, 116, 104] : Array.from(pal.subarray(c * 3 + 3, c * 3 + 6));
            expect([b.pixels[p], b.pixels[p + 1], b.pixels[p + 2]], `image ${k} pixel (${x}, ${y}) label ${c}`).to.deep.equal(want);
            checked++;
          }
        }
        // class 1 occupies the left third; after a flip it shows up on the right
        let left = 0;
        let right = 0;
        for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (b.masks[k * 1024 + y * 32 + x] === 1) (x < 16 ? left++ : right++);
        if (right > left) flippedSeen = true;
      }
    }
    expect(checked).to.be.greaterThan(2000);
    expect(flippedSeen).to.equal(true);
  });

  it('is deterministic in (seed, epoch) and changes with the epoch', async () => {
    const src = new SyntheticShapesDataset({ size: 32, trainSize: 6, valSize: 2 });
    const first = async (epoch: number, seed: number) => {
      for await (const b of segmentationBatches(src, 'train', { batchSize: 3, height: 32, width: 32, augment: {}, shuffle: true, seed, epoch })) return b;
      throw new Error('no batch');
    };
    const a = await first(0, 1);
    const b = await first(0, 1);
    const c = await first(1, 1);
    expect(b.ids).to.deep.equal(a.ids);
    expect(Buffer.from(b.images.buffer).equals(Buffer.from(a.images.buffer))).to.equal(true);
    expect(Buffer.from(c.images.buffer).equals(Buffer.from(a.images.buffer))).to.equal(false);
  });

  it('evaluation placement fits the whole image and marks the padding as ignore', async () => {
    const src = new ColourCoded();
    for await (const b of segmentationBatches(src, 'val', { batchSize: 1, height: 32, width: 32, indices: [0] })) {
      // 37×29 fitted into 32×32: scale 32/37, height 25.1 → about 3.5 padded rows at top and bottom
      expect(b.masks[0]).to.equal(255);
      expect(b.masks[16 * 32 + 2]).to.equal(1);
      expect(b.masks[31 * 32 + 16]).to.equal(255);
      expect(Array.from(b.pixels.subarray(0, 3))).to.deep.equal([124, 116, 104]);
    }
  });

  it('synthetic shapes: deterministic, every shape class occurs, and a full-size sample set', () => {
    const ds = new SyntheticShapesDataset({ size: 48, trainSize: 40, valSize: 4 });
    const a = ds.render('train', 7);
    const b = ds.render('train', 7);
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).to.equal(true);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).to.equal(true);
    expect(Buffer.from(ds.render('val', 7 % 4).image).equals(Buffer.from(a.image))).to.equal(false);
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) for (const v of ds.render('train', i).mask) seen.add(v);
    expect([...seen].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(() => ds.render('train', 40)).to.throw(/index must be an integer in \[0, 39\]/);
  });

  it('synthetic shapes: radius, background grating and noise are options; the defaults give larger objects than the earlier hard setting', () => {
    const foreground = (ds: SyntheticShapesDataset) => {
      let fg = 0;
      for (let i = 0; i < 32; i++) for (const v of ds.render('train', i).mask) fg += v > 0 ? 1 : 0;
      return fg / (32 * 48 * 48);
    };
    const easy = foreground(new SyntheticShapesDataset({ size: 48, trainSize: 32, valSize: 1 }));
    const hard = foreground(new SyntheticShapesDataset({ size: 48, trainSize: 32, valSize: 1, radius: [0.15, 0.28], backgroundTexture: 1, noise: 18 }));
    expect(easy).to.be.greaterThan(1.5 * hard);
    expect(easy).to.be.lessThan(0.5); // background stays the majority class
    // the options change only the pixels, never the draw order: same shapes and classes, larger or smaller
    const a = new SyntheticShapesDataset({ size: 48, trainSize: 2, valSize: 1, noise: 0, backgroundTexture: 0 }).render('train', 1);
    const b = new SyntheticShapesDataset({ size: 48, trainSize: 2, valSize: 1, noise: 30, backgroundTexture: 2 }).render('train', 1);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).to.equal(true);
    expect(() => new SyntheticShapesDataset({ radius: [0.3, 0.2] })).to.throw(/radius must be \[min, max\]/);
    expect(() => new SyntheticShapesDataset({ radius: [0.2, 0.6] })).to.throw(/<= 0.5/);
    expect(() => new SyntheticShapesDataset({ backgroundTexture: -1 })).to.throw(/backgroundTexture must be >= 0/);
  });
});
