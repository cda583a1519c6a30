import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {
  checkpointRoot, fileSystemIO, findLatestCheckpoint, learningRateFactor, restoreCheckpoint, train, validateTrainConfig, writeJsonAtomic, hookRulesFromConfig,
} from '@cdg/trainer';
import { snapshot, ToyAdapter, toyConfig } from './toy';
import { tempDir } from '../tmp';

const quiet = { progress: 'none' as const, log: () => {} };
const tmp = () => tempDir('cdg-trainer-');
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));
const withoutTimes = (h: Record<string, unknown>[]) => h.map(({ trainSeconds, evalSeconds, stepsPerSecond, ...rest }) => rest);

describe('trainer: the shared loop', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('resume after an interruption gives exactly the weights and optimizer state of an uninterrupted run', async () => {
    const outU = tmp();
    const full = new ToyAdapter(toyConfig(outU));
    const ru = await train(full, toyConfig(outU), quiet);
    const want = await snapshot(full);
    expect(ru.steps).to.equal(20);

    const outI = tmp();
    const first = new ToyAdapter(toyConfig(outI));
    const r1 = await train(first, toyConfig(outI), { ...quiet, stopAfterEpochs: 2 });
    expect(r1.epochs).to.equal(2);
    first.dispose();
    // A new process would build fresh networks (same seed) and then load the checkpoint.
    const cfg = toyConfig(outI, { resume: true });
    const second = new ToyAdapter(cfg);
    const r2 = await train(second, cfg, quiet);
    expect(r2.resumedFrom).to.equal(2);
    expect(r2.steps).to.equal(20);
    expect(await snapshot(second)).to.deep.equal(want);
    expect(withoutTimes(readJson(path.join(outI, 'metrics.json')))).to.deep.equal(withoutTimes(readJson(path.join(outU, 'metrics.json'))));
    full.dispose();
    second.dispose();
  });

  it('writes metrics.json (numbers per epoch), config.json and one checkpoint with every model and optimizer', async () => {
    const out = tmp();
    const ad = new ToyAdapter(toyConfig(out, { epochs: 2 }));
    await train(ad, toyConfig(out, { epochs: 2 }), quiet);
    const metrics = readJson(path.join(out, 'metrics.json'));
    expect(metrics).to.have.length(2);
    for (const rec of metrics) for (const v of Object.values(rec)) expect(v === null || typeof v === 'number').to.equal(true);
    expect(metrics[1]).to.include.keys('epoch', 'step', 'learningRate', 'generatorLoss', 'trainGeneratorLoss', 'discriminatorLoss', 'outputMagnitude', 'stepsPerSecond');
    expect(metrics[1].epoch).to.equal(2);
    expect(metrics[1].step).to.equal(10);
    const config = readJson(path.join(out, 'config.json'));
    expect(config.config.seed).to.equal(7);
    expect(config.hooks).to.deep.equal({ generator: 'none', discriminator: 'none' });
    expect(config.parameters.generator).to.equal(8 * 32 + 32 + 33);
    const dirs = fs.readdirSync(checkpointRoot(out));
    expect(dirs).to.deep.equal(['epoch-000002']);
    const files = fs.readdirSync(path.join(checkpointRoot(out), dirs[0])).sort();
    expect(files).to.deep.equal(['model-discriminator', 'model-generator', 'optimizer-discriminator', 'optimizer-generator', 'state.json']);
    const state = findLatestCheckpoint(out)!.state;
    expect([state.epoch, state.step, state.rng.seed, state.rng.nextEpoch]).to.deep.equal([2, 10, 7, 2]);
    expect(state.hooks).to.deep.equal({ generator: 'none', discriminator: 'none' });
    ad.dispose();
  });

  it('stops at maxSteps in the middle of an epoch, and a resume past the end does nothing', async () => {
    const out = tmp();
    const cfg = toyConfig(out, { epochs: 3, maxSteps: 7 });
    const ad = new ToyAdapter(cfg);
    const r = await train(ad, cfg, quiet);
    expect(r.steps).to.equal(7);
    const m = readJson(path.join(out, 'metrics.json'));
    expect(m.map((x: { step: number }) => x.step)).to.deep.equal([5, 7]);
    ad.dispose();
    const again = new ToyAdapter({ ...cfg, resume: true });
    const r2 = await train(again, { ...cfg, resume: true }, quiet);
    expect(r2.steps).to.equal(7);
    expect(again.seenLearningRates).to.have.length(0);
    again.dispose();
  });

  it('sets every optimizer\'s learning rate from the schedule each epoch', async () => {
    const out = tmp();
    const cfg = toyConfig(out, { epochs: 3, lrSchedule: 'step', lrStepEpochs: 1, lrStepFactor: 0.5 });
    const ad = new ToyAdapter(cfg, 2);
    await train(ad, cfg, quiet);
    expect(ad.seenLearningRates).to.deep.equal([0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]);
    expect((ad.optB as unknown as { learningRate: number }).learningRate).to.equal(0.0125 / 2);
    expect(readJson(path.join(out, 'metrics.json')).map((r: { learningRate: number }) => r.learningRate)).to.deep.equal([0.05, 0.025, 0.0125]);
    ad.dispose();
  });

  it('schedule factors: step ×f every N epochs, cosine ½(1 + cos(π e / E))', () => {
    const base = { epochs: 4, lrStepEpochs: 2, lrStepFactor: 0.1 };
    expect([0, 1, 2, 3, 4].map((e) => learningRateFactor({ ...base, lrSchedule: 'step' }, e))).to.deep.equal([1, 1, 0.1, 0.1, 0.1 * 0.1]);
    expect(learningRateFactor({ ...base, lrSchedule: 'cosine' }, 2)).to.be.closeTo(0.5, 1e-12);
    expect(learningRateFactor({ ...base, lrSchedule: 'cosine' }, 1)).to.be.closeTo((1 + Math.SQRT1_2) / 2, 1e-12);
    expect(learningRateFactor({ ...base, lrSchedule: 'constant' }, 3)).to.equal(1);
  });

  it('does not leak tensors', async () => {
    const out = tmp();
    const ad = new ToyAdapter(toyConfig(out, { epochs: 1 }));
    await train(ad, toyConfig(out, { epochs: 1 }), quiet); // creates the optimizers' slots
    const before = tf.memory().numTensors;
    await train(ad, toyConfig(out, { epochs: 3, lrSchedule: 'cosine' }), quiet);
    expect(tf.memory().numTensors).to.equal(before);
    ad.dispose();
  });

  it('ignores and removes half-written checkpoint folders; a damaged checkpoint fails naming the file', async () => {
    const out = tmp();
    const cfg = toyConfig(out, { epochs: 1 });
    const ad = new ToyAdapter(cfg);
    await train(ad, cfg, quiet);
    const root = checkpointRoot(out);
    fs.mkdirSync(path.join(root, '.tmp-123-abc'));
    fs.writeFileSync(path.join(root, '.tmp-123-abc', 'state.json'), '{"trunc');
    expect(findLatestCheckpoint(out)!.state.epoch).to.equal(1);
    const cfg2 = { ...cfg, epochs: 2, resume: true };
    const ad2 = new ToyAdapter(cfg2);
    await train(ad2, cfg2, quiet);
    expect(fs.readdirSync(root)).to.deep.equal(['epoch-000002']);
    const bin = path.join(root, 'epoch-000002', 'model-generator', 'weights.bin');
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 100));
    const ad3 = new ToyAdapter(cfg2);
    let msg = '';
    try {
      await restoreCheckpoint(findLatestCheckpoint(out)!, ad3.models(), ad3.optimizers());
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.match(/model-generator.*truncated or corrupt/);
    fs.writeFileSync(path.join(root, 'epoch-000002', 'state.json'), '{');
    expect(() => findLatestCheckpoint(out)).to.throw(/no readable checkpoint/);
    [ad, ad2, ad3].forEach((a) => a.dispose());
  });

  it('a fresh run (no resume) in a used folder removes the older checkpoints and metrics', async () => {
    const out = tmp();
    const long = toyConfig(out, { epochs: 3 });
    const ad = new ToyAdapter(long);
    await train(ad, long, quiet);
    const short = toyConfig(out, { epochs: 1 });
    const ad2 = new ToyAdapter(short);
    await train(ad2, short, quiet);
    expect(fs.readdirSync(checkpointRoot(out))).to.deep.equal(['epoch-000001']);
    expect(readJson(path.join(out, 'metrics.json'))).to.have.length(1);
    [ad, ad2].forEach((a) => a.dispose());
  });

  it('refuses to resume a checkpoint of another task or model', async () => {
    const out = tmp();
    const cfg = toyConfig(out, { epochs: 1, model: 'small' });
    const ad = new ToyAdapter(cfg);
    await train(ad, cfg, quiet);
    const other = { ...cfg, model: 'big', resume: true, epochs: 2 };
    const ad2 = new ToyAdapter(other);
    let msg = '';
    try {
      await train(ad2, other, quiet);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.match(/model=small.*big/);
    [ad, ad2].forEach((a) => a.dispose());
  });

  it('validates its settings, naming the culprit', () => {
    const cfg = toyConfig('x');
    expect(() => validateTrainConfig({ ...cfg, epochs: 0 })).to.throw(/epochs must be an integer ≥ 1, got 0/);
    expect(() => validateTrainConfig({ ...cfg, lr: NaN })).to.throw(/lr must be a finite number > 0/);
    expect(() => validateTrainConfig({ ...cfg, maxSteps: 1.5 })).to.throw(/maxSteps/);
    expect(() => validateTrainConfig({ ...cfg, lrSchedule: 'linear' as never })).to.throw(/lrSchedule/);
  });

  it('fileSystemIO round-trips a LayersModel through tf.loadLayersModel; writeJsonAtomic leaves no temp file', async () => {
    const dir = tmp();
    const m = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })] });
    await m.save(fileSystemIO(path.join(dir, 'm')));
    const back = await tfl.loadLayersModel(fileSystemIO(path.join(dir, 'm')));
    expect(back.getWeights().map((w) => Array.from(w.dataSync()))).to.deep.equal(m.getWeights().map((w) => Array.from(w.dataSync())));
    writeJsonAtomic(path.join(dir, 'a.json'), [{ x: 1, y: Infinity }]);
    expect(readJson(path.join(dir, 'a.json'))).to.deep.equal([{ x: 1, y: null }]);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['a.json', 'm']);
    m.dispose();
    back.dispose();
  });

  it('hook rules from flags: the metric on every convolution kernel', () => {
    const rules = hookRulesFromConfig({ metric: 'sobolev', lambda: 2, sigma: 1, formulation: 'paper', direction: 'input', mix: 0.1 });
    expect(rules).to.have.length(1);
    expect(rules[0]).to.include({ metric: 'sobolev', lambda: 2, formulation: 'paper', direction: 'input', mix: 0.1 });
    expect(rules[0].layerType).to.include.members(['Conv2D', 'Conv2DTranspose']);
  });
});
