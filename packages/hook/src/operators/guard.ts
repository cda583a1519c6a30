import type { GradientStepEvent } from '../types';

/** Throws a clear error when an event's tensors are used after synchronous delivery. */
export function assertLive(event: GradientStepEvent, operator: string): void {
  for (const v of event.variables) {
    if (v.raw.isDisposed || v.transformed.isDisposed || v.applied.isDisposed) {
      throw new Error(
        `${operator}: the gradients of step ${event.step} ("${v.name}") were already disposed; apply stats operators ` +
          'synchronously, before any asynchronous operator (delay, observeOn, bufferTime, …)',
      );
    }
  }
}
