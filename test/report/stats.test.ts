import { expect } from 'chai';
import { errorReduction, mean, pairedTest, sampleStd, summarize } from '@cdg/report';

describe('report statistics', () => {
  it('mean and sample standard deviation match hand-computed values', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).to.equal(5);
    // Σ(x − 5)² = 9+1+1+1+0+0+4+16 = 32; n − 1 = 7.
    expect(sampleStd(xs)).to.be.closeTo(Math.sqrt(32 / 7), 1e-12);
    expect(sampleStd([3])).to.be.NaN;
    const s = summarize([0.9, 0.92, 0.94]);
    expect(s).to.include({ n: 3, min: 0.9, max: 0.94 });
    expect(s.mean).to.be.closeTo(0.92, 1e-12);
    expect(s.std).to.be.closeTo(0.02, 1e-12);
  });

  it('error reduction is (err_l2 − err_m)/err_l2 as in the paper (ResNet-56, batch 8, SGD 86.54 vs H0λ 88.04)', () => {
    expect(errorReduction(1 - 0.8654, 1 - 0.8804)).to.be.closeTo(1.5 / 13.46, 1e-9);
    expect(errorReduction(0.1, 0.12)).to.be.closeTo(-0.2, 1e-12);
    expect(errorReduction(0, 0.1)).to.be.NaN;
  });

  it('paired t-test: t and two-sided p from the closed-form t CDF for df = 1 and df = 2', () => {
    // df = 2: differences 0.01, 0.02, 0.05; mean 0.08/3, sd sqrt(((−1/60)²+(−1/150)²+(7/300)²)/2).
    const r = pairedTest([0.91, 0.92, 0.95], [0.9, 0.9, 0.9]);
    const d = [0.01, 0.02, 0.05];
    const m = 0.08 / 3;
    const sd = Math.sqrt(d.reduce((s, x) => s + (x - m) ** 2, 0) / 2);
    const t = m / (sd / Math.sqrt(3));
    expect(r.n).to.equal(3);
    expect(r.meanDifference).to.be.closeTo(m, 1e-12);
    expect(r.stdDifference).to.be.closeTo(sd, 1e-12);
    expect(r.t).to.be.closeTo(t, 1e-9);
    expect(r.t).to.be.closeTo(2.2188, 1e-4);
    // Student t with 2 degrees of freedom: P(|T| > t) = 1 − t / sqrt(2 + t²).
    expect(r.pValue).to.be.closeTo(1 - t / Math.sqrt(2 + t * t), 1e-9);
    expect(r.df).to.equal(2);
    // df = 1 (Cauchy): differences 1, 2 → t = 1.5 / (√0.5/√2) = 3, p = 1 − (2/π)·atan(3).
    const c = pairedTest([1, 3], [0, 1]);
    expect(c.t).to.be.closeTo(3, 1e-12);
    expect(c.pValue).to.be.closeTo(1 - (2 / Math.PI) * Math.atan(3), 1e-9);
    // Sign: a method worse than its baseline has a negative t.
    expect(pairedTest([0.8, 0.81, 0.79], [0.9, 0.9, 0.91]).t).to.be.lessThan(0);
  });

  it('Wilcoxon signed-rank p-values are the exact ones counted by hand', () => {
    // All 5 differences positive: only the empty subset has rank sum 0, two-sided p = 2/2⁵.
    expect(pairedTest([2, 3, 4, 5, 6], [1, 1, 1, 1, 1]).wilcoxonPValue).to.be.closeTo(2 / 32, 1e-9);
    // 3 positive differences: p = 2/2³ = 0.25, the smallest possible with 3 seeds.
    expect(pairedTest([2, 3, 5], [1, 1, 1]).wilcoxonPValue).to.be.closeTo(0.25, 1e-9);
    // Differences 1, −2, 3, 4, 5: W− = 2; subsets of {1..5} with sum ≤ 2 are {}, {1}, {2} → p = 2·3/32.
    expect(pairedTest([2, -1, 4, 5, 6], [1, 1, 1, 1, 1]).wilcoxonPValue).to.be.closeTo(6 / 32, 1e-9);
    // Differences −3, +2, +1: W+ = W− = 3, the centre of the distribution: p = 1 (not 2·5/8).
    expect(pairedTest([0, 3, 2], [3, 1, 1]).wilcoxonPValue).to.equal(1);
  });

  it('undefined tests are NaN, not a made-up number; bad input is named', () => {
    const same = pairedTest([0.9, 0.8], [0.9, 0.8]);
    expect(same.pValue).to.be.NaN;
    expect(same.wilcoxonPValue).to.be.NaN;
    expect(pairedTest([0.9], [0.8]).pValue).to.be.NaN;
    expect(() => pairedTest([1, 2], [1])).to.throw(/equally long/);
    expect(() => pairedTest([1, NaN], [1, 2])).to.throw(/method\[1\] must be a finite number/);
  });
});
