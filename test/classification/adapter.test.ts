import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cdg/backend';
import { cachedDataset, ClassificationAdapter, classificationOptions, crossEntropy } from '@cdg/classification';
import { imageBatches } from '@cdg/data';
import type { CommonTrainConfig } from '@cdg/trainer';

const config = (over: Partial<CommonTrainConfig> = {}): CommonTrainConfig & Record<string, unknown> => ({
  task: 'classification', dataset: 'mnist', model: 'cnn2', optimizer: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0, metric: 'sobolev', lambda: 1,
  sigma: 1, formulation: 'exact', direction: 'output', mix: 0, batchSize: 8, epochs: 1, lrSchedule: 'constant', lrStepEpochs: 1, lrStepFactor: 0.1,
  seed: 2, backend: 'wasm', out: 'unused', resume: false, ...over,
});

describe('classification: adapter', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('cross-entropy equals −log softmax of the true class, computed by hand', () => {
    const logits = [[1, 2, 0.5], [0, -1, 3]];
    const labels = [1, 2];
    const want = labels.reduce((s, y, i) => {
      const z = logits[i];
      const lse = Math.log(z.reduce((a, v) => a + Math.exp(v), 0));
      return s + (lse - z[y]);
    }, 0) / 2;
    const got = tf.tidy(() => crossEntropy(tf.tensor2d(logits), tf.tensor1d(labels, 'int32')).dataSync()[0]);
    expect(got).to.be.closeTo(want, 1e-5);
  });

  it('evaluate() gives the loss and accuracy computed independently from the network\'s logits', async () => {
    const data = cachedDataset('mnist');
    const ad = new ClassificationAdapter(config(), data, classificationOptions({ evalLimit: 37, evalBatchSize: 10 }));
    const m = await ad.evaluate();
    let hits = 0;
    let loss = 0;
    for (const b of imageBatches(ad.evalSet, { batchSize: 37, mean: data.mean, std: data.std })) {
      const logits = tf.tidy(() => (ad.model.predict(tf.tensor4d(b.x, b.shape)) as tf.Tensor).arraySync() as number[][]);
      logits.forEach((z, i) => {
        const arg = z.indexOf(Math.max(...z));
        if (arg === b.y[i]) hits++;
        const mx = Math.max(...z);
        loss += mx + Math.log(z.reduce((a, v) => a + Math.exp(v - mx), 0)) - z[b.y[i]];
      });
    }
    expect(m.accuracy).to.be.closeTo(hits / 37, 1e-9);
    expect(m.loss).to.be.closeTo(loss / 37, 1e-4);
    ad.dispose();
  });

  it('trains with the hook on conv kernels, no tensor growth per step; --train-split test swaps the splits', async () => {
    const data = cachedDataset('mnist');
    const ad = new ClassificationAdapter(config(), data, classificationOptions({ trainLimit: 40 }));
    expect(ad.stepsPerEpoch()).to.equal(5);
    const it = ad.trainBatches(0)[Symbol.asyncIterator]();
    ad.trainStep((await it.next()).value);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const l = ad.trainStep((await it.next()).value);
      expect(l.loss).to.be.a('number').and.satisfy(Number.isFinite);
    }
    await it.return?.();
    expect(tf.memory().numTensors).to.equal(before);
    const hooks = ad.describeHooks() as { model: { variable: string; metric: string }[] };
    expect(hooks.model.filter((w) => w.metric === 'sobolev').map((w) => w.variable.split('/')[0])).to.deep.equal(['conv1', 'conv2']);
    ad.dispose();
    const swapped = new ClassificationAdapter(config(), data, classificationOptions({ trainSplit: 'test' }));
    expect([swapped.train.count, swapped.evalSet.count]).to.deep.equal([10000, 60000]);
    swapped.dispose();
  });

  it('rejects bad task options, naming them', () => {
    expect(() => classificationOptions({ trainSplit: 'val' })).to.throw(/trainSplit must be 'train' or 'test', got val/);
    expect(() => classificationOptions({ evalLimit: -1 })).to.throw(/evalLimit must be an integer ≥ 0, got -1/);
    expect(() => classificationOptions({ augment: 'yes' })).to.throw(/augment must be a boolean/);
  });
});
