// A tiny two-network task for trainer tests: like the GAN, two models and two optimizers, so the
// loop, checkpoints and resume are exercised without any task-specific code.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mixSeed, SeededRandom } from '@cdg/data';
import type { CommonTrainConfig, Metrics, OptimizerSlot, TaskAdapter } from '@cdg/trainer';

export interface ToyBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

export function toyConfig(out: string, over: Partial<CommonTrainConfig> = {}): CommonTrainConfig & Record<string, unknown> {
  return {
    task: 'toy', dataset: 'synthetic', optimizer: 'momentum', lr: 0.05, momentum: 0.9, weightDecay: 0, metric: 'l2', lambda: 1, sigma: 1,
    formulation: 'exact', direction: 'output', mix: 0, batchSize: 16, epochs: 4, lrSchedule: 'constant', lrStepEpochs: 1, lrStepFactor: 0.5,
    seed: 7, backend: 'cpu', out, resume: false, ...over,
  };
}

export class ToyAdapter implements TaskAdapter<ToyBatch> {
  readonly task = 'toy';
  readonly a: tfl.LayersModel;
  readonly b: tfl.LayersModel;
  readonly optA: tf.Optimizer;
  readonly optB: tf.Optimizer;
  /** Learning rates the optimizers had at each step, as the adapter saw them. */
  readonly seenLearningRates: number[] = [];
  disposed = false;

  constructor(readonly config: CommonTrainConfig, readonly steps = 5, hidden = 32) {
    const init = (i: number) => tfl.initializers.glorotUniform({ seed: mixSeed(config.seed, i) % 100000 });
    this.a = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [8], units: hidden, activation: 'tanh', kernelInitializer: init(1) }), tfl.layers.dense({ units: 1, kernelInitializer: init(2) })],
    });
    this.b = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 1, kernelInitializer: init(3) })] });
    this.optA = tf.train.momentum(config.lr, config.momentum);
    this.optB = tf.train.momentum(config.lr / 2, 0.5);
  }
  models() {
    return { generator: this.a, discriminator: this.b };
  }
  optimizers(): OptimizerSlot[] {
    return [
      { name: 'generator', optimizer: this.optA, baseLearningRate: this.config.lr },
      { name: 'discriminator', optimizer: this.optB, baseLearningRate: this.config.lr / 2 },
    ];
  }
  stepsPerEpoch(): number {
    return this.steps;
  }
  async *trainBatches(epoch: number): AsyncIterable<ToyBatch> {
    const rng = new SeededRandom(mixSeed(this.config.seed, epoch));
    for (let s = 0; s < this.steps; s++) {
      const B = this.config.batchSize;
      const xs = Float32Array.from({ length: B * 8 }, () => rng.next() * 2 - 1);
      const ys = Float32Array.from({ length: B }, (_v, i) => Math.sin(3 * xs[i * 8]) + xs[i * 8 + 1] * xs[i * 8 + 2]);
      yield { x: tf.tensor2d(xs, [B, 8]), y: tf.tensor2d(ys, [B, 1]) };
    }
  }
  trainStep(batch: ToyBatch): Metrics {
    this.seenLearningRates.push((this.optA as unknown as { learningRate: number }).learningRate);
    const mse = (m: tfl.LayersModel) => () => tf.mean(tf.square(tf.sub(m.apply(batch.x) as tf.Tensor, batch.y))) as tf.Scalar;
    const la = this.optA.minimize(mse(this.a), true, this.a.trainableWeights.map((w) => w.read() as tf.Variable)) as tf.Scalar;
    const lb = this.optB.minimize(mse(this.b), true, this.b.trainableWeights.map((w) => w.read() as tf.Variable)) as tf.Scalar;
    const out = { generatorLoss: la.dataSync()[0], discriminatorLoss: lb.dataSync()[0] };
    tf.dispose([la, lb, batch.x, batch.y]);
    return out;
  }
  async evaluate(): Promise<Metrics> {
    const x = tf.tensor2d(Float32Array.from({ length: 64 * 8 }, (_v, i) => Math.cos(i)), [64, 8]);
    const v = tf.tidy(() => tf.mean(tf.abs(this.a.predict(x) as tf.Tensor)));
    const r = { outputMagnitude: (await v.data())[0] };
    tf.dispose([x, v]);
    return r;
  }
  describeHooks() {
    return { generator: 'none', discriminator: 'none' };
  }
  dispose(): void {
    this.disposed = true;
    this.optA.dispose();
    this.optB.dispose();
    this.a.dispose();
    this.b.dispose();
  }
}

/** All weights of both models and both optimizers, as plain arrays. */
export async function snapshot(ad: ToyAdapter): Promise<number[][]> {
  const out: number[][] = [];
  for (const m of [ad.a, ad.b]) for (const w of m.getWeights()) out.push(Array.from(w.dataSync()));
  for (const o of [ad.optA, ad.optB]) for (const w of await o.getWeights()) out.push(Array.from(w.tensor.dataSync()));
  return out;
}
