// Training-step speed of each classification network on each backend, and the hook's overhead:
// SGD (l2) and SGD+sobolev steps are interleaved in one process on identical networks, so both see
// the same machine load. Run: node --import tsx examples/classification-speed.ts [backends] [models] [steps] [batch]
//   e.g. node --import tsx examples/classification-speed.ts wasm,cpu cnn2,resnet20 5 32
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cdg/backend';
import { buildClassificationModel, crossEntropy } from '@cdg/classification';
import { createHookedOptimizer } from '@cdg/trainer';

const [backends = 'wasm', models = 'cnn2,resnet20,resnet56,vgg16', stepsArg = '5', batchArg = '32'] = process.argv.slice(2);
const steps = Number(stepsArg);
const batch = Number(batchArg);

function arm(name: string, metric: string) {
  const mnist = name === 'cnn2';
  const shape: [number, number, number] = mnist ? [28, 28, 1] : [32, 32, 3];
  const model = buildClassificationModel(name, { inputShape: shape, classes: 10, seed: 1 });
  const optimizer = createHookedOptimizer({
    config: { optimizer: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0, metric, lambda: 1, sigma: 1, formulation: 'exact', direction: 'output', mix: 0 },
    model,
  });
  const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
  const y = tf.tensor1d(Array.from({ length: batch }, (_v, i) => i % 10), 'int32');
  const step = () => {
    const t = Date.now();
    const loss = optimizer.minimize(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor2D, y), true) as tf.Scalar;
    loss.dataSync();
    loss.dispose();
    return Date.now() - t;
  };
  return { step, dispose: () => { optimizer.dispose(); model.dispose(); tf.dispose([x, y]); } };
}

async function main(): Promise<void> {
  console.log('| backend | model | batch | SGD ms/step | SGD+sobolev ms/step | SGD steps/s | hook overhead (sobolev vs l2) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const b of backends.split(',')) {
    const used = await selectBackend(b as 'wasm' | 'cpu');
    for (const name of models.split(',')) {
      const l2 = arm(name, 'l2');
      const sob = arm(name, 'sobolev');
      l2.step(); // warm-up: kernel compilation, first allocations
      sob.step();
      let tl2 = 0;
      let tsob = 0;
      for (let i = 0; i < steps; i++) {
        // Alternate the order so neither arm always runs first.
        if (i % 2 === 0) {
          tl2 += l2.step();
          tsob += sob.step();
        } else {
          tsob += sob.step();
          tl2 += l2.step();
        }
      }
      l2.dispose();
      sob.dispose();
      const a = tl2 / steps;
      const s = tsob / steps;
      console.log(`| ${used} | ${name} | ${batch} | ${a.toFixed(0)} | ${s.toFixed(0)} | ${(1000 / a).toFixed(2)} | ${(((s - a) / a) * 100).toFixed(1)}% |`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
