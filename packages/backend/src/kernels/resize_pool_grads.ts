// Replacements for three wasm 4.22 gradient kernels that give wrong results (the two resize ones
// also for the cpu backend, whose versions are wrong too):
//  - MaxPoolGrad: wrong with 'same' padding, and sends ties to the last maximum (TF: the first);
//  - ResizeNearestNeighborGrad and ResizeBilinearGrad: ignore halfPixelCenters, and the nearest
//    one disagrees with its own forward op on multi-channel inputs.
// Each is written as the exact adjoint of the forward op as tfjs defines it (same index maths as
// the forward kernels), as a JS loop reading and writing the wasm heap: these are scatter-adds
// whose cost is linear in the output, with no wasm kernel to compose them from.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './wasm_ops';

interface ResizeAttrs {
  alignCorners: boolean;
  halfPixelCenters?: boolean;
}

function ratios(inH: number, inW: number, outH: number, outW: number, alignCorners: boolean): [number, number] {
  const eiH = alignCorners && outH > 1 ? inH - 1 : inH;
  const eiW = alignCorners && outW > 1 ? inW - 1 : inW;
  const eoH = alignCorners && outH > 1 ? outH - 1 : outH;
  const eoW = alignCorners && outW > 1 ? outW - 1 : outW;
  return [eiH / eoH, eiW / eoW];
}

function nearestIndex(r: number, ratio: number, inSize: number, alignCorners: boolean, half: boolean): number {
  const frac = half ? ratio * (r + 0.5) : ratio * r;
  let i = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  if (half) i = Math.max(0, i);
  return i;
}

/** dx (zeroed by the caller) += the adjoint of nearest-neighbour resize applied to g. */
function nearestGradInto(dx: tf.TypedArray, g: tf.TypedArray, images: number[], dyShape: number[], attrs: ResizeAttrs): void {
  const [B, inH, inW, C] = images;
  const [, outH, outW] = dyShape;
  const half = attrs.halfPixelCenters === true;
  const [rr, rc] = ratios(inH, inW, outH, outW, attrs.alignCorners);
  const rows = Int32Array.from({ length: outH }, (_, r) => nearestIndex(r, rr, inH, attrs.alignCorners, half));
  const cols = Int32Array.from({ length: outW }, (_, c) => nearestIndex(c, rc, inW, attrs.alignCorners, half));
  let src = 0;
  for (let n = 0; n < B; n++) {
    for (let r = 0; r < outH; r++) {
      const rowBase = (n * inH + rows[r]) * inW;
      for (let c = 0; c < outW; c++) {
        const dst = (rowBase + cols[c]) * C;
        for (let d = 0; d < C; d++) dx[dst + d] += g[src++];
      }
    }
  }
}

