import { filter, type MonoTypeOperatorFunction } from 'rxjs';
import type { GradientStepEvent } from '../types';

/** Keeps the events of every n-th optimizer step (step 0, n, 2n, …; a skipped step and its retry share a step index). */
export function sampleEvery<T extends Pick<GradientStepEvent, 'step'>>(n: number): MonoTypeOperatorFunction<T> {
  if (!Number.isInteger(n) || n < 1) throw new Error(`sampleEvery(n): n must be an integer >= 1, got ${String(n)}`);
  return filter((event: T) => event.step % n === 0);
}
