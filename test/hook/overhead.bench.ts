// Overhead of the hook inside model.fit (cpu backend), CPU time per step, median of 3 interleaved runs.
// Run: nice -n 10 node --import tsx test/hook/overhead.bench.ts   (a few minutes on a busy 2-core machine)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { channelDirected, layerGradientNorms } from '@cdg/hook';
import { randomTensor } from './helpers';
function net() {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 10 }));
  return m;
}
(async () => {
  await tf.setBackend('cpu');
  const x = randomTensor([128, 12, 12, 3], 1);
  const y = randomTensor([128, 10], 2);
  const variants: Record<string, (m: tfl.LayersModel) => tf.Optimizer> = {
    plain: () => tf.train.sgd(0.01),
    'wrapped, no rules': (m) => channelDirected(tf.train.sgd(0.01), { model: m, rules: [] }),
    'wrapped, no rules, ignore': (m) => channelDirected(tf.train.sgd(0.01), { model: m, rules: [], onNonFinite: 'ignore' }),
    'wrapped, default sobolev': (m) => channelDirected(tf.train.sgd(0.01), { model: m }),
    'default sobolev + norms subscriber': (m) => { const o = channelDirected(tf.train.sgd(0.01), { model: m }); o.steps$.pipe(layerGradientNorms()).subscribe(); return o; },
  };
  const times: Record<string, number[]> = {};
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, make] of Object.entries(variants)) {
      const m = net();
      const opt = make(m);
      m.compile({ optimizer: opt, loss: 'meanSquaredError' });
      await m.fit(tf.slice(x, 0, 32), tf.slice(y, 0, 32), { batchSize: 32, epochs: 1, verbose: 0 }); // warm-up
      const c0 = process.cpuUsage();
      await m.fit(x, y, { batchSize: 32, epochs: 1, verbose: 0, shuffle: false });
      const c = process.cpuUsage(c0); (times[name] ??= []).push((c.user + c.system) / 1000 / 4);
      m.dispose(); opt.dispose();
    }
  }
  const med = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
  const base = med(times.plain);
  for (const [name, t] of Object.entries(times)) console.log(`${name.padEnd(36)} ${med(t).toFixed(1)} ms CPU/step  ratio ${(med(t) / base).toFixed(3)}`);
})();