type ResizeGradArgs = { inputs: { images: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike; attrs: ResizeAttrs };

function onWasm(into: typeof nearestGradInto) {
  return (args: ResizeGradArgs): TensorInfo => {
    const { inputs: { images, dy }, backend: b, attrs } = args;
    const out = b.makeOutput(images.shape, 'float32');
    const dx = b.typedArrayFromHeap(out);
    dx.fill(0);
    into(dx, b.typedArrayFromHeap(dy), images.shape, dy.shape, attrs);
    return out;
  };
}

/** The cpu backend's view of its data (MathBackendCPU). */
interface CpuBackendLike {
  data: { get(dataId: object): { values: tf.TypedArray } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): TensorInfo;
}

function onCpu(into: typeof nearestGradInto) {
  return (args: { inputs: { images: TensorInfo; dy: TensorInfo }; backend: CpuBackendLike; attrs: ResizeAttrs }): TensorInfo => {
    const { inputs: { images, dy }, backend: b, attrs } = args;
    const dx = new Float32Array(images.shape.reduce((p, q) => p * q, 1));
    into(dx, b.data.get(dy.dataId).values, images.shape, dy.shape, attrs);
    return b.makeTensorInfo(images.shape, 'float32', dx);
  };
}

/** dx (zeroed by the caller) += the adjoint of bilinear resize applied to g. */
function bilinearGradInto(dx: tf.TypedArray, g: tf.TypedArray, images: number[], dyShape: number[], attrs: ResizeAttrs): void {
  const [B, inH, inW, C] = images;
  const [, outH, outW] = dyShape;
  const half = attrs.halfPixelCenters === true;
  const [rr, rc] = ratios(inH, inW, outH, outW, attrs.alignCorners);
  // Per output row/col: the two source indices and the interpolation weight of the second.
  const axis = (n: number, ratio: number, inSize: number) => {
    const lo = new Int32Array(n);
    const hi = new Int32Array(n);
    const w = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const frac = half ? ratio * (r + 0.5) - 0.5 : ratio * r;
      lo[r] = Math.max(0, Math.floor(frac));
      hi[r] = Math.min(inSize - 1, Math.ceil(frac));
      w[r] = frac - lo[r];
    }
    return { lo, hi, w };
  };
  const R = axis(outH, rr, inH);
  const K = axis(outW, rc, inW);
  let src = 0;
  for (let n = 0; n < B; n++) {
    for (let r = 0; r < outH; r++) {
      const top = (n * inH + R.lo[r]) * inW;
      const bot = (n * inH + R.hi[r]) * inW;
      const wr = R.w[r];
      for (let c = 0; c < outW; c++) {
        const wc = K.w[c];
        // out = (1−wr)((1−wc)·TL + wc·TR) + wr((1−wc)·BL + wc·BR)
        const wTL = (1 - wr) * (1 - wc);
        const wTR = (1 - wr) * wc;
        const wBL = wr * (1 - wc);
        const wBR = wr * wc;
        const tl = (top + K.lo[c]) * C;
        const tr = (top + K.hi[c]) * C;
        const bl = (bot + K.lo[c]) * C;
        const br = (bot + K.hi[c]) * C;
        for (let d = 0; d < C; d++) {
          const v = g[src++];
          dx[tl + d] += wTL * v;
          dx[tr + d] += wTR * v;
          dx[bl + d] += wBL * v;
          dx[br + d] += wBR * v;
        }
      }
    }
  }
}

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad(args: { inputs: { dy: TensorInfo; input: TensorInfo }; backend: WasmBackendLike; attrs: PoolAttrs }): TensorInfo {
  const { inputs: { dy, input }, backend: b, attrs } = args;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = b.makeOutput(input.shape, 'float32');
  const dx = b.typedArrayFromHeap(out);
  dx.fill(0);
  const x = b.typedArrayFromHeap(input);
  const g = b.typedArrayFromHeap(dy);
  let src = 0;
  for (let n = 0; n < B; n++) {
    for (let p = 0; p < oH; p++) {
      const h0 = p * sh - top;
      for (let q = 0; q < oW; q++) {
        const w0 = q * sw - left;
        for (let d = 0; d < C; d++) {
          // The first maximum in row-major window order receives the gradient (as TF / cpu).
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < fh; i += dh) {
            const h = h0 + i;
            if (h < 0 || h >= H) continue;
            for (let j = 0; j < fw; j += dw) {
              const w = w0 + j;
              if (w < 0 || w >= W) continue;
              const idx = ((n * H + h) * W + w) * C + d;
              if (x[idx] > best || at < 0) {
                if (at < 0 || x[idx] > best) {
                  best = x[idx];
                  at = idx;
                }
              }
            }
          }
          const v = g[src++];
          if (at >= 0) dx[at] += v;
        }
      }
    }
  }
  return out;
}

export const resizeNearestNeighborGradConfig: KernelConfig = {
  kernelName: tf.ResizeNearestNeighborGrad,
  backendName: 'wasm',
  kernelFunc: onWasm(nearestGradInto) as unknown as KernelFunc,
};

export const resizeBilinearGradConfig: KernelConfig = {
  kernelName: tf.ResizeBilinearGrad,
  backendName: 'wasm',
  kernelFunc: onWasm(bilinearGradInto) as unknown as KernelFunc,
};

/**
 * The same two adjoints for the cpu backend, whose own ResizeNearestNeighborGrad (multi-channel
 * upsampling) and ResizeBilinearGrad (halfPixelCenters; non-square shapes throw) are wrong in 4.22.
 */
export const cpuResizeNearestNeighborGradConfig: KernelConfig = {
  kernelName: tf.ResizeNearestNeighborGrad,
  backendName: 'cpu',
  kernelFunc: onCpu(nearestGradInto) as unknown as KernelFunc,
};

export const cpuResizeBilinearGradConfig: KernelConfig = {
  kernelName: tf.ResizeBilinearGrad,
  backendName: 'cpu',
  kernelFunc: onCpu(bilinearGradInto) as unknown as KernelFunc,
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
