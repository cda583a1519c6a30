import { initializers, layers, model as functionalModel, input as symbolicInput, LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { ParameterFreeNorm, ResizeNearest, SpadeModulation, SpectralConv2D } from './layers';

/** SPADE's `num_upsampling_layers`: 5, 6 or 7 doublings from the first feature map to the output. */
export type SpadeUpsampling = 'normal' | 'more' | 'most';
const UPSAMPLINGS: Record<SpadeUpsampling, number> = { normal: 5, more: 6, most: 7 };

export interface SpadeGeneratorConfig {
  /** Output image size; each must be divisible by 2^(number of upsamplings). */
  height: number;
  width: number;
  /** Channels of the semantic input: label one-hot (+1 for the instance edge map). */
  labelChannels: number;
  /** Base width `ngf` (SPADE: 64); the first blocks have 16·ngf channels. */
  ngf?: number;
  /** Hidden channels of each SPADE module's shared conv (SPADE: 128). */
  spadeHidden?: number;
  /** Parameter-free norm inside SPADE (SPADE's Cityscapes setup: synchronized batch norm). */
  norm?: 'batch' | 'instance';
  upsampling?: SpadeUpsampling;
  /** Spectral normalization on the residual blocks' convs conv_0, conv_1, conv_s (SPADE: on). */
  spectralNorm?: boolean;
  /** Seed of the weight initializers. */
  seed?: number;
  /** Prefix of every layer name (default 'g'). */
  name?: string;
}

export interface MultiscaleDiscriminatorConfig {
  height: number;
  width: number;
  /** Channels of the input: label channels + 3 image channels. */
  inputChannels: number;
  /** Base width `ndf` (SPADE: 64). */
  ndf?: number;
  /** PatchGAN depth `n_layers_D` (SPADE: 4). */
  layers?: number;
  /** Number of scales `num_D` (SPADE: 2); each next scale sees a 3×3 stride-2 average-pooled input. */
  scales?: number;
  /** Spectral normalization on the convs followed by instance norm (SPADE: on). */
  spectralNorm?: boolean;
  seed?: number;
  /** Prefix of every layer name (default 'd'). */
  name?: string;
}

/** SPADE's Cityscapes setup (256×512, 35 labels + edge map). */
export const SPADE_CITYSCAPES = { height: 256, width: 512, labelChannels: 36, ngf: 64, spadeHidden: 128, ndf: 64, dLayers: 4, dScales: 2 } as const;

function positiveInt(who: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${who}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function seededInit(seed: number) {
  let counter = 0;
  return () => initializers.glorotUniform({ seed: seed * 1000 + counter++ });
}

/** Resolved generator sizes (with defaults) and the first feature map's size. */
export function resolveGeneratorConfig(c: SpadeGeneratorConfig) {
  const who = 'SPADE generator';
  const height = positiveInt(who, 'height', c.height);
  const width = positiveInt(who, 'width', c.width);
  const labelChannels = positiveInt(who, 'labelChannels', c.labelChannels);
  const ngf = positiveInt(who, 'ngf', c.ngf ?? 64);
  const spadeHidden = positiveInt(who, 'spadeHidden', c.spadeHidden ?? 128);
  const norm = c.norm ?? 'batch';
  if (norm !== 'batch' && norm !== 'instance') throw new Error(`${who}: norm must be 'batch' or 'instance', got ${String(norm)}`);
  const upsampling = c.upsampling ?? 'normal';
  const ups = UPSAMPLINGS[upsampling];
  if (ups === undefined) throw new Error(`${who}: upsampling must be 'normal', 'more' or 'most', got ${String(upsampling)}`);
  const f = 2 ** ups;
  if (height % f !== 0 || width % f !== 0) {
    throw new Error(`${who}: height and width must be multiples of ${f} with upsampling '${upsampling}' (${ups} doublings), got ${height}x${width}`);
  }
  const spectralNorm = c.spectralNorm ?? true;
  if (typeof spectralNorm !== 'boolean') throw new Error(`${who}: spectralNorm must be a boolean, got ${String(spectralNorm)}`);
  return { height, width, labelChannels, ngf, spadeHidden, norm, upsampling, ups, spectralNorm, startHeight: height / f, startWidth: width / f, seed: c.seed ?? 0, name: c.name ?? 'g' };
}

/** Channel plan of the generator's SPADE residual blocks, in order: [name, fin, fout, upsample before]. */
function generatorPlan(ngf: number, upsampling: SpadeUpsampling): [string, number, number, boolean][] {
  const nf = ngf;
  const plan: [string, number, number, boolean][] = [
    ['head_0', 16 * nf, 16 * nf, false],
    ['G_middle_0', 16 * nf, 16 * nf, true],
    ['G_middle_1', 16 * nf, 16 * nf, upsampling !== 'normal'],
    ['up_0', 16 * nf, 8 * nf, true],
    ['up_1', 8 * nf, 4 * nf, true],
    ['up_2', 4 * nf, 2 * nf, true],
    ['up_3', 2 * nf, nf, true],
  ];
  if (upsampling === 'most') plan.push(['up_4', nf, nf / 2, true]);
  return plan;
}

/**
 * SPADE generator (Park et al. 2019) as a tfjs-layers model: the label map, nearest-downsampled to
 * (H, W) / 2^ups, goes through a 3×3 conv to 16·ngf channels, then SPADE residual blocks with
 * nearest 2× upsampling between them, then LeakyReLU(0.2), a 3×3 conv to RGB and tanh.
 * Input [N, H, W, labelChannels]; output [N, H, W, 3] in [−1, 1].
 */
export function buildSpadeGenerator(config: SpadeGeneratorConfig): LayersModel {
  const c = resolveGeneratorConfig(config);
  if (c.upsampling === 'most' && c.ngf % 2 !== 0) throw new Error(`SPADE generator: ngf must be even with upsampling 'most', got ${c.ngf}`);
  const init = seededInit(c.seed);
  const p = c.name;
  const seg = symbolicInput({ shape: [c.height, c.width, c.labelChannels], name: `${p}_label_map` });
  const segAt = new Map<string, SymbolicTensor>();
  const resizedSeg = (h: number, w: number) => {
    const key = `${h}x${w}`;
    if (!segAt.has(key)) segAt.set(key, new ResizeNearest({ height: h, width: w, name: `${p}_label_map_${key}` }).apply(seg) as SymbolicTensor);
    return segAt.get(key)!;
  };
  const conv = (filters: number, k: number, name: string, useBias = true, activation?: 'relu') =>
    layers.conv2d({ filters, kernelSize: k, padding: 'same', useBias, activation, kernelInitializer: init(), name });
  let snSeed = c.seed * 1000 + 500;
  const blockConv = (filters: number, k: number, name: string, useBias = true) =>
    c.spectralNorm ? new SpectralConv2D({ filters, kernelSize: k, padding: 'same', useBias, kernelInitializer: init(), seed: snSeed++, name }) : conv(filters, k, name, useBias);

  // SPADE: param-free norm(x) · (1 + γ(seg)) + β(seg), γ and β from a shared 3×3 conv + ReLU.
  const spade = (x: SymbolicTensor, channels: number, h: number, w: number, name: string) => {
    const normalized = new ParameterFreeNorm({ mode: c.norm, name: `${name}_param_free_norm` }).apply(x) as SymbolicTensor;
    const actv = conv(c.spadeHidden, 3, `${name}_mlp_shared`, true, 'relu').apply(resizedSeg(h, w)) as SymbolicTensor;
    const gamma = conv(channels, 3, `${name}_mlp_gamma`).apply(actv) as SymbolicTensor;
    const beta = conv(channels, 3, `${name}_mlp_beta`).apply(actv) as SymbolicTensor;
    return new SpadeModulation({ name: `${name}_modulation` }).apply([normalized, gamma, beta]) as SymbolicTensor;
  };
  const lrelu = (x: SymbolicTensor, name: string) => layers.leakyReLU({ alpha: 0.2, name }).apply(x) as SymbolicTensor;

  // SPADE residual block; a learned 1×1 shortcut (after its own SPADE) when fin ≠ fout.
  const block = (x: SymbolicTensor, fin: number, fout: number, h: number, w: number, name: string) => {
    const fmid = Math.min(fin, fout);
    const shortcut = fin !== fout ? (blockConv(fout, 1, `${p}_${name}_conv_s`, false).apply(spade(x, fin, h, w, `${p}_${name}_norm_s`)) as SymbolicTensor) : x;
    let dx = blockConv(fmid, 3, `${p}_${name}_conv_0`).apply(lrelu(spade(x, fin, h, w, `${p}_${name}_norm_0`), `${p}_${name}_actvn_0`)) as SymbolicTensor;
    dx = blockConv(fout, 3, `${p}_${name}_conv_1`).apply(lrelu(spade(dx, fmid, h, w, `${p}_${name}_norm_1`), `${p}_${name}_actvn_1`)) as SymbolicTensor;
    return layers.add({ name: `${p}_${name}_out` }).apply([shortcut, dx]) as SymbolicTensor;
  };

  let h = c.startHeight, w = c.startWidth;
  let x = conv(16 * c.ngf, 3, `${p}_fc`).apply(resizedSeg(h, w)) as SymbolicTensor;
  let channels = 16 * c.ngf;
  for (const [name, fin, fout, upBefore] of generatorPlan(c.ngf, c.upsampling)) {
    if (upBefore) {
      x = layers.upSampling2d({ size: [2, 2], name: `${p}_up_before_${name}` }).apply(x) as SymbolicTensor;
      h *= 2;
      w *= 2;
    }
    x = block(x, fin, fout, h, w, name);
    channels = fout;
  }
  if (h !== c.height || w !== c.width) throw new Error(`SPADE generator: internal size plan ended at ${h}x${w}, expected ${c.height}x${c.width}`);
  x = conv(3, 3, `${p}_conv_img`).apply(lrelu(x, `${p}_actvn_img`)) as SymbolicTensor;
  void channels;
  const out = layers.activation({ activation: 'tanh', name: `${p}_tanh` }).apply(x) as SymbolicTensor;
  return functionalModel({ inputs: seg, outputs: out, name: `${p}_spade_generator` });
}

/** Resolved discriminator sizes (with defaults). */
export function resolveDiscriminatorConfig(c: MultiscaleDiscriminatorConfig) {
  const who = 'multi-scale discriminator';
  return {
    height: positiveInt(who, 'height', c.height),
    width: positiveInt(who, 'width', c.width),
    inputChannels: positiveInt(who, 'inputChannels', c.inputChannels),
    ndf: positiveInt(who, 'ndf', c.ndf ?? 64),
    layers: positiveInt(who, 'layers', c.layers ?? 4),
    scales: positiveInt(who, 'scales', c.scales ?? 2),
    spectralNorm: c.spectralNorm ?? true,
    seed: c.seed ?? 0,
    name: c.name ?? 'd',
  };
}

/**
 * Multi-scale PatchGAN discriminator (pix2pixHD / SPADE): `scales` copies of a 4×4-conv PatchGAN
 * (padding 2, stride 2 except the last two convs, instance norm without affine after every conv but
 * the first and last, spectral norm on those convs, LeakyReLU 0.2), the k-th seeing the input average-pooled k times.
 * Input [N, H, W, inputChannels] = concat(label channels, image). Outputs, flat: for each scale, the
 * `layers` intermediate feature maps then the patch logits — `layers + 1` tensors per scale.
 */
export function buildMultiscaleDiscriminator(config: MultiscaleDiscriminatorConfig): LayersModel {
  const c = resolveDiscriminatorConfig(config);
  const init = seededInit(c.seed + 7919);
  const p = c.name;
  const inp = symbolicInput({ shape: [c.height, c.width, c.inputChannels], name: `${p}_input` });
  const outputs: SymbolicTensor[] = [];
  let scaled: SymbolicTensor = inp;
  for (let s = 0; s < c.scales; s++) {
    if (s > 0) scaled = layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: `${p}${s}_downsample` }).apply(scaled) as SymbolicTensor;
    const q = `${p}${s}`;
    const padConv = (x: SymbolicTensor, filters: number, stride: number, name: string, useBias: boolean, spectral = false) => {
      const padded = layers.zeroPadding2d({ padding: 2, name: `${name}_pad` }).apply(x) as SymbolicTensor;
      const layer = spectral
        ? new SpectralConv2D({ filters, kernelSize: 4, strides: stride, padding: 'valid', useBias, kernelInitializer: init(), seed: c.seed * 1000 + 900 + s * 50 + outputs.length, name })
        : layers.conv2d({ filters, kernelSize: 4, strides: stride, padding: 'valid', useBias, kernelInitializer: init(), name });
      return layer.apply(padded) as SymbolicTensor;
    };
    let nf = c.ndf;
    let x = padConv(scaled, nf, 2, `${q}_model0_conv`, true);
    x = layers.leakyReLU({ alpha: 0.2, name: `${q}_model0_actvn` }).apply(x) as SymbolicTensor;
    outputs.push(x);
    for (let n = 1; n < c.layers; n++) {
      nf = Math.min(nf * 2, 512);
      const stride = n === c.layers - 1 ? 1 : 2;
      x = padConv(x, nf, stride, `${q}_model${n}_conv`, false, c.spectralNorm); // no bias: the instance norm removes it
      x = new ParameterFreeNorm({ mode: 'instance', name: `${q}_model${n}_norm` }).apply(x) as SymbolicTensor;
      x = layers.leakyReLU({ alpha: 0.2, name: `${q}_model${n}_actvn` }).apply(x) as SymbolicTensor;
      outputs.push(x);
    }
    outputs.push(padConv(x, 1, 1, `${q}_model${c.layers}_conv`, true));
  }
  return functionalModel({ inputs: inp, outputs, name: `${p}_multiscale_discriminator` });
}

