// The paper's experimental settings (method.md's table) as `cdg train` flags.
import type { RunParams } from './grid';

export interface Preset {
  name: string;
  task: string;
  describe: string;
  /** Train flags (camelCase keys); sweep grid values and explicit flags override them. */
  params: RunParams;
  /** What the preset cannot express with today's flags, said to the user when it is used. */
  caveats: string[];
}

const mnistLike = (dataset: 'mnist' | 'fashion-mnist'): RunParams => ({
  dataset,
  model: 'cnn2',
  optimizer: 'sgd',
  lr: 0.01,
  momentum: 0,
  weightDecay: 0,
  batchSize: 100,
  epochs: 100,
  lrSchedule: 'constant',
  // The paper trains on the 10k test split and tests on the 60k train split.
  trainSplit: 'test',
});

export const PRESETS: Record<string, Preset> = {
  'mnist-paper': {
    name: 'mnist-paper',
    task: 'classification',
    describe: 'MNIST, 2 conv layers (50, 100 5×5 filters), SGD lr 0.01, batch 100, 100 epochs, trained on the 10k test split and tested on the 60k train split',
    params: mnistLike('mnist'),
    caveats: [],
  },
  'fashion-mnist-paper': {
    name: 'fashion-mnist-paper',
    task: 'classification',
    describe: 'Fashion-MNIST with the MNIST protocol (2-layer CNN, SGD lr 0.01, batch 100, 100 epochs, splits swapped)',
    params: mnistLike('fashion-mnist'),
    caveats: [],
  },
  'cifar10-resnet56-sgd': {
    name: 'cifar10-resnet56-sgd',
    task: 'classification',
    describe: 'CIFAR-10 ResNet-56, SGD momentum 0.9, weight decay 5e-4, lr 0.1 ÷10 every 40 epochs, batch 128, 240 epochs',
    params: {
      dataset: 'cifar10', model: 'resnet56', optimizer: 'momentum', lr: 0.1, momentum: 0.9, weightDecay: 5e-4,
      batchSize: 128, epochs: 240, lrSchedule: 'step', lrStepEpochs: 40, lrStepFactor: 0.1,
    },
    caveats: ['batch sizes 32 and 8 of Table 2 are a --grid batchSize=128,32,8 away'],
  },
  'cifar10-vgg16-sgd': {
    name: 'cifar10-vgg16-sgd',
    task: 'classification',
    describe: 'CIFAR-10 VGG-16 (batch norm), SGD lr 0.01, batch 128, 240 epochs',
    params: {
      dataset: 'cifar10', model: 'vgg16', optimizer: 'momentum', lr: 0.01, momentum: 0.9, weightDecay: 5e-4,
      batchSize: 128, epochs: 240, lrSchedule: 'constant',
    },
    caveats: ['the paper gives only "SGD, lr 0.01" for VGG-16; momentum 0.9 and weight decay 5e-4 are assumed from its ResNet setting'],
  },
  'cifar10-resnet56-adam': {
    name: 'cifar10-resnet56-adam',
    task: 'classification',
    describe: 'CIFAR-10 ResNet-56, Adam lr 1e-3, batch 128, 200 epochs',
    params: {
      dataset: 'cifar10', model: 'resnet56', optimizer: 'adam', lr: 1e-3, weightDecay: 0,
      batchSize: 128, epochs: 200, lrSchedule: 'constant',
    },
    caveats: ['the paper does not state an Adam schedule or weight decay; constant lr and none are assumed'],
  },
};

export function getPreset(name: string): Preset {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}"; choose one of ${Object.keys(PRESETS).join(', ')}`);
  return p;
}
