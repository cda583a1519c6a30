import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { container as root } from 'tsyringe';
import { createMetricContainer, registerMetric, type MetricStrategy, type ResolvedMetricSpec } from '@cdg/core';
import { channelDirected, ChannelDirectedFactory, createHookContainer, DEFAULT_RULES, GradientHook, HOOK_RULES, type GradientStepEvent } from '@cdg/hook';
import { circulantAlongAxis, maxAbsDiff, randomArray, sobolevSymbol } from './helpers';

/** A user metric: multiplies the gradient by λ (a trivially checkable circulant filter). */
class ScaledMetric implements MetricStrategy {
  readonly name = 'scaled';
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return tf.mul(grad, spec.lambda);
  }
}

function generator(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [4, 4, 2], filters: 5, kernelSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 3 }));
  return m;
}

/** One SGD(lr=1) step with seeded gradients through `opt`; returns name → {grad, update}. */
function step(opt: tf.Optimizer, model: tfl.LayersModel): Map<string, { grad: Float32Array; update: Float64Array; shape: number[] }> {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = vars.map((v) => v.dataSync().slice());
  const grads = vars.map((v, i) => tf.tensor(randomArray(v.size, 500 + i), v.shape));
  opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  const out = new Map<string, { grad: Float32Array; update: Float64Array; shape: number[] }>();
  vars.forEach((v, i) => {
    const after = v.dataSync();
    out.set(v.name, { grad: grads[i].dataSync() as Float32Array, update: Float64Array.from(before[i], (b, j) => b - after[j]), shape: v.shape });
  });
  tf.dispose(grads);
  return out;
}

describe('hook: dependency injection', function () {
  this.timeout(30000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('a custom metric registered in the container is usable by name in rules', () => {
    const c = createHookContainer({ rules: [{ weight: 'kernel', metric: 'scaled', lambda: 3 }] });
    registerMetric(c, new ScaledMetric());
    const model = generator();
    const opt = c.resolve(ChannelDirectedFactory).wrap(tf.train.sgd(1), { model });
    for (const [name, { grad, update }] of step(opt, model)) {
      const factor = name.includes('/kernel') ? 3 : 1;
      expect(maxAbsDiff(update, Float64Array.from(grad, (g) => factor * g)), name).to.be.below(1e-6);
    }
    // the metric exists only where it was registered
    expect(() => channelDirected(tf.train.sgd(1), { rules: [{ metric: 'scaled' }] })).to.throw(/unknown metric "scaled"/);
    expect(() => channelDirected(tf.train.sgd(1), { container: createMetricContainer(root), rules: [{ metric: 'scaled' }] })).to.throw(/unknown metric "scaled"/);
    model.dispose();
    opt.dispose();
  });

  it("two child containers give two optimizers (a GAN's G and D) separate rules, metrics and labels", () => {
    const app = root.createChildContainer();
    const gC = createHookContainer({ label: 'generator', rules: [{ layerType: 'Conv2D', weight: 'kernel', metric: 'sobolev', lambda: 2 }] }, app);
    const dC = createHookContainer({ label: 'discriminator', rules: [{ layerType: 'Dense', weight: 'kernel', metric: 'scaled', lambda: 5 }] }, app);
    registerMetric(dC, ScaledMetric);
    const G = generator();
    const D = generator();
    const gOpt = channelDirected(tf.train.sgd(1), { container: gC, model: G });
    const dOpt = dC.resolve(ChannelDirectedFactory).wrap(tf.train.sgd(1), { model: D });
    expect(gOpt.label).to.equal('generator');
    expect(dOpt.label).to.equal('discriminator');
    const smoothed = (rows: ReturnType<typeof gOpt.describe>) => rows.filter((r) => !r.passThrough).map((r) => `${r.layerType}/${r.weight}:${r.metric}`);
    expect(smoothed(gOpt.describe())).to.deep.equal(['Conv2D/kernel:sobolev']);
    expect(smoothed(dOpt.describe())).to.deep.equal(['Dense/kernel:scaled']);

    const labels: string[] = [];
    const subs = [gOpt, dOpt].map((o) => o.steps$.subscribe((e: GradientStepEvent) => labels.push(e.label)));
    const g = step(gOpt, G);
    const d = step(dOpt, D);
    for (const [name, { grad, update, shape }] of g) {
      const want = shape.length === 4 ? circulantAlongAxis(grad, shape, 3, sobolevSymbol(2)) : Float64Array.from(grad);
      expect(maxAbsDiff(update, want), `G ${name}`).to.be.below(1e-5);
    }
    for (const [name, { grad, update, shape }] of d) {
      const factor = shape.length === 2 ? 5 : 1;
      expect(maxAbsDiff(update, Float64Array.from(grad, (x) => factor * x)), `D ${name}`).to.be.below(1e-5);
    }
    expect(labels).to.deep.equal(['generator', 'discriminator']);
    // D's metric is not visible to G
    expect(() => channelDirected(tf.train.sgd(1), { container: gC, rules: [{ metric: 'scaled' }] })).to.throw(/unknown metric "scaled"/);
    subs.forEach((s) => s.unsubscribe());
    for (const x of [G, D, gOpt, dOpt]) x.dispose();
  });

  it('options override the container settings; the hook itself resolves from the container', () => {
    const c = createHookContainer({ label: 'from-container', weightDecay: 0.5, rules: [] });
    const opt = channelDirected(tf.train.sgd(1), { container: c, label: 'override' });
    expect(opt.label).to.equal('override');
    expect(opt.hook.weightDecay.rate).to.equal(0.5);
    const hook = c.resolve(GradientHook);
    expect(hook.label).to.equal('from-container');
    expect(hook.rules).to.deep.equal([]);
    expect(() => channelDirected(tf.train.sgd(1), { container: root.createChildContainer() })).to.throw(/has no MetricRegistry/);
    // rules registered on their own token win over the settings' rules; a bare metric container gives defaults
    const r = createMetricContainer(root);
    r.register(HOOK_RULES, { useValue: [{ weight: 'bias', metric: 'sobolev' }] });
    expect(r.resolve(GradientHook).rules).to.deep.equal([{ weight: 'bias', metric: 'sobolev' }]);
    expect(channelDirected(tf.train.sgd(1), { container: r }).hook.rules).to.deep.equal([{ weight: 'bias', metric: 'sobolev' }]);
    const bare = createMetricContainer(root).resolve(GradientHook);
    expect(bare.rules).to.equal(DEFAULT_RULES);
    expect(bare.onNonFinite).to.equal('throw');
    opt.dispose();
  });
});
