// Conv2D gradients on the wasm backend, built from the backend's own XNNPACK convolution.
//
// Filter gradient: dW[i,j,c,o] = Σ_{b,p,q} xpad[b, p·s + i, q·s + j, c] · dy[b,p,q,o]. Read with
// c as the batch, b as the channel, and dy as a filter of size outH×outW, this is one ordinary
// convolution of xᵀ = x[c,h,w,b] with dyᵀ = dy[p,q,b,o], stride 1 and dilation s (the forward
// stride). Its output is [c, fH, fW, o]; transposing gives the filter layout.
//
// Input gradient: dx = the stride-1 correlation of dy with the spatially flipped filter whose
// in/out channels are swapped, padded by fH−1−padTop. For a forward stride s > 1 all s×s output
// phases come from one stride-1 convolution with a phase-stacked filter (conv2dInputGradStrided),
// instead of correlating a zero-interleaved dy. The small filters and the phase interleave are
// built by loops over the wasm heap (wasm's Reverse and rank-6 Transpose were the bottleneck).
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { TensorInfo, KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import {
  WasmBackendLike, Pair, conv2d, cropHW, free, pad, reshape, transpose,
} from './wasm_ops';

type Conv2DPad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Conv2DPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
  dilations?: number | [number, number];
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: Conv2DPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  inputShape: [number, number, number, number];
  dilations?: number | [number, number];
}

function toNHWC(b: WasmBackendLike, t: TensorInfo, nchw: boolean): TensorInfo {
  return nchw ? transpose(b, t, [0, 2, 3, 1]) : t;
}

/**
 * dW for a forward conv2d(x, W) with the given geometry; x and dy are NHWC.
 * `dil` is the forward dilation (tfjs only differentiates dilation 1, but the maths is general).
 */
export function conv2dFilterGradNHWC(
  b: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  fH: number,
  fW: number,
  stride: Pair,
  dil: Pair,
  padTop: number,
  padLeft: number,
): TensorInfo {
  const [, H, W] = x.shape;
  const [, oH, oW] = dy.shape;
  const xT = transpose(b, x, [3, 1, 2, 0]); // [C, H, W, B]
  const dyT = transpose(b, dy, [1, 2, 0, 3]); // [oH, oW, B, O]
  // Rows of (top-padded) x needed: (fH-1)·dil + (oH-1)·stride + 1. Pad the bottom up to that; if x
  // has more rows (they never met the filter), the conv yields extra output rows, cropped below.
  const needH = (fH - 1) * dil[0] + (oH - 1) * stride[0] + 1;
  const needW = (fW - 1) * dil[1] + (oW - 1) * stride[1] + 1;
  const padBottom = Math.max(0, needH - H - padTop);
  const padRight = Math.max(0, needW - W - padLeft);
  const g = conv2d(b, xT, dyT, dil, stride, [padTop, padBottom], [padLeft, padRight]); // [C, fH', fW', O]
  free(b, xT, dyT);
  const gc = cropHW(b, g, 0, 0, fH, fW);
  const out = transpose(b, gc, [1, 2, 0, 3]); // [fH, fW, C, O]
  free(b, gc);
  return out;
}

/**
 * The shared core of both input gradients: correlate `dy` (NHWC, zero-interleaved here by the
 * forward stride) with an already flipped filter `wf` at stride 1 and the forward dilation, using
 * `conv` (Conv2D or DepthwiseConv2dNative), padded/cropped so the result is exactly H×W.
 */
