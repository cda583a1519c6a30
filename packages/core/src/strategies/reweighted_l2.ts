import * as tf from '@tensorflow/tfjs-core';
import { injectable } from 'tsyringe';
import { reweightedComposite } from '../composite';
import type { ResolvedMetricSpec } from '../types';
import { FusedFilterMetric, requirePositive } from './fused_filter';

/** Re-weighted H0 (H0λ): exact g = m + (f − m)/λ (eq. 8); paper g = f + λm (Fig. 3). */
@injectable()
export class ReweightedL2Metric extends FusedFilterMetric {
  readonly name = 'reweighted-l2';
  protected readonly fusedMetric = 'reweighted-l2' as const;
  validate(spec: ResolvedMetricSpec): void {
    requirePositive('lambda', spec.lambda, this.name);
  }
  applyComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return reweightedComposite(grad, spec);
  }
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    const dc = k % n === 0;
    if (spec.formulation === 'paper') return dc ? 1 + spec.lambda : 1;
    return dc ? 1 : 1 / spec.lambda;
  }
}
