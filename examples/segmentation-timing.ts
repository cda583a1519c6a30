// Time per training step of the segmentation adapter on each available backend, with the plain
// optimizer (--metric l2), + sobolev and + reweighted-l2 (paper formulation), at the synthetic task
// defaults (Adam 3e-3, width 0.125, 64×64), batch 8 or given.
//
//   node --import tsx examples/segmentation-timing.ts [steps] [backends] [batch]    (defaults: 5 wasm,cpu 8)
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, type BackendPreference } from '@cdg/backend';
import { SyntheticShapesDataset } from '@cdg/data';
import { defaultSegmentationOptions, SegmentationAdapter, segmentationTask } from '@cdg/segmentation';
import type { CommonTrainConfig } from '@cdg/trainer';

async function timeSteps(metric: string, formulation: string, steps: number, batchSize: number): Promise<number[]> {
  const config = {
    task: 'segmentation', ...segmentationTask.defaults, metric, lambda: 1, sigma: 1,
    formulation, direction: 'output', mix: 0, batchSize, lrSchedule: 'constant', lrStepEpochs: 40, lrStepFactor: 0.1,
    seed: 1, backend: tf.getBackend(), out: '', resume: false,
  } as CommonTrainConfig & Record<string, unknown>;
  const adapter = new SegmentationAdapter(config, new SyntheticShapesDataset({ size: 64 }), defaultSegmentationOptions('synthetic'));
  const times: number[] = [];
  try {
    let k = 0;
    for await (const batch of adapter.trainBatches(0)) {
      const t = performance.now();
      adapter.trainStep(batch); // reads the loss back, so the step has finished
      if (k > 0) times.push((performance.now() - t) / 1000); // the first step includes kernel warm-up
      if (++k > steps) break;
    }
  } finally {
    adapter.dispose();
  }
  return times;
}

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 5);
  const backends = (process.argv[3] ?? 'wasm,cpu').split(',') as BackendPreference[];
  const batchSize = Number(process.argv[4] ?? segmentationTask.defaults.batchSize);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  for (const b of backends) {
    const name = await selectBackend(b, { logger: null });
    for (const [metric, formulation] of [['l2', 'exact'], ['sobolev', 'exact'], ['reweighted-l2', 'paper']]) {
      const t = await timeSteps(metric, formulation, steps, batchSize);
      console.log(`${name.padEnd(5)} ${metric.padEnd(13)} batch ${batchSize} median ${median(t).toFixed(3)} s/step over ${t.length} steps (${t.map((x) => x.toFixed(2)).join(' ')})`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
