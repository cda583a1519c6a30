import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cdg/backend';
import { SyntheticShapesDataset } from '@cdg/data';
import { PAPER_VOC_SETTINGS, SegmentationAdapter, batchNormWarning, deepestBatchNormSamples, defaultSegmentationOptions, segmentationOptions, segmentationTask } from '@cdg/segmentation';
import type { CommonTrainConfig } from '@cdg/trainer';

const config = {
  task: 'segmentation', dataset: 'synthetic', optimizer: 'sgd', lr: 7e-3, momentum: 0.9, weightDecay: 5e-4, metric: 'sobolev', lambda: 1, sigma: 1,
  formulation: 'exact', direction: 'output', mix: 0, batchSize: 2, epochs: 1, lrSchedule: 'constant', lrStepEpochs: 40, lrStepFactor: 0.1,
  seed: 1, backend: 'wasm', out: '', resume: false,
} as CommonTrainConfig & Record<string, unknown>;

describe('segmentation adapter: training on wasm', () => {
  let adapter: SegmentationAdapter;
  let outDir: string;

  before(async () => {
    await selectBackend('wasm', { logger: null });
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-seg-'));
    const options = { ...defaultSegmentationOptions('synthetic'), widthMultiplier: 1 / 16, imageSize: 32, evalBatchSize: 4, trainEvalLimit: 4, predictionImages: 2 };
    const source = new SyntheticShapesDataset({ size: 32, trainSize: 8, valSize: 4 });
    adapter = new SegmentationAdapter(config, source, options);
  });

  after(async () => {
    adapter?.dispose();
    fs.rmSync(outDir, { recursive: true, force: true });
    await tf.setBackend('cpu');
  });

  it('takes steps with finite loss, SGD + sobolev + weight decay, without growing the tensor count', async () => {
    expect(tf.getBackend()).to.equal('wasm');
    expect(adapter.stepsPerEpoch()).to.equal(4);
    const losses: number[] = [];
    const counts: number[] = [];
    const weightsBefore = Array.from(adapter.model.getLayer('conv1_conv').getWeights()[0].dataSync());
    for await (const batch of adapter.trainBatches(0)) {
      expect(batch.images.shape).to.deep.equal([2, 32, 32, 3]);
      expect(batch.labels.dtype).to.equal('int32');
      losses.push((await adapter.trainStep(batch)).loss);
      counts.push(tf.memory().numTensors);
    }
    expect(losses.length).to.equal(4);
    for (const l of losses) expect(Number.isFinite(l)).to.equal(true);
    expect(losses[0]).to.be.closeTo(Math.log(6), 1.5); // about uniform over 6 classes at the start
    expect(new Set(counts.slice(1)).size, `tensor counts ${counts}`).to.equal(1);
    expect(counts[0]).to.equal(counts[1]);
    const weightsAfter = Array.from(adapter.model.getLayer('conv1_conv').getWeights()[0].dataSync());
    expect(weightsAfter).to.not.deep.equal(weightsBefore);
  });

  it('frees the batch the trainer took but did not step when it stops early', async () => {
    const before = tf.memory().numTensors;
    const it = adapter.trainBatches(1)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).to.equal(false);
    expect(tf.memory().numTensors).to.equal(before + 2);
    await it.return?.();
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('evaluates mIoU, pixel accuracy and the train–test gap, and draws prediction PNGs', async () => {
    const before = tf.memory().numTensors;
    const m = await adapter.evaluate();
    for (const k of ['loss', 'miou', 'pixelAccuracy', 'trainLoss', 'trainMiou', 'trainPixelAccuracy', 'trainTestGap']) expect(Number.isFinite(m[k]), k).to.equal(true);
    expect(m.miou).to.be.within(0, 1);
    expect(m.trainTestGap).to.be.closeTo(m.trainMiou - m.miou, 1e-12);
    await adapter.onEpochEnd(0, outDir);
    expect(tf.memory().numTensors).to.equal(before);
    const files = fs.readdirSync(path.join(outDir, 'predictions', 'epoch-001')).sort();
    expect(files).to.deep.equal(['val-00000.png', 'val-00001.png']);
    const meta = await sharp(path.join(outDir, 'predictions', 'epoch-001', files[0])).metadata();
    expect([meta.width, meta.height]).to.deep.equal([(32 * 3 + 4) * 4, 32 * 4]);
  });

  it('task flags: dataset defaults, and clear errors for bad values', async () => {
    expect(segmentationOptions({ dataset: 'synthetic' })).to.include({ widthMultiplier: 0.125, imageSize: 64 });
    expect(segmentationOptions({ dataset: 'voc' })).to.include({ widthMultiplier: 1, imageSize: 320 });
    // the task's optimizer defaults are the synthetic setting that learns; the paper's VOC setting is separate
    expect(segmentationTask.defaults).to.include({ dataset: 'synthetic', optimizer: 'adam', lr: 3e-3, batchSize: 8 });
    expect(PAPER_VOC_SETTINGS).to.deep.equal({ optimizer: 'sgd', lr: 7e-3, batchSize: 2 });
    expect(segmentationTask.datasetDefaults?.voc).to.deep.equal(PAPER_VOC_SETTINGS);
    expect(segmentationOptions({ dataset: 'synthetic', scaleRange: '0.5,1.5' }).scaleRange).to.deep.equal([0.5, 1.5]);
    expect(() => segmentationOptions({ dataset: 'synthetic', imageSize: 50 })).to.throw(/--image-size must be a multiple of 32.*got 50/);
    expect(() => segmentationOptions({ dataset: 'synthetic', widthMultiplier: -1 })).to.throw(/--width-multiplier/);
    expect(() => segmentationOptions({ dataset: 'synthetic', hookScope: 'head' })).to.throw(/--hook-scope/);
    const ctx = (over: Record<string, unknown>) => ({ config: { ...config, ...over }, outDir, log: () => undefined });
    await segmentationTask.create(ctx({ dataset: 'voc' })).then(() => expect.fail('created voc without --data-dir'), (e: Error) => expect(e.message).to.match(/--data-dir is required for --dataset voc/));
    await segmentationTask.create(ctx({ dataset: 'cityscapes' })).then(() => expect.fail('accepted cityscapes'), (e: Error) => expect(e.message).to.match(/dataset must be one of synthetic, voc/));
  });

  it('warns when the stride-32 batch norms would see fewer than 8 values per channel (batch 2 at 32×32: 2)', async () => {
    expect(deepestBatchNormSamples(2, 32)).to.equal(2);
    expect(deepestBatchNormSamples(2, 64)).to.equal(8);
    expect(deepestBatchNormSamples(8, 64)).to.equal(32);
    expect(deepestBatchNormSamples(1, 320)).to.equal(100);
    expect(batchNormWarning(2, 32)).to.match(/--batch-size 2 at --image-size 32 leaves the stride-32 batch norms 2 value\(s\) per channel/);
    expect(batchNormWarning(4, 32)).to.match(/4 value\(s\)/);
    expect(batchNormWarning(2, 64)).to.equal(null);
    expect(batchNormWarning(8, 32)).to.equal(null);
    const before = tf.memory().numTensors;
    for (const [batchSize, imageSize, warned] of [[2, 32, true], [8, 64, false]] as const) {
      const lines: string[] = [];
      const a = await segmentationTask.create({ config: { ...config, batchSize, imageSize, widthMultiplier: 1 / 16, syntheticTrainSize: 8, syntheticValSize: 2 }, outDir, log: (l: string) => lines.push(l) });
      a.dispose();
      expect(lines.some((l) => /warning: --batch-size/.test(l)), lines.join('\n')).to.equal(warned);
    }
    expect(tf.memory().numTensors).to.equal(before);
  });
});
