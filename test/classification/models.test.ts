import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildClassificationModel, buildCifarResNet, buildCnn2, SubsampleZeroPad } from '@cdg/classification';

/** Trainable parameters of a CIFAR ResNet (option A), counted from He et al.'s description. */
function resnetTrainable(depth: number): number {
  const n = (depth - 2) / 6;
  const conv = (k: number, cin: number, cout: number) => k * k * cin * cout;
  let p = conv(3, 3, 16) + 2 * 16; // stem conv (no bias) + BN γ, β
  let cin = 16;
  for (const w of [16, 32, 64]) {
    for (let b = 0; b < n; b++) {
      p += conv(3, cin, w) + 2 * w + conv(3, w, w) + 2 * w;
      cin = w;
    }
  }
  return p + 64 * 10 + 10;
}

function trainableCount(m: { trainableWeights: ReadonlyArray<{ shape: readonly (number | null)[] }> }): number {
  return m.trainableWeights.reduce((a, w) => a + w.shape.reduce((x: number, y) => x * (y ?? 1), 1), 0);
}

describe('classification: models', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('ResNet-56 has the published ~0.85M parameters (option A shortcuts), ResNet-20 ~0.27M', () => {
    const r56 = buildCifarResNet(56, { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    expect(resnetTrainable(56)).to.equal(853018);
    expect(trainableCount(r56)).to.equal(resnetTrainable(56));
    expect(trainableCount(r56) / 1e6).to.be.closeTo(0.85, 0.005);
    const r20 = buildClassificationModel('resnet20', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    expect(trainableCount(r20)).to.equal(resnetTrainable(20));
    expect(trainableCount(r20) / 1e6).to.be.closeTo(0.27, 0.005);
    r56.dispose();
    r20.dispose();
  });

  it('the paper\'s 2-layer CNN: 50 and 100 5×5 filters, logits for 10 classes', () => {
    const m = buildCnn2({ inputShape: [28, 28, 1], classes: 10, seed: 1 });
    const kernels = m.weights.filter((w) => w.name.includes('kernel')).map((w) => w.shape);
    expect(kernels).to.deep.equal([[5, 5, 1, 50], [5, 5, 50, 100], [4 * 4 * 100, 10]]);
    const y = tf.tidy(() => m.predict(tf.zeros([3, 28, 28, 1])) as tf.Tensor);
    expect(y.shape).to.deep.equal([3, 10]);
    y.dispose();
    m.dispose();
  });

  it('VGG-16-BN has 13 conv layers and ~14.7M parameters', () => {
    const m = buildClassificationModel('vgg16', { inputShape: [32, 32, 3], classes: 10, seed: 1 });
    expect(m.layers.filter((l) => l.getClassName() === 'Conv2D').length).to.equal(13);
    expect(trainableCount(m) / 1e6).to.be.closeTo(14.73, 0.01);
    m.dispose();
  });

  it('one seed gives identical weights, another seed different ones', () => {
    const read = (seed: number) => {
      const m = buildCifarResNet(20, { inputShape: [32, 32, 3], classes: 10, seed });
      const w = m.getWeights().map((t) => Array.from(t.dataSync()));
      m.dispose();
      return w;
    };
    const a = read(3);
    expect(read(3)).to.deep.equal(a);
    expect(read(4)[0]).to.not.deep.equal(a[0]);
  });

  it('option-A shortcut = every second pixel plus zero channels', () => {
    const layer = new SubsampleZeroPad({ extraChannels: 2 });
    const x = tf.tensor4d(Array.from({ length: 2 * 4 * 4 * 3 }, (_v, i) => i), [2, 4, 4, 3]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).to.deep.equal([2, 2, 2, 5]);
    const xv = x.arraySync() as number[][][][];
    const yv = y.arraySync() as number[][][][];
    for (let b = 0; b < 2; b++) for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) expect(yv[b][r][c]).to.deep.equal([...xv[b][2 * r][2 * c], 0, 0]);
    tf.dispose([x, y]);
  });

  it('rejects unknown models and depths that are not 6n+2', () => {
    expect(() => buildClassificationModel('resnet18', { inputShape: [32, 32, 3], classes: 10, seed: 1 })).to.throw(/unknown model "resnet18".*resnet56/);
    expect(() => buildCifarResNet(21, { inputShape: [32, 32, 3], classes: 10, seed: 1 })).to.throw(/6n\+2/);
  });
});
