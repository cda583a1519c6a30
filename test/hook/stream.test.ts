import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { config as rxConfig, delay, map, firstValueFrom, take, toArray } from 'rxjs';
import {
  channelDirected, layerGradientNorms, nonFiniteCounts, sampleEvery, updateSmoothness, type GradientStepEvent, type LayerGradientNorms,
} from '@cdg/hook';
import { randomTensor, seedWeights, smallConvNet } from './helpers';

/** Smoothness oracle with plain loops: 1 − Σ(h_{j+1} − h_j)² / (2 Σ h²) along `axis`, h = fibre minus its mean. */
function smoothnessOracle(data: ArrayLike<number>, shape: number[], axis: number): number {
  const n = shape[axis];
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  let num = 0;
  let den = 0;
  for (let base = 0; base < data.length; base++) {
    if (Math.floor(base / stride) % n !== 0) continue;
    const f = Array.from({ length: n }, (_, j) => data[base + j * stride]);
    const m = f.reduce((a, b) => a + b, 0) / n;
    const h = f.map((x) => x - m);
    for (let j = 0; j < n; j++) {
      num += (h[(j + 1) % n] - h[j]) ** 2;
      den += h[j] ** 2;
    }
  }
  return 1 - num / (2 * den);
}

describe('hook: steps$ stream and its operators', function () {
  this.timeout(40000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  function setup(policy: 'throw' | 'skip' = 'throw') {
    const model = smallConvNet();
    seedWeights(model, 900);
    const opt = channelDirected(tf.train.sgd(0.01), { model, label: 'net', onNonFinite: policy });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = randomTensor([4, 6, 6, 2], 901);
    const y = randomTensor([4, 3], 902);
    const loss = () => tf.mean(tf.square(tf.sub(model.apply(x) as tf.Tensor, y))) as tf.Scalar;
    const stepOnce = () => opt.minimize(loss, false, vars);
    const dispose = () => {
      tf.dispose([x, y]);
      model.dispose();
      opt.dispose();
    };
    return { model, opt, vars, stepOnce, dispose };
  }

  it('one event per step with raw and transformed gradients; our tensors are disposed after delivery', () => {
    const { opt, vars, stepOnce, dispose } = setup();
    const kept: GradientStepEvent[] = [];
    const norms: number[][] = [];
    const sub = opt.steps$.subscribe((e) => {
      kept.push(e);
      norms.push(e.variables.map((v) => Math.hypot(...v.raw.dataSync())));
    });
    stepOnce();
    stepOnce();
    sub.unsubscribe();
    stepOnce(); // nobody listening: no event
    expect(kept.map((e) => e.step)).to.deep.equal([0, 1]);
    const e = kept[0];
    expect(e.label).to.equal('net');
    expect(e.variables.map((v) => v.name)).to.deep.equal(vars.map((v) => v.name));
    const kernel = e.variables.find((v) => v.layerType === 'Conv2D' && v.weight === 'kernel')!;
    expect(kernel.metric).to.equal('sobolev');
    expect(kernel.outputAxis).to.equal(3);
    expect(kernel.transformed.isDisposed).to.equal(true);
    expect(e.variables.find((v) => v.layerType === 'Dense' && v.weight === 'kernel')!.metric).to.equal('l2');
    expect(norms[0].every((n) => n > 0)).to.equal(true);
    dispose();
  });

  it('layerGradientNorms and updateSmoothness match plain-loop computations', async () => {
    const { opt, stepOnce, dispose } = setup();
    const expected: Array<{ norms: Map<string, [number, number]>; smooth: Map<string, [number, number]> }> = [];
    const oracle = opt.steps$.subscribe((e) => {
      const norms = new Map<string, [number, number]>();
      const smooth = new Map<string, [number, number]>();
      for (const v of e.variables) {
        const acc = norms.get(v.layer!) ?? [0, 0];
        acc[0] += Array.from(v.raw.dataSync()).reduce((s, x) => s + x * x, 0);
        acc[1] += Array.from(v.transformed.dataSync()).reduce((s, x) => s + x * x, 0);
        norms.set(v.layer!, acc);
        if (v.outputAxis !== null && v.raw.shape[v.outputAxis] > 1) {
          smooth.set(v.name, [smoothnessOracle(v.raw.dataSync(), v.raw.shape, v.outputAxis), smoothnessOracle(v.transformed.dataSync(), v.raw.shape, v.outputAxis)]);
        }
      }
      expected.push({ norms, smooth });
    });
    const normsP = firstValueFrom(opt.steps$.pipe(layerGradientNorms(), take(2), toArray()));
    const smoothP = firstValueFrom(opt.steps$.pipe(updateSmoothness(), take(2), toArray()));
    stepOnce();
    stepOnce();
    oracle.unsubscribe();
    const norms = await normsP;
    const smooth = await smoothP;
    norms.forEach((n, i) => {
      expect(n.layers.map((l) => l.layer)).to.deep.equal([...expected[i].norms.keys()]);
      for (const l of n.layers) {
        const [r, t] = expected[i].norms.get(l.layer)!;
        expect(l.raw).to.be.closeTo(Math.sqrt(r), 1e-5 * Math.sqrt(r));
        expect(l.transformed).to.be.closeTo(Math.sqrt(t), 1e-5 * Math.sqrt(t));
        expect(l.applied).to.equal(l.transformed); // no weight decay
      }
    });
    smooth.forEach((s, i) => {
      expect(s.variables.map((v) => v.name)).to.deep.equal([...expected[i].smooth.keys()]);
      for (const v of s.variables) {
        const [r, t] = expected[i].smooth.get(v.name)!;
        expect(v.raw).to.be.closeTo(r, 1e-4);
        expect(v.transformed).to.be.closeTo(t, 1e-4);
      }
      // sobolev smooths conv kernels across output channels
      const k = s.variables.find((v) => /conv2d.*kernel/.test(v.name))!;
      expect(k.transformed!).to.be.greaterThan(k.raw!);
    });
    dispose();
  });

  it('nonFiniteCounts counts NaN/Inf per variable on skipped steps; sampleEvery(n) keeps steps 0, n, 2n', async () => {
    const { opt, vars, stepOnce, dispose } = setup('skip');
    const countsP = firstValueFrom(opt.steps$.pipe(nonFiniteCounts(), take(1)));
    const bad = vars.map((v, i) => (i === 1 ? tf.fill(v.shape, Number.NaN) : tf.zerosLike(v)));
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: bad[i] })));
    tf.dispose(bad);
    const counts = await countsP;
    expect(counts.skipped).to.equal(true);
    expect(counts.total).to.equal(vars[1].size);
    expect(counts.variables[1]).to.include({ name: vars[1].name, raw: vars[1].size, applied: vars[1].size });
    expect(counts.variables.filter((_, i) => i !== 1).every((v) => v.raw === 0 && v.applied === 0)).to.equal(true);

    const sampled = firstValueFrom(opt.steps$.pipe(sampleEvery(3), map((e) => e.step), take(4), toArray()));
    for (let i = 0; i < 10; i++) stepOnce();
    expect(await sampled).to.deep.equal([0, 3, 6, 9]);
    expect(() => sampleEvery(0)).to.throw(/n must be an integer >= 1, got 0/);
    dispose();
  });

  it('a throwing subscriber does not corrupt the step; other subscribers still get every event', async () => {
    const a = setup();
    const b = setup(); // same model and data, no subscribers
    const reported: unknown[] = [];
    const previous = rxConfig.onUnhandledError;
    rxConfig.onUnhandledError = (err) => reported.push(err);
    try {
      let good = 0;
      const subs = [
        a.opt.steps$.subscribe(() => {
          throw new Error('subscriber bug');
        }),
        a.opt.steps$.pipe(map(() => {
          throw new Error('operator bug');
        })).subscribe({ error: (e) => reported.push(e) }),
        a.opt.steps$.subscribe(() => good++),
      ];
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        a.stepOnce();
        b.stepOnce();
      }
      expect(tf.memory().numTensors).to.equal(before);
      expect(good).to.equal(3);
      expect(a.opt.iterations).to.equal(3);
      a.vars.forEach((v, i) => expect(Array.from(v.dataSync())).to.deep.equal(Array.from(b.vars[i].dataSync())));
      await new Promise((r) => setTimeout(r, 10)); // RxJS reports consumer errors asynchronously
      expect(reported.map((e) => (e as Error).message)).to.deep.equal(['operator bug', 'subscriber bug', 'subscriber bug', 'subscriber bug']);
      subs.forEach((s) => s.unsubscribe());
    } finally {
      rxConfig.onUnhandledError = previous;
      a.dispose();
      b.dispose();
    }
  });

  it('stats after an asynchronous operator fail with a clear message instead of reading disposed tensors', async () => {
    const { opt, stepOnce, dispose } = setup();
    const result = firstValueFrom(opt.steps$.pipe(delay(1), layerGradientNorms()));
    stepOnce();
    let error: Error | null = null;
    await result.catch((e) => (error = e));
    expect(error!.message).to.match(/layerGradientNorms: the gradients of step 0 .* were already disposed; apply stats operators synchronously/);
    dispose();
  });

  it('tf.memory().numTensors stays flat over 100 steps with subscribers attached (model.fit)', async () => {
    const model = smallConvNet();
    seedWeights(model, 950);
    const opt = channelDirected(tf.train.momentum(0.01, 0.9), { model, rules: [{ layerType: 'Conv2D', weight: 'kernel', metric: 'sobolev', lambda: 1 }] });
    let events = 0;
    const collected: LayerGradientNorms[] = [];
    const subs = [
      opt.steps$.subscribe(() => events++),
      opt.steps$.pipe(layerGradientNorms()).subscribe((n) => collected.push(n)),
      opt.steps$.pipe(sampleEvery(10), updateSmoothness()).subscribe(),
      opt.steps$.pipe(nonFiniteCounts()).subscribe(),
    ];
    model.compile({ optimizer: opt, loss: 'meanSquaredError' });
    // one epoch: tfjs-layers' fit itself keeps one extra tensor from the second epoch on (also with a plain optimizer)
    const x = randomTensor([100, 6, 6, 2], 951);
    const y = randomTensor([100, 3], 952);
    const counts: number[] = [];
    await model.fit(x, y, {
      batchSize: 1, epochs: 1, shuffle: false, verbose: 0,
      callbacks: { onBatchEnd: async () => void counts.push(tf.memory().numTensors) },
    });
    expect(events).to.equal(100);
    expect(collected).to.have.length(100);
    expect(new Set(counts.slice(1)).size, `tensor counts ${counts.slice(0, 5).join(',')}…${counts.slice(-3).join(',')}`).to.equal(1);
    subs.forEach((s) => s.unsubscribe());
    tf.dispose([x, y]);
    model.dispose();
    opt.dispose();
  });
});
