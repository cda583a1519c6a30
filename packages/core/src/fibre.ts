// Fused, linear-time fibre filters on flat Float32Arrays (all arithmetic in float64).
// A tensor is viewed as [outer, n, inner]: fibre (o, i) is src[o·n·inner + s·inner + i], s = 0..n−1.
// The inner loops run over the contiguous `inner` index, so no axis ever needs a transpose.
// Used by the cpu kernel (on the backend's own arrays) and the wasm kernel (on views of its heap).

import type { Formulation } from './types';

/** Metrics with a fused kernel. */
export type FusedMetric = 'reweighted-l2' | 'sobolev' | 'laplacian-smoothing';

export interface FibreFilterParams {
  metric: FusedMetric;
  lambda: number;
  sigma: number;
  formulation: Formulation;
  /** α: the result gets α·f added. */
  mix: number;
  outer: number;
  n: number;
  inner: number;
}

const SCRATCH_KEEP = 1 << 20; // float64s kept between calls (8 MB); larger needs are allocated per call
let scratch = new Float64Array(0);
function scratchOf(size: number): Float64Array {
  if (size > SCRATCH_KEEP) return new Float64Array(size);
  if (scratch.length < size) scratch = new Float64Array(Math.min(SCRATCH_KEEP, Math.max(size, 2 * scratch.length)));
  return scratch;
}

/** Writes the filtered `src` into `dst` (same length, must not overlap). */
export function filterFibres(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, inner } = p;
  if (src.length !== outer * n * inner || dst.length !== src.length) {
    throw new Error(`filterFibres: layout [${outer}, ${n}, ${inner}] does not match arrays of length ${src.length} and ${dst.length}`);
  }
  if (n === 1 && !(p.formulation === 'paper' && p.metric !== 'laplacian-smoothing')) {
    // With n = 1 every metric is the identity (the printed `paper` recursions are not; they run as printed).
    const a = 1 + p.mix;
    for (let i = 0; i < src.length; i++) dst[i] = a * src[i];
    return;
  }
  switch (p.metric) {
    case 'reweighted-l2':
      return inner === 1 ? reweightedLast(src, dst, p) : reweightedStrided(src, dst, p);
    case 'sobolev':
      return inner === 1 ? sobolevLast(src, dst, p) : sobolevStrided(src, dst, p);
    case 'laplacian-smoothing':
      return inner === 1 ? laplacianLast(src, dst, p) : laplacian(src, dst, p);
    default:
      throw new Error(`filterFibres: no fused filter for metric "${String((p as { metric: unknown }).metric)}"`);
  }
}

// g = a·f + b·m per fibre. exact (eq. 8): g = m + (f − m)/λ; paper (Fig. 3): g = f + λ·m.
function reweightedCoefficients(p: FibreFilterParams): [number, number] {
  if (p.formulation === 'paper') return [1 + p.mix, p.lambda];
  return [1 / p.lambda + p.mix, 1 - 1 / p.lambda];
}

function reweightedLast(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n } = p;
  const [a, b] = reweightedCoefficients(p);
  const bn = b / n;
  for (let o = 0, base = 0; o < outer; o++, base += n) {
    const end = base + n;
    let sum = 0;
    for (let i = base; i < end; i++) sum += src[i];
    const c = bn * sum;
    for (let i = base; i < end; i++) dst[i] = a * src[i] + c;
  }
}

function reweightedStrided(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, inner } = p;
  const [a, b] = reweightedCoefficients(p);
  const bn = b / n;
  const sum = scratchOf(inner);
  const block = n * inner;
  for (let o = 0, base = 0; o < outer; o++, base += block) {
    sum.fill(0, 0, inner);
    for (let s = 0, row = base; s < n; s++, row += inner) {
      for (let i = 0; i < inner; i++) sum[i] += src[row + i];
    }
    for (let i = 0; i < inner; i++) sum[i] *= bn;
    for (let s = 0, row = base; s < n; s++, row += inner) {
      for (let i = 0; i < inner; i++) dst[row + i] = a * src[row + i] + sum[i];
    }
  }
}

