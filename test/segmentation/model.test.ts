import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { ChannelDirectedOptimizer } from '@cdg/hook';
import {
  buildUNetResNet50,
  countEncoderParameters,
  countParameters,
  DECODER_LAYER_PATTERN,
  ENCODER_LAYER_PATTERN,
  loadEncoderWeights,
  recomputeBatchNormStatistics,
  readTfjsWeights,
  saveWeights,
  segmentationHookRules,
} from '@cdg/segmentation';
import { createHookedOptimizer } from '@cdg/trainer';
import * as tfl from '@tensorflow/tfjs-layers';

/** UNet decoder + head trainable parameters, counted from the architecture description. */
function decoderTrainable(classes: number): number {
  const dec = [256, 128, 64, 32, 16];
  const skips = [1024, 512, 256, 64, 0];
  let cin = 2048;
  let p = 0;
  dec.forEach((c, d) => {
    p += 2 * 2 * cin * c + c; // 2×2 stride-2 transposed conv with bias
    p += 3 * 3 * (c + skips[d]) * c + 2 * c; // conv (no bias) + BN γ, β
    p += 3 * 3 * c * c + 2 * c;
    cin = c;
  });
  return p + 3 * 3 * 16 * classes + classes; // head
}

describe('segmentation model: UNet with a ResNet-50 encoder', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('faithful widths: encoder has torchvision ResNet-50\'s 23,508,032 parameters (without fc); full-resolution 21-class output', () => {
    const before = tf.memory().numTensors;
    const m = buildUNetResNet50({ inputSize: 64 });
    try {
      expect(m.outputs[0].shape).to.deep.equal([null, 64, 64, 21]);
      // 25,557,032 (torchvision resnet50) − 2,049,000 (the 2048→1000 fc layer)
      expect(countEncoderParameters(m)).to.equal(25_557_032 - 2_049_000);
      const counts = countParameters(m);
      expect(counts.trainable).to.equal(23_508_032 + decoderTrainable(21));
      expect(counts.trainable).to.equal(30_471_125);
      // moving mean and variance of every BN channel: as many as the BN γ and β
      const bnChannels = m.layers.filter((l) => l.getClassName() === 'BatchNormalization').reduce((a, l) => a + (l.weights[0].shape[0] as number), 0);
      expect(counts.nonTrainable).to.equal(2 * bnChannels);
      const widths = m.layers.filter((l) => /^conv5_block3_3_conv$/.test(l.name)).map((l) => l.weights[0].shape);
      expect(widths).to.deep.equal([[1, 1, 512, 2048]]);
      expect(m.layers.filter((l) => /_block\d+_add$/.test(l.name)).length).to.equal(3 + 4 + 6 + 3);
    } finally {
      m.dispose();
    }
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('a width-reduced model maps a rectangular batch to per-pixel logits of the same size', () => {
    const m = buildUNetResNet50({ inputSize: [64, 96], widthMultiplier: 1 / 16, numClasses: 6, seed: 3 });
    const x = tf.randomNormal([2, 64, 96, 3]);
    const y = m.predict(x) as tf.Tensor;
    expect(y.shape).to.deep.equal([2, 64, 96, 6]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).to.equal(true);
    const again = buildUNetResNet50({ inputSize: [64, 96], widthMultiplier: 1 / 16, numClasses: 6, seed: 3 });
    expect(Array.from(again.getWeights()[0].dataSync())).to.deep.equal(Array.from(m.getWeights()[0].dataSync()));
    tf.dispose([x, y]);
    m.dispose();
    again.dispose();
  });

  it('rejects sizes the encoder cannot downsample and bad widths, naming them', () => {
    expect(() => buildUNetResNet50({ inputSize: 100 })).to.throw(/input height must be a positive multiple of 32.*got 100/);
    expect(() => buildUNetResNet50({ inputSize: [64, 48] })).to.throw(/input width.*got 48/);
    expect(() => buildUNetResNet50({ inputSize: 64, widthMultiplier: 0 })).to.throw(/widthMultiplier must be a finite number > 0, got 0/);
    expect(() => buildUNetResNet50({ inputSize: 64, numClasses: 1 })).to.throw(/numClasses/);
  });

  it('encoder weights round-trip through a tfjs weights folder; bad folders give clear errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-enc-'));
    const a = buildUNetResNet50({ inputSize: 32, widthMultiplier: 1 / 16, numClasses: 4, seed: 1 });
    const b = buildUNetResNet50({ inputSize: 32, widthMultiplier: 1 / 16, numClasses: 4, seed: 2 });
    const c = buildUNetResNet50({ inputSize: 32, widthMultiplier: 1 / 4, numClasses: 4, seed: 2 });
    try {
      const saved = await saveWeights(a, dir);
      const encoderWeights = a.layers.filter((l) => ENCODER_LAYER_PATTERN.test(l.name)).flatMap((l) => l.weights);
      expect(saved).to.equal(encoderWeights.length);
      const before = tf.memory().numTensors;
      const decoderBefore = b.layers.filter((l) => DECODER_LAYER_PATTERN.test(l.name)).flatMap((l) => l.getWeights().map((t) => Array.from(t.dataSync())));
      const r = loadEncoderWeights(b, dir);
      expect(tf.memory().numTensors).to.equal(before);
      expect(r.loaded.length).to.equal(encoderWeights.length);
      expect(r.unused).to.deep.equal([]);
      for (const layer of a.layers.filter((l) => ENCODER_LAYER_PATTERN.test(l.name))) {
        const other = b.getLayer(layer.name);
        layer.getWeights().forEach((w, i) => expect(Array.from(other.getWeights()[i].dataSync()), layer.name).to.deep.equal(Array.from(w.dataSync())));
      }
      const decoderAfter = b.layers.filter((l) => DECODER_LAYER_PATTERN.test(l.name)).flatMap((l) => l.getWeights().map((t) => Array.from(t.dataSync())));
      expect(decoderAfter).to.deep.equal(decoderBefore);
      // a model of another width: shape problems listed, nothing changed
      const cFirst = Array.from(c.getLayer('conv1_conv').getWeights()[0].dataSync());
      expect(() => loadEncoderWeights(c, dir)).to.throw(/conv1_conv\/kernel has shape \[7,7,3,8\] but conv1_conv\/kernel needs \[7,7,3,16\]/);
      expect(Array.from(c.getLayer('conv1_conv').getWeights()[0].dataSync())).to.deep.equal(cFirst);
      // truncated shard
      const bin = path.join(dir, 'weights.bin');
      fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
      expect(() => readTfjsWeights(dir)).to.throw(/weights\.bin hold 100 bytes.*truncated or corrupt/);
      fs.rmSync(bin);
      expect(() => readTfjsWeights(dir)).to.throw(/cannot read weight shard .*weights\.bin/);
      expect(() => loadEncoderWeights(b, path.join(dir, 'nope'))).to.throw(/nope\/model\.json/);
    } finally {
      a.dispose();
      b.dispose();
      c.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('precise BN sets moving mean and variance to the population statistics of each BN input', async () => {
    const input = tfl.input({ shape: [6, 6, 2] });
    const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.heNormal({ seed: 4 }) });
    const bn = tfl.layers.batchNormalization({ momentum: 0.9 });
    const m = tfl.model({ inputs: input, outputs: bn.apply(conv.apply(input)) as tfl.SymbolicTensor });
    const convOnly = tfl.model({ inputs: input, outputs: conv.output as tfl.SymbolicTensor });
    const batches = [tf.randomNormal([4, 6, 6, 2], 1, 2, 'float32', 1), tf.randomNormal([4, 6, 6, 2], -1, 1, 'float32', 2)] as tf.Tensor4D[];
    const before = tf.memory().numTensors;
    expect(await recomputeBatchNormStatistics(m, batches)).to.equal(8);
    expect(tf.memory().numTensors).to.equal(before);
    // independent: the conv outputs of all 8 images, mean and (population) variance per channel in float64
    const outs = batches.map((b) => convOnly.predict(b) as tf.Tensor);
    const values = outs.flatMap((o) => Array.from(o.dataSync()));
    for (let c = 0; c < 3; c++) {
      const v = values.filter((_, i) => i % 3 === c);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      expect(bn.getWeights()[2].dataSync()[c]).to.be.closeTo(mean, 1e-4);
      expect(bn.getWeights()[3].dataSync()[c]).to.be.closeTo(variance, 1e-3 * Math.max(1, variance));
    }
    tf.dispose([...batches, ...outs]);
    m.dispose();
  });

  it('default hook rules transform every conv kernel, transposed convs along their own output axis (2); --hook-scope encoder leaves the decoder alone', () => {
    const m = buildUNetResNet50({ inputSize: 32, widthMultiplier: 1 / 16, numClasses: 4 });
    const config = { optimizer: 'sgd', lr: 7e-3, momentum: 0.9, weightDecay: 0, metric: 'sobolev', lambda: 1, sigma: 1, formulation: 'exact', direction: 'output', mix: 0 } as const;
    try {
      const describe = (scope: 'all' | 'encoder') => {
        const opt = createHookedOptimizer({ config, model: m, rules: segmentationHookRules(config as never, scope) }) as ChannelDirectedOptimizer;
        const rows = opt.describe(m.trainableWeights.map((w) => ({ name: (w.read() as tf.Variable).name, shape: w.shape as number[] })));
        opt.dispose();
        return rows;
      };
      const all = describe('all');
      const kernels = all.filter((r) => r.weight === 'kernel');
      expect(kernels.length).to.equal(53 + 5 * 3 + 1); // ResNet-50 convs + decoder (upconv + 2 convs) ×5 + head
      for (const r of kernels) expect(r.metric, r.variable).to.equal('sobolev');
      const up = kernels.filter((r) => r.layerType === 'Conv2DTranspose');
      expect(up.length).to.equal(5);
      for (const r of up) expect(r.axis, r.variable).to.equal(2);
      for (const r of kernels.filter((k) => k.layerType === 'Conv2D')) expect(r.axis).to.equal(3);
      for (const r of all.filter((k) => k.weight !== 'kernel')) expect(r.passThrough, r.variable).to.equal(true);
      const enc = describe('encoder');
      for (const r of enc.filter((k) => k.weight === 'kernel')) expect(r.metric === 'sobolev', r.layer ?? '').to.equal(ENCODER_LAYER_PATTERN.test(r.layer ?? ''));
    } finally {
      m.dispose();
    }
  });
});
