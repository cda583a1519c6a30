import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mixSeed } from '@cdg/data';

/** The networks this task builds by name. */
export const CLASSIFICATION_MODELS = ['cnn2', 'resnet20', 'resnet32', 'resnet56', 'vgg16'] as const;
export type ClassificationModelName = (typeof CLASSIFICATION_MODELS)[number];

export interface ModelOptions {
  inputShape: [number, number, number];
  classes: number;
  /** Every initializer is seeded from this, so one seed gives identical weights. */
  seed: number;
}

/** Hands out one distinct, reproducible initializer seed per layer. */
class Seeds {
  private i = 0;
  constructor(private readonly seed: number) {}
  next(): number {
    return mixSeed(this.seed, 7919, this.i++) % 2147483647;
  }
  he(): ReturnType<typeof tfl.initializers.heNormal> {
    return tfl.initializers.heNormal({ seed: this.next() });
  }
  glorot(): ReturnType<typeof tfl.initializers.heNormal> {
    return tfl.initializers.glorotUniform({ seed: this.next() });
  }
  /** PyTorch's default for Conv2d / Linear weights (kaiming_uniform with a = √5): U(±1/√fan_in). */
  torchDefault(): ReturnType<typeof tfl.initializers.heNormal> {
    return tfl.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: this.next() });
  }
}

/**
 * The paper's MNIST / Fashion-MNIST network: two 5×5 convolutions with 50 and 100 filters (valid
 * padding, ReLU, 2×2 max-pooling after each), then one dense layer to the class logits. Weights
 * start as PyTorch's defaults (U(±1/√fan_in), zero biases), as in the paper's PyTorch code.
 */
export function buildCnn2(opts: ModelOptions): tfl.LayersModel {
  const s = new Seeds(opts.seed);
  const input = tfl.input({ shape: opts.inputShape, name: 'image' });
  let x = tfl.layers.conv2d({ name: 'conv1', filters: 50, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: s.torchDefault() }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ name: 'conv2', filters: 100, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: s.torchDefault() }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ name: 'logits', units: opts.classes, kernelInitializer: s.torchDefault() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'cnn2' });
}

/**
 * He et al.'s option-A shortcut: keep every second pixel in each spatial direction and append
 * zero channels, so a downsampling block's identity path has no parameters. Written with reshape,
 * slice and pad, whose gradients every backend has.
 */
export class SubsampleZeroPad extends tfl.layers.Layer {
  static className = 'CdgSubsampleZeroPad';
  private readonly extra: number;
  constructor(args: { extraChannels: number; name?: string }) {
    super({ name: args.name });
    this.extra = args.extraChannels;
  }
  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = shape as tfl.Shape;
    return [s[0], s[1] == null ? null : Math.ceil(s[1] / 2), s[2] == null ? null : Math.ceil(s[2] / 2), (s[3] as number) + this.extra];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const he = h + (h % 2);
      const we = w + (w % 2);
      const even = he === h && we === w ? x : tf.pad(x, [[0, 0], [0, he - h], [0, we - w], [0, 0]]);
      const grid = tf.reshape(even, [b, he / 2, 2, we / 2, 2, c]);
      const picked = tf.reshape(tf.slice(grid, [0, 0, 0, 0, 0, 0], [b, he / 2, 1, we / 2, 1, c]), [b, he / 2, we / 2, c]);
      return tf.pad(picked, [[0, 0], [0, 0], [0, 0], [0, this.extra]]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), extraChannels: this.extra };
  }
}
tf.serialization.registerClass(SubsampleZeroPad);

function convBn(x: tfl.SymbolicTensor, s: Seeds, name: string, filters: number, strides: number, relu: boolean): tfl.SymbolicTensor {
  let y = tfl.layers.conv2d({ name: `${name}_conv`, filters, kernelSize: 3, strides, padding: 'same', useBias: false, kernelInitializer: s.he() }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9, epsilon: 1e-5 }).apply(y) as tfl.SymbolicTensor;
  if (relu) y = tfl.layers.activation({ name: `${name}_relu`, activation: 'relu' }).apply(y) as tfl.SymbolicTensor;
  return y;
}

/**
 * CIFAR ResNet (He et al. 2016, §4.2): depth = 6n + 2; a 3×3 conv with 16 filters, three stages of
 * n basic blocks with 16, 32, 64 filters (the first block of stages 2 and 3 has stride 2), global
 * average pooling and a dense layer. Shortcuts are option A (parameter-free: subsample + zero
 * channels), as in the paper's CIFAR experiments: ResNet-20 0.27M, ResNet-32 0.46M, ResNet-56 0.85M parameters.
 */
export function buildCifarResNet(depth: number, opts: ModelOptions): tfl.LayersModel {
  if (!Number.isInteger(depth) || (depth - 2) % 6 !== 0 || depth < 8) throw new Error(`ResNet depth must be 6n+2 (20, 32, 44, 56, 110…), got ${depth}`);
  const n = (depth - 2) / 6;
  const s = new Seeds(opts.seed);
  const input = tfl.input({ shape: opts.inputShape, name: 'image' });
  let x = convBn(input, s, 'stem', 16, 1, true);
  let width = 16;
  [16, 32, 64].forEach((filters, stage) => {
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      const name = `s${stage + 1}b${b + 1}`;
      let y = convBn(x, s, `${name}a`, filters, stride, true);
      y = convBn(y, s, `${name}b`, filters, 1, false);
      const shortcut = stride !== 1 || width !== filters ? (new SubsampleZeroPad({ name: `${name}_shortcut`, extraChannels: filters - width }).apply(x) as tfl.SymbolicTensor) : x;
      x = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor;
      x = tfl.layers.activation({ name: `${name}_relu`, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
      width = filters;
    }
  });
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ name: 'logits', units: opts.classes, kernelInitializer: s.glorot() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: `resnet${depth}` });
}

/** VGG-16 with batch norm for 32×32 inputs: 13 conv3×3-BN-ReLU layers in five max-pooled groups (64…512), then one dense layer (the common CIFAR form; 14.7M parameters). */
export function buildVgg16(opts: ModelOptions): tfl.LayersModel {
  const plan: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  const s = new Seeds(opts.seed);
  const input = tfl.input({ shape: opts.inputShape, name: 'image' });
  let x: tfl.SymbolicTensor = input;
  let i = 0;
  let p = 0;
  for (const v of plan) {
    if (v === 'M') x = tfl.layers.maxPooling2d({ name: `pool${++p}`, poolSize: 2 }).apply(x) as tfl.SymbolicTensor;
    else x = convBn(x, s, `conv${++i}`, v, 1, true);
  }
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ name: 'logits', units: opts.classes, kernelInitializer: s.glorot() }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'vgg16' });
}

/** Builds a network by name. */
export function buildClassificationModel(name: string, opts: ModelOptions): tfl.LayersModel {
  switch (name) {
    case 'cnn2':
      return buildCnn2(opts);
    case 'resnet20':
      return buildCifarResNet(20, opts);
    case 'resnet32':
      return buildCifarResNet(32, opts);
    case 'resnet56':
      return buildCifarResNet(56, opts);
    case 'vgg16':
      return buildVgg16(opts);
    default:
      throw new Error(`unknown model "${name}"; expected one of ${CLASSIFICATION_MODELS.join(', ')}`);
  }
}
