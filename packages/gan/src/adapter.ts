import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { DependencyContainer } from 'tsyringe';
import type { LabelImageDataset, LabelImageSample } from '@cdg/data';
import type { Metrics, OptimizerSlot, TaskAdapter } from '@cdg/trainer';
import { disposeBatch, labelMapChannels, samplesToBatch, seededPermutation, type GanBatch } from './batches';
import { fitGaussian, frechetDistance, type GaussianFit } from './frechet';
import type { FeatureExtractor, PerceptualLoss } from './features';
import { writeSampleGrid } from './grid';
import { discriminatorHingeLoss, featureMatchingLoss, generatorHingeLoss, splitScales } from './losses';
import { createGanOptimizers, type GanNetworkName, type GanOptimizerConfig, type GanOptimizers } from './optimizers';
import { buildMultiscaleDiscriminator, buildSpadeGenerator, type SpadeUpsampling } from './spade';

export interface GanAdapterOptions {
  dataset: LabelImageDataset;
  batchSize: number;
  seed: number;
  /** Feed SPADE's instance edge map as an extra label channel (default: when the dataset has instances). */
  useInstanceEdges?: boolean;
  generator?: { ngf?: number; spadeHidden?: number; norm?: 'batch' | 'instance'; upsampling?: SpadeUpsampling; spectralNorm?: boolean };
  discriminator?: { ndf?: number; layers?: number; scales?: number; spectralNorm?: boolean };
  /** Weight of the discriminator feature-matching loss (SPADE: 10). */
  lambdaFeat?: number;
  /** VGG perceptual loss and its weight (SPADE: 10); off when not given. */
  perceptualLoss?: PerceptualLoss;
  lambdaVgg?: number;
  optimizers: Record<GanNetworkName, GanOptimizerConfig>;
  /** Parent of the two child containers the optimizers are resolved from. */
  container?: DependencyContainer;
  configureContainer?: (network: GanNetworkName, container: DependencyContainer) => void;
  /** Features for the Fréchet distance (default: none, then evaluate() reports no distance). */
  featureExtractor?: FeatureExtractor;
  /** Validation samples used for the distance (first ones of the val split). */
  evalSamples?: number;
  /** Rows of the per-epoch sample grid. */
  gridSamples?: number;
  log?: (message: string) => void;
}

/** Per-step losses, as plain numbers. */
export interface GanStepMetrics extends Metrics {
  generatorLoss: number;
  discriminatorLoss: number;
  generatorAdversarialLoss: number;
  featureMatchingLoss: number;
  discriminatorRealLoss: number;
  discriminatorFakeLoss: number;
}

