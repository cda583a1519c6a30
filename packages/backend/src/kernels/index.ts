// The wasm training-kernel pack: registers, on the 'wasm' backend, the kernels that
// @tensorflow/tfjs-backend-wasm 4.22 lacks for training CNNs, and replaces its slow
// Conv2DBackpropInput. Importing this module registers nothing; call registerWasmTrainingKernels().
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig } from './conv2d_backprop';
import { depthwiseConv2dNativeBackpropFilterConfig, depthwiseConv2dNativeBackpropInputConfig } from './depthwise_backprop';
import { unsortedSegmentSumConfig } from './segment';
import {
  cpuResizeBilinearGradConfig, cpuResizeNearestNeighborGradConfig, maxPoolGradConfig, resizeBilinearGradConfig,
  resizeNearestNeighborGradConfig,
} from './resize_pool_grads';
import { sliceConfig, tileConfig } from './copy_ops';
import { rememberStock } from './wasm_ops';

/** Every kernel config in the pack (backendName 'wasm'). */
export const wasmTrainingKernels: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  maxPoolGradConfig,
  resizeNearestNeighborGradConfig,
  resizeBilinearGradConfig,
  sliceConfig,
  tileConfig,
];

let registered = false;

/**
 * Registers the pack on the 'wasm' backend (idempotent). Stock wasm kernels of the same name are
 * replaced (their original config is kept and used internally where needed).
 * Returns the names of the kernels registered.
 */
export function registerWasmTrainingKernels(): string[] {
  const names = wasmTrainingKernels.map((k) => k.kernelName);
  if (registered) return names;
  for (const k of wasmTrainingKernels) {
    rememberStock(k.kernelName);
    if (tf.getKernel(k.kernelName, 'wasm') !== undefined) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
  }
  registered = true;
  return names;
}

/** Whether registerWasmTrainingKernels() has run in this process. */
export function wasmTrainingKernelsRegistered(): boolean {
  return registered;
}

/** Corrected kernels for the cpu backend (its resize gradients are wrong in tfjs 4.22). */
export const cpuGradientFixes: readonly KernelConfig[] = [cpuResizeNearestNeighborGradConfig, cpuResizeBilinearGradConfig];

let cpuFixed = false;

/**
 * Replaces the cpu backend's ResizeNearestNeighborGrad and ResizeBilinearGrad with exact adjoints
 * of the forward ops (idempotent; selectBackend calls it when it picks cpu). Returns the names.
 */
export function registerCpuGradientFixes(): string[] {
  const names = cpuGradientFixes.map((k) => k.kernelName);
  if (cpuFixed) return names;
  for (const k of cpuGradientFixes) {
    if (tf.getKernel(k.kernelName, 'cpu') !== undefined) tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel(k);
  }
  cpuFixed = true;
  return names;
}
