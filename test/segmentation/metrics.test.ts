import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ConfusionMatrix, pixelCrossEntropy, pixelCrossEntropySum } from '@cdg/segmentation';

describe('segmentation metrics: confusion matrix, mIoU, pixel accuracy', () => {
  it('matches a hand-computed 4-class case with ignore pixels and a class absent from both', () => {
    // truth:      0 0 1 1 2 255 255 1
    // prediction: 0 1 1 1 0  3   2  1
    // rows t, cols p: t0 → p0:1, p1:1; t1 → p1:3; t2 → p0:1; class 3 only under ignore → absent
    const cm = new ConfusionMatrix(4).add([0, 0, 1, 1, 2, 255, 255, 1], [0, 1, 1, 1, 0, 3, 2, 1]);
    expect(Array.from(cm.counts)).to.deep.equal([1, 1, 0, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(cm.total()).to.equal(6);
    // IoU0 = 1 / (2 + 2 − 1) = 1/3; IoU1 = 3 / (3 + 4 − 3) = 3/4; IoU2 = 0 / (1 + 0 − 0) = 0; IoU3 undefined
    const iou = cm.iouPerClass();
    expect(iou[0]).to.be.closeTo(1 / 3, 1e-12);
    expect(iou[1]).to.be.closeTo(3 / 4, 1e-12);
    expect(iou[2]).to.equal(0);
    expect(Number.isNaN(iou[3])).to.equal(true);
    expect(cm.meanIoU()).to.be.closeTo((1 / 3 + 3 / 4 + 0) / 3, 1e-12);
    expect(cm.pixelAccuracy()).to.be.closeTo(4 / 6, 1e-12);
  });

  it('counts a class that is only predicted (IoU 0) and accumulates over batches', () => {
    const a = new ConfusionMatrix(3).add([0, 0, 0, 0], [0, 0, 2, 0]);
    // IoU0 = 3/4, IoU2 = 0/(0+1−0) = 0, class 1 absent → mean (3/4 + 0)/2
    expect(a.meanIoU()).to.be.closeTo(3 / 8, 1e-12);
    a.add([1, 1], [1, 1]);
    // now IoU1 = 1, mean (3/4 + 1 + 0)/3
    expect(a.meanIoU()).to.be.closeTo(1.75 / 3, 1e-12);
    const b = new ConfusionMatrix(3).add([0, 0, 0, 0], [0, 0, 2, 0]).merge(new ConfusionMatrix(3).add([1, 1], [1, 1]));
    expect(Array.from(b.counts)).to.deep.equal(Array.from(a.counts));
    expect(Number.isNaN(new ConfusionMatrix(3).add([255], [1]).meanIoU())).to.equal(true);
  });

  it('rejects labels outside the class range, naming the pixel', () => {
    expect(() => new ConfusionMatrix(3).add([0, 7], [0, 0])).to.throw(/truth label 7 at pixel 1/);
    expect(() => new ConfusionMatrix(3).add([0, 1], [0, 3])).to.throw(/predicted label 3 at pixel 1/);
    expect(() => new ConfusionMatrix(3).add([0], [0, 1])).to.throw(/1 pixels but prediction has 2/);
  });
});

describe('segmentation loss: per-pixel cross-entropy with the ignore label', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('equals a hand computation over the non-ignored pixels, and ignored pixels get zero gradient', () => {
    const logits = [
      [1, 2, 0.5],
      [0, 0, 0],
      [3, -1, 2],
      [-2, 4, 1],
    ];
    const lab = [2, 255, 0, 1];
    // −log softmax(z)[y] = log Σ exp z − z[y], averaged over pixels 0, 2, 3
    const nll = (z: number[], y: number) => Math.log(z.reduce((s, v) => s + Math.exp(v), 0)) - z[y];
    const expected = (nll(logits[0], 2) + nll(logits[2], 0) + nll(logits[3], 1)) / 3;
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(logits.flat(), [1, 2, 2, 3]);
    const y = tf.tensor3d(lab, [1, 2, 2], 'int32');
    const loss = pixelCrossEntropy(x, y);
    expect(loss.dataSync()[0]).to.be.closeTo(expected, 1e-5);
    const { sum, count } = pixelCrossEntropySum(x, y);
    expect(sum.dataSync()[0]).to.be.closeTo(expected * 3, 1e-5);
    expect(count.dataSync()[0]).to.equal(3);
    const g = tf.grad((z: tf.Tensor) => pixelCrossEntropy(z as tf.Tensor4D, y))(x);
    const gv = g.arraySync() as number[][][][];
    expect(gv[0][0][1].map(Math.abs)).to.deep.equal([0, 0, 0]); // the ignored pixel
    // softmax − onehot, divided by 3 valid pixels, at pixel 0
    const e = logits[0].map(Math.exp);
    const z = e.reduce((a, b) => a + b, 0);
    gv[0][0][0].forEach((v, k) => expect(v).to.be.closeTo((e[k] / z - (k === 2 ? 1 : 0)) / 3, 1e-6));
    tf.dispose([x, y, loss, sum, count, g]);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('is 0 (not NaN) when every pixel is ignored, and checks label shape', () => {
    const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const y = tf.fill([1, 2, 2], 255, 'int32') as tf.Tensor3D;
    const l = pixelCrossEntropy(x, y);
    expect(l.dataSync()[0]).to.equal(0);
    const bad = tf.zeros([1, 2, 3], 'int32') as tf.Tensor3D;
    expect(() => pixelCrossEntropy(x, bad)).to.throw(/labels must have shape \[1, 2, 2\]/);
    tf.dispose([x, y, l, bad]);
  });
});
