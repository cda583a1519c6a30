import * as tf from '@tensorflow/tfjs-core';
import { map, type OperatorFunction } from 'rxjs';
import type { GradientStepEvent } from '../types';
import { assertLive } from './guard';

export interface ChannelSmoothness {
  name: string;
  layer: string | null;
  /** Length of the output-channel axis. */
  channels: number;
  /** Smoothness of the ordinary gradient across output channels (null if it is constant across them). */
  raw: number | null;
  /** Smoothness of the transformed gradient (the update direction handed to the inner optimizer). */
  transformed: number | null;
}

export interface UpdateSmoothness {
  step: number;
  label: string;
  skipped: boolean;
  variables: ChannelSmoothness[];
}

/**
 * Output-channel smoothness of a tensor: with h each fibre along the output-channel axis minus its
 * mean, `1 − Σ (h_{j+1} − h_j)² / (2 Σ h_j²)` (periodic j, summed over all fibres), i.e. the lag-1
 * circular autocorrelation between neighbouring output channels. 1 = neighbours move together,
 * about 0 = independent channels, −1 = alternating.
 */
function smoothnessTerms(x: tf.Tensor, axis: number): [tf.Tensor, tf.Tensor] {
  const rank = x.rank;
  const n = x.shape[axis];
  const perm = [...Array(rank).keys()].filter((i) => i !== axis).concat([axis]);
  const fibres = tf.reshape(axis === rank - 1 ? x : tf.transpose(x, perm), [-1, n]);
  const h = tf.sub(fibres, tf.mean(fibres, 1, true));
  const next = tf.concat([tf.slice(h, [0, 1], [-1, n - 1]), tf.slice(h, [0, 0], [-1, 1])], 1);
  return [tf.sum(tf.square(tf.sub(next, h))), tf.sum(tf.square(h))];
}

/** Output-channel smoothness of each step's raw and transformed gradient, per variable with ≥ 2 output channels. */
export function updateSmoothness(): OperatorFunction<GradientStepEvent, UpdateSmoothness> {
  return map((event: GradientStepEvent): UpdateSmoothness => {
    assertLive(event, 'updateSmoothness');
    const base = { step: event.step, label: event.label, skipped: event.skipped };
    const measured = event.variables.filter((v) => v.outputAxis !== null && v.raw.shape[v.outputAxis] >= 2 && v.raw.dtype === 'float32');
    if (measured.length === 0) return { ...base, variables: [] };
    const terms = tf.tidy(() =>
      tf.stack(measured.flatMap((v) => [...smoothnessTerms(v.raw, v.outputAxis!), ...smoothnessTerms(v.transformed, v.outputAxis!)])),
    );
    const t = terms.dataSync();
    terms.dispose();
    const ratio = (num: number, den: number): number | null => (den > 0 ? 1 - num / (2 * den) : null);
    return {
      ...base,
      variables: measured.map((v, i) => ({
        name: v.name,
        layer: v.layer,
        channels: v.raw.shape[v.outputAxis!],
        raw: ratio(t[4 * i], t[4 * i + 1]),
        transformed: ratio(t[4 * i + 2], t[4 * i + 3]),
      })),
    };
  });
}
