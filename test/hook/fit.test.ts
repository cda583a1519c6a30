import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { transformGradient } from '@cdg/core';
import { channelDirected, type GradientStepEvent } from '@cdg/hook';
import { isConvKernel, maxAbsDiff, randomTensor, seedWeights, smallConvNet, weightValues } from './helpers';

type Make = () => tf.Optimizer;
const optimizers: Array<[string, Make]> = [
  ['sgd', () => tf.train.sgd(0.1)],
  ['momentum', () => tf.train.momentum(0.05, 0.9)],
  ['adam', () => tf.train.adam(0.01)],
];

/** The manual reference: the plain inner optimizer applied to transformGradient(grad) for Conv2D kernels only. */
async function manualTraining(model: tfl.LayersModel, make: Make, x: tf.Tensor, y: tf.Tensor, batchSize: number, epochs: number, transform: boolean): Promise<void> {
  const opt = make();
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = x.shape[0];
  for (let e = 0; e < epochs; e++) {
    for (let start = 0; start < n; start += batchSize) {
      tf.tidy(() => {
        const size = Math.min(batchSize, n - start);
        const xb = tf.slice(x, start, size);
        const yb = tf.slice(y, start, size);
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(model.apply(xb) as tf.Tensor, yb))) as tf.Scalar, vars);
        const list = vars.map((v) => ({
          name: v.name,
          tensor: transform && isConvKernel(model, v.name) ? transformGradient(grads[v.name], { metric: 'sobolev', lambda: 1, axis: 3 }) : grads[v.name],
        }));
        opt.applyGradients(list);
        value.dispose();
      });
    }
  }
  opt.dispose();
}

describe('hook: channelDirected inside model.fit', function () {
  this.timeout(60000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, make] of optimizers) {
    it(`${name}: conv kernels move by inner(transformGradient(grad)), everything else by the unwrapped update`, async () => {
      const x = randomTensor([8, 6, 6, 2], 1);
      const y = randomTensor([8, 3], 2);
      const hooked = smallConvNet();
      const manual = smallConvNet();
      const plain = smallConvNet();
      for (const m of [hooked, manual, plain]) seedWeights(m, 100);

      const optimizer = channelDirected(make(), {
        model: hooked,
        rules: [{ layerType: 'Conv2D', weight: 'kernel', metric: 'sobolev', lambda: 1 }],
      });
      const events: GradientStepEvent[] = [];
      const sub = optimizer.steps$.subscribe((e) => events.push(e));
      hooked.compile({ optimizer, loss: 'meanSquaredError' });
      await hooked.fit(x, y, { batchSize: 4, epochs: 2, shuffle: false, verbose: 0 });
      sub.unsubscribe();

      await manualTraining(manual, make, x, y, 4, 2, true);
      await manualTraining(plain, make, x, y, 4, 2, false);

      const got = await weightValues(hooked);
      const want = await weightValues(manual);
      const unwrapped = await weightValues(plain);
      const names = hooked.weights.map((w) => w.name);
      got.forEach((g, i) => {
        expect(maxAbsDiff(g, want[i]), `${names[i]} vs manual`).to.be.below(2e-5);
        const differs = maxAbsDiff(g, unwrapped[i]);
        // conv kernels (and whatever they feed) must differ from plain training; a no-op hook would fail here
        if (isConvKernel(hooked, names[i])) expect(differs, `${names[i]} vs unwrapped`).to.be.above(1e-4);
      });
      expect(events.map((e) => e.step)).to.deep.equal([0, 1, 2, 3]);
      expect(events.every((e) => e.label === 'optimizer' && !e.skipped)).to.equal(true);
      expect(optimizer.iterations).to.equal(4);
      tf.dispose([x, y]);
      for (const m of [hooked, manual, plain]) m.dispose();
      optimizer.dispose();
    });
  }

  it('one step with unmatched rules equals the unwrapped optimizer exactly', async () => {
    const x = randomTensor([4, 6, 6, 2], 3);
    const y = randomTensor([4, 3], 4);
    const a = smallConvNet();
    const b = smallConvNet();
    seedWeights(a, 7);
    seedWeights(b, 7);
    a.compile({ optimizer: channelDirected(tf.train.sgd(0.1), { model: a, rules: [] }), loss: 'meanSquaredError' });
    b.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await a.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    await b.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    const wa = await weightValues(a);
    const wb = await weightValues(b);
    wa.forEach((w, i) => expect(maxAbsDiff(w, wb[i])).to.equal(0));
    tf.dispose([x, y]);
    a.dispose();
    b.dispose();
  });
});