export function inputGradCore(
  b: WasmBackendLike,
  dy: TensorInfo,
  wf: TensorInfo,
  H: number,
  W: number,
  stride: Pair,
  dil: Pair,
  padTop: number,
  padLeft: number,
  conv: typeof conv2d,
): TensorInfo {
  const [fH, fW] = wf.shape;
  const [B, oH, oW, O] = dy.shape;
  let dyD = dy;
  let owned = false;
  if (stride[0] > 1 || stride[1] > 1) {
    // Zero-interleave: a reshape, a pad of the inner unit axes, a reshape (all wasm kernels).
    const r6 = reshape(b, dy, [B, oH, 1, oW, 1, O]);
    const p6 = pad(b, r6, [[0, 0], [0, 0], [0, stride[0] - 1], [0, 0], [0, stride[1] - 1], [0, 0]]);
    free(b, r6);
    dyD = reshape(b, p6, [B, oH * stride[0], oW * stride[1], O]);
    free(b, p6);
    owned = true;
  }
  const L = dyD.shape[1];
  const Lw = dyD.shape[2];
  const effH = (fH - 1) * dil[0] + 1;
  const effW = (fW - 1) * dil[1] + 1;
  const pT = effH - 1 - padTop;
  const pL = effW - 1 - padLeft;
  const pB = H + effH - 1 - pT - L;
  const pR = W + effW - 1 - pL - Lw;
  const g = conv(
    b, dyD, wf, [1, 1], dil,
    [Math.max(pT, 0), Math.max(pB, 0)], [Math.max(pL, 0), Math.max(pR, 0)],
  );
  if (owned) free(b, dyD);
  return cropHW(b, g, Math.max(-pT, 0), Math.max(-pL, 0), H, W);
}

/**
 * Strided input gradient without multiplying by interleaved zeros (polyphase form). Write
 * y + padTop = s·u + a (0 ≤ a < s): dx row y only meets filter rows i = a + s·k, and then dy row
 * u − k. So all s×s output phases are one stride-1 conv of dy with a filter Wc of size
 * ⌈fH/s⌉×⌈fW/s⌉ and s_h·s_w·C output channels, Wc[k', l', o, (a, b, c)] = W[a + s(K−1−k'), b + s(L−1−l'), c, o]
 * (zero past the filter edge), followed by a reshape/transpose that interleaves the phases.
 * FLOPs: ⌈fH/s⌉⌈fW/s⌉·s² per dx element instead of fH·fW for the zero-interleaved form.
 */
function conv2dInputGradStacked(
  b: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  H: number,
  W: number,
  stride: Pair,
  padTop: number,
  padLeft: number,
): TensorInfo {
  const [fH, fW, C, O] = filter.shape;
  const [B, oH, oW] = dy.shape;
  const [sh, sw] = stride;
  const K = Math.ceil(fH / sh);
  const L = Math.ceil(fW / sw);
  const P = sh * sw * C;
  // Wc[k', l', o, (a·sw + bb)·C + c] = W[a + sh(K−1−k'), bb + sw(L−1−l'), c, o], zero past the edge.
  // Built by one loop over the (small) filter in the heap; wasm's Reverse is a slow per-element kernel.
  const wc = b.makeOutput([K, L, O, P], 'float32');
  {
    const dst = b.typedArrayFromHeap(wc);
    const src = b.typedArrayFromHeap(filter);
    dst.fill(0);
    for (let i = 0; i < fH; i++) {
      const a = i % sh;
      const kk = K - 1 - (i - a) / sh;
      for (let j = 0; j < fW; j++) {
        const bb = j % sw;
        const ll = L - 1 - (j - bb) / sw;
        const srcTap = (i * fW + j) * C * O;
        const dstTap = (kk * L + ll) * O * P + (a * sw + bb) * C;
        for (let c = 0; c < C; c++) {
          const sRow = srcTap + c * O;
          for (let o = 0; o < O; o++) dst[dstTap + o * P + c] = src[sRow + o];
        }
      }
    }
  }
  const uMax = Math.floor((H - 1 + padTop) / sh);
  const vMax = Math.floor((W - 1 + padLeft) / sw);
  const g = conv2d(b, dy, wc, [1, 1], [1, 1], [K - 1, Math.max(0, uMax + 1 - oH)], [L - 1, Math.max(0, vMax + 1 - oW)]);
  free(b, wc);
  // Interleave the phases and crop in one pass: dx[n, y, x, :] = g[n, u, v, (a·sw + bb)·C : +C]
  // with y + padTop = u·sh + a and x + padLeft = v·sw + bb (runs of C contiguous floats).
  const [, U, V] = g.shape;
  const out = b.makeOutput([B, H, W, C], 'float32');
  const dst = b.typedArrayFromHeap(out);
  const src = b.typedArrayFromHeap(g);
  let o = 0;
  for (let n = 0; n < B; n++) {
    for (let y = 0; y < H; y++) {
      const yy = y + padTop;
      const u = Math.floor(yy / sh);
      const a = yy - u * sh;
      const rowBase = (n * U + u) * V;
      for (let x = 0; x < W; x++) {
        const xx = x + padLeft;
        const v = Math.floor(xx / sw);
        const bb = xx - v * sw;
        const at = (rowBase + v) * P + (a * sw + bb) * C;
        dst.set(src.subarray(at, at + C), o);
        o += C;
      }
    }
  }
  free(b, g);
  return out;
}