const pos = (name: string, v: unknown) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${String(v)}`);
  return v;
};

/**
 * The GAN task as the shared trainer sees it: a SPADE generator and a multi-scale PatchGAN
 * discriminator, each with its own channel-directed optimizer; one trainStep = one D step then
 * one G step (hinge loss; G also gets feature matching and, if given, the VGG loss).
 */
export class GanAdapter implements TaskAdapter<GanBatch> {
  readonly task = 'gan';
  readonly generator: LayersModel;
  readonly discriminator: LayersModel;
  readonly gan: GanOptimizers;
  private readonly perScale: number;
  private readonly useEdges: boolean;
  private readonly lambdaFeat: number;
  private readonly lambdaVgg: number;
  private readonly batchSize: number;
  private readonly evalSamples: number;
  private readonly gridSamples: number;
  private realFit: GaussianFit | null = null;

  constructor(private readonly o: GanAdapterOptions) {
    const ds = o.dataset;
    this.batchSize = pos('batchSize', o.batchSize);
    this.useEdges = o.useInstanceEdges ?? ds.hasInstances;
    this.lambdaFeat = o.lambdaFeat ?? 10;
    this.lambdaVgg = o.lambdaVgg ?? 10;
    for (const [k, v] of [['lambdaFeat', this.lambdaFeat], ['lambdaVgg', this.lambdaVgg]] as const) {
      if (!Number.isFinite(v) || v < 0) throw new Error(`${k} must be a finite number >= 0, got ${v}`);
    }
    this.evalSamples = o.evalSamples ?? 32;
    this.gridSamples = o.gridSamples ?? 4;
    const channels = labelMapChannels(ds, this.useEdges);
    this.generator = buildSpadeGenerator({ height: ds.height, width: ds.width, labelChannels: channels, seed: o.seed, ...o.generator });
    const dl = o.discriminator ?? {};
    try {
      this.discriminator = buildMultiscaleDiscriminator({ height: ds.height, width: ds.width, inputChannels: channels + 3, seed: o.seed + 1, ...dl });
    } catch (e) {
      this.generator.dispose();
      throw e;
    }
    this.perScale = (dl.layers ?? 4) + 1;
    try {
      this.gan = createGanOptimizers(
        { generator: { model: this.generator, config: o.optimizers.generator }, discriminator: { model: this.discriminator, config: o.optimizers.discriminator } },
        o.container,
        o.configureContainer,
      );
    } catch (e) {
      this.generator.dispose();
      this.discriminator.dispose();
      throw e;
    }
  }

  models(): Record<string, LayersModel> {
    return { generator: this.generator, discriminator: this.discriminator };
  }

  optimizers(): OptimizerSlot[] {
    return this.gan.slots;
  }

  stepsPerEpoch(): number {
    return Math.max(1, Math.floor(this.o.dataset.size('train') / this.batchSize));
  }

  async *trainBatches(epoch: number): AsyncIterable<GanBatch> {
    const n = this.o.dataset.size('train');
    const order = seededPermutation(n, (this.o.seed * 1000003 + epoch) >>> 0);
    for (let s = 0; s < this.stepsPerEpoch(); s++) {
      const idx = order.slice(s * this.batchSize, (s + 1) * this.batchSize);
      if (idx.length < this.batchSize) idx.push(...order.slice(0, this.batchSize - idx.length));
      yield await this.batchOf('train', idx);
    }
  }

  private async batchOf(split: 'train' | 'val', indices: number[]): Promise<GanBatch> {
    const samples = await Promise.all(indices.map((i) => this.o.dataset.get(split, i)));
    return samplesToBatch(samples, this.o.dataset.numClasses, this.useEdges);
  }

  private trainableVariables(m: LayersModel): tf.Variable[] {
    return m.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** D([label, fake] ++ [label, real]) in one batch (instance norm keeps samples independent), split back. */
  private discriminate(labelMap: tf.Tensor4D, fake: tf.Tensor4D, real: tf.Tensor4D): { fake: tf.Tensor[][]; real: tf.Tensor[][] } {
    const n = real.shape[0];
    const input = tf.concat([tf.concat([labelMap, fake], 3), tf.concat([labelMap, real], 3)], 0);
    const scales = splitScales(this.discriminator.apply(input, { training: true }) as tf.Tensor[], this.perScale);
    const half = (t: tf.Tensor, start: number) => tf.slice(t, [start, 0, 0, 0], [n, -1, -1, -1]);
    return { fake: scales.map((s) => s.map((t) => half(t, 0))), real: scales.map((s) => s.map((t) => half(t, n))) };
  }

  trainStep(batch: GanBatch, _step: number): GanStepMetrics {
    try {
      const { labelMap, image } = batch;
      const last = (s: tf.Tensor[]) => s[s.length - 1];
      // Discriminator step: G's output is a constant here.
      const fake = tf.tidy(() => this.generator.apply(labelMap, { training: true }) as tf.Tensor4D);
      let dParts: tf.Scalar[] = [];
      let dLoss: tf.Scalar | null;
      try {
        dLoss = this.gan.optimizers.discriminator.minimize(() => {
          const d = this.discriminate(labelMap, fake, image);
          const { real, fake: f } = discriminatorHingeLoss(d.real.map(last), d.fake.map(last));
          dParts = [tf.keep(real), tf.keep(f)];
          return tf.add(real, f) as tf.Scalar;
        }, true, this.trainableVariables(this.discriminator));
      } finally {
        fake.dispose();
      }
      // Generator step: hinge + feature matching (+ VGG); only G's variables are updated.
      let gParts: tf.Scalar[] = [];
      const gLoss = this.gan.optimizers.generator.minimize(() => {
        const gen = this.generator.apply(labelMap, { training: true }) as tf.Tensor4D;
        const d = this.discriminate(labelMap, gen, image);
        const adv = generatorHingeLoss(d.fake.map(last));
        const fm = featureMatchingLoss(d.fake, d.real, this.lambdaFeat);
        gParts = [tf.keep(adv), tf.keep(fm)];
        let total = tf.add(adv, fm);
        if (this.o.perceptualLoss && this.lambdaVgg > 0) total = tf.add(total, tf.mul(this.o.perceptualLoss.loss(gen, image), this.lambdaVgg));
        return total as tf.Scalar;
      }, true, this.trainableVariables(this.generator));
      const read = (t: tf.Scalar | null) => {
        const v = t ? t.dataSync()[0] : NaN;
        t?.dispose();
        return v;
      };
      const [dReal, dFake] = dParts.map(read);
      const [gAdv, gFm] = gParts.map(read);
      return {
        generatorLoss: read(gLoss),
        discriminatorLoss: read(dLoss),
        generatorAdversarialLoss: gAdv,
        featureMatchingLoss: gFm,
        discriminatorRealLoss: dReal,
        discriminatorFakeLoss: dFake,
      };
    } finally {
      disposeBatch(batch);
    }
  }

  /** Images for label maps, as [N, H, W, 3] in [−1, 1]. */
  generate(labelMap: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.generator.apply(labelMap, { training: false }) as tf.Tensor4D);
  }

  private async features(which: 'real' | 'fake', count: number, extractor: FeatureExtractor): Promise<Float32Array> {
    const out = new Float32Array(count * extractor.dim);
    const chunk = Math.max(this.batchSize, 8);
    for (let start = 0; start < count; start += chunk) {
      const idx = [...Array(Math.min(chunk, count - start)).keys()].map((k) => start + k);
      const b = await this.batchOf('val', idx);
      try {
        const f = tf.tidy(() => {
          const images = which === 'real' ? b.image : this.generate(b.labelMap);
          return extractor.extract(images);
        });
        out.set(await f.data(), start * extractor.dim);
        f.dispose();
      } finally {
        disposeBatch(b);
      }
    }
    return out;
  }

  /** The Fréchet distance between features of generated and real val images (key: the extractor's name). */
  async evaluate(_epoch: number): Promise<Metrics> {
    const ex = this.o.featureExtractor;
    if (!ex) return {};
    const count = Math.min(this.evalSamples, this.o.dataset.size('val'));
    if (count < 2) throw new Error(`the Fréchet distance needs at least 2 val samples; the val split has ${this.o.dataset.size('val')}, evalSamples is ${this.evalSamples}`);
    if (!this.realFit || this.realFit.count !== count) this.realFit = fitGaussian(await this.features('real', count, ex), count, ex.dim);
    const fakeFit = fitGaussian(await this.features('fake', count, ex), count, ex.dim);
    return { [ex.distanceName]: frechetDistance(fakeFit, this.realFit) };
  }

  async onEpochEnd(epoch: number, outDir: string): Promise<void> {
    const count = Math.min(this.gridSamples, this.o.dataset.size('val'));
    if (count === 0) return;
    const samples: LabelImageSample[] = await Promise.all([...Array(count).keys()].map((i) => this.o.dataset.get('val', i)));
    const b = samplesToBatch(samples, this.o.dataset.numClasses, this.useEdges);
    try {
      const g = this.generate(b.labelMap);
      const data = await g.data();
      g.dispose();
      const { height: H, width: W } = this.o.dataset;
      const rows = samples.map((s, k) => ({ height: H, width: W, labels: s.labels, edges: s.edges, real: s.image, generated: (data as Float32Array).subarray(k * H * W * 3, (k + 1) * H * W * 3) }));
      await writeSampleGrid(path.join(outDir, 'samples', `epoch-${String(epoch + 1).padStart(4, '0')}.png`), rows, this.o.dataset.palette);
    } finally {
      disposeBatch(b);
    }
  }

  describeHooks(): unknown {
    const out: Record<string, unknown> = {};
    for (const name of ['generator', 'discriminator'] as const) {
      const opt = this.gan.optimizers[name];
      out[name] = {
        label: opt.label,
        baseLearningRate: this.o.optimizers[name].learningRate,
        optimizer: this.o.optimizers[name].optimizer,
        rules: this.o.optimizers[name].rules,
        weights: opt.describe().map((a) => ({ variable: a.variable, layer: a.layer, layerType: a.layerType, weight: a.weight, rule: a.rule, metric: a.metric, axis: a.axis })),
      };
    }
    return out;
  }

  dispose(): void {
    for (const o of Object.values(this.gan.optimizers)) o.dispose();
    this.generator.dispose();
    this.discriminator.dispose();
    this.o.featureExtractor?.dispose();
    this.o.perceptualLoss?.dispose();
  }
}
