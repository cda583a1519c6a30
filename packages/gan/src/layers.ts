import * as tf from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';

// Parameter-free tfjs-layers building blocks of SPADE. All trainable weights of the SPADE networks
// live in ordinary Conv2D layers, so the hook resolves each kernel's channel axes by layer class.

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

function single(inputs: tf.Tensor | tf.Tensor[], who: string): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`${who} expects one input, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

export interface ParameterFreeNormArgs {
  /** 'batch': statistics over (batch, height, width); 'instance': over (height, width) per sample. */
  mode: 'batch' | 'instance';
  epsilon?: number;
  name?: string;
}

/**
 * Normalization without affine parameters (SPADE's param-free norm, the discriminator's
 * instance norm). Batch mode always uses the current batch's statistics (no running averages),
 * in training and evaluation alike.
 */
export class ParameterFreeNorm extends layers.Layer {
  static className = 'CdgParameterFreeNorm';
  readonly mode: 'batch' | 'instance';
  readonly epsilon: number;
  constructor(args: ParameterFreeNormArgs) {
    super({ name: args.name });
    if (args.mode !== 'batch' && args.mode !== 'instance') throw new Error(`ParameterFreeNorm: mode must be 'batch' or 'instance', got ${String(args.mode)}`);
    this.mode = args.mode;
    this.epsilon = args.epsilon ?? 1e-5;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'ParameterFreeNorm');
      const axes = this.mode === 'batch' ? [0, 1, 2] : [1, 2];
      const { mean, variance } = tf.moments(x, axes, true);
      return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, epsilon: this.epsilon };
  }
}

export interface ResizeNearestArgs {
  height: number;
  width: number;
  name?: string;
}

/** Nearest-neighbour resize of a label map to a fixed size (PyTorch's `interpolate(mode='nearest')` indexing). */
export class ResizeNearest extends layers.Layer {
  static className = 'CdgResizeNearest';
  readonly height: number;
  readonly width: number;
  constructor(args: ResizeNearestArgs) {
    super({ name: args.name });
    this.height = args.height;
    this.width = args.width;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [s[0], this.height, this.width, s[3]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = single(inputs, 'ResizeNearest') as tf.Tensor4D;
    if (x.shape[1] === this.height && x.shape[2] === this.width) return tf.clone(x);
    return tf.image.resizeNearestNeighbor(x, [this.height, this.width], false, false);
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}

/** SPADE's modulation: normalized · (1 + γ) + β, with γ and β per pixel and channel. Inputs: [normalized, γ, β]. */
export class SpadeModulation extends layers.Layer {
  static className = 'CdgSpadeModulation';
  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (inputShape as Shape[])[0];
  }
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 3) throw new Error('SpadeModulation expects [normalized, gamma, beta]');
    const [x, gamma, beta] = inputs;
    return tf.tidy(() => tf.add(tf.mul(x, tf.add(gamma, 1)), beta));
  }
}

/** Identity forward, zero gradient (PyTorch's `.detach()` / no_grad for the power iteration). */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

const l2normalize = (x: tf.Tensor) => tf.div(x, tf.add(tf.norm(x), 1e-12));

export interface SpectralConv2DArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  padding?: 'same' | 'valid';
  useBias?: boolean;
  activation?: 'relu';
  kernelInitializer?: ReturnType<typeof initializers.glorotUniform>;
  /** Seed of the power-iteration vector's initial value. */
  seed?: number;
  name?: string;
}

/**
 * A 2-D convolution with spectral normalization (Miyato et al. 2018) as PyTorch's `spectral_norm`:
 * the trainable `kernel` is the raw weight (PyTorch's `weight_orig`, same TF layout as Conv2D's
 * `[kh, kw, in, out]`); the forward pass divides it by σ = uᵀ W v, W = kernel as `[out, kh·kw·in]`,
 * with u, v from one power iteration per training call (u is a non-trainable weight, updated in
 * training only; u and v carry no gradient, σ does through W). A hook therefore sees the gradient
 * of the raw kernel, laid out exactly like a Conv2D kernel.
 */
export class SpectralConv2D extends layers.Layer {
  static className = 'CdgSpectralConv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'same' | 'valid';
  readonly useBias: boolean;
  readonly activation: 'relu' | null;
  readonly seed: number;
  private readonly kernelInitializer: ReturnType<typeof initializers.glorotUniform>;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;
  private u: LayerVariable | null = null;

  constructor(args: SpectralConv2DArgs) {
    super({ name: args.name });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 'same';
    this.useBias = args.useBias ?? true;
    this.activation = args.activation ?? null;
    this.seed = args.seed ?? 0;
    this.kernelInitializer = args.kernelInitializer ?? initializers.glorotUniform({ seed: this.seed });
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const cin = s[3];
    if (typeof cin !== 'number') throw new Error(`SpectralConv2D ${this.name}: input channels must be known, got shape [${s.join(', ')}]`);
    const k = this.kernelSize;
    this.kernel = this.addWeight('kernel', [k, k, cin, this.filters], 'float32', this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', initializers.zeros());
    this.u = this.addWeight('u', [this.filters], 'float32', initializers.randomNormal({ mean: 0, stddev: 1, seed: this.seed + 1 }), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out = (n: number | null) => (n == null ? null : this.padding === 'same' ? Math.ceil(n / this.strides) : Math.floor((n - this.kernelSize) / this.strides) + 1);
    return [s[0], out(s[1]), out(s[2]), this.filters];
  }

  /** σ and the updated u for the current kernel (u, v without gradient; σ differentiable in the kernel). */
  private sigma(w: tf.Tensor): { sigma: tf.Scalar; u: tf.Tensor1D } {
    const f = this.filters;
    const wmat = tf.reshape(tf.transpose(w, [3, 0, 1, 2]), [f, -1]); // PyTorch weight.view(out, -1)
    const frozen = stopGradient(wmat);
    const u0 = tf.reshape(this.u!.read(), [1, f]);
    const v = stopGradient(l2normalize(tf.matMul(u0, frozen))); // [1, rest]
    const u = stopGradient(l2normalize(tf.matMul(v, frozen, false, true))); // [1, f]
    const sigma = tf.sum(tf.mul(u, tf.matMul(v, wmat, false, true))) as tf.Scalar;
    return { sigma, u: tf.reshape(u, [f]) as tf.Tensor1D };
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs, 'SpectralConv2D') as tf.Tensor4D;
      const w = this.kernel!.read();
      const { sigma, u } = this.sigma(w);
      if (kwargs.training === true) this.u!.write(u);
      let y: tf.Tensor = tf.conv2d(x, tf.div(w, sigma) as tf.Tensor4D, this.strides, this.padding);
      if (this.bias) y = tf.add(y, this.bias.read());
      if (this.activation === 'relu') y = tf.relu(y);
      return y;
    });
  }

  /** The kernel actually convolved with, W / σ (for inspection and tests). */
  normalizedKernel(): tf.Tensor4D {
    return tf.tidy(() => {
      const w = this.kernel!.read();
      return tf.div(w, this.sigma(w).sigma) as tf.Tensor4D;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding,
      useBias: this.useBias, activation: this.activation, seed: this.seed,
    };
  }
}

for (const cls of [ParameterFreeNorm, ResizeNearest, SpadeModulation, SpectralConv2D]) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
