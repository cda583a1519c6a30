import * as tfl from '@tensorflow/tfjs-layers';

export interface UNetResNet50Options {
  /** Output classes (logits per pixel). Default 21 (Pascal VOC). */
  numClasses?: number;
  /** Input height and width (a number for square); each must be a multiple of 32. Default 512. */
  inputSize?: number | [number, number];
  /** Scales every channel count of encoder and decoder (1 = the faithful ResNet-50 widths 64…2048). */
  widthMultiplier?: number;
  /** Output channels of the five decoder stages, before the width multiplier. Default [256, 128, 64, 32, 16]. */
  decoderChannels?: [number, number, number, number, number];
  /** Seeds every initializer, so equal seeds give equal initial weights. Default 0. */
  seed?: number;
  /** Batch-norm momentum of the moving statistics (Keras convention). Default 0.9. */
  batchNormMomentum?: number;
  /** Floor on any scaled channel count (a width multiplier never thins a layer below this). Default 8. */
  minChannels?: number;
  /** Bottleneck blocks per ResNet stage. Default [3, 4, 6, 3] (ResNet-50). */
  blocks?: [number, number, number, number];
}

/** Encoder layers are named as in Keras' ResNet50 (`conv1_conv`, `conv2_block1_1_conv`, …); these match them. */
export const ENCODER_LAYER_PATTERN = /^(conv\d|pool1)_/;
/** Decoder layers (`decoder_stage*`) and the classifier (`segmentation_head`). */
export const DECODER_LAYER_PATTERN = /^(decoder_|segmentation_head)/;

/** The channel count a width multiplier gives: rounded, and not below `minChannels` (nor the original count, if smaller). */
export function scaledChannels(channels: number, widthMultiplier: number, minChannels = 8): number {
  return Math.max(Math.min(channels, minChannels), 1, Math.round(channels * widthMultiplier));
}

/**
 * UNet with a ResNet-50 encoder (He et al. 2016, bottleneck blocks 3-4-6-3, stride on the 3×3 conv
 * as in torchvision's v1.5, batch norm, no conv biases) and a UNet decoder: five stages, each a
 * 2×2 stride-2 Conv2DTranspose, concatenation with the encoder features of that resolution
 * (strides 16, 8, 4, 2; none at full resolution), then two 3×3 conv–BN–ReLU; a 3×3 conv gives the
 * per-pixel class logits at the input resolution, NHWC.
 */
