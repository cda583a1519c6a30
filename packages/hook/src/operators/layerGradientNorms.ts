import * as tf from '@tensorflow/tfjs-core';
import { map, type OperatorFunction } from 'rxjs';
import type { GradientStepEvent } from '../types';
import { assertLive } from './guard';

export interface LayerGradientNorm {
  /** The layer's name (the variable's name when its layer is unknown). */
  layer: string;
  /** L2 norm of the layer's ordinary gradient, over all its variables. */
  raw: number;
  /** L2 norm after the metric. */
  transformed: number;
  /** L2 norm of what the inner optimizer received (with coupled weight decay). */
  applied: number;
}

export interface LayerGradientNorms {
  step: number;
  label: string;
  skipped: boolean;
  layers: LayerGradientNorm[];
}

/** Per-layer gradient norms of each step, as plain numbers (one device sync per event). */
export function layerGradientNorms(): OperatorFunction<GradientStepEvent, LayerGradientNorms> {
  return map((event: GradientStepEvent): LayerGradientNorms => {
    assertLive(event, 'layerGradientNorms');
    const base = { step: event.step, label: event.label, skipped: event.skipped };
    if (event.variables.length === 0) return { ...base, layers: [] };
    const sums = tf.tidy(() =>
      tf.stack(event.variables.flatMap((v) => [v.raw, v.transformed, v.applied].map((t) => tf.sum(tf.square(tf.cast(t, 'float32')))))),
    );
    const values = sums.dataSync();
    sums.dispose();
    const byLayer = new Map<string, [number, number, number]>();
    event.variables.forEach((v, i) => {
      const key = v.layer ?? v.name;
      const acc = byLayer.get(key) ?? [0, 0, 0];
      for (let k = 0; k < 3; k++) acc[k] += values[3 * i + k];
      byLayer.set(key, acc);
    });
    return {
      ...base,
      layers: [...byLayer].map(([layer, [r, t, a]]) => ({ layer, raw: Math.sqrt(r), transformed: Math.sqrt(t), applied: Math.sqrt(a) })),
    };
  });
}
