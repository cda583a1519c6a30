import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cdg/backend';
import { transformGradient } from '@cdg/core';
import { syntheticStreetScenes } from '@cdg/data';
import type { GradientStepEvent } from '@cdg/hook';
import { restoreCheckpoint, saveCheckpoint, findLatestCheckpoint } from '@cdg/trainer';
import { GanAdapter, GAN_CONV_LAYER_TYPES, randomConvFeatureExtractor, type GanAdapterOptions, type GanBatch } from '@cdg/gan';

const tiny = (over: Partial<GanAdapterOptions> = {}): GanAdapterOptions => ({
  dataset: syntheticStreetScenes({ height: 32, width: 32, trainSize: 6, valSize: 4, seed: 2 }),
  batchSize: 1,
  seed: 7,
  generator: { ngf: 2, spadeHidden: 4 },
  discriminator: { ndf: 4, layers: 2, scales: 2 },
  optimizers: {
    generator: { optimizer: 'momentum', learningRate: 1e-4, momentum: 0.9, weightDecay: 5e-4, rules: [{ layerType: [...GAN_CONV_LAYER_TYPES], weight: 'kernel', metric: 'sobolev', lambda: 1 }] },
    discriminator: { optimizer: 'momentum', learningRate: 4e-4, momentum: 0.9, weightDecay: 5e-4, rules: [{ layerType: [...GAN_CONV_LAYER_TYPES], weight: 'kernel', metric: 'reweighted-l2', lambda: 2 }] },
  },
  evalSamples: 4,
  gridSamples: 2,
  ...over,
});

async function firstBatches(a: GanAdapter, n: number): Promise<GanBatch[]> {
  const out: GanBatch[] = [];
  for await (const b of a.trainBatches(0)) {
    out.push(b);
    if (out.length === n) break;
  }
  return out;
}

const variableNames = (m: { trainableWeights: { read(): tf.Tensor }[] }) => new Set(m.trainableWeights.map((w) => (w.read() as tf.Variable).name));

