import { expect } from 'chai';
import { inverse, Matrix } from 'ml-matrix';
import { fitGaussian, frechetDistance, sqrtmPsd, traceSqrtProduct, type GaussianFit } from '@cdg/gan';

const gauss = (mean: number[], cov: number[][]): GaussianFit => ({
  dim: mean.length,
  count: 100,
  mean: Float64Array.from(mean),
  covariance: Float64Array.from(cov.flat()),
});

/** A reproducible random SPD matrix A Aᵀ + εI. */
function randomSpd(d: number, seed: number, eps = 0.1): number[][] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const a = [...Array(d)].map(() => [...Array(d)].map(r));
  return a.map((row, i) => a.map((other, j) => row.reduce((acc, v, k) => acc + v * other[k], 0) + (i === j ? eps : 0)));
}

const trace = (m: number[][]) => m.reduce((s, row, i) => s + row[i], 0);

/** Denman–Beavers iteration for √M of a (non-symmetric) matrix with positive eigenvalues: an independent oracle. */
function denmanBeaversTraceSqrt(m: Matrix): number {
  let y = m.clone();
  let z = Matrix.eye(m.rows);
  for (let k = 0; k < 60; k++) {
    const yi = inverse(y);
    const zi = inverse(z);
    y = y.add(zi).mul(0.5);
    z = z.add(yi).mul(0.5);
  }
  return y.trace();
}

describe('gan: Fréchet distance (float64)', () => {
  it('is 0 for identical Gaussians', () => {
    const cov = randomSpd(8, 3);
    const g = gauss([1, 2, 3, 4, 5, 6, 7, 8], cov);
    expect(Math.abs(frechetDistance(g, g))).to.be.below(1e-9);
  });

  it('equals |μ1 − μ2|² when only the means differ', () => {
    const cov = randomSpd(5, 7);
    const fd = frechetDistance(gauss([0, 0, 0, 0, 0], cov), gauss([1, -2, 0.5, 0, 3], cov));
    expect(fd).to.be.closeTo(1 + 4 + 0.25 + 9, 1e-9);
  });

  it('equals (1 − c)² tr Σ for Σ and c² Σ', () => {
    const cov = randomSpd(6, 11);
    const c = 1.7;
    const scaled = cov.map((row) => row.map((v) => v * c * c));
    const fd = frechetDistance(gauss([0, 0, 0, 0, 0, 0], cov), gauss([0, 0, 0, 0, 0, 0], scaled));
    expect(fd).to.be.closeTo((1 - c) ** 2 * trace(cov), 1e-9 * trace(cov));
  });

  it('matches Σ(√a − √b)² for commuting diagonal covariances', () => {
    const a = [4, 1, 0.25, 9], b = [1, 1, 1, 16];
    const fd = frechetDistance(gauss([0, 0, 0, 0], a.map((v, i) => a.map((_, j) => (i === j ? v : 0)))), gauss([0, 0, 0, 0], b.map((v, i) => b.map((_, j) => (i === j ? v : 0)))));
    expect(fd).to.be.closeTo(1 + 0 + 0.25 + 1, 1e-12);
  });

  it('matches the 2×2 closed form tr√(Σ1Σ2) = √(tr Σ1Σ2 + 2√det Σ1Σ2) for non-diagonal covariances', () => {
    const s1 = [[2, 0.6], [0.6, 1]];
    const s2 = [[1, -0.3], [-0.3, 0.5]];
    const p = new Matrix(s1).mmul(new Matrix(s2));
    const det = (m: number[][]) => m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const trSqrt = Math.sqrt(p.trace() + 2 * Math.sqrt(det(s1) * det(s2)));
    const mu1 = [0.5, -1], mu2 = [1.5, 0.25];
    const expected = (mu1[0] - mu2[0]) ** 2 + (mu1[1] - mu2[1]) ** 2 + trace(s1) + trace(s2) - 2 * trSqrt;
    expect(frechetDistance(gauss(mu1, s1), gauss(mu2, s2))).to.be.closeTo(expected, 1e-12);
  });

  it('agrees with a Denman–Beavers square root of the non-symmetric Σ1Σ2 in 7 dimensions', () => {
    const s1 = randomSpd(7, 21), s2 = randomSpd(7, 42);
    const expected = denmanBeaversTraceSqrt(new Matrix(s1).mmul(new Matrix(s2)));
    expect(traceSqrtProduct(Float64Array.from(s1.flat()), Float64Array.from(s2.flat()), 7)).to.be.closeTo(expected, 1e-8 * expected);
  });

  it('sqrtmPsd squares back to the matrix, also when singular', () => {
    const v = [1, 2, -1];
    const rank1 = v.map((a) => v.map((b) => a * b)); // PSD, rank 1
    const r = sqrtmPsd(Float64Array.from(rank1.flat()), 3);
    const rm = new Matrix([[r[0], r[1], r[2]], [r[3], r[4], r[5]], [r[6], r[7], r[8]]]);
    const back = rm.mmul(rm).to2DArray();
    back.forEach((row, i) => row.forEach((x, j) => expect(x).to.be.closeTo(rank1[i][j], 1e-10)));
  });

  it('rejects a covariance with a clearly negative eigenvalue, and mismatched dimensions', () => {
    const bad = gauss([0, 0], [[1, 0], [0, -1]]);
    expect(() => frechetDistance(gauss([0, 0], [[1, 0], [0, 1]]), bad)).to.throw(/positive semi-definite/);
    expect(() => frechetDistance(gauss([0], [[1]]), gauss([0, 0], [[1, 0], [0, 1]]))).to.throw(/dimensions differ \(1 vs 2\)/);
  });

  it('fitGaussian gives the unbiased mean and covariance (hand-computed)', () => {
    // rows (1, 2), (3, 6), (5, 7): mean (3, 5); centred (−2,−3), (0,1), (2,2)
    const f = fitGaussian([1, 2, 3, 6, 5, 7], 3, 2);
    expect(Array.from(f.mean)).to.deep.equal([3, 5]);
    expect(Array.from(f.covariance)).to.deep.equal([8 / 2, 10 / 2, 10 / 2, 14 / 2]);
    expect(() => fitGaussian([1, 2], 1, 2)).to.throw(/at least 2/);
    expect(() => fitGaussian([1, NaN, 3, 4], 2, 2)).to.throw(/feature 1 of vector 0 is NaN/);
  });
});
