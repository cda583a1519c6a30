import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { CommonTrainConfig } from '@cdg/trainer';
import { ganTask, type GanAdapter } from '@cdg/gan';

const base = (over: Record<string, unknown> = {}) =>
  ({
    task: 'gan', dataset: 'synthetic', optimizer: 'momentum', lr: 1e-4, momentum: 0.9, weightDecay: 5e-4,
    metric: 'sobolev', lambda: 1, sigma: 1, formulation: 'exact', direction: 'output', mix: 0,
    batchSize: 2, epochs: 1, lrSchedule: 'constant', lrStepEpochs: 1, lrStepFactor: 0.1, seed: 1, backend: 'cpu', out: '/tmp/unused', resume: false,
    imageHeight: 32, imageWidth: 32, ngf: 2, spadeHidden: 2, ndf: 2, dLayers: 2, dScales: 1, evalSamples: 0, trainSize: 10, valSize: 2,
    ...over,
  }) as CommonTrainConfig & Record<string, unknown>;

const create = (over: Record<string, unknown> = {}) => ganTask.create({ config: base(over), outDir: '/tmp/unused', log: () => {} }) as Promise<GanAdapter>;

describe('gan task: flags → adapter', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('--g-lr/--d-lr and --g-metric/--d-metric/--d-lambda give each network its own optimizer config', async () => {
    const a = await create({ gLr: 2e-4, dLr: 8e-4, gMetric: 'l2', dMetric: 'reweighted-l2', dLambda: 3 });
    try {
      expect(a.optimizers().map((s) => [s.name, s.baseLearningRate])).to.deep.equal([['generator', 2e-4], ['discriminator', 8e-4]]);
      const hooks = a.describeHooks() as Record<string, { label: string; rules: { metric: string; lambda: number }[] }>;
      expect(hooks.generator.label).to.equal('generator');
      expect(hooks.generator.rules.map((r) => [r.metric, r.lambda])).to.deep.equal([['l2', 1]]);
      expect(hooks.discriminator.rules.map((r) => [r.metric, r.lambda])).to.deep.equal([['reweighted-l2', 3]]);
      expect(a.stepsPerEpoch()).to.equal(5);
    } finally {
      a.dispose();
    }
  });

  it('names bad flags and missing data', async () => {
    const fails = async (over: Record<string, unknown>, re: RegExp) => {
      let err: Error | null = null;
      await create(over).then((a) => a.dispose(), (e) => (err = e));
      expect(err, JSON.stringify(over)).to.not.equal(null);
      expect(err!.message).to.match(re);
    };
    await fails({ dataset: 'mnist' }, /dataset must be one of synthetic, cityscapes for gan, got mnist/);
    await fails({ dataset: 'cityscapes' }, /--data-dir/);
    await fails({ dLr: -1 }, /--d-lr must be a finite number > 0, got -1/);
    await fails({ imageHeight: 40 }, /multiples of 32/);
    await fails({ gNorm: 'layer' }, /--g-norm must be 'batch' or 'instance', got layer/);
    await fails({ evalSamples: 4, valSize: 1 }, /at least 2 val images/);
  });
});
