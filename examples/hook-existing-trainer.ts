// An ordinary TensorFlow.js training script (model.fit) with channel-directed gradients added in
// three lines, marked ★. Run: node --import tsx examples/hook-existing-trainer.ts
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { channelDirected, layerGradientNorms, sampleEvery, updateSmoothness } from '@cdg/hook'; // ★ 1/3

/** Seeded uniform numbers in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 12×12 noisy stripe images; the class is the stripe direction (horizontal, vertical, diagonal). */
function stripes(n: number, seed: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const rand = rng(seed);
  const size = 12;
  const pixels = new Float32Array(n * size * size);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    const freq = 0.5 + rand();
    const phase = rand() * 2 * Math.PI;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const t = cls === 0 ? r : cls === 1 ? c : (r + c) / Math.SQRT2;
        pixels[(i * size + r) * size + c] = Math.sin(freq * t + phase) + 0.8 * (rand() * 2 - 1);
      }
    }
    labels.push(cls);
  }
  return tf.tidy(() => ({
    x: tf.tensor4d(pixels, [n, size, size, 1]),
    y: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32') as tf.Tensor2D,
  }));
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const train = stripes(360, 1);
  const test = stripes(150, 2);

  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));

  // Before: model.compile({ optimizer: tf.train.sgd(0.1), loss: ... })
  const optimizer = channelDirected(tf.train.sgd(0.1), { model }); // ★ 2/3 (default: sobolev λ=1 on conv kernels)
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] }); // ★ 3/3

  // Optional: check which rule hit which weight, and watch the gradients.
  console.log(optimizer.describeTable());
  optimizer.steps$.pipe(sampleEvery(20), layerGradientNorms()).subscribe((s) => {
    const norms = s.layers.map((l) => `${l.layer} ${l.raw.toExponential(2)}→${l.transformed.toExponential(2)}`);
    console.log(`step ${s.step} gradient norms (raw→transformed): ${norms.join(', ')}`);
  });
  optimizer.steps$.pipe(sampleEvery(20), updateSmoothness()).subscribe((s) => {
    const rows = s.variables.filter((v) => v.name.includes('conv2d') && v.name.endsWith('kernel'));
    console.log(`step ${s.step} output-channel smoothness (raw→transformed): ${rows.map((v) => `${v.raw?.toFixed(2)}→${v.transformed?.toFixed(2)}`).join(', ')}`);
  });

  await model.fit(train.x, train.y, {
    epochs: 3,
    batchSize: 32,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => console.log(`epoch ${epoch + 1}: loss ${logs?.loss.toFixed(4)} accuracy ${logs?.acc.toFixed(3)}`),
    },
  });
  const [loss, acc] = model.evaluate(test.x, test.y) as tf.Scalar[];
  console.log(`test: loss ${(await loss.data())[0].toFixed(4)} accuracy ${(await acc.data())[0].toFixed(3)}`);
  tf.dispose([loss, acc, train.x, train.y, test.x, test.y]);
  model.dispose();
  optimizer.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
