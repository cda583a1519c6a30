import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

const probes = new WeakMap<tfl.LayersModel, { probe: tfl.LayersModel; layers: tfl.layers.Layer[] }>();

function probeOf(model: tfl.LayersModel) {
  let p = probes.get(model);
  if (!p) {
    const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization');
    // shares the layers (and weights) of `model`; outputs every batch-norm layer's input
    const probe = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.input as tfl.SymbolicTensor) });
    p = { probe, layers };
    probes.set(model, p);
  }
  return p;
}

/**
 * "Precise BN" (Wu & Johnson 2021): replaces every batch-norm layer's moving mean and variance by
 * the population statistics of its input over the given batches, computed with the network in
 * training mode (as during training). The moving averages of batch-2 training are a poor estimate —
 * with two images at stride 32 a batch variance has 2–8 samples per channel and is biased low —
 * and the error compounds through ResNet-50's 53 batch-norm layers at inference. Training itself
 * is unaffected (it uses batch statistics).
 */
export async function recomputeBatchNormStatistics(model: tfl.LayersModel, batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>): Promise<number> {
  const { probe, layers } = probeOf(model);
  if (layers.length === 0) return 0;
  const sums: tf.Tensor[] = [];
  const squares: tf.Tensor[] = [];
  let count = 0;
  try {
    for await (const x of batches) {
      const b = x.shape[0];
      const stats = tf.tidy(() => {
        const outs = probe.apply(x, { training: true }) as tf.Tensor[] | tf.Tensor;
        // per-channel E[x] and E[x²] over batch and pixels, scaled by the batch size for a running sum
        return (Array.isArray(outs) ? outs : [outs]).map((o) => [tf.mul(tf.mean(o, [0, 1, 2]), b), tf.mul(tf.mean(tf.square(o), [0, 1, 2]), b)] as const);
      });
      stats.forEach(([s, q], i) => {
        if (sums[i]) {
          const [a, b] = [tf.add(sums[i], s), tf.add(squares[i], q)];
          tf.dispose([sums[i], squares[i], s, q]);
          sums[i] = a;
          squares[i] = b;
        } else {
          sums[i] = s;
          squares[i] = q;
        }
      });
      count += b;
    }
    if (count === 0) return 0;
    tf.tidy(() => {
      layers.forEach((layer, i) => {
        const mean = tf.div(sums[i], count);
        const variance = tf.relu(tf.sub(tf.div(squares[i], count), tf.square(mean)));
        for (const w of layer.weights) {
          if (/moving_mean$/.test(w.originalName)) w.write(mean);
          else if (/moving_variance$/.test(w.originalName)) w.write(variance);
        }
      });
    });
    return count;
  } finally {
    tf.dispose([...sums, ...squares]);
  }
}