/** Trainable parameter count (spectral norm's power-iteration vectors are not trainable). */
export function trainableParameterCount(m: LayersModel): number {
  return m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Trainable parameter count of the SPADE generator, from the architecture (no tensors allocated). */
export function spadeGeneratorParameterCount(config: SpadeGeneratorConfig): number {
  const c = resolveGeneratorConfig(config);
  const convParams = (cin: number, cout: number, k: number, bias = true) => cin * cout * k * k + (bias ? cout : 0);
  const spadeParams = (channels: number) => convParams(c.labelChannels, c.spadeHidden, 3) + 2 * convParams(c.spadeHidden, channels, 3);
  let total = convParams(c.labelChannels, 16 * c.ngf, 3);
  let last = 16 * c.ngf;
  for (const [, fin, fout] of generatorPlan(c.ngf, c.upsampling)) {
    const fmid = Math.min(fin, fout);
    total += spadeParams(fin) + convParams(fin, fmid, 3) + spadeParams(fmid) + convParams(fmid, fout, 3);
    if (fin !== fout) total += spadeParams(fin) + convParams(fin, fout, 1, false);
    last = fout;
  }
  return total + convParams(last, 3, 3);
}

/** Trainable parameter count of the multi-scale discriminator, from the architecture. */
export function multiscaleDiscriminatorParameterCount(config: MultiscaleDiscriminatorConfig): number {
  const c = resolveDiscriminatorConfig(config);
  let perScale = c.inputChannels * c.ndf * 16 + c.ndf;
  let nf = c.ndf;
  for (let n = 1; n < c.layers; n++) {
    const next = Math.min(nf * 2, 512);
    perScale += nf * next * 16;
    nf = next;
  }
  perScale += nf * 16 + 1;
  return perScale * c.scales;
}
