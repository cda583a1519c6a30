// Summary statistics and paired tests across seeds. The tests themselves come from @stdlib.
import ttest = require('@stdlib/stats-ttest');
import wilcoxon = require('@stdlib/stats-wilcoxon');

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN for fewer than 2 values. */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

export interface Summary {
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    mean: mean(xs),
    std: sampleStd(xs),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/**
 * Relative error reduction as in the paper's Table 2: (err_baseline − err_method) / err_baseline.
 * Positive means the method has less error. NaN when the baseline error is 0.
 */
export function errorReduction(errBaseline: number, errMethod: number): number {
  if (errBaseline === 0) return NaN;
  return (errBaseline - errMethod) / errBaseline;
}

export interface PairedTestResult {
  /** Number of pairs (seeds present in both settings). */
  n: number;
  /** Mean of (method − baseline). */
  meanDifference: number;
  /** Sample std of the differences. */
  stdDifference: number;
  /** Paired Student t statistic and two-sided p-value; NaN when undefined (n < 2 or all differences equal). */
  t: number;
  df: number;
  pValue: number;
  /** Wilcoxon signed-rank two-sided p-value (exact for small n, as @stdlib computes it); NaN when undefined. */
  wilcoxonPValue: number;
}

/**
 * Paired comparison of `method` against `baseline`, pairs given in the same order (e.g. by seed).
 * Two-sided paired t-test and Wilcoxon signed-rank test.
 */
export function pairedTest(method: readonly number[], baseline: readonly number[]): PairedTestResult {
  if (method.length !== baseline.length) {
    throw new Error(`pairedTest needs equally long samples, got ${method.length} and ${baseline.length}`);
  }
  for (const [name, xs] of [['method', method], ['baseline', baseline]] as const) {
    const bad = xs.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new Error(`pairedTest: ${name}[${bad}] must be a finite number, got ${xs[bad]}`);
  }
  const diffs = method.map((x, i) => x - baseline[i]);
  const n = diffs.length;
  const meanDifference = mean(diffs);
  const stdDifference = sampleStd(diffs);
  let t = NaN;
  let df = n - 1;
  let pValue = NaN;
  if (n >= 2 && stdDifference > 0) {
    const r = ttest(Array.from(method), Array.from(baseline), { alternative: 'two-sided' });
    t = r.statistic;
    df = r.df;
    pValue = r.pValue;
  }
  let wilcoxonPValue = NaN;
  if (diffs.some((d) => d !== 0)) {
    try {
      // @stdlib doubles the one-sided exact p without capping it (W+ = W− with 3 pairs gives 1.25).
      wilcoxonPValue = Math.min(1, wilcoxon(Array.from(method), Array.from(baseline), { alternative: 'two-sided' }).pValue);
    } catch {
      wilcoxonPValue = NaN;
    }
  }
  return { n, meanDifference, stdDifference, t, df, pValue, wilcoxonPValue };
}
