import * as tf from '@tensorflow/tfjs-core';
import { injectable } from 'tsyringe';
import type { MetricStrategy, ResolvedMetricSpec } from '../types';

/** The ordinary (H0) gradient: g = f. */
@injectable()
export class L2Metric implements MetricStrategy {
  readonly name = 'l2';
  readonly appliesMix = true;
  apply(grad: tf.Tensor, spec?: ResolvedMetricSpec): tf.Tensor {
    const mix = spec?.mix ?? 0;
    return mix === 0 ? tf.clone(grad) : tf.mul(grad, 1 + mix);
  }
  symbol(): number {
    return 1;
  }
}
