// The defining identities of the metrics, checked on the transformed tensors in float64:
// <g, k>_H1 = <f, k>_L2 (sobolev), <g, k>_H0λ = <f, k>_L2 (reweighted-l2), (I − σΔ) g = f.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { transformGradient, type MetricSpec } from '@cdg/core';
import {
  applyIMinusSigmaLaplacian,
  innerH0Lambda,
  innerH1,
  innerL2,
  layoutOf,
  maxAbs,
  randomValues,
  relError,
} from './oracle';

/** The fibres of a flat array along an axis, as Float64Arrays. */
function fibres(values: ArrayLike<number>, shape: number[], axis: number | 'rasterized'): Float64Array[] {
  const f = layoutOf(shape, axis);
  const out: Float64Array[] = [];
  for (let o = 0; o < f.outer; o++) {
    for (let i = 0; i < f.inner; i++) {
      const x = new Float64Array(f.n);
      for (let s = 0; s < f.n; s++) x[s] = values[o * f.n * f.inner + s * f.inner + i];
      out.push(x);
    }
  }
  return out;
}

const shapes: Array<{ shape: number[]; axis: number | 'rasterized' }> = [
  { shape: [3, 3, 4, 16], axis: -1 },
  { shape: [3, 3, 16, 4], axis: 2 },
  { shape: [33, 5], axis: 0 },
  { shape: [4, 6], axis: 'rasterized' },
  { shape: [2, 257], axis: 1 },
];

for (const backend of ['cpu', 'wasm']) {
  describe(`core metric identities (${backend})`, () => {
    before(async () => {
      expect(await tf.setBackend(backend)).to.equal(true);
    });

    // `sensitivity(g, k)` bounds |<δ, k>_metric| for |δ_j| ≤ max|g|: the identity can only hold up to
    // float32 rounding of g (relative 2^-24) propagated through the metric's inner product.
    const check = (
      spec: MetricSpec,
      identity: (g: Float64Array, k: Float64Array) => number,
      sensitivity: (g: Float64Array, k: Float64Array) => number,
    ) => {
      let seed = 101;
      for (const { shape, axis } of shapes) {
        const size = shape.reduce((a, b) => a * b, 1);
        const f = randomValues(size, seed++).map((v) => v + 0.4);
        const x = tf.tensor(f, shape);
        const y = transformGradient(x, { ...spec, axis });
        const g = y.dataSync();
        tf.dispose([x, y]);
        const fs = fibres(f, shape, axis);
        const gs = fibres(g, shape, axis);
        fs.forEach((fi, idx) => {
          const k = Float64Array.from(randomValues(fi.length, seed++));
          const lhs = identity(gs[idx], k);
          const rhs = innerL2(fi, k);
          const tolerance = 4 * 2 ** -24 * sensitivity(gs[idx], k) + 1e-7 * Math.sqrt(innerL2(fi, fi) * innerL2(k, k));
          expect(Math.abs(lhs - rhs), `shape [${shape}] axis ${axis} fibre ${idx}: ${lhs} vs ${rhs}`).to.be.at.most(tolerance);
        });
      }
    };

    for (const lambda of [1, 0.2, 7]) {
      it(`sobolev λ=${lambda}: <g, k>_H1 = <f, k>_L2 for random k`, () => {
        check(
          { metric: 'sobolev', lambda },
          (g, k) => innerH1(g, k, lambda),
          (g, k) => maxAbs(g) * (maxAbs(k) + 2 * lambda * g.length * k.reduce((s, _, j) => s + Math.abs(k[(j + 1) % k.length] - k[j]), 0)),
        );
      });
      it(`reweighted-l2 λ=${lambda}: <g, k>_H0λ = <f, k>_L2 for random k`, () => {
        check(
          { metric: 'reweighted-l2', lambda },
          (g, k) => innerH0Lambda(g, k, lambda),
          (g, k) => maxAbs(g) * maxAbs(k) * (1 + 2 * lambda),
        );
      });
    }

    it('sobolev keeps the fibre mean (mean(g) = m) and the identity fails for a wrong λ', () => {
      const f = randomValues(64, 5).map((v) => v + 1);
      const x = tf.tensor(f, [64]);
      const y = transformGradient(x, { metric: 'sobolev', lambda: 2 });
      const g = Float64Array.from(y.dataSync());
      tf.dispose([x, y]);
      const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
      expect(Math.abs(mean(g) - mean(f))).to.be.below(1e-6);
      const k = Float64Array.from(randomValues(64, 6));
      const f64 = Float64Array.from(f);
      expect(Math.abs(innerH1(g, k, 1) - innerL2(f64, k))).to.be.above(1e-3); // the test can tell λ apart
    });

    for (const sigma of [0.5, 1.5, 25]) {
      it(`laplacian-smoothing σ=${sigma}: (I − σΔ) g = f along every fibre`, () => {
        let seed = 300;
        for (const { shape, axis } of shapes) {
          const size = shape.reduce((a, b) => a * b, 1);
          const f = randomValues(size, seed++);
          const x = tf.tensor(f, shape);
          const y = transformGradient(x, { metric: 'laplacian-smoothing', sigma, axis });
          const g = y.dataSync();
          tf.dispose([x, y]);
          const fs = fibres(f, shape, axis);
          fibres(g, shape, axis).forEach((gi, idx) => {
            const back = applyIMinusSigmaLaplacian(gi, sigma);
            expect(relError(back, fs[idx]), `shape [${shape}] axis ${axis} fibre ${idx}`).to.be.at.most(2e-5 * Math.max(1, sigma));
          });
        }
      });
    }

    it('n = 1 is the identity for every exact metric, and mix adds α·f', () => {
      const f = randomValues(12, 9);
      const x = tf.tensor(f, [4, 1, 3]);
      for (const metric of ['l2', 'reweighted-l2', 'sobolev', 'laplacian-smoothing']) {
        for (const mix of [0, 0.5]) {
          const y = transformGradient(x, { metric, axis: 1, lambda: 3, sigma: 2, mix });
          expect(relError(y.dataSync(), Array.from(f, (v) => (1 + mix) * v)), `${metric} mix ${mix}`).to.be.at.most(1e-7);
          y.dispose();
        }
      }
      x.dispose();
      expect(maxAbs(f)).to.be.above(0);
    });

    it('a hand-computed case: reweighted-l2 λ=2 on [1, 2, 3, 6] (m = 3)', () => {
      const x = tf.tensor1d([1, 2, 3, 6]);
      const exact = transformGradient(x, { metric: 'reweighted-l2', lambda: 2 });
      const paper = transformGradient(x, { metric: 'reweighted-l2', lambda: 2, formulation: 'paper' });
      expect(Array.from(exact.dataSync())).to.deep.equal([2, 2.5, 3, 4.5]); // 3 + (f − 3)/2
      expect(Array.from(paper.dataSync())).to.deep.equal([7, 8, 9, 12]); // f + 2·3
      tf.dispose([x, exact, paper]);
    });

    it('a hand-computed case: sobolev λ=1 on [1, −1, 1, −1] (only k = n/2, symbol 1/64)', () => {
      const x = tf.tensor1d([1, -1, 1, -1]);
      const y = transformGradient(x, { metric: 'sobolev' });
      expect(relError(y.dataSync(), [1 / 64, -1 / 64, 1 / 64, -1 / 64])).to.be.below(1e-6);
      tf.dispose([x, y]);
    });
  });
}
