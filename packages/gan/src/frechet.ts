import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** Mean and covariance (float64) of n feature vectors of dimension d. */
export interface GaussianFit {
  dim: number;
  count: number;
  mean: Float64Array;
  /** Row-major d × d, unbiased (divided by n − 1), as numpy's `cov`. */
  covariance: Float64Array;
}

/** Fits a Gaussian to `count` rows of `dim` features (row-major), accumulating in float64. */
export function fitGaussian(features: ArrayLike<number>, count: number, dim: number): GaussianFit {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`fitGaussian: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(count) || count < 2) throw new Error(`fitGaussian: need at least 2 feature vectors for a covariance, got ${count}`);
  if (features.length !== count * dim) throw new Error(`fitGaussian: got ${features.length} values for ${count} × ${dim} features (expected ${count * dim})`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) {
      const v = features[i * dim + j];
      if (!Number.isFinite(v)) throw new Error(`fitGaussian: feature ${j} of vector ${i} is ${v}; features must be finite`);
      mean[j] += v;
    }
  }
  for (let j = 0; j < dim; j++) mean[j] /= count;
  const cov = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = features[i * dim + j] - mean[j];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      const row = a * dim;
      for (let b = a; b < dim; b++) cov[row + b] += ca * centred[b];
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b] / (count - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  return { dim, count, mean, covariance: cov };
}

function toMatrix(a: Float64Array, d: number): Matrix {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, a[i * d + j]);
  return m;
}

function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: evd.realEigenvalues, vectors: evd.eigenvectorMatrix };
}

/**
 * Eigenvalues of a symmetric positive semi-definite matrix, with round-off negatives clipped to 0.
 * A clearly negative eigenvalue means the input was not a covariance: that throws, naming it.
 */
function psdEigenvalues(values: number[], what: string, scale: number): number[] {
  const tol = 1e-9 * Math.max(scale, Number.MIN_VALUE) * values.length;
  return values.map((v) => {
    if (!Number.isFinite(v)) throw new Error(`Frechet distance: ${what} has a non-finite eigenvalue (${v})`);
    if (v < -tol) throw new Error(`Frechet distance: ${what} has eigenvalue ${v.toExponential(3)} < 0; a covariance must be positive semi-definite`);
    return v < 0 ? 0 : v;
  });
}

/** Symmetric PSD square root V diag(√w) Vᵀ (float64). */
export function sqrtmPsd(a: Float64Array, d: number, what = 'matrix'): Float64Array {
  const { values, vectors } = symmetricEigen(toMatrix(a, d));
  const w = psdEigenvalues(values, what, Math.max(...values.map(Math.abs)));
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(w[k]);
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vectors.get(i, k) * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * vectors.get(j, k);
    }
  }
  return out;
}

/**
 * tr √(Σ1 Σ2) for symmetric PSD Σ1, Σ2. Σ1 Σ2 is not symmetric, but it is similar to the
 * symmetric PSD matrix √Σ1 Σ2 √Σ1, so its square root's trace is Σ √μ over that matrix's eigenvalues μ.
 */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const r = toMatrix(sqrtmPsd(s1, d, 'covariance 1'), d);
  const m = r.mmul(toMatrix(s2, d)).mmul(r);
  const sym = m.add(m.transpose()).mul(0.5); // remove round-off asymmetry
  const { values } = symmetricEigen(sym);
  const mu = psdEigenvalues(values, '√Σ1 Σ2 √Σ1', Math.max(...values.map(Math.abs)));
  let t = 0;
  for (const v of mu) t += Math.sqrt(v);
  return t;
}

/**
 * Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2):
 * |μ1 − μ2|² + tr Σ1 + tr Σ2 − 2 tr √(Σ1 Σ2), in float64.
 */
export function frechetDistance(a: GaussianFit, b: GaussianFit): number {
  if (a.dim !== b.dim) throw new Error(`Frechet distance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let meanTerm = 0;
  let tr = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2;
    tr += a.covariance[i * d + i] + b.covariance[i * d + i];
  }
  const cross = traceSqrtProduct(a.covariance, b.covariance, d);
  const fd = meanTerm + tr - 2 * cross;
  // Exact arithmetic gives fd ≥ 0; clip round-off below zero only.
  return fd < 0 && fd > -1e-9 * Math.max(1, tr) ? 0 : fd;
}
