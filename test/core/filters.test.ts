// Every implementation of every metric (fused cpu kernel, fused wasm kernel, composite ops) against
// an independent float64 DFT of its Fourier symbol, or the paper's printed recursion, at 2e-4.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import {
  fusedKernelAvailable,
  LaplacianSmoothingMetric,
  resolveSpec,
  ReweightedL2Metric,
  SobolevMetric,
  transformGradient,
  type FusedFilterMetric,
  wasmSimdFiltersActive,
  type MetricSpec,
} from '@cdg/core';
import { dftFilter, layoutOf, mapFibres, randomValues, relError, sobolevPaperRecursion, symbols } from './oracle';

const cases: Array<{ shape: number[]; axes: Array<number | 'rasterized'> }> = [
  { shape: [9], axes: [-1, 0, 'rasterized'] },
  { shape: [7, 4], axes: [0, 1, -1, -2, 'rasterized'] }, // dense [in, out]
  { shape: [3, 3, 4, 8], axes: [0, 1, 2, 3, -1, -2, 'rasterized'] }, // conv2d [kh, kw, in, out]
  { shape: [2, 1, 3], axes: [1] }, // n = 1
  { shape: [1], axes: [0, 'rasterized'] },
  { shape: [], axes: ['rasterized'] },
  { shape: [5, 9, 2], axes: [1, 0] }, // odd n, strided
  { shape: [512, 3], axes: [0] }, // n = 512, strided
  { shape: [2, 512], axes: [1] }, // n = 512, last
  { shape: [2, 3, 5, 7], axes: ['rasterized', 2] },
  { shape: [2, 2048], axes: [1] }, // longest fibre of the wasm SIMD path
  { shape: [5, 512], axes: [1] }, // a SIMD group of four fibres plus one single fibre
  { shape: [4, 1024], axes: [1] }, // single-fibre SIMD path
  { shape: [3, 3, 4, 12], axes: [-1] },
  { shape: [512, 8], axes: [0] }, // n = 512 strided, four adjacent fibres per SIMD vector
  { shape: [2, 600, 4], axes: [1] }, // strided beyond the SIMD sobolev limit
];

const specs: MetricSpec[] = [
  { metric: 'l2' },
  { metric: 'l2', mix: 0.5 },
  { metric: 'reweighted-l2' },
  { metric: 'reweighted-l2', lambda: 0.3 },
  { metric: 'reweighted-l2', lambda: 2.5, mix: 0.7 },
  { metric: 'reweighted-l2', formulation: 'paper' },
  { metric: 'reweighted-l2', formulation: 'paper', lambda: 2.5, mix: 0.25 },
  { metric: 'sobolev' },
  { metric: 'sobolev', lambda: 0.3, mix: 0.5 },
  { metric: 'sobolev', lambda: 4 },
  { metric: 'sobolev', formulation: 'paper' },
  { metric: 'sobolev', formulation: 'paper', lambda: 2.5, mix: 0.1 },
  { metric: 'laplacian-smoothing', sigma: 0.5 },
  { metric: 'laplacian-smoothing', sigma: 1.5, mix: 0.2 },
  { metric: 'laplacian-smoothing', sigma: 40 },
];

/** The float64 reference for one spec, computed without any code from @cdg/core. */
function reference(values: Float32Array, shape: number[], axis: number | 'rasterized', spec: MetricSpec): Float64Array {
  const f = layoutOf(shape, axis);
  const lambda = spec.lambda ?? 1;
  const sigma = spec.sigma ?? 1;
  const paper = spec.formulation === 'paper';
  let g: Float64Array;
  switch (spec.metric) {
    case 'l2':
      g = Float64Array.from(values);
      break;
    case 'reweighted-l2': {
      // method.md: paper (Fig. 3) = (1 + λ) · exact gradient for λ' = 1 + λ.
      const lam = paper ? 1 + lambda : lambda;
      const filter = dftFilter(f.n, symbols.reweighted(lam));
      g = mapFibres(values, f, (x) => filter(x).map((v) => (paper ? (1 + lambda) * v : v)));
      break;
    }
    case 'sobolev':
      g = mapFibres(values, f, paper ? sobolevPaperRecursion(lambda) : dftFilter(f.n, symbols.sobolev(lambda)));
      break;
    case 'laplacian-smoothing':
      g = mapFibres(values, f, dftFilter(f.n, symbols.laplacian(sigma)));
      break;
    default:
      throw new Error(spec.metric);
  }
  const mix = spec.mix ?? 0;
  return g.map((v, i) => v + mix * values[i]);
}

