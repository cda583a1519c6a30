// A custom training loop (a toy GAN) with two channel-directed optimizers, each configured from
// its own tsyringe child container: different rules, a custom metric known to one of them only.
// Run: node --import tsx examples/hook-custom-loop.ts
import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { container } from 'tsyringe';
import { registerMetric, type MetricStrategy, type ResolvedMetricSpec } from '@cdg/core';
import { ChannelDirectedFactory, createHookContainer, sampleEvery, updateSmoothness } from '@cdg/hook';

/** A user metric: the gradient minus λ·(its fibre mean), i.e. a partial centring along the channel axis. */
class CentredMetric implements MetricStrategy {
  readonly name = 'centred';
  apply(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return tf.tidy(() => tf.sub(grad, tf.mul(tf.mean(grad, spec.axis as number, true), Math.min(spec.lambda, 1))));
  }
}

const LATENT = 8;

function generator(): tfl.Sequential {
  const g = tfl.sequential({ name: 'G' });
  g.add(tfl.layers.dense({ inputShape: [LATENT], units: 4 * 4 * 8, activation: 'relu' }));
  g.add(tfl.layers.reshape({ targetShape: [4, 4, 8] }));
  g.add(tfl.layers.conv2dTranspose({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  g.add(tfl.layers.conv2d({ filters: 1, kernelSize: 3, padding: 'same', activation: 'tanh' }));
  return g;
}

function discriminator(): tfl.Sequential {
  const d = tfl.sequential({ name: 'D' });
  d.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same' }));
  d.add(tfl.layers.leakyReLU({ alpha: 0.2 }));
  d.add(tfl.layers.flatten());
  d.add(tfl.layers.dense({ units: 1 }));
  return d;
}

/** Real samples: horizontal stripes with a random phase. */
function realBatch(n: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, 8), [1, 8, 1, 1]);
    const phase = tf.randomUniform([n, 1, 1, 1], 0, 2 * Math.PI);
    return tf.tile(tf.sin(tf.add(tf.mul(rows, 1.2), phase)), [1, 1, 8, 1]) as tf.Tensor4D;
  });
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  // Composition root: one child container per network.
  const gContainer = createHookContainer(
    { label: 'generator', rules: [{ layerType: /^Conv2D(Transpose)?$/, weight: 'kernel', metric: 'sobolev', lambda: 1 }] },
    container,
  );
  const dContainer = createHookContainer(
    { label: 'discriminator', weightDecay: 5e-4, rules: [{ layerType: 'Conv2D', weight: 'kernel', metric: 'centred', lambda: 0.5 }] },
    container,
  );
  registerMetric(dContainer, new CentredMetric());

  const G = generator();
  const D = discriminator();
  const gOpt = gContainer.resolve(ChannelDirectedFactory).wrap(tf.train.adam(2e-3, 0.5), { model: G });
  const dOpt = dContainer.resolve(ChannelDirectedFactory).wrap(tf.train.adam(2e-3, 0.5), { model: D });
  console.log(`${gOpt.label}:\n${gOpt.describeTable()}\n\n${dOpt.label}:\n${dOpt.describeTable()}\n`);

  gOpt.steps$.pipe(sampleEvery(50), updateSmoothness()).subscribe((s) => {
    const t = s.variables.find((v) => v.name.includes('transpose') && v.name.endsWith('kernel'));
    console.log(`  [${s.label} step ${s.step}] Conv2DTranspose kernel update, output-channel smoothness ${t?.raw?.toFixed(2)} → ${t?.transformed?.toFixed(2)}`);
  });

  const gVars = G.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = D.trainableWeights.map((w) => w.read() as tf.Variable);
  const bce = (logits: tf.Tensor, label: number) => tf.losses.sigmoidCrossEntropy(tf.fill(logits.shape, label), logits);
  const batch = 16;
  for (let step = 0; step <= 100; step++) {
    const real = realBatch(batch);
    const z = tf.randomNormal([batch, LATENT]);
    const dLoss = dOpt.minimize(() => {
      const fake = G.apply(z) as tf.Tensor;
      return tf.add(bce(D.apply(real) as tf.Tensor, 1), bce(D.apply(fake) as tf.Tensor, 0)) as tf.Scalar;
    }, true, dVars)!;
    const gLoss = gOpt.minimize(() => bce(D.apply(G.apply(z) as tf.Tensor) as tf.Tensor, 1) as tf.Scalar, true, gVars)!;
    if (step % 50 === 0) console.log(`step ${step}: D loss ${(await dLoss.data())[0].toFixed(3)}  G loss ${(await gLoss.data())[0].toFixed(3)}  tensors ${tf.memory().numTensors}`);
    tf.dispose([real, z, dLoss, gLoss]);
  }
  for (const x of [G, D, gOpt, dOpt]) x.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
