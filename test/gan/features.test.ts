import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { layers, sequential } from '@tensorflow/tfjs-layers';
import { fileSystemIO } from '@cdg/trainer';
import {
  composeGrid, fitGaussian, frechetDistance, loadInceptionFeatureExtractor, loadVggPerceptualLoss, randomConvFeatureExtractor, VGG_LAYERS,
} from '@cdg/gan';

describe('gan: feature extractors, VGG loss loader, sample grid', () => {
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cdg-gan-features-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fdRandomConv: fixed weights (two instances agree), 128 features, never called FID', () => {
    const a = randomConvFeatureExtractor(), b = randomConvFeatureExtractor();
    const images = tf.randomUniform([3, 20, 24, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const fa = a.extract(images), fb = b.extract(images);
    expect(fa.shape).to.deep.equal([3, 128]);
    expect(a.distanceName).to.equal('fdRandomConv');
    expect(Array.from(fa.dataSync())).to.deep.equal(Array.from(fb.dataSync()));
    expect(tf.sum(tf.abs(fa)).dataSync()[0]).to.be.greaterThan(0);
    tf.dispose([images, fa, fb]);
    a.dispose();
    b.dispose();
  });

  it('loads a user InceptionV3-style LayersModel from a folder and reports "fid"', async () => {
    // A stand-in with InceptionV3's interface: 299×299×3 in, pooled features out.
    const net = sequential({ layers: [layers.conv2d({ inputShape: [299, 299, 3], filters: 5, kernelSize: 3, strides: 8, activation: 'relu' }), layers.globalAveragePooling2d({})] });
    await net.save(fileSystemIO(dir));
    const ex = await loadInceptionFeatureExtractor(dir);
    expect(ex.distanceName).to.equal('fid');
    expect(ex.dim).to.equal(5);
    const images = tf.randomUniform([4, 16, 16, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
    const f = ex.extract(images);
    expect(f.shape).to.deep.equal([4, 5]);
    const fit = fitGaussian(f.dataSync(), 4, 5);
    expect(frechetDistance(fit, fit)).to.be.below(1e-9);
    tf.dispose([images, f]);
    ex.dispose();
    net.dispose();
    let err: Error | null = null;
    await loadInceptionFeatureExtractor(path.join(dir, 'nope')).catch((e) => (err = e));
    expect(err!.message).to.contain(path.join(dir, 'nope', 'model.json'));
  });

  it('VGG perceptual loss: needs Keras VGG19 layer names; zero for identical images, positive and symmetric otherwise', async () => {
    const vgg = sequential({
      layers: VGG_LAYERS.map((name, i) => layers.conv2d({ name, ...(i === 0 ? { inputShape: [null, null, 3] } : {}), filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'ones' })),
    });
    await vgg.save(fileSystemIO(dir));
    const loss = await loadVggPerceptualLoss(dir);
    const a = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const same = loss.loss(a, a), ab = loss.loss(a, b), ba = loss.loss(b, a);
    expect(same.dataSync()[0]).to.equal(0);
    expect(ab.dataSync()[0]).to.be.greaterThan(0);
    expect(ab.dataSync()[0]).to.be.closeTo(ba.dataSync()[0], 1e-3 * ab.dataSync()[0]);
    tf.dispose([a, b, same, ab, ba]);
    loss.dispose();
    const other = sequential({ layers: [layers.conv2d({ name: 'conv_a', inputShape: [8, 8, 3], filters: 2, kernelSize: 3 })] });
    const dir2 = path.join(dir, 'other');
    await other.save(fileSystemIO(dir2));
    let err: Error | null = null;
    await loadVggPerceptualLoss(dir2).catch((e) => (err = e));
    expect(err!.message).to.match(/has no layer "block1_conv1"/);
    vgg.dispose();
    other.dispose();
  });

  it('composeGrid draws label colours (edges white) | generated in [−1, 1] as bytes | real', () => {
    const palette = [[10, 20, 30], [40, 50, 60]];
    const { data, width, height } = composeGrid(
      [{ height: 1, width: 2, labels: Uint8Array.from([0, 1]), edges: Uint8Array.from([0, 1]), generated: Float32Array.from([-1, 0, 1, 1, 1, 1]), real: Uint8Array.from([1, 2, 3, 4, 5, 6]) }],
      palette,
    );
    expect([width, height]).to.deep.equal([3 * 2 + 4, 1]);
    const px = (x: number) => Array.from(data.subarray(3 * x, 3 * x + 3));
    expect(px(0)).to.deep.equal([10, 20, 30]);
    expect(px(1)).to.deep.equal([255, 255, 255]); // edge
    expect(px(4)).to.deep.equal([0, 128, 255]); // (g + 1) · 127.5, rounded
    expect(px(8)).to.deep.equal([1, 2, 3]);
    expect(px(9)).to.deep.equal([4, 5, 6]);
  });
});
