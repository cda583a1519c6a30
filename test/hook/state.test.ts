import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { transformGradient } from '@cdg/core';
import { channelDirected, type GradientStepEvent } from '@cdg/hook';
import { circulantAlongAxis, maxAbsDiff, randomArray, randomTensor, seedWeights, smallConvNet, sobolevSymbol, weightValues } from './helpers';

let uid = 0;
const fresh = (shape: number[], seed: number): tf.Variable => tf.variable(tf.tensor(randomArray(shape.reduce((a, b) => a * b, 1), seed, 0.5), shape), true, `st_${seed}_${uid++}`);
const values = (v: tf.Tensor) => Float64Array.from(v.dataSync());

async function snapshot(opt: tf.Optimizer): Promise<Array<{ name: string; data: Float32Array }>> {
  return Promise.all((await opt.getWeights()).map(async (w) => ({ name: w.name, data: (await w.tensor.data()) as Float32Array })));
}

describe('hook: optimizer state, weight decay, non-finite gradients, learning rate', function () {
  this.timeout(30000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('coupled weight decay is added after the transform (PyTorch SGD order), per-rule rates override', () => {
    const w = fresh([2, 2, 3, 5], 1);
    const b = fresh([5], 2);
    const w0 = values(w);
    const b0 = values(b);
    const g = randomTensor([2, 2, 3, 5], 3);
    const gb = randomTensor([5], 4);
    const opt = channelDirected(tf.train.sgd(1), {
      weightDecay: 0.1,
      rules: [{ weight: 'kernel', metric: 'sobolev', lambda: 1 }, { variable: b.name, metric: 'l2', weightDecay: 0 }],
    });
    opt.applyGradients([{ name: w.name, tensor: g }, { name: b.name, tensor: gb }]);
    const T = (x: ArrayLike<number>) => circulantAlongAxis(x, [2, 2, 3, 5], 3, sobolevSymbol(1));
    const tg = T(g.dataSync());
    const after = Float64Array.from(w0, (x, i) => x - (tg[i] + 0.1 * x));
    expect(maxAbsDiff(values(w), after)).to.be.below(1e-5);
    // transforming the decayed gradient instead, T(g + wd·w), would be a different update
    const wrongOrder = T(Float64Array.from(g.dataSync(), (x, i) => x + 0.1 * w0[i]));
    expect(maxAbsDiff(values(w), Float64Array.from(w0, (x, i) => x - wrongOrder[i]))).to.be.above(1e-3);
    expect(maxAbsDiff(values(b), Float64Array.from(b0, (x, i) => x - gb.dataSync()[i]))).to.be.below(1e-6);
    tf.dispose([w, b, g, gb]);
    opt.dispose();
  });

  it("decoupled weight decay shrinks weights by (1 − lr·rate) and leaves the gradient alone", () => {
    const w = fresh([2, 2, 3, 5], 5);
    const w0 = values(w);
    const g = randomTensor([2, 2, 3, 5], 6);
    const opt = channelDirected(tf.train.momentum(0.5, 0.9), { weightDecay: { rate: 0.1, mode: 'decoupled' } });
    const seen: number[] = [];
    const sub = opt.steps$.subscribe((e) => seen.push(maxAbsDiff(e.variables[0].applied.dataSync(), e.variables[0].transformed.dataSync())));
    opt.applyGradients({ [w.name]: g });
    sub.unsubscribe();
    const tg = circulantAlongAxis(g.dataSync(), [2, 2, 3, 5], 3, sobolevSymbol(1)); // default rule: sobolev on conv kernels
    expect(maxAbsDiff(values(w), Float64Array.from(w0, (x, i) => x * (1 - 0.05) - 0.5 * tg[i]))).to.be.below(1e-5);
    expect(seen).to.deep.equal([0]);
    tf.dispose([w, g]);
    opt.dispose();
  });

  for (const policy of ['throw', 'skip'] as const) {
    it(`NaN gradient with onNonFinite '${policy}': weights, moments and iterations untouched`, async () => {
      const a = fresh([3, 3, 2, 4], 10);
      const c = fresh([4], 11);
      const opt = channelDirected(tf.train.adam(0.01), { onNonFinite: policy, label: 'net' });
      const ref = tf.train.adam(0.01); // never sees the bad step
      const ra = tf.variable(a.clone(), true, `ref_a_${uid++}`);
      const rc = tf.variable(c.clone(), true, `ref_c_${uid++}`);
      const events: GradientStepEvent[] = [];
      const sub = opt.steps$.subscribe((e) => events.push(e));
      const good = (seed: number) => [randomTensor([3, 3, 2, 4], seed), randomTensor([4], seed + 1)];
      const stepBoth = (g: tf.Tensor[]) => {
        opt.applyGradients([{ name: a.name, tensor: g[0] }, { name: c.name, tensor: g[1] }]);
        const ta = transformGradient(g[0], { metric: 'sobolev', lambda: 1, axis: 3 }); // the default rule, for the reference
        ref.applyGradients([{ name: ra.name, tensor: ta }, { name: rc.name, tensor: g[1] }]);
        tf.dispose([ta, ...g]);
      };
      stepBoth(good(20));
      stepBoth(good(30));
      const before = { a: values(a), c: values(c), state: await snapshot(opt), iterations: opt.iterations };
      const numTensors = tf.memory().numTensors;

      const badC = tf.tensor([1, Number.NaN, 2, Number.POSITIVE_INFINITY]);
      const badA = randomTensor([3, 3, 2, 4], 40);
      const call = () => opt.applyGradients([{ name: a.name, tensor: badA }, { name: c.name, tensor: badC }]);
      if (policy === 'throw') {
        expect(call).to.throw(new RegExp(`non-finite gradient at step 2 of optimizer "net": "${c.name}" \\(2 of 4 entries\\)`));
        expect(events).to.have.length(2);
      } else {
        call();
        expect(events).to.have.length(3);
        expect(events[2].skipped).to.equal(true);
        expect(events[2].step).to.equal(2);
        expect(events[2].nonFinite).to.deep.equal([{ name: c.name, count: 2 }]);
        expect(opt.skippedSteps).to.equal(1);
      }
      tf.dispose([badA, badC]);
      expect(tf.memory().numTensors).to.equal(numTensors);
      expect(opt.iterations).to.equal(before.iterations);
      expect(maxAbsDiff(values(a), before.a)).to.equal(0);
      expect(maxAbsDiff(values(c), before.c)).to.equal(0);
      const state = await snapshot(opt);
      expect(state.map((s) => s.name)).to.deep.equal(before.state.map((s) => s.name));
      state.forEach((s, i) => expect(maxAbsDiff(s.data, before.state[i].data)).to.equal(0));

      // training goes on exactly as if the bad step never happened
      stepBoth(good(50));
      expect(maxAbsDiff(values(a), values(ra))).to.be.below(1e-6);
      expect(maxAbsDiff(values(c), values(rc))).to.be.below(1e-6);
      expect(events[events.length - 1].step).to.equal(2);
      sub.unsubscribe();
      tf.dispose([a, c, ra, rc]);
      opt.dispose();
      ref.dispose();
    });
  }

  it('optimizer state: getWeights → setWeights into a fresh wrapper → identical next step (model.fit, adam)', async () => {
    const x = randomTensor([8, 6, 6, 2], 61);
    const y = randomTensor([8, 3], 62);
    const m1 = smallConvNet();
    seedWeights(m1, 63);
    const opt1 = channelDirected(tf.train.adam(0.01), { model: m1 });
    m1.compile({ optimizer: opt1, loss: 'meanSquaredError' });
    await m1.fit(x, y, { batchSize: 4, epochs: 1, shuffle: false, verbose: 0 });
    const savedState = (await opt1.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    const savedWeights = m1.getWeights().map((w) => w.clone());
    expect(savedState[0].name).to.equal('iter');
    expect(savedState.length).to.equal(1 + 2 * m1.trainableWeights.length); // Adam: m and v per variable, by position

    // artifacts with the optimizer, through tfjs-layers' own save/load
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m1.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });

    await m1.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const expected = await weightValues(m1);

    const m2 = smallConvNet();
    m2.setWeights(savedWeights);
    const opt2 = channelDirected(tf.train.adam(0.01), { model: m2 });
    await opt2.setWeights(savedState);
    expect(opt2.iterations).to.equal(2);
    m2.compile({ optimizer: opt2, loss: 'meanSquaredError' });
    await m2.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const got = await weightValues(m2);
    got.forEach((g, i) => expect(maxAbsDiff(g, expected[i])).to.be.below(1e-6));

    // the saved training config names the inner optimizer, so loading gives a plain Adam with the moments
    const m3 = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(m3.optimizer.getClassName()).to.equal('Adam');
    const opt3 = channelDirected(m3.optimizer, { model: m3 });
    expect(opt3.iterations).to.equal(2);
    m3.compile({ optimizer: opt3, loss: 'meanSquaredError' });
    await m3.fit(x, y, { batchSize: 8, epochs: 1, shuffle: false, verbose: 0 });
    const loaded = await weightValues(m3);
    loaded.forEach((g, i) => expect(maxAbsDiff(g, expected[i])).to.be.below(1e-6));

    tf.dispose([x, y, ...savedWeights]);
    for (const m of [m1, m2, m3]) m.dispose();
    for (const o of [opt1, opt2, opt3]) o.dispose();
  });

  const makers: Array<[string, (lr: number) => tf.Optimizer]> = [
    ['sgd', (lr) => tf.train.sgd(lr)],
    ['momentum', (lr) => tf.train.momentum(lr, 0.9)],
    ['adam', (lr) => tf.train.adam(lr)],
    ['rmsprop', (lr) => tf.train.rmsprop(lr)],
    ['adagrad', (lr) => tf.train.adagrad(lr)],
    ['adadelta', (lr) => tf.train.adadelta(lr)],
    ['adamax', (lr) => tf.train.adamax(lr)],
  ];
  for (const [name, make] of makers) {
    it(`${name}: setting learningRate on the wrapper reaches the inner optimizer`, () => {
      const v1 = fresh([3, 4], 70);
      const v2 = tf.variable(v1.clone(), true, `lr_ref_${uid++}`);
      const g = randomTensor([3, 4], 71);
      const v3 = tf.variable(v1.clone(), true, `lr_old_${uid++}`);
      const opt = channelDirected(make(0.001), { rules: [] });
      opt.learningRate = 0.3;
      expect(opt.learningRate).to.equal(0.3);
      const ref = make(0.3);
      const old = make(0.001);
      opt.applyGradients({ [v1.name]: g });
      ref.applyGradients({ [v2.name]: g });
      old.applyGradients({ [v3.name]: g });
      expect(maxAbsDiff(values(v1), values(v2))).to.be.below(1e-7);
      expect(maxAbsDiff(values(v1), values(v3)), 'the old rate would move less').to.be.above(1e-5);
      tf.dispose([v1, v2, v3, g]);
      for (const o of [opt, ref, old]) o.dispose();
    });
  }

  it('keeps order and length: map and list inputs, null gradients in place (momentum state by position)', async () => {
    const vs = [fresh([4], 80), fresh([2, 3], 81), fresh([5], 82)];
    const refs = vs.map((v) => tf.variable(v.clone(), true, `pos_ref_${uid++}`));
    const gs = [randomTensor([4], 83), randomTensor([2, 3], 84), randomTensor([5], 85)];
    const opt = channelDirected(tf.train.momentum(0.1, 0.9), { rules: [] });
    const ref = tf.train.momentum(0.1, 0.9);
    opt.applyGradients([{ name: vs[0].name, tensor: gs[0] }, { name: vs[1].name, tensor: null as unknown as tf.Tensor }, { name: vs[2].name, tensor: gs[2] }]);
    ref.applyGradients([{ name: refs[0].name, tensor: gs[0] }, { name: refs[1].name, tensor: null as unknown as tf.Tensor }, { name: refs[2].name, tensor: gs[2] }]);
    opt.applyGradients({ [vs[0].name]: gs[0], [vs[1].name]: gs[1], [vs[2].name]: gs[2] });
    ref.applyGradients({ [refs[0].name]: gs[0], [refs[1].name]: gs[1], [refs[2].name]: gs[2] } as unknown as Parameters<typeof ref.applyGradients>[0]);
    vs.forEach((v, i) => expect(maxAbsDiff(values(v), values(refs[i])), v.name).to.equal(0));
    const names = (await opt.getWeights()).map((w) => w.name);
    expect(names).to.deep.equal(['iter', ...vs.map((v) => `${v.name}/momentum`)]);
    tf.dispose([...vs, ...refs, ...gs]);
    opt.dispose();
    ref.dispose();
  });
});