/**
 * Strided input gradient, one exact convolution per output phase (a, bb): the phase's taps
 * W[a + s·k, bb + s·l] flipped and channel-swapped, a stride-1 conv of dy, and a scatter of the
 * result into rows/cols ≡ a, bb (mod s) of dx. Exactly fH·fW multiply-adds per (dy pixel, c, o);
 * used when s does not divide the filter size, where the stacked form would multiply zeros
 * (16 instead of 9 per 2×2 block for a 3×3 filter at stride 2).
 */
function conv2dInputGradPhases(
  b: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  H: number,
  W: number,
  stride: Pair,
  padTop: number,
  padLeft: number,
): TensorInfo {
  const [fH, fW, C, O] = filter.shape;
  const [B, oH, oW] = dy.shape;
  const [sh, sw] = stride;
  const out = b.makeOutput([B, H, W, C], 'float32');
  b.typedArrayFromHeap(out).fill(0);
  for (let a = 0; a < sh; a++) {
    const Ka = Math.ceil((fH - a) / sh); // filter rows i ≡ a (mod sh)
    const uMax = Math.floor((H - 1 + padTop - a) / sh); // last dy-row block that lands in dx
    if (Ka <= 0 || uMax < 0) continue;
    for (let bb = 0; bb < sw; bb++) {
      const Lb = Math.ceil((fW - bb) / sw);
      const vMax = Math.floor((W - 1 + padLeft - bb) / sw);
      if (Lb <= 0 || vMax < 0) continue;
      // Phase filter Wab[k', l', o, c] = W[a + sh(Ka−1−k'), bb + sw(Lb−1−l'), c, o]: flipped taps of
      // this phase, in/out channels swapped. Built by a loop over the (small) filter in the heap.
      const wab = b.makeOutput([Ka, Lb, O, C], 'float32');
      {
        const dst = b.typedArrayFromHeap(wab);
        const src = b.typedArrayFromHeap(filter);
        for (let k = 0; k < Ka; k++) {
          const i = a + sh * (Ka - 1 - k);
          for (let l = 0; l < Lb; l++) {
            const j = bb + sw * (Lb - 1 - l);
            const s0 = (i * fW + j) * C * O;
            const d0 = (k * Lb + l) * O * C;
            for (let c = 0; c < C; c++) {
              for (let o = 0; o < O; o++) dst[d0 + o * C + c] = src[s0 + c * O + o];
            }
          }
        }
      }
      // g[n, u, v] = Σ_{k,l} dy[n, u − k, v − l] · W[a + sh·k, bb + sw·l]  (u ∈ [0, uMax], v ∈ [0, vMax])
      const g = conv2d(b, dy, wab, [1, 1], [1, 1], [Ka - 1, Math.max(0, uMax + 1 - oH)], [Lb - 1, Math.max(0, vMax + 1 - oW)]);
      free(b, wab);
      // Scatter: dx[n, u·sh + a − padTop, v·sw + bb − padLeft, :] = g[n, u, v, :].
      const [, U, V] = g.shape;
      const dst = b.typedArrayFromHeap(out);
      const src = b.typedArrayFromHeap(g);
      const uLo = Math.max(0, Math.ceil((padTop - a) / sh));
      const vLo = Math.max(0, Math.ceil((padLeft - bb) / sw));
      for (let n = 0; n < B; n++) {
        for (let u = uLo; u <= uMax; u++) {
          const y = u * sh + a - padTop;
          const sRow = (n * U + u) * V;
          const dRow = (n * H + y) * W;
          for (let v = vLo; v <= vMax; v++) {
            const x = v * sw + bb - padLeft;
            const at = (sRow + v) * C;
            dst.set(src.subarray(at, at + C), (dRow + x) * C);
          }
        }
      }
      free(b, g);
    }
  }
  return out;
}

