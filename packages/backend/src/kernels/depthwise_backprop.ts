// DepthwiseConv2dNative gradients on the wasm backend, built from its XNNPACK depthwise conv.
//
// Filter gradient: dW[i,j,c,m] = Σ_{b,p,q} xpad[b, p·s + i·d, q·s + j·d, c] · dy[b,p,q,c·M+m].
// Folding the batch into the channels, x' = x[h,w,(b,c)] (one image) and dy' = dy[p,q,(b,c),m] (a
// depthwise filter of size outH×outW, multiplier M), this is one depthwise convolution of x' by
// dy' with stride d and dilation s; summing its output over b gives dW. No multiply-add is wasted,
// but XNNPACK runs such huge depthwise kernels 10–50× slower than the forward pass. (A per-tap
// slice × dy → Sum with wasm kernels measured slower still: wasm's broadcasting Multiply,
// StridedSlice and non-inner Sum are slow paths.)
//
// Input gradient: for each multiplier index m, a stride-1 depthwise correlation of the
// zero-interleaved dy[..., c·M+m] with the spatially flipped W[:,:,:,m]; summed over m.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { WasmBackendLike, add, cropHW, depthwise, free, reshape, reverse, slice, sum, transpose } from './wasm_ops';
import { inputGradCore } from './conv2d_backprop';

type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface DwFilterAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}
interface DwInputAttrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: Pad;
  dimRoundingMode?: Rounding;
  inputShape: [number, number, number, number];
}

function depthwiseBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike; attrs: DwFilterAttrs }): TensorInfo {
  const { inputs: { x, dy }, backend: b, attrs } = args;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], attrs.filterShape, attrs.strides, attrs.dilations ?? 1,
    attrs.pad, attrs.dimRoundingMode, true,
  );
  const [B, H, W, C] = x.shape;
  const [, oH, oW] = dy.shape;
  const fH = info.filterHeight;
  const fW = info.filterWidth;
  const M = info.outChannels / info.inChannels;
  const s: [number, number] = [info.strideHeight, info.strideWidth];
  const d: [number, number] = [info.dilationHeight, info.dilationWidth];
  const { top, left } = info.padInfo;

  const xt = transpose(b, x, [1, 2, 0, 3]); // [H, W, B, C]
  const x1 = reshape(b, xt, [1, H, W, B * C]);
  free(b, xt);
  const dyt = transpose(b, dy, [1, 2, 0, 3]); // [oH, oW, B, C·M]
  const f1 = reshape(b, dyt, [oH, oW, B * C, M]);
  free(b, dyt);
  const needH = (fH - 1) * d[0] + (oH - 1) * s[0] + 1;
  const needW = (fW - 1) * d[1] + (oW - 1) * s[1] + 1;
  const g = depthwise(b, x1, f1, d, s, [top, Math.max(0, needH - H - top)], [left, Math.max(0, needW - W - left)]);
  free(b, x1, f1);
  const gc = cropHW(b, g, 0, 0, fH, fW); // [1, fH, fW, B·C·M]
  const g4 = reshape(b, gc, [fH, fW, B, C * M]);
  free(b, gc);
  const summed = sum(b, g4, [2]); // [fH, fW, C·M]
  free(b, g4);
  const out = reshape(b, summed, [fH, fW, C, M]);
  free(b, summed);
  return out;
}

function depthwiseBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: DwInputAttrs }): TensorInfo {
  const { inputs: { dy, filter }, backend: b, attrs } = args;
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, filter.shape as [number, number, number, number], attrs.strides, attrs.dilations ?? 1,
    attrs.pad, attrs.dimRoundingMode, true,
  );
  const [fH, fW, C, M] = filter.shape;
  const [B, oH, oW] = dy.shape;
  const s: [number, number] = [info.strideHeight, info.strideWidth];
  const d: [number, number] = [info.dilationHeight, info.dilationWidth];
  const { top, left } = info.padInfo;
  const flipped = reverse(b, filter, [0, 1]);
  if (M === 1) {
    const dx = inputGradCore(b, dy, flipped, info.inHeight, info.inWidth, s, d, top, left, depthwise);
    free(b, flipped);
    return dx;
  }
  // Multiplier index outermost, so each m is one contiguous block of dy and of the filter.
  const dy5 = reshape(b, dy, [B, oH, oW, C, M]);
  const dyT = transpose(b, dy5, [4, 0, 1, 2, 3]); // [M, B, oH, oW, C]
  free(b, dy5);
  const fT = transpose(b, flipped, [3, 0, 1, 2]); // [M, fH, fW, C]
  free(b, flipped);
  let acc: TensorInfo | null = null;
  for (let m = 0; m < M; m++) {
    const ds = slice(b, dyT, [m, 0, 0, 0, 0], [1, B, oH, oW, C]);
    const dym = reshape(b, ds, [B, oH, oW, C]);
    free(b, ds);
    const ws = slice(b, fT, [m, 0, 0, 0], [1, fH, fW, C]);
    const wf = reshape(b, ws, [fH, fW, C, 1]);
    free(b, ws);
    const dx = inputGradCore(b, dym, wf, info.inHeight, info.inWidth, s, d, top, left, depthwise);
    free(b, dym, wf);
    if (acc === null) acc = dx;
    else {
      const next = add(b, acc, dx);
      free(b, acc, dx);
      acc = next;
    }
  }
  free(b, dyT, fT);
  return acc as TensorInfo;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as KernelFunc,
};

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as KernelFunc,
};
