// UnsortedSegmentSum for the wasm backend. A scatter-add has no wasm kernel to build on (a
// one-hot matmul would cost O(N·numSegments·D)), so this is a plain JS loop that reads and writes
// the wasm heap directly: out[ids[i], :] += x[i, :]; ids outside [0, numSegments) are dropped, as in
// TensorFlow.
import * as tf from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm_ops';

function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: WasmBackendLike; attrs: { numSegments: number } }): TensorInfo {
  const { inputs: { x, segmentIds }, backend: b, attrs: { numSegments } } = args;
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum: numSegments must be an integer >= 0, got ${numSegments}`);
  }
  const idRank = segmentIds.shape.length;
  for (let i = 0; i < idRank; i++) {
    if (segmentIds.shape[i] !== x.shape[i]) {
      throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
    }
  }
  const inner = x.shape.slice(idRank);
  const D = util.sizeFromShape(inner);
  const N = util.sizeFromShape(segmentIds.shape);
  const out = b.makeOutput([numSegments, ...inner], x.dtype);
  const o = b.typedArrayFromHeap(out);
  o.fill(0);
  // Views are taken after makeOutput: allocation can grow (and so detach) the heap.
  const xv = b.typedArrayFromHeap(x);
  const ids = b.typedArrayFromHeap(segmentIds);
  for (let i = 0; i < N; i++) {
    const sgm = ids[i];
    if (sgm < 0 || sgm >= numSegments) continue;
    const src = i * D;
    const dst = sgm * D;
    for (let j = 0; j < D; j++) o[dst + j] += xv[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
