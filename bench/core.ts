// `npm run bench -- core`: transformGradient on a [3,3,256,256] gradient (fibres along the last
// axis, n = 256) as a ratio to one tf.add(x, x) of the same tensor, measured in the same run (the
// issue's bar); then, for information, other axes and Laplacian smoothing, and the composite ops.
// Two groups, each interleaved with its own tf.add reference so that the slow composite versions
// (and their garbage) do not disturb the fused measurements. Medians; no dataSync (cpu and wasm
// kernels compute synchronously).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { fusedKernelAvailable, resolveSpec, ReweightedL2Metric, SobolevMetric, transformGradient, type MetricSpec } from '@cdg/core';

const SHAPE = [3, 3, 256, 256];
const FUSED_REPS = Number(process.env.CORE_BENCH_REPS ?? 100);
const COMPOSITE_REPS: Record<string, number> = { cpu: 5, wasm: 20 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function timeOnce(f: () => tf.Tensor): number {
  const t0 = performance.now();
  const y = f();
  const t = performance.now() - t0;
  y.dispose();
  return t;
}

/** Runs the cases interleaved `reps` times after a warm-up; returns [name, median ms, ratio to the first case]. */
function measure(cases: Array<[string, () => tf.Tensor]>, reps: number): Array<[string, number, number]> {
  const times = cases.map(() => [] as number[]);
  for (let i = 0; i < 3; i++) cases.forEach(([, f]) => timeOnce(f)); // warm-up: JIT, wasm tier-up, kernel registration
  for (let r = 0; r < reps; r++) cases.forEach(([, f], i) => times[i].push(timeOnce(f)));
  const ref = median(times[0]);
  return cases.map(([name], i) => [name, median(times[i]), median(times[i]) / ref]);
}

async function main(): Promise<void> {
  const rows: string[] = [];
  for (const backend of ['cpu', 'wasm']) {
    await tf.setBackend(backend);
    await tf.ready();
    const x = tf.randomNormal(SHAPE, 0, 1, 'float32', 7);
    const sobolev: MetricSpec = { metric: 'sobolev', lambda: 1 };
    const reweighted: MetricSpec = { metric: 'reweighted-l2', lambda: 1 };
    const sob = new SobolevMetric();
    const rw = new ReweightedL2Metric();
    if (!fusedKernelAvailable()) throw new Error(`no fused kernel on ${backend}`);
    const add: [string, () => tf.Tensor] = ['tf.add(x, x)', () => tf.add(x, x)];
    const groups: Array<[string, number, Array<[string, () => tf.Tensor]>]> = [
      ['fused', FUSED_REPS, [
        add,
        ['sobolev λ=1', () => transformGradient(x, sobolev)],
        ['reweighted-l2 λ=1', () => transformGradient(x, reweighted)],
      ]],
      ['fused, other layouts', 25, [
        add,
        ['sobolev axis 2', () => transformGradient(x, { ...sobolev, axis: 2 })],
        ['reweighted-l2 axis 2', () => transformGradient(x, { ...reweighted, axis: 2 })],
        ['sobolev rasterized', () => transformGradient(x, { ...sobolev, axis: 'rasterized' })],
        ['laplacian σ=1 axis -1', () => transformGradient(x, { metric: 'laplacian-smoothing', sigma: 1 })],
        ['laplacian σ=1 rasterized', () => transformGradient(x, { metric: 'laplacian-smoothing', sigma: 1, axis: 'rasterized' })],
      ]],
      ['composite', COMPOSITE_REPS[backend], [
        add,
        ['sobolev λ=1', () => sob.applyComposite(x, resolveSpec(sobolev, 4))],
        ['reweighted-l2 λ=1', () => rw.applyComposite(x, resolveSpec(reweighted, 4))],
      ]],
    ];
    console.log(`\n${backend}: tensor [${SHAPE}]`);
    for (const [label, reps, cases] of groups) {
      const results = measure(cases, reps);
      console.log(`  ${label} (${reps} interleaved repetitions, medians)`);
      for (const [name, t, ratio] of results) {
        console.log(`    ${name.padEnd(26)} ${t.toFixed(3).padStart(10)} ms   ratio ${ratio.toFixed(2)}`);
      }
      const addMs = results[0][1];
      for (const [name, t, ratio] of results.slice(1)) {
        rows.push(`| ${backend} | ${name} (${label}) | ${t.toFixed(2)} ms | ${addMs.toFixed(2)} ms | ${ratio.toFixed(2)} |`);
      }
    }
    x.dispose();
  }
  console.log('\n| backend | transform | median | tf.add median | ratio |\n| --- | --- | --- | --- | --- |\n' + rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
