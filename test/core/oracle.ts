// Independent float64 references for the core tests: a direct DFT applying a Fourier symbol per
// fibre, the paper's printed recursions evaluated literally, and the metrics' inner products.

export interface Fibres {
  outer: number;
  n: number;
  inner: number;
}

export function layoutOf(shape: number[], axis: number | 'rasterized'): Fibres {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === 'rasterized') return { outer: 1, n: size, inner: 1 };
  const a = axis < 0 ? axis + shape.length : axis;
  return {
    outer: shape.slice(0, a).reduce((x, y) => x * y, 1),
    n: shape[a],
    inner: shape.slice(a + 1).reduce((x, y) => x * y, 1),
  };
}

/** Applies `fn` to every fibre (as a Float64Array) and writes its result back. */
export function mapFibres(values: ArrayLike<number>, f: Fibres, fn: (fibre: Float64Array) => Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  const fibre = new Float64Array(f.n);
  for (let o = 0; o < f.outer; o++) {
    for (let i = 0; i < f.inner; i++) {
      const base = o * f.n * f.inner + i;
      for (let s = 0; s < f.n; s++) fibre[s] = values[base + s * f.inner];
      const g = fn(fibre);
      for (let s = 0; s < f.n; s++) out[base + s * f.inner] = g[s];
    }
  }
  return out;
}

/** Returns a function filtering one fibre of length n by ĝ_k = symbol(k) f̂_k with a direct O(n²) DFT. */
export function dftFilter(n: number, symbol: (k: number, n: number) => number): (x: Float64Array) => Float64Array {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  const s = Float64Array.from({ length: n }, (_, k) => symbol(k, n));
  return (x) => {
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let a = 0;
      let b = 0;
      for (let j = 0, idx = 0; j < n; j++, idx = (idx + k) % n) {
        a += x[j] * cos[idx];
        b -= x[j] * sin[idx];
      }
      re[k] = a * s[k];
      im[k] = b * s[k];
    }
    const y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let k = 0, idx = 0; k < n; k++, idx = (idx + j) % n) a += re[k] * cos[idx] - im[k] * sin[idx];
      y[j] = a / n;
    }
    return y;
  };
}

// Fourier symbols from method.md's table.
export const symbols = {
  l2: () => 1,
  reweighted: (lambda: number) => (k: number) => (k === 0 ? 1 : 1 / lambda),
  sobolev: (lambda: number) => (k: number, n: number) => (k === 0 ? 1 : 1 / (4 * lambda * n * n * Math.sin((Math.PI * k) / n) ** 2)),
  laplacian: (sigma: number) => (k: number, n: number) => 1 / (1 + 4 * sigma * Math.sin((Math.PI * k) / n) ** 2),
};

const mean = (x: Float64Array) => x.reduce((a, b) => a + b, 0) / x.length;

/** Fig. 12 as printed, literally: g = λ(m + t), t_s = s·c − (1/(λn²)) Σ_{j≤s} (s − j)(f_j − m), c = −Σ j (f_j − m)/(λn³). */
export function sobolevPaperRecursion(lambda: number): (f: Float64Array) => Float64Array {
  return (f) => {
    const n = f.length;
    const m = mean(f);
    let sj = 0;
    for (let j = 0; j < n; j++) sj += j * (f[j] - m);
    const c = -sj / (lambda * n ** 3);
    const g = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      let acc = 0;
      for (let j = 0; j <= s; j++) acc += (s - j) * (f[j] - m);
      g[s] = lambda * (m + s * c - acc / (lambda * n * n));
    }
    return g;
  };
}

/** <a, b>_L2 = (1/n) Σ a_j b_j. */
export function innerL2(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s / a.length;
}

/** <a, b>_H1 = mean(a)mean(b) + λ n Σ_j (a_{j+1} − a_j)(b_{j+1} − b_j), periodic. */
export function innerH1(a: Float64Array, b: Float64Array, lambda: number): number {
  const n = a.length;
  let s = 0;
  for (let j = 0; j < n; j++) s += (a[(j + 1) % n] - a[j]) * (b[(j + 1) % n] - b[j]);
  return mean(a) * mean(b) + lambda * n * s;
}

/** <a, b>_H0λ = mean(a)mean(b) + λ (1/n) Σ (a_j − m_a)(b_j − m_b). */
export function innerH0Lambda(a: Float64Array, b: Float64Array, lambda: number): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] - ma) * (b[j] - mb);
  return ma * mb + (lambda * s) / a.length;
}

/** (I − σΔ) g with the periodic second difference. */
export function applyIMinusSigmaLaplacian(g: Float64Array, sigma: number): Float64Array {
  const n = g.length;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = g[j] - sigma * (g[(j + 1) % n] - 2 * g[j] + g[(j - 1 + n) % n]);
  return out;
}

export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** max |a − b| / max |b|. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  const scale = maxAbs(b);
  return scale === 0 ? e : e / scale;
}

/** Deterministic pseudo-random numbers in [−1, 1) (mulberry32). */
export function randomValues(size: number, seed: number): Float32Array {
  let t = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    out[i] = ((r ^ (r >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
