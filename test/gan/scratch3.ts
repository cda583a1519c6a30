import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cdg/backend';
import { ganTask } from '@cdg/gan';
(async () => {
  await selectBackend((process.env.B as any) ?? 'wasm');
  const cfg: any = { task: 'gan', dataset: 'synthetic', optimizer: 'momentum', lr: 1e-4, momentum: 0.9, weightDecay: 5e-4, metric: 'sobolev', lambda: 1, sigma: 1, formulation: 'exact', direction: 'output', mix: 0, batchSize: 2, epochs: 1, seed: 1, out: '/tmp/ganout', resume: false, ngf: Number(process.env.NGF ?? 8) };
  let t = Date.now();
  const a = await ganTask.create({ config: cfg, outDir: '/tmp/ganout', log: console.log });
  console.log('create ms', Date.now() - t, a.models().generator.countParams(), a.models().discriminator.countParams());
  const it = a.trainBatches(0)[Symbol.asyncIterator]();
  for (let s = 0; s < 6; s++) {
    const b = (await it.next()).value;
    t = Date.now();
    const m = await a.trainStep(b, s);
    console.log(s, Date.now() - t, 'ms', JSON.stringify(m), tf.memory().numTensors);
  }
  t = Date.now(); console.log(await a.evaluate(0), Date.now() - t);
  t = Date.now(); await a.onEpochEnd!(0, '/tmp/ganout'); console.log('grid', Date.now() - t);
  a.dispose(); console.log(tf.memory().numTensors);
})();
