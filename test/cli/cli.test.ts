import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import yargs from 'yargs';
import { main, formatCompareTable, commonOptions, applyDatasetDefaults } from '@cdg/cli';
import type { TaskDefinition } from '@cdg/trainer';
import { tempDir } from '../tmp';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (m) => out.push(m), err: (m) => err.push(m) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const tmp = () => tempDir('cdg-cli-');

describe('cli: cdg', function () {
  this.timeout(120000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('dataset-dependent task defaults apply only to flags not given on the command line', () => {
    const def = {
      defaults: { dataset: 'a', optimizer: 'adam', lr: 3e-3, batchSize: 8 },
      datasetDefaults: { b: { optimizer: 'sgd', lr: 7e-3, batchSize: 2 } },
    } as unknown as TaskDefinition;
    // the same parser set-up as `cdg train <task>`
    const parse = (args: string[]) =>
      yargs(args).options(commonOptions(def.defaults, def.datasetDefaults))
        .middleware((a) => applyDatasetDefaults(a as Record<string, unknown>, def), true).strict().parseSync() as Record<string, unknown>;
    // dataset a: the task defaults stand
    expect(parse(['--dataset', 'a'])).to.include({ optimizer: 'adam', lr: 3e-3, batchSize: 8 });
    // dataset b: its own defaults replace them
    expect(parse(['--dataset', 'b'])).to.include({ optimizer: 'sgd', lr: 7e-3, batchSize: 2, 'batch-size': 2 });
    // a flag given explicitly wins, in any spelling, even when it equals the task default
    expect(parse(['--dataset=b', '--lr=0.1', '--batch-size', '8'])).to.include({ optimizer: 'sgd', lr: 0.1, batchSize: 8 });
    expect(parse(['--dataset', 'b', '--batchSize', '4'])).to.include({ batchSize: 4, lr: 7e-3 });
    // the help text names every default of such a flag
    expect(String(commonOptions(def.defaults, def.datasetDefaults)['batch-size'].describe)).to.match(/default 8; b: 2/);
  });

  const bad: [string[], RegExp][] = [
    [['train', 'classification', '--lr', '-1'], /--lr must be a finite number > 0, got -1/],
    [['train', 'classification', '--lr', 'fast'], /--lr must be a finite number > 0, got NaN/],
    [['train', 'classification', '--batch-size', '0'], /--batch-size must be a positive integer, got 0/],
    [['train', 'classification', '--batch-size', '2.5'], /--batch-size must be a positive integer, got 2.5/],
    [['train', 'classification', '--max-steps', '-3'], /--max-steps must be a positive integer, got -3/],
    [['train', 'classification', '--lambda', '0'], /--lambda must be a finite number > 0, got 0/],
    [['train', 'classification', '--momentum', '1.5'], /--momentum must be a number in \[0, 1\), got 1.5/],
    [['train', 'classification', '--seed', '-1'], /--seed must be an integer ≥ 0, got -1/],
    [['train', 'classification', '--metric', 'h2'], /Invalid values:[\s\S]*metric[\s\S]*h2[\s\S]*sobolev/],
    [['train', 'classification', '--optimizer', 'lbfgs'], /Invalid values:[\s\S]*optimizer/],
    [['train', 'classification', '--direction', 'diagonal'], /Invalid values:[\s\S]*direction/],
    [['train', 'classification', '--backend', 'gpu'], /Invalid values:[\s\S]*backend/],
    [['train', 'classification', '--learning-rate', '0.1'], /Unknown arguments?: learning-rate/],
    [['train'], /name a task: classification/],
    [['train', 'imagenet'], /imagenet/],
    [['fly'], /fly/],
    [[], /name a command/],
    [['compare', '--metrics', 'l2', 'h3'], /--metrics: unknown metric "h3"/],
    [['compare', '--max-steps', '0'], /--max-steps must be a positive integer, got 0/],
  ];
  for (const [args, pattern] of bad) {
    it(`rejects \`cdg ${args.join(' ')}\` with exit code 2 and a clear message`, async () => {
      const r = await run(args);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(pattern);
      expect(r.err).to.include('--help');
    });
  }

  it('a failure while running (CIFAR-10 without --data-dir, bad model for the task) exits 1 naming the problem', async () => {
    const out = tmp();
    const r = await run(['train', 'classification', '--dataset', 'cifar10', '--backend', 'wasm', '--out', out, '--progress', 'none']);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/error: .*--data-dir/);
    const r2 = await run(['train', 'classification', '--model', 'resnet18', '--backend', 'wasm', '--out', out, '--progress', 'none']);
    expect(r2.code).to.equal(1);
    expect(r2.err).to.match(/model must be one of cnn2, resnet20/);
  });

  it('trains, writes metrics.json / config.json / a checkpoint, and --resume continues from it', async () => {
    const out = tmp();
    const common = ['train', 'classification', '--dataset', 'mnist', '--train-limit', '48', '--eval-limit', '40', '--batch-size', '16', '--epochs', '2', '--backend', 'wasm', '--out', out, '--progress', 'none', '--seed', '3'];
    const r = await run([...common, '--max-steps', '2']);
    expect(r.code, r.err).to.equal(0);
    let metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics).to.have.length(1);
    expect(metrics[0].step).to.equal(2);
    expect(metrics[0].accuracy).to.be.within(0, 1);
    expect(metrics[0].loss).to.be.a('number');
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config.config).to.include({ task: 'classification', dataset: 'mnist', metric: 'sobolev', lambda: 1, batchSize: 16, maxSteps: 2, trainLimit: 48 });
    expect(config.hooks.model.find((w: { variable: string }) => w.variable.startsWith('conv2')).metric).to.equal('sobolev');
    const r2 = await run([...common, '--max-steps', '5', '--resume']);
    expect(r2.code, r2.err).to.equal(0);
    expect(r2.out).to.match(/resumed from .*epoch-000001: 1 epoch\(s\), 2 step\(s\) done/);
    metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.map((m: { step: number }) => m.step)).to.deep.equal([2, 5]);
  });

  it('cdg compare trains each arm with the same seed and prints the table', async () => {
    const out = tmp();
    const r = await run(['compare', '--max-steps', '2', '--batch-size', '8', '--eval-limit', '40', '--backend', 'wasm', '--out', out, '--metrics', 'l2', 'reweighted-l2', '--progress', 'none']);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/\| SGD \| 0\.\d{4} \|/);
    expect(r.out).to.match(/\| SGD\+reweighted-l2 \| 0\.\d{4} \|/);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8'));
    expect(saved.rows.map((x: { metric: string }) => x.metric)).to.deep.equal(['l2', 'reweighted-l2']);
    // Same seed: both arms start from the same weights.
    const w = (arm: string) => fs.readFileSync(path.join(out, arm, 'config.json'), 'utf8');
    expect(JSON.parse(w('l2')).config.seed).to.equal(JSON.parse(w('reweighted-l2')).config.seed);
    expect(fs.readFileSync(path.join(out, 'compare.md'), 'utf8')).to.include('| optimizer | test accuracy |');
  });

  it('the comparison table reports step time relative to plain SGD', () => {
    const t = formatCompareTable([
      { metric: 'l2', accuracy: 0.9, loss: 0.3, trainLoss: 0.4, steps: 10, stepsPerSecond: 4, trainSeconds: 2.5 },
      { metric: 'sobolev', accuracy: 0.91, loss: 0.29, trainLoss: 0.41, steps: 10, stepsPerSecond: 2, trainSeconds: 5 },
    ]);
    expect(t).to.include('| SGD+sobolev | 0.9100 | 0.2900 | 0.4100 | 10 | 2.00 | 500.0 | 100.0% |');
    expect(t).to.include('| SGD | 0.9000 | 0.3000 | 0.4000 | 10 | 4.00 | 250.0 | — |');
  });
});
