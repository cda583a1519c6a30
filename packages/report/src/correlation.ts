// Re-scaling-invariant correlation of neighbouring filters along a kernel's output and input axes
// (the paper's Figure 1 and Appendix C, F).
//
// Definition used here (the paper gives none in closed form): for an axis of length n, slice j is the
// vector of all kernel entries whose index on that axis is j (for a Conv2D kernel [kh, kw, in, out]
// along the output axis: the whole filter W[:, :, :, j]). The correlation of slices j and k is the
// Pearson correlation of those vectors, which is invariant to re-scaling (and shifting) each slice —
// so a batch-norm scale per channel cannot create it. For each distance d = |j − k| we report the
// mean, standard deviation and count over all pairs at that distance.

export type KernelLayout = 'conv' | 'conv-transpose' | 'dense';

export interface KernelCorrelationOptions {
  /** How the tfjs kernel is laid out (method.md's table): conv `[..spatial, in, out]` (default), conv-transpose `[kh, kw, out, in]`, dense `[in, out]`. */
  layout?: KernelLayout;
  /** Explicit axes (override `layout`). */
  outputAxis?: number;
  inputAxis?: number;
  /** Largest distance reported (default: all, n − 1). */
  maxDistance?: number;
  /** Keep every pair's value (for histograms, paper Fig. 13). */
  keepPairs?: boolean;
}

export interface DistanceStats {
  distance: number;
  mean: number;
  std: number;
  count: number;
  pairs?: number[];
}

export interface AxisCorrelation {
  axis: number;
  length: number;
  /** Slices with zero variance (constant filters) are left out of every pair. */
  constantSlices: number;
  byDistance: DistanceStats[];
}

export interface KernelCorrelation {
  shape: number[];
  output: AxisCorrelation;
  input: AxisCorrelation;
}

function axesFor(rank: number, opts: KernelCorrelationOptions): { outputAxis: number; inputAxis: number } {
  const layout = opts.layout ?? 'conv';
  let outputAxis: number;
  let inputAxis: number;
  if (layout === 'conv' || layout === 'dense') {
    outputAxis = rank - 1;
    inputAxis = rank - 2;
  } else if (layout === 'conv-transpose') {
    outputAxis = rank - 2;
    inputAxis = rank - 1;
  } else {
    throw new Error(`layout must be conv, conv-transpose or dense, got ${String(layout)}`);
  }
  return { outputAxis: opts.outputAxis ?? outputAxis, inputAxis: opts.inputAxis ?? inputAxis };
}

/** Slices along `axis`, each centred and scaled to unit norm (null for a constant slice). */
function normalizedSlices(data: Float32Array | Float64Array, shape: readonly number[], axis: number): (Float64Array | null)[] {
  const n = shape[axis];
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const slices: (Float64Array | null)[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(outer * inner);
    let p = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * n + j) * inner;
      for (let i = 0; i < inner; i++) v[p++] = data[base + i];
    }
    let m = 0;
    for (let q = 0; q < v.length; q++) m += v[q];
    m /= v.length;
    let norm = 0;
    for (let q = 0; q < v.length; q++) {
      v[q] -= m;
      norm += v[q] * v[q];
    }
    norm = Math.sqrt(norm);
    // Relative threshold: a slice whose spread is rounding noise counts as constant.
    if (!(norm > 1e-12 * Math.sqrt(v.length))) {
      slices.push(null);
      continue;
    }
    for (let q = 0; q < v.length; q++) v[q] /= norm;
    slices.push(v);
  }
  return slices;
}

function axisCorrelation(data: Float32Array | Float64Array, shape: readonly number[], axis: number, opts: KernelCorrelationOptions): AxisCorrelation {
  const n = shape[axis];
  const slices = normalizedSlices(data, shape, axis);
  const maxD = Math.min(opts.maxDistance ?? n - 1, n - 1);
  const byDistance: DistanceStats[] = [];
  for (let d = 1; d <= maxD; d++) {
    const values: number[] = [];
    for (let j = 0; j + d < n; j++) {
      const a = slices[j];
      const b = slices[j + d];
      if (!a || !b) continue;
      let dot = 0;
      for (let q = 0; q < a.length; q++) dot += a[q] * b[q];
      values.push(Math.max(-1, Math.min(1, dot)));
    }
    const count = values.length;
    const mean = count ? values.reduce((s, x) => s + x, 0) / count : NaN;
    const std = count > 1 ? Math.sqrt(values.reduce((s, x) => s + (x - mean) * (x - mean), 0) / (count - 1)) : NaN;
    byDistance.push({ distance: d, mean, std, count, ...(opts.keepPairs ? { pairs: values } : {}) });
  }
  return { axis, length: n, constantSlices: slices.filter((s) => s === null).length, byDistance };
}

/**
 * Correlation of filters at channel distance d along the output and the input axis of one kernel.
 * `kernel` is row-major with the given tfjs `shape`.
 */
export function kernelCorrelation(kernel: Float32Array | Float64Array, shape: readonly number[], opts: KernelCorrelationOptions = {}): KernelCorrelation {
  if (!Array.isArray(shape) || shape.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new Error(`shape must be a list of positive integers, got ${JSON.stringify(shape)}`);
  }
  if (shape.length < 2) throw new Error(`kernelCorrelation needs a kernel of rank ≥ 2 (e.g. [kh, kw, in, out]), got shape ${JSON.stringify(shape)}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (kernel.length !== size) throw new Error(`kernel has ${kernel.length} values but shape ${JSON.stringify(shape)} needs ${size}`);
  const { outputAxis, inputAxis } = axesFor(shape.length, opts);
  for (const [name, a] of [['outputAxis', outputAxis], ['inputAxis', inputAxis]] as const) {
    if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new Error(`${name} must be an axis of the rank-${shape.length} kernel (0…${shape.length - 1}), got ${a}`);
  }
  if (outputAxis === inputAxis) throw new Error(`outputAxis and inputAxis must differ, both are ${outputAxis}`);
  return {
    shape: [...shape],
    output: axisCorrelation(kernel, shape, outputAxis, opts),
    input: axisCorrelation(kernel, shape, inputAxis, opts),
  };
}
