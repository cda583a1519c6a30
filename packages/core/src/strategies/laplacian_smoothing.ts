import * as tf from '@tensorflow/tfjs-core';
import { injectable } from 'tsyringe';
import { laplacianComposite } from '../composite';
import type { ResolvedMetricSpec } from '../types';
import { FusedFilterMetric, requirePositive } from './fused_filter';

/** Laplacian smoothing (Osher et al. 2018): g = (I − σΔ)⁻¹ f with the periodic second difference Δ. */
@injectable()
export class LaplacianSmoothingMetric extends FusedFilterMetric {
  readonly name = 'laplacian-smoothing';
  protected readonly fusedMetric = 'laplacian-smoothing' as const;
  validate(spec: ResolvedMetricSpec): void {
    requirePositive('sigma', spec.sigma, this.name);
  }
  applyComposite(grad: tf.Tensor, spec: ResolvedMetricSpec): tf.Tensor {
    return laplacianComposite(grad, spec);
  }
  symbol(k: number, n: number, spec: ResolvedMetricSpec): number {
    const sn = Math.sin((Math.PI * k) / n);
    return 1 / (1 + 4 * spec.sigma * sn * sn);
  }
}
