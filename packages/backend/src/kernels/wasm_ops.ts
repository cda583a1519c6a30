// Thin helpers that run the wasm backend's own (XNNPACK / C++) kernels on TensorInfos, so the
// training kernels in this folder are compositions of fast wasm kernels rather than JS loops.
// Every helper returns a fresh TensorInfo owned by the caller; release it with `free`.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo, NamedTensorInfoMap, NamedAttrMap } from '@tensorflow/tfjs-core';

/** The part of the wasm backend these kernels rely on (a structural view of BackendWasm). */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): tf.TypedArray;
  incRef(dataId: object): void;
}

export type Pair = [number, number];

/** Runs the kernel `name` that the wasm backend itself registered. */
export function run(
  backend: WasmBackendLike,
  name: string,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const k = wasmKernel(name);
  const out = k.kernelFunc({ inputs, backend: backend as unknown as tf.KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs; expected one`);
  return out as TensorInfo;
}

const originals = new Map<string, tf.KernelConfig>();

/**
 * The wasm backend's own kernel config for `name`. Captured once, before this pack replaces any
 * kernel, so a pack kernel can call the stock kernel of the same name (e.g. the stock Conv2D).
 */
export function wasmKernel(name: string): tf.KernelConfig {
  let k = originals.get(name);
  if (k === undefined) {
    k = tf.getKernel(name, 'wasm');
    if (k === undefined) throw new Error(`the wasm backend has no ${name} kernel (is @tensorflow/tfjs-backend-wasm 4.22 loaded?)`);
    originals.set(name, k);
  }
  return k;
}

/** Records the stock kernel for `name` before it is overridden. */
export function rememberStock(name: string): void {
  if (!originals.has(name)) {
    const k = tf.getKernel(name, 'wasm');
    if (k !== undefined) originals.set(name, k);
  }
}

export function free(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export function transpose(b: WasmBackendLike, x: TensorInfo, perm: number[]): TensorInfo {
  return run(b, 'Transpose', { x }, { perm });
}

export function reshape(b: WasmBackendLike, x: TensorInfo, shape: number[]): TensorInfo {
  return run(b, 'Reshape', { x }, { shape });
}

export function reverse(b: WasmBackendLike, x: TensorInfo, dims: number[]): TensorInfo {
  return run(b, 'Reverse', { x }, { dims });
}

export function pad(b: WasmBackendLike, x: TensorInfo, paddings: Pair[]): TensorInfo {
  return run(b, 'PadV2', { x }, { paddings, constantValue: 0 });
}

/** Slice through the kernel registered now (the pack's run-copy Slice once registered). */
export function slice(b: WasmBackendLike, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const k = tf.getKernel('Slice', 'wasm') ?? wasmKernel('Slice');
  return k.kernelFunc({ inputs: { x }, backend: b as unknown as tf.KernelBackend, attrs: { begin, size } }) as TensorInfo;
}

export function sum(b: WasmBackendLike, x: TensorInfo, axis: number[]): TensorInfo {
  return run(b, 'Sum', { x }, { axis, keepDims: false });
}

export function add(b: WasmBackendLike, a: TensorInfo, c: TensorInfo): TensorInfo {
  return run(b, 'Add', { a, b: c });
}

/** Stock wasm (XNNPACK) Conv2D, NHWC, with explicit non-negative padding. */
export function conv2d(
  b: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  strides: Pair,
  dilations: Pair,
  padH: Pair,
  padW: Pair,
): TensorInfo {
  return run(b, 'Conv2D', { x, filter }, {
    strides,
    dilations,
    pad: [[0, 0], padH, padW, [0, 0]] as unknown as number[],
    dataFormat: 'NHWC',
  });
}

/** Stock wasm (XNNPACK) DepthwiseConv2dNative, NHWC, with explicit non-negative padding. */
export function depthwise(
  b: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  strides: Pair,
  dilations: Pair,
  padH: Pair,
  padW: Pair,
): TensorInfo {
  return run(b, 'DepthwiseConv2dNative', { x, filter }, {
    strides,
    dilations,
    pad: [[0, 0], padH, padW, [0, 0]] as unknown as number[],
    dataFormat: 'NHWC',
  });
}

/** Keeps `size` leading rows/cols (axes 1, 2) starting at `begin` of an NHWC tensor; frees `x` if it slices. */
export function cropHW(b: WasmBackendLike, x: TensorInfo, top: number, left: number, h: number, w: number): TensorInfo {
  const [n, hh, ww, c] = x.shape;
  if (top === 0 && left === 0 && hh === h && ww === w) return x;
  const out = slice(b, x, [0, top, left, 0], [n, h, w, c]);
  free(b, x);
  return out;
}

export function pair(v: number | number[] | undefined, what: string): Pair {
  if (v === undefined || v === null) return [1, 1];
  if (typeof v === 'number') return [v, v];
  if (v.length === 2) return [v[0], v[1]];
  if (v.length === 1) return [v[0], v[0]];
  throw new Error(`${what} must be a number or a pair [h, w], got ${JSON.stringify(v)}`);
}
