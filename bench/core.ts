// `npm run bench -- core`: transformGradient on a [3,3,256,256] gradient (fibres along the last
// axis, n = 256) as a ratio to one tf.add(x, x) of the same tensor, measured in the same run,
// interleaved, median of many repetitions. Fused kernels and the composite-op versions.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { fusedKernelAvailable, resolveSpec, ReweightedL2Metric, SobolevMetric, transformGradient, type MetricSpec } from '@cdg/core';

const SHAPE = [3, 3, 256, 256];
const REPS = Number(process.env.CORE_BENCH_REPS ?? 40);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function timeOnce(f: () => tf.Tensor): number {
  const t0 = performance.now();
  const y = f(); // cpu and wasm run kernels synchronously: the result is computed on return
  const t = performance.now() - t0;
  y.dispose();
  return t;
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
    const cases: Array<[string, () => tf.Tensor]> = [
      ['tf.add(x, x)', () => tf.add(x, x)],
      ['sobolev λ=1 (fused)', () => transformGradient(x, sobolev)],
      ['reweighted-l2 λ=1 (fused)', () => transformGradient(x, reweighted)],
      ['sobolev λ=1 (composite)', () => sob.applyComposite(x, resolveSpec(sobolev, 4))],
      ['reweighted-l2 λ=1 (composite)', () => rw.applyComposite(x, resolveSpec(reweighted, 4))],
    ];
    if (!fusedKernelAvailable()) throw new Error(`no fused kernel on ${backend}`);
    const times = cases.map(() => [] as number[]);
    for (let i = 0; i < 3; i++) cases.forEach(([, f]) => timeOnce(f)); // warm-up (JIT, kernel registration)
    for (let r = 0; r < REPS; r++) cases.forEach(([, f], i) => times[i].push(timeOnce(f)));
    const add = median(times[0]);
    console.log(`\n${backend}: tensor [${SHAPE}], ${REPS} interleaved repetitions, medians`);
    cases.forEach(([name], i) => {
      const t = median(times[i]);
      const ratio = t / add;
      console.log(`  ${name.padEnd(32)} ${t.toFixed(3).padStart(9)} ms   ratio ${ratio.toFixed(2)}`);
      if (i > 0) rows.push(`| ${backend} | ${name} | ${t.toFixed(2)} ms | ${ratio.toFixed(2)} |`);
    });
    rows.push(`| ${backend} | tf.add(x, x) | ${add.toFixed(2)} ms | 1 |`);
    x.dispose();
  }
  console.log('\n| backend | transform | median | ratio to tf.add |\n| --- | --- | --- | --- |\n' + rows.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
