// Spec validation, the DI registry (built-in and user metrics), the composite fallback on a backend
// without the fused kernel, and memory: tf.memory().numTensors stays flat over repeated calls.
import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { container as rootContainer, injectable } from 'tsyringe';
import {
  createMetricContainer,
  fusedKernelAvailable,
  MetricRegistry,
  registerMetric,
  resolveSpec,
  transformGradient,
  type MetricSpec,
  type MetricStrategy,
  type ResolvedMetricSpec,
} from '@cdg/core';
import { dftFilter, layoutOf, mapFibres, randomValues, relError, symbols } from './oracle';

describe('core spec validation', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const x4 = () => tf.zeros([3, 3, 4, 8]);
  const bad: Array<[string, unknown, RegExp]> = [
    ['negative lambda', { metric: 'sobolev', lambda: -1 }, /lambda must be a finite number > 0, got -1/],
    ['zero lambda', { metric: 'reweighted-l2', lambda: 0 }, /lambda must be a finite number > 0, got 0/],
    ['NaN lambda', { metric: 'sobolev', lambda: NaN }, /lambda must be a finite number > 0, got NaN/],
    ['infinite lambda', { metric: 'sobolev', lambda: Infinity }, /lambda .*got Infinity/],
    ['string lambda', { metric: 'sobolev', lambda: '1' }, /lambda must be a finite number > 0, got "1"/],
    ['zero sigma', { metric: 'laplacian-smoothing', sigma: 0 }, /sigma must be a finite number > 0, got 0/],
    ['NaN sigma', { metric: 'laplacian-smoothing', sigma: NaN }, /sigma .*NaN/],
    ['NaN mix', { metric: 'sobolev', mix: NaN }, /mix must be a finite number, got NaN/],
    ['infinite mix', { metric: 'l2', mix: -Infinity }, /mix must be a finite number, got -Infinity/],
    ['axis too large', { metric: 'sobolev', axis: 4 }, /axis 4 is out of range for a rank-4 tensor \(valid: -4\.\.3/],
    ['axis too negative', { metric: 'sobolev', axis: -5 }, /axis -5 is out of range/],
    ['fractional axis', { metric: 'sobolev', axis: 1.5 }, /axis must be an integer or 'rasterized', got 1.5/],
    ['NaN axis', { metric: 'sobolev', axis: NaN }, /axis must be an integer .*NaN/],
    ['bad formulation', { metric: 'sobolev', formulation: 'pytorch' }, /formulation must be 'exact' or 'paper', got "pytorch"/],
    ['unknown metric', { metric: 'sobolv' }, /unknown metric "sobolv"; known metrics: l2, reweighted-l2, sobolev, laplacian-smoothing/],
    ['empty metric', { metric: '' }, /metric must be a non-empty string/],
    ['missing spec', undefined, /a metric spec must be an object/],
  ];
  for (const [what, spec, message] of bad) {
    it(`rejects ${what}`, () => {
      const x = x4();
      expect(() => transformGradient(x, spec as MetricSpec)).to.throw(message);
      x.dispose();
    });
  }

  it('rejects non-float gradients, non-tensors and scalars along an axis', () => {
    const i = tf.tensor1d([1, 2, 3], 'int32');
    expect(() => transformGradient(i, { metric: 'sobolev' })).to.throw(/float dtype 'float32', got 'int32'/);
    i.dispose();
    expect(() => transformGradient([1, 2] as unknown as tf.Tensor, { metric: 'l2' })).to.throw(/grad must be a tf.Tensor/);
    const s = tf.scalar(2);
    expect(() => transformGradient(s, { metric: 'sobolev' })).to.throw(/scalar .*'rasterized'/);
    const r = transformGradient(s, { metric: 'sobolev', axis: 'rasterized' });
    expect(r.dataSync()[0]).to.equal(2);
    tf.dispose([s, r]);
  });

  it('fills defaults and normalizes negative axes', () => {
    expect(resolveSpec({ metric: 'sobolev' }, 4)).to.deep.equal({
      metric: 'sobolev', lambda: 1, sigma: 1, axis: 3, formulation: 'exact', mix: 0,
    });
    expect(resolveSpec({ metric: 'l2', axis: -4 }, 4).axis).to.equal(0);
    expect(resolveSpec({ metric: 'l2', axis: 'rasterized' }, 2).axis).to.equal('rasterized');
  });

  it('handles empty tensors', () => {
    const e = tf.zeros([0, 4]);
    for (const metric of ['reweighted-l2', 'sobolev', 'laplacian-smoothing']) {
      const y = transformGradient(e, { metric });
      expect(y.shape).to.deep.equal([0, 4]);
      y.dispose();
    }
    e.dispose();
  });
});

