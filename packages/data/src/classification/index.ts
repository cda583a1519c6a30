// Classification datasets: MNIST (IDX), Fashion-MNIST (class JSON), CIFAR-10 (binary), and batching.
export * from './imageSet';
export * from './idx';
export * from './mnist';
export * from './fashionMnist';
export * from './cifar10';
import { DatasetError } from '../common';
import { loadCifar10 } from './cifar10';
import { loadFashionMnist } from './fashionMnist';
import { ClassificationData } from './imageSet';
import { loadMnist } from './mnist';

export const CLASSIFICATION_DATASETS = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export type ClassificationDatasetName = (typeof CLASSIFICATION_DATASETS)[number];

/** Loads a classification dataset by name; `dir` overrides the bundled copy (required for cifar10). */
export function loadClassificationDataset(name: string, dir?: string): ClassificationData {
  switch (name) {
    case 'mnist':
      return loadMnist({ dir });
    case 'fashion-mnist':
      return loadFashionMnist({ dir });
    case 'cifar10':
      return loadCifar10({ dir: dir ?? '' });
    default:
      throw new DatasetError(`unknown classification dataset "${name}"; expected one of ${CLASSIFICATION_DATASETS.join(', ')}`);
  }
}
