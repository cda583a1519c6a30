import * as tf from '@tensorflow/tfjs-core';

/**
 * Splits the discriminator's flat outputs into scales: each scale has `perScale` tensors, the
 * intermediate features followed by the patch logits.
 */
export function splitScales(outputs: tf.Tensor[], perScale: number): tf.Tensor[][] {
  if (perScale < 1 || outputs.length % perScale !== 0) throw new Error(`discriminator gave ${outputs.length} outputs, not a multiple of ${perScale} per scale`);
  const scales: tf.Tensor[][] = [];
  for (let i = 0; i < outputs.length; i += perScale) scales.push(outputs.slice(i, i + perScale));
  return scales;
}

/** Hinge loss of the discriminator, averaged over scales: mean(relu(1 − D(real))) and mean(relu(1 + D(fake))). */
export function discriminatorHingeLoss(realLogits: tf.Tensor[], fakeLogits: tf.Tensor[]): { real: tf.Scalar; fake: tf.Scalar } {
  return tf.tidy(() => {
    const k = realLogits.length;
    const real = tf.addN(realLogits.map((r) => tf.mean(tf.relu(tf.sub(1, r)))));
    const fake = tf.addN(fakeLogits.map((f) => tf.mean(tf.relu(tf.add(1, f)))));
    return { real: tf.div(real, k) as tf.Scalar, fake: tf.div(fake, k) as tf.Scalar };
  });
}

/** Hinge loss of the generator, averaged over scales: −mean(D(fake)). */
export function generatorHingeLoss(fakeLogits: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.div(tf.neg(tf.addN(fakeLogits.map((f) => tf.mean(f)))), fakeLogits.length) as tf.Scalar);
}

/**
 * Discriminator feature matching (pix2pixHD / SPADE): for every scale and every intermediate
 * feature map (not the logits), the mean absolute difference between fake and real features,
 * weighted by λ / number of scales. Only the generator is updated with it, and real features do
 * not depend on the generator, so they act as constants.
 */
export function featureMatchingLoss(fakeScales: tf.Tensor[][], realScales: tf.Tensor[][], lambda: number): tf.Scalar {
  return tf.tidy(() => {
    const terms: tf.Tensor[] = [];
    fakeScales.forEach((fake, s) => {
      for (let j = 0; j < fake.length - 1; j++) terms.push(tf.mean(tf.abs(tf.sub(fake[j], realScales[s][j]))));
    });
    if (terms.length === 0) return tf.scalar(0);
    return tf.mul(tf.addN(terms), lambda / fakeScales.length) as tf.Scalar;
  });
}
