import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { channelDirected, type Direction, type LayerRule } from '@cdg/hook';
import { circulantAlongAxis, maxAbsDiff, randomArray, rasterizedOracle, sobolevSymbol } from './helpers';

/** Layers of every kind in method.md's table, with explicit names (a second build gets `_1`-suffixed variable names). */
function zoo(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [5, 5, 3], filters: 6, kernelSize: 2, name: 'c1' })); // [2,2,3,6]
  m.add(tfl.layers.conv2dTranspose({ filters: 5, kernelSize: 2, name: 'ct' })); // [2,2,5,6]
  m.add(tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, name: 'dw' })); // [2,2,5,2]
  m.add(tfl.layers.separableConv2d({ filters: 4, kernelSize: 2, name: 'sep' })); // depthwise [2,2,10,1], pointwise [1,1,10,4]
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 7, name: 'd' })); // [4*4*4... , 7]
  return m;
}

const negated = (v: tf.Tensor): Float32Array => Float32Array.from(v.dataSync(), (x) => -x);

/** Runs one SGD(lr=1) step with seeded gradients; returns per variable {grad, update = w_before − w_after}. */
function oneStep(model: tfl.LayersModel, rules: LayerRule[] | undefined): Map<string, { grad: Float32Array; update: Float64Array; shape: number[] }> {
  const opt = channelDirected(tf.train.sgd(1), { model, rules });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const before = vars.map((v) => v.dataSync().slice());
  const grads = vars.map((v, i) => tf.tensor(randomArray(v.size, 1000 + i), v.shape));
  opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
  const out = new Map<string, { grad: Float32Array; update: Float64Array; shape: number[] }>();
  vars.forEach((v, i) => {
    const after = v.dataSync();
    out.set(v.name, { grad: grads[i].dataSync() as Float32Array, update: Float64Array.from(before[i], (b, j) => b - after[j]), shape: v.shape });
  });
  tf.dispose(grads);
  opt.dispose();
  return out;
}