const fusedStrategies: Record<string, FusedFilterMetric> = {
  'reweighted-l2': new ReweightedL2Metric(),
  sobolev: new SobolevMetric(),
  'laplacian-smoothing': new LaplacianSmoothingMetric(),
};

const implementations: Array<{ name: string; backend: string; run: (x: tf.Tensor, spec: MetricSpec) => tf.Tensor }> = [
  { name: 'fused cpu kernel', backend: 'cpu', run: (x, spec) => transformGradient(x, spec) },
  { name: 'fused wasm kernel', backend: 'wasm', run: (x, spec) => transformGradient(x, spec) },
  {
    name: 'composite ops (cpu)',
    backend: 'cpu',
    run: (x, spec) => {
      const s = fusedStrategies[spec.metric];
      return s ? s.applyComposite(x, resolveSpec(spec, x.rank)) : transformGradient(x, spec);
    },
  },
  {
    name: 'composite ops (wasm)',
    backend: 'wasm',
    run: (x, spec) => {
      const s = fusedStrategies[spec.metric];
      return s ? s.applyComposite(x, resolveSpec(spec, x.rank)) : transformGradient(x, spec);
    },
  },
];

function describeSpec(s: MetricSpec): string {
  return JSON.stringify(s).replace(/"/g, '');
}

// References are shared by the implementations.
const refs = new Map<string, { values: Float32Array; expected: Float64Array }>();
function refFor(shape: number[], axis: number | 'rasterized', spec: MetricSpec, seed: number) {
  const key = `${shape}|${axis}|${describeSpec(spec)}`;
  let r = refs.get(key);
  if (!r) {
    const size = shape.reduce((a, b) => a * b, 1);
    // a non-zero mean exercises k = 0; every third spec gets a mean 20× its fluctuations
    const values = randomValues(size, seed).map((v) => v + (seed % 3 === 0 ? 20 : 0.25));
    r = { values, expected: reference(values, shape, axis, spec) };
    refs.set(key, r);
  }
  return r;
}

for (const impl of implementations) {
  describe(`core filters: ${impl.name} vs float64 DFT / printed recursion`, () => {
    before(async () => {
      expect(await tf.setBackend(impl.backend)).to.equal(true);
    });

    if (impl.name.startsWith('fused')) {
      it('registers and uses the fused kernel on this backend', () => {
        expect(fusedKernelAvailable()).to.equal(true);
        expect(tf.getKernel('CdgChannelFilter', impl.backend)).to.not.equal(undefined);
        // in Node the wasm heap is an unshared memory with SIMD: the hand-written filters must bind
        expect(wasmSimdFiltersActive(tf.backend())).to.equal(impl.backend === 'wasm');
      });
    }

    for (const { shape, axes } of cases) {
      for (const axis of axes) {
        it(`shape [${shape}] axis ${axis}: all ${specs.length} specs within 2e-4`, () => {
          let seed = 17;
          for (const spec0 of specs) {
            const spec = { ...spec0, axis };
            const { values, expected } = refFor(shape, axis, spec, seed++);
            const x = tf.tensor(values, shape);
            const y = impl.run(x, spec);
            expect(y.shape).to.deep.equal(shape);
            const err = relError(y.dataSync(), expected);
            expect(x.isDisposed, 'input must not be disposed').to.equal(false);
            tf.dispose([x, y]);
            expect(err, `${describeSpec(spec)}: relative error`).to.be.at.most(2e-4);
          }
        });
      }
    }
  });
}
