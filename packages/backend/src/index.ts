// @cdg/backend: pick the fastest TensorFlow.js backend present, and a wasm training-kernel pack.
export {
  selectBackend,
  selectBackendReport,
  BackendUnavailableError,
  BACKEND_ENV_VAR,
  BACKEND_PREFERENCES,
} from './select';
export type { BackendPreference, BackendSelection, SelectBackendOptions } from './select';
export {
  registerWasmTrainingKernels, wasmTrainingKernelsRegistered, wasmTrainingKernels, registerCpuGradientFixes, cpuGradientFixes,
} from './kernels/index';
