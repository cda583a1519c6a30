import type { LayerLike, ModelLike, WeightInfo } from './types';

/** Where a weight's channels are, in TensorFlow.js layout (method.md, "Which axis"). */
export interface ChannelLayout {
  /** Output-channel axis, or null if the weight has none. */
  output: number | null;
  /** Input-channel axis, or null if the weight has none. */
  input: number | null;
  /** Permutation of the TF axes giving PyTorch's `[out, in, ...spatial]` flattening order. */
  rasterOrder: number[];
}

/** Ordinary convolutions: kernel `[...spatial, in, out]`. */
export const CONVOLUTION_LAYERS: readonly string[] = ['Conv1D', 'Conv2D', 'Conv3D'];
/** Transposed convolutions: kernel `[...spatial, out, in]`. */
export const TRANSPOSED_CONVOLUTION_LAYERS: readonly string[] = ['Conv2DTranspose', 'Conv3DTranspose'];
/** Layers with a depthwise kernel `[kh, kw, in, multiplier]`. */
export const DEPTHWISE_LAYERS: readonly string[] = ['DepthwiseConv2D', 'SeparableConv2D'];

/** Every layer class whose kernels the default rule smooths. */
export const ALL_CONVOLUTION_LAYERS: readonly string[] = [...CONVOLUTION_LAYERS, ...TRANSPOSED_CONVOLUTION_LAYERS, ...DEPTHWISE_LAYERS];
/** Weight roles that are convolution kernels. */
export const CONVOLUTION_KERNEL_ROLES: readonly string[] = ['kernel', 'depthwise_kernel', 'pointwise_kernel'];

const range = (n: number): number[] => [...Array(n).keys()];

/** `[a, b, 0, 1, …]` for the spatial axes that are neither a nor b (kept in order). */
function channelsFirst(rank: number, first: number, second: number): number[] {
  return [first, second, ...range(rank).filter((i) => i !== first && i !== second)];
}

/**
 * The channel axes of a weight, by layer class and weight role. Conv kernels `[..spatial, in, out]`:
 * output last, input second to last; Conv2DTranspose `[kh, kw, out, in]`: output second to last;
 * depthwise `[kh, kw, in, mult]`: `in` is the channel axis, no input axis; Dense `[in, out]`;
 * rank-1 weights (bias, gamma, beta): axis 0. Anything else: last axis out, second to last in.
 */
export function channelLayout(layerType: string | null, weight: string | null, rank: number): ChannelLayout {
  if (rank === 0) return { output: null, input: null, rasterOrder: [] };
  if (rank === 1) return { output: 0, input: null, rasterOrder: [0] };
  const r = rank;
  if (layerType != null && rank >= 3) {
    const ordinary = (CONVOLUTION_LAYERS.includes(layerType) && weight === 'kernel') || (layerType === 'SeparableConv2D' && weight === 'pointwise_kernel');
    if (ordinary) return { output: r - 1, input: r - 2, rasterOrder: channelsFirst(r, r - 1, r - 2) };
    if (TRANSPOSED_CONVOLUTION_LAYERS.includes(layerType) && weight === 'kernel') {
      return { output: r - 2, input: r - 1, rasterOrder: channelsFirst(r, r - 2, r - 1) };
    }
    if (DEPTHWISE_LAYERS.includes(layerType) && weight === 'depthwise_kernel') {
      // PyTorch's depthwise weight is [in·mult, 1, kh, kw] with channel index c·mult + m.
      return { output: r - 2, input: null, rasterOrder: channelsFirst(r, r - 2, r - 1) };
    }
  }
  if (rank === 2 && weight != null && /kernel$/.test(weight)) {
    // Dense / recurrent kernels [in, out]; PyTorch stores [out, in].
    return { output: 1, input: 0, rasterOrder: [1, 0] };
  }
  return { output: r - 1, input: r - 2, rasterOrder: range(r) };
}

interface IndexedWeight {
  layer: string;
  layerType: string;
  weight: string;
}

/** The role of a layer weight: the last segment of its unsuffixed, scoped name (`conv2d_1/kernel` → `kernel`). */
export function weightRole(originalName: string): string {
  const slash = originalName.lastIndexOf('/');
  return slash < 0 ? originalName : originalName.slice(slash + 1);
}

function sublayers(layer: LayerLike): LayerLike[] {
  const l = layer as unknown as { layers?: unknown; layer?: unknown; forwardLayer?: unknown; backwardLayer?: unknown };
  const out: LayerLike[] = [];
  if (Array.isArray(l.layers)) out.push(...(l.layers as LayerLike[])); // nested models
  for (const inner of [l.layer, l.forwardLayer, l.backwardLayer]) {
    // TimeDistributed / Bidirectional wrap a layer whose weights they own
    if (inner && typeof (inner as LayerLike).getClassName === 'function') out.push(inner as LayerLike);
  }
  return out;
}

/**
 * Maps tf.Variable names to their layer. tfjs-layers names each LayerVariable uniquely (a clash gets
 * a `_1` suffix), and `LayersModel.fit` passes `layerVariable.read()`, whose name is that unique name;
 * the role comes from `originalName`, which has no suffix.
 */
export function indexModelWeights(model: ModelLike): Map<string, IndexedWeight> {
  if (model == null || !Array.isArray((model as ModelLike).layers)) {
    throw new Error('options.model must be a tfjs-layers LayersModel (an object with a `layers` array)');
  }
  const index = new Map<string, IndexedWeight>();
  const seen = new Set<LayerLike>();
  const visit = (layer: LayerLike): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    for (const sub of sublayers(layer)) visit(sub); // innermost owner first
    for (const w of layer.weights) {
      if (index.has(w.name)) continue;
      index.set(w.name, { layer: layer.name, layerType: layer.getClassName(), weight: weightRole(w.originalName) });
    }
  };
  for (const layer of model.layers) visit(layer);
  return index;
}

/**
 * What is known about a variable without a model (or one the model does not own): the name's last
 * segment is its role; rank-4 weights are taken for Conv2D kernels.
 */
export function guessWeightInfo(variable: string, shape: number[]): WeightInfo {
  const slash = variable.lastIndexOf('/');
  const layer = slash > 0 ? variable.slice(0, slash) : null;
  if (shape.length === 4) return { variable, layer, layerType: 'Conv2D', weight: 'kernel', shape };
  return { variable, layer, layerType: null, weight: slash >= 0 ? variable.slice(slash + 1) : null, shape };
}