/** Returns 2·grad; a stand-in user metric that is not one of the built-ins. */
@injectable()
class DoublingMetric implements MetricStrategy {
  readonly name = 'doubling';
  apply(grad: tf.Tensor): tf.Tensor {
    return tf.mul(grad, 2);
  }
}

describe('core metric registry (tsyringe)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('resolves the built-ins by name from a container', () => {
    const c = createMetricContainer();
    const registry = c.resolve(MetricRegistry);
    expect(registry.names()).to.have.members(['l2', 'reweighted-l2', 'sobolev', 'laplacian-smoothing']);
    expect(registry.get('sobolev').name).to.equal('sobolev');
  });

  it('a user metric registered by class is usable by name, and listed for unknown names', () => {
    const c = createMetricContainer();
    registerMetric(c, DoublingMetric);
    const registry = c.resolve(MetricRegistry);
    const x = tf.tensor2d([[1, -2], [3, 0.5]]);
    const y = transformGradient(x, { metric: 'doubling' }, registry);
    expect(Array.from(y.dataSync())).to.deep.equal([2, -4, 6, 1]);
    const z = transformGradient(x, { metric: 'doubling', mix: 0.5 }, registry); // 2x + 0.5x
    expect(Array.from(z.dataSync())).to.deep.equal([2.5, -5, 7.5, 1.25]);
    const s = transformGradient(x, { metric: 'sobolev' }, registry); // built-ins still there
    expect(() => transformGradient(x, { metric: 'nope' }, registry)).to.throw(/known metrics: .*sobolev.*doubling/);
    tf.dispose([x, y, z, s]);
  });

  it('a user metric registered as an instance in a child container keeps the built-ins visible', () => {
    const parent = createMetricContainer(rootContainer);
    const child = parent.createChildContainer();
    const seen: ResolvedMetricSpec[] = [];
    registerMetric(child, {
      name: 'negate',
      validate: (spec) => void seen.push(spec),
      apply: (grad) => tf.neg(grad),
    });
    const registry = child.resolve(MetricRegistry);
    expect(registry.names()).to.include.members(['sobolev', 'negate']);
    const x = tf.tensor1d([1, 2]);
    const y = transformGradient(x, { metric: 'negate', axis: 0 }, registry);
    expect(Array.from(y.dataSync())).to.deep.equal([-1, -2]);
    expect(seen[0].axis).to.equal(0);
    tf.dispose([x, y]);
    expect(parent.resolve(MetricRegistry).has('negate')).to.equal(false);
  });

  it('rejects malformed strategies', () => {
    const c = createMetricContainer();
    registerMetric(c, { name: '', apply: (g: tf.Tensor) => g });
    expect(() => c.resolve(MetricRegistry)).to.throw(/non-empty string `name`/);
  });
});

describe('core wasm module', () => {
  it('the committed bytes are the assembly of packages/core/wasm/filters.wat', async () => {
    const { readFileSync } = await import('fs');
    const path = await import('path');
    const wabtInit = (await import('wabt')).default;
    const { FILTERS_WASM_BASE64 } = await import('../../packages/core/src/kernels/wasm_module');
    const wabt = await wabtInit();
    const wat = readFileSync(path.join(__dirname, '../../packages/core/wasm/filters.wat'), 'utf8');
    const mod = wabt.parseWat('filters.wat', wat, { simd: true });
    const bytes = Buffer.from(mod.toBinary({}).buffer);
    mod.destroy();
    expect(bytes.toString('base64'), 'run npm run build:wasm -w @cdg/core').to.equal(FILTERS_WASM_BASE64);
  });
});

