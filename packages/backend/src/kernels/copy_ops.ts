// Faster Slice and Tile for the wasm backend. Both are pure data movement, so they are written as
// copies of contiguous runs inside the wasm heap (TypedArray.set / copyWithin).
//  - Stock Slice first copies the *whole* input out of the heap (readSync), then for rank > 4
//    falls back to a per-element loop: 130–180 ms for one rank-6 slice in ResNet's shortcut and a
//    full input copy for every concat gradient.
//  - Stock Tile is a per-element C++ loop: 20–50 ms to broadcast a [1,1,1,C] batch-norm vector
//    to a feature map, once per batch-norm layer in the gradient.
// String tensors are passed to the stock kernels.
import * as tf from '@tensorflow/tfjs-core';
import { slice_util, util } from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { WasmBackendLike, wasmKernel } from './wasm_ops';

function stock(name: string, args: unknown): TensorInfo {
  return wasmKernel(name).kernelFunc(args as never) as TensorInfo;
}

function slice(args: { inputs: { x: TensorInfo }; backend: WasmBackendLike; attrs: { begin: number | number[]; size?: number | number[] } }): TensorInfo {
  const { inputs: { x }, backend: b, attrs } = args;
  if (x.dtype === 'string') return stock('Slice', args);
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
  slice_util.assertParamsValid(x as never, begin, size);
  const out = b.makeOutput(size, x.dtype);
  const n = util.sizeFromShape(size);
  if (n === 0) return out;
  if (x.shape.length === 0) {
    b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x));
    return out;
  }
  // Views after makeOutput: an allocation may grow, and so detach, the heap.
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length;
  const strides = util.computeStrides(shape);
  const stride = (d: number) => (d === rank - 1 ? 1 : strides[d]);
  // Trailing dims taken whole merge into one run with the first partially taken dim before them.
  let k = rank - 1;
  while (k > 0 && begin[k] === 0 && size[k] === shape[k]) k--;
  const run = size[k] * stride(k);
  const base = begin[k] * stride(k);
  if (k === 0) {
    dst.set(src.subarray(base, base + run));
    return out;
  }
  // Odometer over dims 0..k-1.
  const idx = new Array<number>(k).fill(0);
  let off = base;
  for (let d = 0; d < k; d++) off += begin[d] * stride(d);
  let o = 0;
  for (;;) {
    dst.set(src.subarray(off, off + run), o);
    o += run;
    let d = k - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      off += stride(d);
      if (idx[d] < size[d]) break;
      off -= size[d] * stride(d);
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

function tile(args: { inputs: { x: TensorInfo }; backend: WasmBackendLike; attrs: { reps: number[] } }): TensorInfo {
  const { inputs: { x }, backend: b, attrs: { reps } } = args;
  if (x.dtype === 'string') return stock('Tile', args);
  const shape = x.shape;
  const rank = shape.length;
  if (reps.length !== rank) throw new Error(`Tile: reps must have one entry per dimension of x (rank ${rank}), got [${reps}]`);
  const outShape = shape.map((s, i) => s * reps[i]);
  const out = b.makeOutput(outShape, x.dtype);
  if (util.sizeFromShape(outShape) === 0) return out;
  if (rank === 0) {
    b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x));
    return out;
  }
  const src = b.typedArrayFromHeap(x);
  const dst = b.typedArrayFromHeap(out);
  const inStride = new Array<number>(rank);
  const outStride = new Array<number>(rank);
  inStride[rank - 1] = 1;
  outStride[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * shape[d + 1];
    outStride[d] = outStride[d + 1] * outShape[d + 1];
  }
  /** Replicates dst[at, at+len) to fill dst[at, at+len·times) by doubling copies. */
  const replicate = (at: number, len: number, times: number) => {
    const total = len * times;
    let have = len;
    while (have < total) {
      const m = Math.min(have, total - have);
      dst.copyWithin(at + have, at, at + m);
      have += m;
    }
  };
  // Output block for dims d.. of input block at srcOff: tile the inner dims for each index of dim
  // d, then replicate the resulting block reps[d] times.
  const fill = (d: number, srcOff: number, dstOff: number) => {
    if (d === rank - 1) {
      dst.set(src.subarray(srcOff, srcOff + shape[d]), dstOff);
    } else {
      for (let i = 0; i < shape[d]; i++) fill(d + 1, srcOff + i * inStride[d], dstOff + i * outStride[d]);
    }
    replicate(dstOff, shape[d] * outStride[d], reps[d]);
  };
  fill(0, 0, 0);
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: tf.Slice,
  backendName: 'wasm',
  kernelFunc: slice as unknown as KernelFunc,
};

export const tileConfig: KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'wasm',
  kernelFunc: tile as unknown as KernelFunc,
};
