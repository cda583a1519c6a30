import * as tf from '@tensorflow/tfjs-core';
import { layers } from '@tensorflow/tfjs-layers';

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

for (const cls of [ParameterFreeNorm, ResizeNearest, SpadeModulation]) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