describe('core strategy symbols', () => {
  it("each built-in's symbol() is method.md's Fourier symbol", () => {
    const registry = createMetricContainer().resolve(MetricRegistry);
    for (const n of [1, 2, 7, 16]) {
      for (let k = 0; k < n; k++) {
        const spec = (s: MetricSpec) => resolveSpec(s, 1);
        expect(registry.get('l2').symbol!(k, n, spec({ metric: 'l2' }))).to.equal(1);
        expect(registry.get('reweighted-l2').symbol!(k, n, spec({ metric: 'reweighted-l2', lambda: 3 }))).to.be.closeTo(symbols.reweighted(3)(k), 1e-12);
        expect(registry.get('reweighted-l2').symbol!(k, n, spec({ metric: 'reweighted-l2', lambda: 3, formulation: 'paper' }))).to.be.closeTo(
          4 * symbols.reweighted(4)(k), 1e-12); // (1+λ)·exact(1+λ)
        expect(registry.get('sobolev').symbol!(k, n, spec({ metric: 'sobolev', lambda: 0.5 }))).to.be.closeTo(symbols.sobolev(0.5)(k, n), 1e-9);
        expect(registry.get('laplacian-smoothing').symbol!(k, n, spec({ metric: 'laplacian-smoothing', sigma: 2 }))).to.be.closeTo(symbols.laplacian(2)(k, n), 1e-12);
      }
    }
    expect(() => registry.get('sobolev').symbol!(1, 4, resolveSpec({ metric: 'sobolev', formulation: 'paper' }, 1))).to.throw(/not a circulant filter/);
  });
});

describe('core composite fallback on a backend without the fused kernel', () => {
  const name = 'cdg-test-plain-cpu';
  before(async () => {
    // The cpu backend's kernels under another name, without CdgChannelFilter and without FFT.
    tf.registerBackend(name, () => new MathBackendCPU(), 0);
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (k.kernelName !== 'CdgChannelFilter' && k.kernelName !== 'FFT' && k.kernelName !== 'IFFT') {
        tf.registerKernel({ ...k, backendName: name });
      }
    }
    await tf.setBackend(name);
  });
  after(async () => {
    await tf.setBackend('cpu');
    tf.removeBackend(name);
  });

  it('has no fused kernel there, and every metric still matches its Fourier symbol', () => {
    expect(fusedKernelAvailable()).to.equal(false);
    expect(tf.getKernel('CdgChannelFilter', name)).to.equal(undefined);
    const shape = [3, 5, 6];
    const values = randomValues(90, 3);
    const x = tf.tensor(values, shape);
    for (const axis of [0, 1, 2, 'rasterized'] as const) {
      const f = layoutOf(shape, axis);
      const cases: Array<[MetricSpec, (k: number, n: number) => number]> = [
        [{ metric: 'reweighted-l2', lambda: 3 }, symbols.reweighted(3)],
        [{ metric: 'sobolev', lambda: 0.5 }, symbols.sobolev(0.5)],
        [{ metric: 'laplacian-smoothing', sigma: 2 }, symbols.laplacian(2)],
      ];
      for (const [spec, symbol] of cases) {
        const y = transformGradient(x, { ...spec, axis });
        const expected = mapFibres(values, f, dftFilter(f.n, symbol));
        expect(relError(y.dataSync(), expected), `${spec.metric} axis ${axis}`).to.be.at.most(2e-4);
        y.dispose();
      }
    }
    x.dispose();
  });
});

describe('core memory', () => {
  const specs: MetricSpec[] = [
    { metric: 'l2', mix: 0.1 },
    { metric: 'reweighted-l2', mix: 0.3 },
    { metric: 'reweighted-l2', formulation: 'paper' },
    { metric: 'sobolev', axis: 2 },
    { metric: 'sobolev', formulation: 'paper', mix: 0.5 },
    { metric: 'laplacian-smoothing', axis: 'rasterized' },
    { metric: 'laplacian-smoothing', axis: 0, mix: 1 },
  ];
  for (const backend of ['cpu', 'wasm']) {
    it(`tf.memory().numTensors is flat over repeated calls (${backend}, fused and composite)`, async () => {
      await tf.setBackend(backend);
      const x = tf.tensor(randomValues(96, 1), [2, 3, 4, 4]);
      const registry = createMetricContainer().resolve(MetricRegistry);
      const once = () => {
        for (const spec of specs) {
          tf.dispose(transformGradient(x, spec, registry));
          const strategy = registry.get(spec.metric) as MetricStrategy & { applyComposite?: (g: tf.Tensor, s: ResolvedMetricSpec) => tf.Tensor };
          if (strategy.applyComposite) tf.dispose(strategy.applyComposite(x, resolveSpec(spec, x.rank)));
        }
      };
      once();
      const before = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      for (let i = 0; i < 5; i++) once();
      expect(tf.memory().numTensors).to.equal(before);
      expect(tf.memory().numBytes).to.equal(bytes);
      expect(x.isDisposed).to.equal(false);
      x.dispose();
    });
  }
});
