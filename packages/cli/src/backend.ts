import * as tf from '@tensorflow/tfjs-core';
import * as backendPkg from '@cdg/backend';

/** Activates a tfjs backend through @cdg/backend's selectBackend; returns the name in use. */
export async function activateBackend(pref: string, log: (m: string) => void): Promise<string> {
  const select = (backendPkg as Record<string, unknown>).selectBackend as undefined | ((p?: string) => Promise<string>);
  if (typeof select === 'function') return select(pref);
  // @cdg/backend not built: the pure-JS cpu backend always works.
  await import('@tensorflow/tfjs-backend-cpu');
  if (pref !== 'auto' && pref !== 'cpu') throw new Error(`backend "${pref}" needs @cdg/backend, which does not export selectBackend yet; use --backend cpu`);
  await tf.setBackend('cpu');
  log('backend: cpu (@cdg/backend not available)');
  return 'cpu';
}
