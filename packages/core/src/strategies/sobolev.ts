import * as tf from '@tensorflow/tfjs-core';
import { injectable } from 'tsyringe';
import { sobolevComposite } from '../composite';
import type { ResolvedMetricSpec } from '../types';
import { FusedFilterMetric, requirePositive } from './fused_filter';

/**
 * Channel-directed Sobolev (H1) gradient, eq. (6)–(12): exact solves <g, k>_H1 = <f, k>_L2;
 * paper is Fig. 12's recursion, λ(m + t) = λ(exact + mean(t)).
 */
@injectable()
export class SobolevMetric extends FusedFilterMetric {
  readonly name = 'sobolev';
  protected readonly fusedMetric = 'sobolev' as const;
  validate(spec: ResolvedMetricSpec): void {
    requirePositive('lambda', spec.lambda, this.name);
  }
  applyComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return sobolevComposite(grad, spec);
  }
  /** Symbol of the exact formulation (the paper's recursion adds a data-dependent constant, so it has none). */
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    if (spec.formulation === 'paper') {
      throw new Error('sobolev: the paper formulation is not a circulant filter (it adds λ·mean(t)); use the exact symbol times λ plus that constant');
    }
    if (k % n === 0) return 1;
    const sn = Math.sin((Math.PI * k) / n);
    return 1 / (4 * spec.lambda * n * n * sn * sn);
  }
}
