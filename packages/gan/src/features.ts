import { promises as fs } from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, model as functionalModel, LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';

/** Maps images [N, H, W, 3] in [−1, 1] to feature vectors [N, D] for a Fréchet distance. */
export interface FeatureExtractor {
  /** Key under which the distance is reported: 'fid' only for a user-supplied InceptionV3. */
  readonly distanceName: string;
  readonly dim: number;
  extract(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** A tfjs IOHandler that reads a model.json and its weight shards from the local file system. */
export function fileSystemModel(location: string): tf.io.IOHandler {
  return {
    load: async () => {
      const jsonPath = location.endsWith('.json') ? location : path.join(location, 'model.json');
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
      } catch (e) {
        throw new Error(`cannot read a tfjs model from ${jsonPath}: ${(e as Error).message} (expected a model.json written by tfjs or tensorflowjs_converter)`);
      }
      if (!json.modelTopology) throw new Error(`${jsonPath} has no modelTopology; expected a tfjs LayersModel model.json`);
      const dir = path.dirname(jsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const file = path.join(dir, p);
            let b: Buffer;
            try {
              b = await fs.readFile(file);
            } catch {
              throw new Error(`weight shard ${file} listed in ${jsonPath} is missing`);
            }
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
          specs.push(...group.weights);
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// fdRandomConv: a fixed random convolutional feature extractor (not Inception, so never "FID").
// ---------------------------------------------------------------------------------------------

/** Seed of the random extractor's weights; fixed so that distances are comparable across runs. */
export const RANDOM_CONV_SEED = 20210503;
/** Channels of its three 3×3 stride-2 ReLU convolutions; the features are the last one's spatial mean. */
export const RANDOM_CONV_CHANNELS = [32, 64, 128] as const;
/** Images are resized (bilinear) to this size first. */
export const RANDOM_CONV_INPUT = 64;

function gaussianStream(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()); // Box–Muller
}

class RandomConvExtractor implements FeatureExtractor {
  readonly distanceName = 'fdRandomConv';
  readonly dim = RANDOM_CONV_CHANNELS[RANDOM_CONV_CHANNELS.length - 1];
  private readonly kernels: tf.Tensor4D[];
  constructor() {
    const g = gaussianStream(RANDOM_CONV_SEED);
    let cin = 3;
    this.kernels = RANDOM_CONV_CHANNELS.map((cout) => {
      const std = Math.sqrt(2 / (9 * cin)); // He initialization
      const w = new Float32Array(9 * cin * cout);
      for (let i = 0; i < w.length; i++) w[i] = g() * std;
      const k = tf.tensor4d(w, [3, 3, cin, cout]);
      cin = cout;
      return k;
    });
  }
  extract(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let x: tf.Tensor4D = tf.image.resizeBilinear(images, [RANDOM_CONV_INPUT, RANDOM_CONV_INPUT]);
      for (const k of this.kernels) x = tf.relu(tf.conv2d(x, k, 2, 'same'));
      return tf.mean(x, [1, 2]) as tf.Tensor2D;
    });
  }
  dispose(): void {
    tf.dispose(this.kernels);
  }
}

/**
 * The default extractor: three 3×3 stride-2 convolutions (3→32→64→128, ReLU, 'same' padding)
 * with He-normal weights from a fixed seed, on images resized to 64×64, spatially averaged →
 * 128 features. Its Fréchet distance is reported as `fdRandomConv`, never as FID.
 */
export function randomConvFeatureExtractor(): FeatureExtractor {
  return new RandomConvExtractor();
}

class LayersModelExtractor implements FeatureExtractor {
  constructor(
    readonly distanceName: string,
    readonly dim: number,
    private readonly net: LayersModel,
    private readonly size: [number, number],
  ) {}
  extract(images: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const x = tf.image.resizeBilinear(images, this.size);
      let y = this.net.predict(x) as tf.Tensor;
      if (y.rank === 4) y = tf.mean(y, [1, 2]);
      return tf.reshape(y, [images.shape[0], -1]) as tf.Tensor2D;
    });
  }
  dispose(): void {
    this.net.dispose();
  }
}

/**
 * A user-supplied InceptionV3 (tfjs LayersModel directory) whose output is the 2048-d pool
 * features (or a feature map, then spatially averaged); inputs are 299×299 RGB in [−1, 1].
 * Its Fréchet distance is reported as `fid`.
 */
export async function loadInceptionFeatureExtractor(location: string): Promise<FeatureExtractor> {
  const net = await loadLayersModel(fileSystemModel(location));
  const inShape = net.inputs[0].shape;
  const outShape = net.outputs[0].shape;
  if (inShape.length !== 4 || inShape[3] !== 3) throw new Error(`InceptionV3 model at ${location} must take [N, H, W, 3] images, got input shape [${inShape.join(', ')}]`);
  const h = inShape[1] ?? 299, w = inShape[2] ?? 299;
  const dim = outShape[outShape.length - 1];
  if (typeof dim !== 'number') throw new Error(`InceptionV3 model at ${location} has an output of unknown width [${outShape.join(', ')}]`);
  return new LayersModelExtractor('fid', dim, net, [h, w]);
}

// ---------------------------------------------------------------------------------------------
// Optional VGG19 perceptual loss (only with user-supplied weights).
// ---------------------------------------------------------------------------------------------

/** Keras VGG19 layer names of relu1_1 … relu5_1 and SPADE's weights for them. */
export const VGG_LAYERS = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1'] as const;
export const VGG_LAYER_WEIGHTS = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1] as const;
const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68];

export interface PerceptualLoss {
  /** Σ_l w_l · mean|φ_l(fake) − φ_l(real)|; images in [−1, 1]. */
  loss(fake: tf.Tensor4D, real: tf.Tensor4D): tf.Scalar;
  dispose(): void;
}

/**
 * SPADE's VGG loss on a user-supplied Keras VGG19 (tfjs LayersModel, layer names `blockK_conv1`,
 * Keras "caffe" preprocessing: BGR, 0..255, mean-subtracted). The VGG weights are never trained.
 */
export async function loadVggPerceptualLoss(location: string): Promise<PerceptualLoss> {
  const vgg = await loadLayersModel(fileSystemModel(location));
  const outputs = VGG_LAYERS.map((name) => {
    try {
      return vgg.getLayer(name).output as SymbolicTensor;
    } catch {
      throw new Error(`VGG model at ${location} has no layer "${name}"; expected Keras VGG19 layer names (${VGG_LAYERS.join(', ')})`);
    }
  });
  const features = functionalModel({ inputs: vgg.inputs, outputs });
  const inShape = vgg.inputs[0].shape;
  const fixed = inShape[1] != null && inShape[2] != null ? ([inShape[1], inShape[2]] as [number, number]) : null;
  const prep = (x: tf.Tensor4D) => {
    const sized = fixed ? tf.image.resizeBilinear(x, fixed) : x;
    const bgr = tf.reverse(tf.mul(tf.add(sized, 1), 127.5), -1);
    return tf.sub(bgr, tf.tensor1d(CAFFE_BGR_MEAN));
  };
  return {
    loss(fake, real) {
      return tf.tidy(() => {
        const n = fake.shape[0];
        const both = features.apply(prep(tf.concat([fake, real], 0)), { training: false }) as tf.Tensor[];
        const terms = both.map((f, i) => {
          const [a, b] = tf.split(f, [n, n], 0);
          return tf.mul(tf.mean(tf.abs(tf.sub(a, b))), VGG_LAYER_WEIGHTS[i]);
        });
        return tf.addN(terms) as tf.Scalar;
      });
    },
    dispose() {
      vgg.dispose();
    },
  };
}