/**
 * Per-fibre constants of the Sobolev recursion (Fig. 12 / eq. 10–12) from the raw moments
 * s0 = Σ f_j, s1 = Σ j f_j, s2 = Σ j² f_j. With h = f − m, T_s = Σ_{j≤s} (s − j) h_j:
 *   t_s = s·c − T_s/(λn²),  c = −Σ j h_j / (λn³),
 *   Σ_s T_s = ½ Σ_j (n−1−j)(n−j) h_j = ½ (Σ j² h_j − (2n−1) Σ j h_j)   (because Σ h_j = 0).
 * Output g_s = A + B·s − K·T_s (+ α f_s): exact A = m − mean(t), B = c, K = 1/(λn²);
 * paper g = λ(m + t): A = λm, B = λc, K = 1/n².
 */
function sobolevConstants(s0: number, s1: number, s2: number, n: number, lambda: number, paper: boolean): [number, number, number, number] {
  const m = s0 / n;
  const h1 = s1 - (m * n * (n - 1)) / 2;
  const h2 = s2 - (m * (n - 1) * n * (2 * n - 1)) / 6;
  const c = -h1 / (lambda * n * n * n);
  if (paper) return [m, lambda * m, lambda * c, 1 / (n * n)];
  const K = 1 / (lambda * n * n);
  const meanT = (c * (n - 1)) / 2 - (K * 0.5 * (h2 - (2 * n - 1) * h1)) / n;
  return [m, m - meanT, c, K];
}

function sobolevLast(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, lambda, mix } = p;
  const paper = p.formulation === 'paper';
  for (let o = 0, base = 0; o < outer; o++, base += n) {
    const end = base + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let j = 0;
    for (let i = base; i < end; i++, j++) {
      const v = src[i];
      s0 += v;
      const jv = j * v;
      s1 += jv;
      s2 += j * jv;
    }
    const [m, A, B, K] = sobolevConstants(s0, s1, s2, n, lambda, paper);
    let S = 0; // Σ_{j≤s} h_j
    let T = 0; // Σ_{j<s} S_j = Σ_{j≤s} (s − j) h_j
    let s = 0;
    for (let i = base; i < end; i++, s++) {
      const v = src[i];
      dst[i] = A + B * s - K * T + mix * v;
      S += v - m;
      T += S;
    }
  }
}

function sobolevStrided(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, inner, lambda, mix } = p;
  const paper = p.formulation === 'paper';
  const buf = scratchOf(6 * inner);
  const M0 = buf.subarray(0, inner);
  const M1 = buf.subarray(inner, 2 * inner);
  const M2 = buf.subarray(2 * inner, 3 * inner);
  const S = buf.subarray(3 * inner, 4 * inner);
  const T = buf.subarray(4 * inner, 5 * inner);
  const Mean = buf.subarray(5 * inner, 6 * inner);
  const block = n * inner;
  for (let o = 0, base = 0; o < outer; o++, base += block) {
    buf.fill(0, 0, 5 * inner);
    for (let s = 0, row = base; s < n; s++, row += inner) {
      const ss = s * s;
      for (let i = 0; i < inner; i++) {
        const v = src[row + i];
        M0[i] += v;
        M1[i] += s * v;
        M2[i] += ss * v;
      }
    }
    // Reuse M0..M2 as A, B, K per fibre.
    for (let i = 0; i < inner; i++) {
      const [m, A, B, K] = sobolevConstants(M0[i], M1[i], M2[i], n, lambda, paper);
      Mean[i] = m;
      M0[i] = A;
      M1[i] = B;
      M2[i] = K;
    }
    for (let s = 0, row = base; s < n; s++, row += inner) {
      for (let i = 0; i < inner; i++) {
        const v = src[row + i];
        dst[row + i] = M0[i] + M1[i] * s - M2[i] * T[i] + mix * v;
        S[i] += v - Mean[i];
        T[i] += S[i];
      }
    }
  }
}