export function buildUNetResNet50(opts: UNetResNet50Options = {}): tfl.LayersModel {
  const numClasses = opts.numClasses ?? 21;
  const [H, W] = typeof opts.inputSize === 'number' || opts.inputSize === undefined ? [opts.inputSize ?? 512, opts.inputSize ?? 512] : opts.inputSize;
  const m = opts.widthMultiplier ?? 1;
  const decoderChannels = opts.decoderChannels ?? [256, 128, 64, 32, 16];
  const blocks = opts.blocks ?? [3, 4, 6, 3];
  const bnMomentum = opts.batchNormMomentum ?? 0.9;
  const minChannels = opts.minChannels ?? 8;
  const ch = (c: number) => scaledChannels(c, m, minChannels);
  let seed = (opts.seed ?? 0) * 1000;

  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`numClasses must be an integer >= 2, got ${numClasses}`);
  for (const [name, v] of [['input height', H], ['input width', W]] as const) {
    if (!Number.isInteger(v) || v < 32 || v % 32 !== 0) throw new Error(`${name} must be a positive multiple of 32 (the encoder downsamples 32×), got ${v}`);
  }
  if (typeof m !== 'number' || !Number.isFinite(m) || m <= 0) throw new Error(`widthMultiplier must be a finite number > 0, got ${m}`);
  if (!Number.isInteger(minChannels) || minChannels < 1) throw new Error(`minChannels must be a positive integer, got ${minChannels}`);
  if (decoderChannels.length !== 5 || decoderChannels.some((c) => !Number.isInteger(c) || c < 1)) throw new Error(`decoderChannels must be 5 positive integers, got [${decoderChannels.join(', ')}]`);
  if (blocks.length !== 4 || blocks.some((b) => !Number.isInteger(b) || b < 1)) throw new Error(`blocks must be 4 positive integers, got [${blocks.join(', ')}]`);

  const heNormal = () => tfl.initializers.heNormal({ seed: seed++ });
  const conv = (x: tfl.SymbolicTensor, filters: number, kernel: number, stride: number, name: string, pad: number): tfl.SymbolicTensor => {
    // explicit symmetric zero padding + 'valid', as torchvision pads (tfjs 'same' pads asymmetrically at stride 2)
    const input = pad > 0 ? (tfl.layers.zeroPadding2d({ padding: pad, name: name.replace(/_conv$/, '_pad') }).apply(x) as tfl.SymbolicTensor) : x;
    return tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'valid', useBias: false, kernelInitializer: heNormal(), name })
      .apply(input) as tfl.SymbolicTensor;
  };
  const bn = (x: tfl.SymbolicTensor, name: string) =>
    tfl.layers.batchNormalization({ axis: -1, momentum: bnMomentum, epsilon: 1e-5, name }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.activation({ activation: 'relu', name }).apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: [H, W, 3], name: 'image' });
  // stem: 7×7/2 conv, BN, ReLU (stride 2) → 3×3/2 max pool (stride 4)
  let x = relu(bn(conv(input, ch(64), 7, 2, 'conv1_conv', 3), 'conv1_bn'), 'conv1_relu');
  const skips: tfl.SymbolicTensor[] = [x];
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'pool1_pad' }).apply(x) as tfl.SymbolicTensor; // after ReLU, zero pad = −∞ pad
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'pool1_pool' }).apply(x) as tfl.SymbolicTensor;

  const widths = [64, 128, 256, 512];
  for (let s = 0; s < 4; s++) {
    const width = ch(widths[s]);
    const outChannels = ch(widths[s] * 4);
    for (let b = 0; b < blocks[s]; b++) {
      const p = `conv${s + 2}_block${b + 1}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      let shortcut = x;
      if (b === 0) shortcut = bn(conv(x, outChannels, 1, stride, `${p}_0_conv`, 0), `${p}_0_bn`);
      let y = relu(bn(conv(x, width, 1, 1, `${p}_1_conv`, 0), `${p}_1_bn`), `${p}_1_relu`);
      y = relu(bn(conv(y, width, 3, stride, `${p}_2_conv`, 1), `${p}_2_bn`), `${p}_2_relu`);
      y = bn(conv(y, outChannels, 1, 1, `${p}_3_conv`, 0), `${p}_3_bn`);
      x = tfl.layers.add({ name: `${p}_add` }).apply([shortcut, y]) as tfl.SymbolicTensor;
      x = relu(x, `${p}_out`);
    }
    if (s < 3) skips.push(x); // strides 4, 8, 16; the stride-32 output feeds the decoder
  }

  // decoder: stride 32 → 16 → 8 → 4 → 2 → 1
  for (let d = 0; d < 5; d++) {
    const c = ch(decoderChannels[d]);
    const p = `decoder_stage${d + 1}`;
    x = tfl.layers
      .conv2dTranspose({ filters: c, kernelSize: 2, strides: 2, padding: 'valid', useBias: true, kernelInitializer: heNormal(), name: `${p}_upconv` })
      .apply(x) as tfl.SymbolicTensor;
    const skip = skips[3 - d];
    if (skip) x = tfl.layers.concatenate({ axis: -1, name: `${p}_concat` }).apply([x, skip]) as tfl.SymbolicTensor;
    for (let k = 1; k <= 2; k++) {
      x = tfl.layers
        .conv2d({ filters: c, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: heNormal(), name: `${p}_conv${k}` })
        .apply(x) as tfl.SymbolicTensor;
      x = relu(bn(x, `${p}_bn${k}`), `${p}_relu${k}`);
    }
  }
  const logits = tfl.layers
    .conv2d({ filters: numClasses, kernelSize: 3, padding: 'same', useBias: true, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }), name: 'segmentation_head' })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'unet_resnet50' });
}

/** Trainable and non-trainable (batch-norm moving statistics) parameter counts. */
export function countParameters(model: tfl.LayersModel): { trainable: number; nonTrainable: number; total: number } {
  const size = (ws: tfl.LayerVariable[]) => ws.reduce((n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
  const trainable = size(model.trainableWeights);
  const nonTrainable = size(model.nonTrainableWeights);
  return { trainable, nonTrainable, total: trainable + nonTrainable };
}

/** Trainable parameters of the encoder layers only. */
export function countEncoderParameters(model: tfl.LayersModel): number {
  let n = 0;
  for (const layer of model.layers) {
    if (!ENCODER_LAYER_PATTERN.test(layer.name)) continue;
    for (const w of layer.trainableWeights) n += (w.shape as number[]).reduce((a, b) => a * b, 1);
  }
  return n;
}

