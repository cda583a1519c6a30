import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import yargs from 'yargs';
import { expandGrid, parseGrid, planSweep, runId, runState, runSweep, sweepAxes, sweepCommand, getPreset } from '@cdg/report';

// A stand-in for `cdg train`: logs its argv, writes config.json and one metrics record per epoch.
const FAKE_TRAIN = `
const fs = require('fs'), path = require('path');
const args = process.argv.slice(2);
const get = (f, d) => { const i = args.indexOf(f); return i >= 0 ? args[i + 1] : d; };
const out = get('--out'); const epochs = Number(get('--epochs', '1')); const seed = Number(get('--seed', '0'));
fs.appendFileSync(process.env.FAKE_CALLS, JSON.stringify(args) + '\\n');
if (process.env.FAKE_SLEEP_MS) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.FAKE_SLEEP_MS));
if (get('--metric') === 'explode') { console.error('boom'); process.exit(3); }
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ task: args[1], epochs, seed, metric: get('--metric', 'l2') }));
const file = path.join(out, 'metrics.json');
const prev = args.includes('--resume') && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
const recs = prev.slice();
for (let e = recs.length + 1; e <= epochs; e++) recs.push({ epoch: e, loss: 1 / e, accuracy: 0.9 + seed / 1000 });
fs.writeFileSync(file, JSON.stringify(recs));
`;

function plan6(out: string): string[] {
  return planSweep({ task: 'classification', axes: parseGrid(['seed=1,2,3', 'metric=l2,sobolev', 'lambda=1']), outDir: out }).map((p) => p.id).sort();
}