/**
 * (I − σΔ)⁻¹ along periodic fibres in O(N). The symbol 1 + 2σ − σ(z + 1/z) factors as
 * (σ/r)(1 − r z)(1 − r/z) with r = (1 + 2σ − √(1 + 4σ)) / (2σ) ∈ (0, 1), so the solve is two
 * first-order periodic recursions: u_j = f_j + r·u_{j−1}, v_j = u_j + r·v_{j+1}, g = (r/σ)·v,
 * each started from its exact periodic initial value Σ_k r^k (…) / (1 − rⁿ) (terms below 1e-18 dropped).
 */
function laplacianConstants(sigma: number, n: number): { r: number; scale: number; wrap: number; terms: number } {
  const r = (1 + 2 * sigma - Math.sqrt(1 + 4 * sigma)) / (2 * sigma);
  return {
    r,
    scale: r / sigma,
    wrap: 1 / (1 - Math.pow(r, n)),
    terms: Math.min(n, Math.max(1, Math.ceil(Math.log(1e-18) / Math.log(r)))),
  };
}

/** laplacian() for fibres along the last axis: scalar recursions, u kept in a float64 scratch. */
function laplacianLast(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, sigma, mix } = p;
  const { r, scale, wrap, terms } = laplacianConstants(sigma, n);
  const u = scratchOf(n);
  for (let o = 0, base = 0; o < outer; o++, base += n) {
    let acc = src[base];
    for (let k = 1, w = r; k < terms; k++, w *= r) acc += w * src[base + n - k];
    let prev = acc * wrap;
    u[0] = prev;
    for (let s = 1; s < n; s++) {
      prev = src[base + s] + r * prev;
      u[s] = prev;
    }
    acc = 0;
    for (let k = 0, w = 1; k < terms; k++, w *= r) acc += w * u[(n - 1 + k) % n];
    let v = acc * wrap;
    dst[base + n - 1] = scale * v + mix * src[base + n - 1];
    for (let s = n - 2; s >= 0; s--) {
      v = u[s] + r * v;
      dst[base + s] = scale * v + mix * src[base + s];
    }
  }
}

function laplacian(src: Float32Array, dst: Float32Array, p: FibreFilterParams): void {
  const { outer, n, inner, sigma, mix } = p;
  const { r, scale, wrap, terms } = laplacianConstants(sigma, n);
  const block = n * inner;
  const buf = scratchOf(block + inner);
  const u = buf.subarray(0, block);
  const acc = buf.subarray(block, block + inner);
  for (let o = 0, base = 0; o < outer; o++, base += block) {
    // u_0 = Σ_k r^k f_{(−k) mod n} / (1 − rⁿ)
    acc.fill(0, 0, inner);
    for (let k = 0, w = 1; k < terms; k++, w *= r) {
      const row = base + ((n - k) % n) * inner;
      for (let i = 0; i < inner; i++) acc[i] += w * src[row + i];
    }
    for (let i = 0; i < inner; i++) u[i] = acc[i] * wrap;
    for (let s = 1; s < n; s++) {
      const row = base + s * inner;
      const prev = (s - 1) * inner;
      const cur = s * inner;
      for (let i = 0; i < inner; i++) u[cur + i] = src[row + i] + r * u[prev + i];
    }
    // v_{n−1} = Σ_k r^k u_{(n−1+k) mod n} / (1 − rⁿ)
    acc.fill(0, 0, inner);
    for (let k = 0, w = 1; k < terms; k++, w *= r) {
      const row = ((n - 1 + k) % n) * inner;
      for (let i = 0; i < inner; i++) acc[i] += w * u[row + i];
    }
    for (let i = 0; i < inner; i++) acc[i] *= wrap; // acc holds v_{s+1} from here on
    for (let s = n - 1; s >= 0; s--) {
      const row = base + s * inner;
      const cur = s * inner;
      if (s === n - 1) {
        for (let i = 0; i < inner; i++) dst[row + i] = scale * acc[i] + mix * src[row + i];
      } else {
        for (let i = 0; i < inner; i++) {
          const v = u[cur + i] + r * acc[i];
          acc[i] = v;
          dst[row + i] = scale * v + mix * src[row + i];
        }
      }
    }
  }
}
