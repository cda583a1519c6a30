import { expect } from 'chai';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { findLatestCheckpoint, restoreCheckpoint, train } from '@cdg/trainer';
import { snapshot, ToyAdapter, toyConfig } from './toy';
import { tempDir } from '../tmp';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'killable-run.ts');
const EPOCHS = 12;
const HIDDEN = 1024; // ~45 kB of weights + optimizer state per checkpoint, so kills often land mid-write
const DELAY_MS = 12; // per batch in the child: ≥ 60 ms per epoch, so the run outlasts the longest kill delay

/** Starts a training child, SIGKILLs it `delayMs` after its first checkpoint appears (or when it ends). */
function runAndKill(out: string, delayMs: number): Promise<{ finished: boolean; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, out, String(EPOCHS), String(HIDDEN)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const root = path.join(out, 'checkpoint');
    const poll = setInterval(() => {
      const started = fs.existsSync(root) && fs.readdirSync(root).some((e) => e.startsWith('epoch-'));
      if (started) {
        clearInterval(poll);
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    }, 5);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      if (signal === 'SIGKILL' || code === 0) resolve({ finished: stdout.includes('finished'), signal });
      else reject(new Error(`training child exited with ${code}: ${stderr}`));
    });
  });
}

describe('trainer: SIGKILL at a random moment, then resume', function () {
  this.timeout(120000);
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('always leaves a readable checkpoint, and resuming reaches the uninterrupted run\'s exact weights', async () => {
    const refOut = tempDir('cdg-kill-ref-');
    const ref = new ToyAdapter(toyConfig(refOut, { epochs: EPOCHS }), 5, HIDDEN);
    await train(ref, toyConfig(refOut, { epochs: EPOCHS }), { progress: 'none', log: () => {} });
    const want = await snapshot(ref);
    ref.dispose();

    const out = tempDir('cdg-kill-');
    let lastEpoch = 0;
    let kills = 0;
    for (let round = 0; round < 2; round++) {
      const delay = Math.floor(Math.random() * 400); // random moment: inside steps, evaluation or a checkpoint write
      const r = await runAndKill(out, delay);
      if (r.finished) break;
      kills++;
      // The newest complete checkpoint must load, and never go backwards.
      const ckpt = findLatestCheckpoint(out);
      expect(ckpt, `round ${round}: no checkpoint after SIGKILL`).to.not.equal(null);
      expect(ckpt!.state.epoch).to.be.at.least(lastEpoch);
      lastEpoch = ckpt!.state.epoch;
      const probe = new ToyAdapter(toyConfig(out, { epochs: EPOCHS }), 5, HIDDEN);
      await restoreCheckpoint(ckpt!, probe.models(), probe.optimizers());
      probe.dispose();
      const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
      expect(metrics.length).to.be.within(lastEpoch - 1, lastEpoch); // metrics.json trails the checkpoint by at most one write
    }
    expect(kills).to.be.at.least(1);
    const cfg = toyConfig(out, { epochs: EPOCHS, resume: true });
    const last = new ToyAdapter(cfg, 5, HIDDEN);
    const r = await train(last, cfg, { progress: 'none', log: () => {} });
    expect(r.epochs).to.equal(EPOCHS);
    expect(await snapshot(last)).to.deep.equal(want);
    last.dispose();
  });
});
