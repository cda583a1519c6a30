import * as tf from '@tensorflow/tfjs-core';

/**
 * Summed per-pixel softmax cross-entropy over the pixels whose label is not `ignoreIndex`, and the
 * number of those pixels. logits: [B, H, W, C]; labels: [B, H, W] integer class indices.
 */
export function pixelCrossEntropySum(logits: tf.Tensor4D, labels: tf.Tensor3D, ignoreIndex = 255): { sum: tf.Scalar; count: tf.Scalar } {
  const [b, h, w, c] = logits.shape;
  if (labels.rank !== 3 || labels.shape[0] !== b || labels.shape[1] !== h || labels.shape[2] !== w) {
    throw new Error(`labels must have shape [${b}, ${h}, ${w}] to match logits [${logits.shape.join(', ')}], got [${labels.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const lab = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
    const valid = tf.notEqual(lab, tf.scalar(ignoreIndex, 'int32'));
    const safe = tf.where(valid, lab, tf.zerosLike(lab)); // ignore pixels get class 0, then weight 0
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(logp, tf.oneHot(safe, c)), -1); // [B, H, W]
    const weight = tf.cast(valid, 'float32');
    const sum = tf.neg(tf.sum(tf.mul(picked, weight))) as tf.Scalar;
    const count = tf.sum(weight) as tf.Scalar;
    return { sum, count };
  });
}

/** Mean per-pixel softmax cross-entropy, ignore label excluded (0 when every pixel is ignored). */
export function pixelCrossEntropy(logits: tf.Tensor4D, labels: tf.Tensor3D, ignoreIndex = 255): tf.Scalar {
  return tf.tidy(() => {
    const { sum, count } = pixelCrossEntropySum(logits, labels, ignoreIndex);
    return tf.div(sum, tf.maximum(count, 1)) as tf.Scalar;
  });
}