/** The spatially flipped filter with in/out channels swapped: [fH, fW, O, C] (one loop in the heap). */
function flipSwap(b: WasmBackendLike, filter: TensorInfo): TensorInfo {
  const [fH, fW, C, O] = filter.shape;
  const out = b.makeOutput([fH, fW, O, C], 'float32');
  const dst = b.typedArrayFromHeap(out);
  const src = b.typedArrayFromHeap(filter);
  for (let i = 0; i < fH; i++) {
    for (let j = 0; j < fW; j++) {
      const s0 = ((fH - 1 - i) * fW + (fW - 1 - j)) * C * O;
      const d0 = (i * fW + j) * O * C;
      for (let c = 0; c < C; c++) {
        for (let o = 0; o < O; o++) dst[d0 + o * C + c] = src[s0 + c * O + o];
      }
    }
  }
  return out;
}

/** dx for a forward conv2d(x, W) with the given geometry; dy is NHWC, filter is [fH, fW, C, O]. */
export function conv2dInputGradNHWC(
  b: WasmBackendLike,
  dy: TensorInfo,
  filter: TensorInfo,
  H: number,
  W: number,
  stride: Pair,
  dil: Pair,
  padTop: number,
  padLeft: number,
): TensorInfo {
  if ((stride[0] > 1 || stride[1] > 1) && dil[0] === 1 && dil[1] === 1) {
    const [fH, fW] = filter.shape;
    const exact = fH % stride[0] === 0 && fW % stride[1] === 0;
    return exact
      ? conv2dInputGradStacked(b, dy, filter, H, W, stride, padTop, padLeft)
      : conv2dInputGradPhases(b, dy, filter, H, W, stride, padTop, padLeft);
  }
  const wf = flipSwap(b, filter);
  const dx = inputGradCore(b, dy, wf, H, W, stride, dil, padTop, padLeft, conv2d);
  free(b, wf);
  return dx;
}

function conv2DBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: WasmBackendLike; attrs: BackpropFilterAttrs }): TensorInfo {
  const { inputs, backend: b, attrs } = args;
  const { strides, pad: padAttr, dimRoundingMode, filterShape } = attrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  const nchw = dataFormat === 'NCHW';
  const dilations = attrs.dilations ?? 1;
  const info = backend_util.computeConv2DInfo(
    inputs.x.shape as [number, number, number, number], filterShape, strides, dilations,
    padAttr, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat),
  );
  const x = toNHWC(b, inputs.x, nchw);
  const dy = toNHWC(b, inputs.dy, nchw);
  const out = conv2dFilterGradNHWC(
    b, x, dy, info.filterHeight, info.filterWidth, [info.strideHeight, info.strideWidth],
    [info.dilationHeight, info.dilationWidth], info.padInfo.top, info.padInfo.left,
  );
  if (nchw) free(b, x, dy);
  return out;
}

function conv2DBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: WasmBackendLike; attrs: BackpropInputAttrs }): TensorInfo {
  const { inputs, backend: b, attrs } = args;
  const { strides, pad: padAttr, dimRoundingMode, inputShape } = attrs;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  const nchw = dataFormat === 'NCHW';
  const dilations = attrs.dilations ?? 1;
  const info = backend_util.computeConv2DInfo(
    inputShape, inputs.filter.shape as [number, number, number, number], strides, dilations,
    padAttr, dimRoundingMode, false, backend_util.convertConv2DDataFormat(dataFormat),
  );
  const dy = toNHWC(b, inputs.dy, nchw);
  const dx = conv2dInputGradNHWC(
    b, dy, inputs.filter, info.inHeight, info.inWidth, [info.strideHeight, info.strideWidth],
    [info.dilationHeight, info.dilationWidth], info.padInfo.top, info.padInfo.left,
  );
  if (!nchw) return dx;
  free(b, dy);
  const out = transpose(b, dx, [0, 3, 1, 2]);
  free(b, dx);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