describe('report: sweep grid and runner', () => {
  let dir: string;
  let fake: string;
  let calls: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-sweep-'));
    fake = path.join(dir, 'fake-train.js');
    fs.writeFileSync(fake, FAKE_TRAIN);
    calls = path.join(dir, 'calls.jsonl');
    process.env.FAKE_CALLS = calls;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const readCalls = (): string[][] => (fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

  it('parses key=v1,v2 axes, kebab or camel, numbers as numbers, and names bad axes', () => {
    const axes = parseGrid(['metric=l2,sobolev', 'batch-size=8,100 seed=1,2']);
    expect(axes).to.deep.equal([
      { key: 'metric', values: ['l2', 'sobolev'] },
      { key: 'batchSize', values: [8, 100] },
      { key: 'seed', values: [1, 2] },
    ]);
    expect(() => parseGrid(['lambda'])).to.throw(/"lambda" must look like key=value1,value2/);
    expect(() => parseGrid(['metric=l2,sobolv'])).to.throw(/grid metric "sobolv" is unknown/);
    expect(() => parseGrid(['lambda=1,', 'x=1'])).to.throw(/empty value/);
    expect(() => parseGrid(['seed=1', 'seed=2'])).to.throw(/given twice/);
  });

  it('expands the grid without multiplying l2 by λ or formulation, or laplacian-smoothing by λ', () => {
    const runs = expandGrid(parseGrid(['metric=l2,sobolev,reweighted-l2,laplacian-smoothing', 'lambda=0.5,1,5,20', 'sigma=1', 'formulation=exact,paper', 'batchSize=8,100', 'seed=1,2,3']));
    // per (batch, seed): l2 1 + sobolev 8 + reweighted 8 + laplacian 1 = 18; × 2 batch × 3 seeds.
    expect(runs).to.have.length(18 * 6);
    const l2 = runs.filter((r) => r.metric === 'l2');
    expect(l2).to.have.length(6);
    expect(l2[0]).to.deep.equal({ metric: 'l2', batchSize: 8, seed: 1 });
    const ls = runs.filter((r) => r.metric === 'laplacian-smoothing');
    expect(ls[0]).to.deep.equal({ metric: 'laplacian-smoothing', sigma: 1, batchSize: 8, seed: 1 });
    expect(runs.filter((r) => r.metric === 'sobolev' && r.lambda === 5 && r.formulation === 'paper')).to.have.length(6);
    expect(new Set(runs.map(runId)).size).to.equal(runs.length);
    expect(runId({ metric: 'sobolev', lambda: 0.5, formulation: 'exact', batchSize: 8, seed: 1 })).to.equal('sobolev_lambda0.5_exact_bs8_seed1');
  });

  it('puts seed outermost and reads per-axis flags as well as --grid', () => {
    const axes = sweepAxes({ grid: ['lambda=1,5'], metric: 'l2,sobolev', seed: '1,2', batchSize: '8' });
    expect(axes.map((a) => a.key)).to.deep.equal(['seed', 'lambda', 'metric', 'batchSize']);
    const plan = planSweep({ task: 'classification', axes, outDir: '/x', baseParams: getPreset('mnist-paper').params, extraArgs: ['--epochs', '2'] });
    expect(plan.slice(0, 3).every((p) => p.params.seed === 1)).to.equal(true);
    const first = plan[0].args;
    expect(first.slice(0, 2)).to.deep.equal(['train', 'classification']);
    // The grid's batch size overrides the preset's 100; extra flags come last, then --out.
    expect(first[first.indexOf('--batch-size') + 1]).to.equal('8');
    expect(first.filter((a) => a === '--batch-size')).to.have.length(1);
    expect(first.slice(-4)).to.deep.equal(['--epochs', '2', '--out', path.join('/x', plan[0].id)]);
    expect(() => planSweep({ task: 'classification', axes, outDir: '/x', extraArgs: ['--out', 'y'] })).to.throw(/--out is set by the sweep/);
    // A flag after -- replaces the preset's value instead of repeating the flag.
    expect(first.filter((a) => a === '--epochs')).to.have.length(1);
    expect(() => planSweep({ task: 'classification', axes, outDir: '/x', extraArgs: ['--seed', '4'] })).to.throw(/--seed is both a grid axis and given after --/);
  });

  it('runs every grid point, skips finished runs, resumes interrupted ones, records an index', async () => {
    const out = path.join(dir, 'sweep1');
    const axes = parseGrid(['seed=1,2', 'metric=l2,sobolev', 'lambda=1']);
    const plan = planSweep({ task: 'classification', axes, outDir: out, extraArgs: ['--epochs', '2'] });
    expect(plan.map((p) => p.id)).to.deep.equal(['seed1_l2', 'seed1_sobolev_lambda1', 'seed2_l2', 'seed2_sobolev_lambda1']);
    // seed1_l2 finished earlier; seed2_l2 was interrupted after epoch 1 of 2.
    const write = (id: string, epochs: number) => {
      fs.mkdirSync(path.join(out, id), { recursive: true });
      fs.writeFileSync(path.join(out, id, 'config.json'), JSON.stringify({ epochs: 2, seed: 1, metric: 'l2' }));
      fs.writeFileSync(path.join(out, id, 'metrics.json'), JSON.stringify(Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, accuracy: 0.5 }))));
    };
    write('seed1_l2', 2);
    write('seed2_l2', 1);
    expect(runState(path.join(out, 'seed1_l2'), 2)).to.equal('done');
    expect(runState(path.join(out, 'seed2_l2'), 2)).to.equal('partial');
    expect(runState(path.join(out, 'seed1_sobolev_lambda1'), 2)).to.equal('pending');

    const messages: string[] = [];
    const r = await runSweep({ task: 'classification', axes, outDir: out, extraArgs: ['--epochs', '2'], workers: 2, command: [process.execPath, fake], log: (m) => messages.push(m) });
    expect(r).to.include({ total: 4, skipped: 1, ran: 3, failed: 0 });
    const made = readCalls();
    expect(made).to.have.length(3);
    const byOut = new Map(made.map((a) => [path.basename(a[a.indexOf('--out') + 1]), a]));
    expect([...byOut.keys()].sort()).to.deep.equal(['seed1_sobolev_lambda1', 'seed2_l2', 'seed2_sobolev_lambda1']);
    expect(byOut.get('seed2_l2')).to.include('--resume');
    expect(byOut.get('seed1_sobolev_lambda1')).to.not.include('--resume');
    expect(byOut.get('seed1_sobolev_lambda1')).to.include.members(['--metric', 'sobolev', '--lambda', '1', '--seed', '1']);
    const index = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(index.runs.map((x: { id: string; status: string }) => `${x.id}:${x.status}`)).to.deep.equal(['seed1_l2:skipped', 'seed1_sobolev_lambda1:done', 'seed2_l2:done', 'seed2_sobolev_lambda1:done']);
    expect(index.runs[2].resumed).to.equal(true);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'seed2_l2', 'metrics.json'), 'utf8'))).to.have.length(2);

    // Running the same sweep again does nothing.
    fs.rmSync(calls);
    const again = await runSweep({ task: 'classification', axes, outDir: out, extraArgs: ['--epochs', '2'], command: [process.execPath, fake], log: () => undefined });
    expect(again).to.include({ skipped: 4, ran: 0 });
    expect(readCalls()).to.have.length(0);
  });

  it('counts a run that reached its --max-steps as finished, reading the trainer\'s nested config.json', () => {
    const d = path.join(dir, 'steps');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify({ config: { epochs: 5, maxSteps: 30 }, backend: 'cpu' }));
    fs.writeFileSync(path.join(d, 'metrics.json'), JSON.stringify([{ epoch: 1, step: 20 }]));
    expect(runState(d)).to.equal('partial');
    expect(runState(d, { epochs: 5, maxSteps: 20 })).to.equal('done');
    fs.writeFileSync(path.join(d, 'metrics.json'), JSON.stringify([{ epoch: 1, step: 20 }, { epoch: 2, step: 30 }]));
    expect(runState(d)).to.equal('done');
    fs.writeFileSync(path.join(d, 'metrics.json'), '[{"epoch": 1, "st');
    expect(runState(d)).to.equal('partial');
  });

  it('reports a failing run as failed with its log, and keeps going', async () => {
    const bad = await runSweep({ task: 'classification', axes: [{ key: 'metric', values: ['explode'] }], outDir: path.join(dir, 'sweep3'), command: [process.execPath, fake], log: () => undefined });
    expect(bad.failed).to.equal(1);
    const entry = bad.index.runs[0];
    expect(entry.status).to.equal('failed');
    expect(entry.exitCode).to.equal(3);
    expect(fs.readFileSync(path.join(dir, 'sweep3', entry.log!), 'utf8')).to.contain('boom');
  });

  it('two sweeps sharing a directory run each grid point once (run locks)', async () => {
    const out = path.join(dir, 'shared');
    fs.rmSync(calls, { force: true });
    process.env.FAKE_SLEEP_MS = '300';
    try {
      const axes = parseGrid(['seed=1,2,3', 'metric=l2,sobolev', 'lambda=1']);
      const opts = { task: 'classification', axes, outDir: out, extraArgs: ['--epochs', '1'], command: [process.execPath, fake], log: () => undefined };
      const [a, b] = await Promise.all([runSweep(opts), runSweep(opts)]);
      expect(a.failed + b.failed).to.equal(0);
      expect(a.ran + b.ran).to.equal(6);
      expect(a.ran + (a.busy ?? 0) + a.skipped).to.equal(6);
      const outs = readCalls().map((c) => path.basename(c[c.indexOf('--out') + 1])).sort();
      expect(outs).to.deep.equal(plan6(out));
      expect(fs.readdirSync(out).filter((f) => f.endsWith('.lock'))).to.deep.equal([]);
    } finally {
      delete process.env.FAKE_SLEEP_MS;
    }
  });

  it('the yargs command passes flags after -- to every run', async () => {
    const out = path.join(dir, 'sweep4');
    fs.rmSync(calls, { force: true });
    const log = console.log;
    console.log = () => undefined;
    try {
      await yargs(['sweep', 'classification', '--metric', 'l2', '--seed', '1,2', '--out', out, '--cdg', `${process.execPath} ${fake}`, '--', '--epochs', '1', '--max-steps', '5'])
        .command(sweepCommand)
        .strict()
        .fail((msg, err) => {
          throw err ?? new Error(msg);
        })
        .parseAsync();
    } finally {
      console.log = log;
    }
    const made = readCalls();
    expect(made).to.have.length(2);
    expect(made[0]).to.include.members(['--max-steps', '5', '--epochs']);
    expect(made[0][made[0].indexOf('--seed') + 1]).to.equal('1');
  });
});
