import * as fs from 'fs';
import * as path from 'path';
import { DatasetError } from '../common';
import { checkLabels, readDatasetFile } from './idx';
import { channelStats, ClassificationData, ImageSet } from './imageSet';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** One record of the binary version: 1 label byte, then 1024 red, 1024 green, 1024 blue bytes (row-major 32×32). */
export const CIFAR10_RECORD_BYTES = 3073;

/** Resolves the folder holding the .bin files: `dir` itself or its `cifar-10-batches-bin` subfolder. */
export function resolveCifar10Dir(dir: string): string {
  if (!dir) throw new DatasetError('CIFAR-10 needs --data-dir: a folder with data_batch_1..5.bin and test_batch.bin (the official binary version)');
  const sub = path.join(dir, 'cifar-10-batches-bin');
  if (!fs.existsSync(path.join(dir, CIFAR10_TEST_FILE)) && fs.existsSync(path.join(sub, CIFAR10_TEST_FILE))) return sub;
  return dir;
}

/** Reads CIFAR-10 binary batch files into one HWC ImageSet. */
export function readCifarBatches(files: string[], name: string): ImageSet {
  const bufs = files.map((f) => {
    const b = readDatasetFile(f, 'cifar10');
    if (b.length === 0 || b.length % CIFAR10_RECORD_BYTES !== 0) {
      throw new DatasetError(`${f}: ${b.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records (truncated or corrupt; the official files are 30730000 bytes)`, f);
    }
    return b;
  });
  const count = bufs.reduce((a, b) => a + b.length / CIFAR10_RECORD_BYTES, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let n = 0;
  bufs.forEach((b, fi) => {
    const recs = b.length / CIFAR10_RECORD_BYTES;
    const fileLabels = new Uint8Array(recs);
    for (let r = 0; r < recs; r++) {
      const o = r * CIFAR10_RECORD_BYTES;
      fileLabels[r] = b[o];
      const dst = n * 3072;
      for (let p = 0; p < 1024; p++) {
        images[dst + 3 * p] = b[o + 1 + p];
        images[dst + 3 * p + 1] = b[o + 1 + 1024 + p];
        images[dst + 3 * p + 2] = b[o + 1 + 2048 + p];
      }
      labels[n++] = b[o];
    }
    checkLabels(fileLabels, 10, files[fi]);
  });
  return { name, images, labels, count, height: 32, width: 32, channels: 3, classes: 10 };
}

/** CIFAR-10 (binary version) from a user folder: 50k train (data_batch_1..5.bin), 10k test (test_batch.bin). */
export function loadCifar10(opts: { dir: string }): ClassificationData {
  const dir = resolveCifar10Dir(opts.dir);
  const train = readCifarBatches(CIFAR10_TRAIN_FILES.map((f) => path.join(dir, f)), 'cifar10/train');
  const test = readCifarBatches([path.join(dir, CIFAR10_TEST_FILE)], 'cifar10/test');
  return { name: 'cifar10', train, test, classNames: CIFAR10_CLASSES.slice(), ...channelStats(train) };
}