describe('gan adapter: two optimizers, two hooks (wasm)', () => {
  before(async () => {
    await selectBackend('wasm', { logger: null });
  });
  after(async () => {
    await tf.setBackend('cpu');
  });

  it('G and D have their own learning rates and rules, and each hook sees only its own network', async () => {
    const a = new GanAdapter(tiny());
    try {
      const slots = a.optimizers();
      expect(slots.map((s) => [s.name, s.baseLearningRate])).to.deep.equal([['generator', 1e-4], ['discriminator', 4e-4]]);
      expect(a.gan.optimizers.generator.learningRate).to.be.closeTo(1e-4, 1e-12);
      expect(a.gan.optimizers.discriminator.learningRate).to.be.closeTo(4e-4, 1e-12);
      expect(a.gan.containers.generator).to.not.equal(a.gan.containers.discriminator);
      const isKernel = (w: { layerType: string | null; weight: string | null }) => GAN_CONV_LAYER_TYPES.includes(w.layerType as never) && w.weight === 'kernel';
      const gDescribed = a.gan.optimizers.generator.describe();
      expect(gDescribed.filter((w) => w.layerType === 'CdgSpectralConv2D' && w.weight === 'kernel').map((w) => w.axis)).to.include(3); // spectral-norm kernels: output axis last
      const gMetrics = new Set(gDescribed.filter(isKernel).map((w) => w.metric));
      const dMetrics = new Set(a.gan.optimizers.discriminator.describe().filter(isKernel).map((w) => w.metric));
      expect([...gMetrics]).to.deep.equal(['sobolev']);
      expect([...dMetrics]).to.deep.equal(['reweighted-l2']);

      const seen: Record<string, Set<string>> = { generator: new Set(), discriminator: new Set() };
      const labels: string[] = [];
      let checked = 0;
      const check = (e: GradientStepEvent, metric: string, lambda: number) => {
        labels.push(e.label);
        for (const v of e.variables) seen[e.label].add(v.name);
        for (const type of GAN_CONV_LAYER_TYPES) {
          // the raw kernel of a spectrally normalized conv (PyTorch's weight_orig) is transformed like a Conv2D kernel
          const k = e.variables.find((v) => v.layerType === type && v.weight === 'kernel' && (v.raw.shape[3] ?? 0) > 1)!;
          const expected = transformGradient(k.raw, { metric, lambda, axis: 3 }); // output axis = last
          expect(tf.max(tf.abs(tf.sub(expected, k.transformed))).dataSync()[0], `${e.label} ${k.name}`).to.be.below(1e-6);
          expected.dispose();
        }
        checked++;
      };
      const subs = [
        a.gan.optimizers.generator.steps$.subscribe((e) => check(e, 'sobolev', 1)),
        a.gan.optimizers.discriminator.steps$.subscribe((e) => check(e, 'reweighted-l2', 2)),
      ];
      for (const [i, b] of (await firstBatches(a, 2)).entries()) a.trainStep(b, i);
      subs.forEach((s) => s.unsubscribe());
      expect(checked).to.equal(4);
      expect(labels).to.deep.equal(['discriminator', 'generator', 'discriminator', 'generator']);
      expect([...seen.generator].sort()).to.deep.equal([...variableNames(a.generator)].sort());
      expect([...seen.discriminator].sort()).to.deep.equal([...variableNames(a.discriminator)].sort());
    } finally {
      a.dispose();
    }
  });

  it('steps give finite losses without tensor growth; evaluate and the sample grid work', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'cdg-gan-'));
    const a = new GanAdapter(tiny({ featureExtractor: randomConvFeatureExtractor() }));
    try {
      const batches = await firstBatches(a, 4);
      const counts: number[] = [];
      batches.forEach((b, i) => {
        const m = a.trainStep(b, i);
        for (const k of ['generatorLoss', 'discriminatorLoss', 'featureMatchingLoss', 'generatorAdversarialLoss', 'discriminatorRealLoss', 'discriminatorFakeLoss']) {
          expect(Number.isFinite(m[k]), `${k} = ${m[k]}`).to.equal(true);
        }
        expect(m.generatorLoss).to.be.closeTo(m.generatorAdversarialLoss + m.featureMatchingLoss, 1e-4);
        expect(m.discriminatorLoss).to.be.closeTo(m.discriminatorRealLoss + m.discriminatorFakeLoss, 1e-5);
        counts.push(tf.memory().numTensors - 2 * (batches.length - 1 - i)); // minus the batches not yet consumed
      });
      expect(counts[3]).to.equal(counts[1]); // momentum slots exist after the first step
      const ev = await a.evaluate(0);
      expect(Object.keys(ev)).to.deep.equal(['fdRandomConv']);
      expect(ev.fdRandomConv).to.be.at.least(0);
      expect(Number.isFinite(ev.fdRandomConv)).to.equal(true);
      await a.onEpochEnd(0, out);
      const meta = await sharp(path.join(out, 'samples', 'epoch-0001.png')).metadata();
      expect([meta.width, meta.height]).to.deep.equal([3 * 32 + 4, 2 * 32 + 2]);
      expect(tf.memory().numTensors).to.equal(counts[3]);
    } finally {
      a.dispose();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a checkpoint restores both networks and both optimizers: the next step is identical', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'cdg-gan-ckpt-'));
    const a = new GanAdapter(tiny());
    const b = new GanAdapter(tiny({ seed: 99 })); // different initial weights, overwritten by the restore
    try {
      const batches = await firstBatches(a, 2);
      a.trainStep(batches[0], 0);
      await saveCheckpoint(out, a.models(), a.optimizers(), { task: 'gan', epoch: 1, step: 1, rng: { seed: 7, nextEpoch: 1 }, hooks: a.describeHooks(), history: [], config: {} });
      await restoreCheckpoint(findLatestCheckpoint(out)!, b.models(), b.optimizers());
      for (const name of ['generator', 'discriminator'] as const) {
        const wa = await a.gan.optimizers[name].getWeights();
        const wb = await b.gan.optimizers[name].getWeights();
        expect(wa.length, `${name} optimizer slots`).to.be.greaterThan(1);
        expect(wb.length).to.equal(wa.length);
        wa.forEach((w, i) => expect(tf.max(tf.abs(tf.sub(w.tensor, wb[i].tensor))).dataSync()[0], `${name} ${w.name}`).to.equal(0));
      }
      // The same next step on both: identical weights afterwards only if momentum buffers were restored.
      const same1 = await firstBatches(a, 2);
      const same2 = await firstBatches(a, 2); // the same data for both (b's own order depends on its seed)
      a.trainStep(same1[1], 1);
      b.trainStep(same2[1], 1);
      same1.slice(0, 1).forEach((x) => tf.dispose([x.labelMap, x.image]));
      same2.slice(0, 1).forEach((x) => tf.dispose([x.labelMap, x.image]));
      batches.slice(1).forEach((x) => tf.dispose([x.labelMap, x.image]));
      for (const name of ['generator', 'discriminator'] as const) {
        const ma = a.models()[name].getWeights(), mb = b.models()[name].getWeights();
        ma.forEach((w, i) => expect(tf.max(tf.abs(tf.sub(w, mb[i]))).dataSync()[0], `${name} weight ${i}`).to.be.below(1e-7));
      }
    } finally {
      a.dispose();
      b.dispose();
      rmSync(out, { recursive: true, force: true });
    }
  });
});
