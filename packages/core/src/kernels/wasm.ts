// Fused channel filter for @tensorflow/tfjs-backend-wasm: reads and writes Float32Array views of
// the wasm heap (no copies); the output is allocated on the heap by the backend. Fibres along the
// last axis run in the hand-written SIMD module (wasm_simd.ts), everything else in the JS loops.
import type * as tf from '@tensorflow/tfjs-core';
import { filterFibres, type FibreFilterParams } from '../fibre';
import { CHANNEL_FILTER_KERNEL } from './name';
import { runSimdFilter, simdApplies, simdFiltersFor, type WasmMemory } from './wasm_simd';

/** The part of BackendWasm (4.22) the kernel uses. */
interface WasmLikeBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  /** The Emscripten module; `asm.memory` is its WebAssembly.Memory in 4.22. */
  wasm?: { asm?: { memory?: WasmMemory }; wasmMemory?: WasmMemory };
}

export function isWasmLikeBackend(b: unknown): boolean {
  const w = b as Partial<WasmLikeBackend> | null;
  return w != null && typeof w.makeOutput === 'function' && typeof w.typedArrayFromHeap === 'function';
}

function wasmChannelFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const wasm = backend as WasmLikeBackend;
  const out = wasm.makeOutput(x.shape.slice(), 'float32');
  if (out.shape.reduce((a, b) => a * b, 1) === 0) return out;
  const params = attrs as unknown as FibreFilterParams;
  // Views are taken after the allocation: growing the heap detaches earlier views.
  const src = wasm.typedArrayFromHeap(x);
  const dst = wasm.typedArrayFromHeap(out);
  if (simdApplies(params)) {
    const simd = simdFiltersFor(wasm.wasm?.asm?.memory ?? wasm.wasm?.wasmMemory);
    if (simd) {
      const done = runSimdFilter(simd, src.byteOffset, dst.byteOffset, params);
      if (done < params.outer) {
        const block = params.n * params.inner;
        filterFibres(src.subarray(done * block), dst.subarray(done * block), { ...params, outer: params.outer - done });
      }
      return out;
    }
  }
  filterFibres(src, dst, params);
  return out;
}

export function wasmChannelFilterConfig(): tf.KernelConfig {
  return { kernelName: CHANNEL_FILTER_KERNEL, backendName: 'wasm', kernelFunc: wasmChannelFilter as tf.KernelFunc };
}

/** True when `backend` is a tfjs wasm backend whose heap the SIMD filters are bound to. */
export function wasmSimdFiltersActive(backend: unknown): boolean {
  if (!isWasmLikeBackend(backend)) return false;
  const w = (backend as WasmLikeBackend).wasm;
  return simdFiltersFor(w?.asm?.memory ?? w?.wasmMemory) != null;
}