describe('hook: rules and direction resolution', function () {
  this.timeout(30000);
  let model: tfl.Sequential;
  const sym = sobolevSymbol(0.5);
  const kernels = (dir: Direction): LayerRule[] => [{ weight: /kernel$/, metric: 'sobolev', lambda: 0.5, direction: dir }];

  before(async () => {
    await tf.setBackend('cpu');
    zoo().dispose();
    model = zoo(); // its variables are named c1/kernel_1 etc.
  });
  after(() => model.dispose());

  it('maps suffixed variable names (c1/kernel_1) to their layers and roles', () => {
    const rows = channelDirected(tf.train.sgd(1), { model, rules: [] }).describe();
    const c1 = rows.find((r) => r.layer === 'c1' && r.weight === 'kernel')!;
    expect(c1.variable).to.match(/^c1\/kernel_\d+$/);
    expect(c1.layerType).to.equal('Conv2D');
    expect(rows.map((r) => `${r.layerType}:${r.weight}`)).to.include.members([
      'Conv2DTranspose:kernel', 'DepthwiseConv2D:depthwise_kernel', 'SeparableConv2D:pointwise_kernel', 'Dense:kernel', 'Dense:bias',
    ]);
    expect(rows.every((r) => r.passThrough && r.rule === 'unmatched (l2)')).to.equal(true);
  });

  const expectations: Array<[Direction, string, string, number | 'error']> = [
    ['output', 'c1', 'kernel', 3],
    ['input', 'c1', 'kernel', 2],
    ['output', 'ct', 'kernel', 2], // Conv2DTranspose [kh, kw, out, in]
    ['input', 'ct', 'kernel', 3],
    ['output', 'dw', 'depthwise_kernel', 2], // `in` is the channel axis
    ['output', 'sep', 'pointwise_kernel', 3],
    ['output', 'd', 'kernel', 1], // Dense [in, out]
    ['input', 'd', 'kernel', 0],
  ];
  for (const dir of ['output', 'input'] as const) {
    it(`direction '${dir}' runs sobolev along the right axis of each layer class (Fourier oracle)`, () => {
      const rules = dir === 'input' ? [{ layer: ['c1', 'ct', 'd'], ...kernels(dir)[0] }] : kernels(dir);
      const result = oneStep(model, rules);
      let checked = 0;
      for (const [d, layer, weight, axis] of expectations) {
        if (d !== dir || axis === 'error') continue;
        const row = [...result.entries()].find(([name]) => name.startsWith(`${layer}/${weight}`))!;
        const { grad, update, shape } = row[1];
        const want = circulantAlongAxis(grad, shape, axis, sym);
        expect(maxAbsDiff(update, want), `${layer}/${weight} along axis ${axis}`).to.be.below(2e-5);
        // and not along any other axis of length > 1 (the test can tell axes apart)
        for (let other = 0; other < shape.length; other++) {
          if (other === axis || shape[other] === 1) continue;
          expect(maxAbsDiff(update, circulantAlongAxis(grad, shape, other, sym))).to.be.above(1e-3);
        }
        checked++;
      }
      expect(checked).to.be.greaterThan(2);
      for (const [name, { grad, update }] of result) {
        if (/bias/.test(name)) expect(maxAbsDiff(update, grad), `${name} untouched`).to.be.below(1e-6);
      }
    });
  }

  it("direction 'input' on a depthwise kernel is an error naming the rule and the weight", () => {
    const opt = channelDirected(tf.train.sgd(1), { model, rules: [{ name: 'smooth inputs', layerType: 'DepthwiseConv2D', metric: 'sobolev', direction: 'input' }] });
    expect(() => opt.describe()).to.throw(/rule 0 \("smooth inputs"\) on DepthwiseConv2D "dw\/depthwise_kernel_\d+".*no input-channel axis/);
    opt.dispose();
  });

  it("direction 'rasterized' flattens conv kernels in PyTorch [out, in, ...spatial] order", () => {
    const result = oneStep(model, kernels('rasterized'));
    const orders: Array<[string, number[]]> = [
      ['c1/kernel', [3, 2, 0, 1]],
      ['ct/kernel', [2, 3, 0, 1]],
      ['dw/depthwise_kernel', [2, 3, 0, 1]], // PyTorch depthwise: [in·mult, 1, kh, kw]
      ['sep/pointwise_kernel', [3, 2, 0, 1]],
      ['d/kernel', [1, 0]],
    ];
    for (const [prefix, order] of orders) {
      const [, { grad, update, shape }] = [...result.entries()].find(([name]) => name.startsWith(prefix))!;
      expect(maxAbsDiff(update, rasterizedOracle(grad, shape, order, sym)), prefix).to.be.below(2e-5);
      // the TF row-major flattening would give something else
      const identity = shape.map((_, i) => i);
      expect(maxAbsDiff(update, rasterizedOracle(grad, shape, identity, sym)), `${prefix} row-major`).to.be.above(1e-3);
    }
  });

  it('default rules: sobolev λ=1 along the output axis of every convolution kernel, nothing else', () => {
    const rows = channelDirected(tf.train.sgd(1), { model }).describe();
    const smoothed = rows.filter((r) => !r.passThrough).map((r) => `${r.layer}/${r.weight}@${String(r.axis)}`);
    expect(smoothed.sort()).to.deep.equal(['c1/kernel@3', 'ct/kernel@2', 'dw/depthwise_kernel@2', 'sep/depthwise_kernel@2', 'sep/pointwise_kernel@3'].sort());
    expect(rows.filter((r) => !r.passThrough).every((r) => r.metric === 'sobolev' && r.lambda === 1)).to.equal(true);
  });

  it('first match wins; layer names match by string or RegExp; describe() reports it', () => {
    const rules: LayerRule[] = [
      { name: 'no bias smoothing', weight: 'bias', metric: 'l2' },
      { name: 'c-layers', layer: /^c/, metric: 'reweighted-l2', lambda: 3 },
      { name: 'dense', layerType: 'Dense', weight: 'kernel', metric: 'sobolev', lambda: 2, direction: 'input' },
      { name: 'never reached', layer: 'd', metric: 'laplacian-smoothing' },
    ];
    const opt = channelDirected(tf.train.sgd(1), { model, rules });
    const rows = opt.describe();
    const byKey = new Map(rows.map((r) => [`${r.layer}/${r.weight}`, r]));
    expect(byKey.get('c1/bias')!.rule).to.equal('no bias smoothing');
    expect(byKey.get('c1/kernel')!.rule).to.equal('c-layers');
    expect(byKey.get('ct/kernel')!.rule).to.equal('c-layers');
    expect(byKey.get('ct/kernel')!.axis).to.equal(2);
    expect(byKey.get('d/kernel')!.rule).to.equal('dense');
    expect(byKey.get('d/kernel')!.axis).to.equal(0);
    expect(byKey.get('dw/depthwise_kernel')!.rule).to.equal('unmatched (l2)');
    expect(rows.some((r) => r.rule === 'never reached')).to.equal(false);
    expect(opt.describeTable()).to.match(/c1\/kernel_\d+\s+Conv2D\s+kernel\s+\[2,2,3,6\]\s+c-layers\s+reweighted-l2 λ=3\s+output \(3\)/);
    opt.dispose();
  });

  it('a RegExp with the g flag matches every weight it should (no lastIndex state)', () => {
    const re = /kernel/g;
    const rows = channelDirected(tf.train.sgd(1), { model, rules: [{ weight: re, metric: 'reweighted-l2' }] }).describe();
    expect(rows.filter((r) => r.rule === 'rule 0')).to.have.length(6);
  });

  it('without a model: rank-4 weights are Conv2D kernels, others untouched unless a rule names the variable', () => {
    const w4 = tf.variable(tf.zeros([2, 2, 3, 5]), true, 'free_w4');
    const w2 = tf.variable(tf.zeros([4, 6]), true, 'free_w2');
    const b = tf.variable(tf.zeros([6]), true, 'free_b');
    const g4 = tf.tensor(randomArray(60, 5), [2, 2, 3, 5]);
    const g2 = tf.tensor(randomArray(24, 6), [4, 6]);
    const gb = tf.tensor(randomArray(6, 7), [6]);
    const opt = channelDirected(tf.train.sgd(1), {
      rules: [...[{ layerType: 'Conv2D', weight: 'kernel', metric: 'sobolev', lambda: 1 }], { variable: 'free_w2', metric: 'sobolev', lambda: 0.5 }],
    });
    opt.applyGradients({ free_w4: g4, free_w2: g2, free_b: gb });
    expect(maxAbsDiff(negated(w4), circulantAlongAxis(g4.dataSync(), [2, 2, 3, 5], 3, sobolevSymbol(1)))).to.be.below(1e-5);
    expect(maxAbsDiff(negated(w2), circulantAlongAxis(g2.dataSync(), [4, 6], 1, sym))).to.be.below(1e-5);
    expect(maxAbsDiff(negated(b), gb.dataSync())).to.be.below(1e-7);
    expect(opt.describe().map((r) => r.rule)).to.deep.equal(['rule 0', 'rule 1', 'unmatched (l2)']);
    tf.dispose([w4, w2, b, g4, g2, gb]);
    opt.dispose();
  });

  it('nested models, TimeDistributed, Conv1D and Conv3D resolve to the inner layer and its axes', () => {
    const inner = tfl.sequential({ layers: [tfl.layers.conv1d({ inputShape: [6, 3], filters: 4, kernelSize: 2, name: 'inner_c1d' })] });
    const outer = tfl.sequential();
    outer.add(inner);
    outer.add(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 5, name: 'td_dense' }) }));
    const m3 = tfl.sequential({ layers: [tfl.layers.conv3d({ inputShape: [3, 3, 3, 2], filters: 4, kernelSize: 2, name: 'c3d' })] });
    const rows = [
      ...channelDirected(tf.train.sgd(1), { model: outer, rules: [{ weight: 'kernel', metric: 'sobolev', direction: 'input' }] }).describe(),
      ...channelDirected(tf.train.sgd(1), { model: m3 }).describe(),
    ];
    const pick = (layer: string) => rows.find((r) => r.layer === layer && r.weight === 'kernel')!;
    expect(pick('inner_c1d')).to.include({ layerType: 'Conv1D', axis: 1 }); // [k, in, out]: input is second to last
    expect(pick('td_dense')).to.include({ layerType: 'Dense', axis: 0 });
    expect(pick('c3d')).to.include({ layerType: 'Conv3D', axis: 4, metric: 'sobolev' }); // default rule, output axis
    outer.dispose();
    m3.dispose();
  });

  it('rejects bad rules with errors naming the rule and the fix', () => {
    const bad: Array<[unknown, RegExp]> = [
      [[{ metric: 'sobolv' }], /rule 0: unknown metric "sobolv"; known metrics: .*sobolev/],
      [[{ metric: 'l2' }, { name: 'x', metric: 'sobolev', lambda: -1 }], /rule 1 \("x"\): lambda must be a finite number > 0, got -1/],
      [[{ metric: 'sobolev', layertype: 'Conv2D' }], /rule 0: unknown field "layertype"/],
      [[{ metric: 'sobolev', direction: 'outward' }], /direction must be one of output, input, rasterized/],
      [[{ metric: 'sobolev', direction: 'output', axis: 1 }], /either direction .* or axis/],
      [[{ metric: 'sobolev', layer: 3 }], /layer must be a string, a RegExp/],
      [[{ metric: 'sobolev', weightDecay: -1 }], /weightDecay must be a finite number >= 0/],
    ];
    for (const [rules, message] of bad) {
      expect(() => channelDirected(tf.train.sgd(1), { rules: rules as LayerRule[] })).to.throw(message);
    }
    expect(() => channelDirected(tf.train.sgd(1), { onNonFinite: 'warn' as never })).to.throw(/onNonFinite must be one of throw, skip, ignore/);
    expect(() => channelDirected(tf.train.sgd(1), { weightDecay: Number.NaN })).to.throw(/weightDecay must be a finite number >= 0/);
    expect(() => channelDirected({} as tf.Optimizer)).to.throw(/must be a tfjs optimizer/);
    const wrapped = channelDirected(tf.train.sgd(1));
    expect(() => channelDirected(wrapped)).to.throw(/not already wrapped/);
  });
});
