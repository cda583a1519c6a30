import * as tf from '@tensorflow/tfjs-core';
import { map, type OperatorFunction } from 'rxjs';
import type { GradientStepEvent } from '../types';
import { assertLive } from './guard';

export interface NonFiniteCount {
  name: string;
  layer: string | null;
  /** NaN/±Inf entries in the ordinary gradient. */
  raw: number;
  /** NaN/±Inf entries in what the inner optimizer received (or would have). */
  applied: number;
}

export interface NonFiniteCounts {
  step: number;
  label: string;
  skipped: boolean;
  /** Sum of `applied` over all variables. */
  total: number;
  variables: NonFiniteCount[];
}

/** Counts NaN/±Inf gradient entries per variable in each step (one device sync per event). */
export function nonFiniteCounts(): OperatorFunction<GradientStepEvent, NonFiniteCounts> {
  return map((event: GradientStepEvent): NonFiniteCounts => {
    assertLive(event, 'nonFiniteCounts');
    const base = { step: event.step, label: event.label, skipped: event.skipped };
    if (event.variables.length === 0) return { ...base, total: 0, variables: [] };
    const counts = tf.tidy(() =>
      tf.stack(event.variables.flatMap((v) => [v.raw, v.applied].map((t) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(t)), 'int32'))))),
    );
    const c = counts.dataSync();
    counts.dispose();
    const variables = event.variables.map((v, i) => ({ name: v.name, layer: v.layer, raw: c[2 * i], applied: c[2 * i + 1] }));
    return { ...base, total: variables.reduce((s, v) => s + v.applied, 0), variables };
  });
}
