// `npm run bench -- backend`: a conv-net training step (forward + backward + SGD update) on
// wasm + @cdg/backend's training-kernel pack vs the pure-JS cpu backend, in the same run; GFLOP/s
// of the forward pass and of the full step; per-kernel rates; and whether a second core pays
// (worker_threads splitting the batch). Environment knobs:
//   BACKEND_BENCH_CPU_STEPS (default 2)  cpu steps timed (each takes tens of seconds)
//   BACKEND_BENCH_REPS      (default 10) wasm repetitions (median reported)
//   BACKEND_BENCH_WORKERS   (default 1)  set 0 to skip the two-core experiment
import * as tf from '@tensorflow/tfjs-core';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { selectBackend } from '@cdg/backend';
import { wasmKernel } from '../packages/backend/src/kernels/wasm_ops';

interface Layer { f: number; cin: number; cout: number; stride: number }
interface Net { name: string; batch: number; hw: number; cin: number; layers: Layer[]; classes: number }

const MNIST: Net = {
  name: 'MNIST-like 28x28x1, batch 32: conv3x3 1→16 s1, conv3x3 16→32 s2, conv3x3 32→32 s1, GAP, dense 10',
  batch: 32, hw: 28, cin: 1, classes: 10,
  layers: [{ f: 3, cin: 1, cout: 16, stride: 1 }, { f: 3, cin: 16, cout: 32, stride: 2 }, { f: 3, cin: 32, cout: 32, stride: 1 }],
};
const CIFAR: Net = {
  name: 'CIFAR-like 32x32x3, batch 32: conv3x3 3→32 s1, conv3x3 32→64 s2, conv3x3 64→64 s1, GAP, dense 10',
  batch: 32, hw: 32, cin: 3, classes: 10,
  layers: [{ f: 3, cin: 3, cout: 32, stride: 1 }, { f: 3, cin: 32, cout: 64, stride: 2 }, { f: 3, cin: 64, cout: 64, stride: 1 }],
};

const CPU_STEPS = Number(process.env.BACKEND_BENCH_CPU_STEPS ?? 2);
const REPS = Number(process.env.BACKEND_BENCH_REPS ?? 10);
const WORKERS = Number(process.env.BACKEND_BENCH_WORKERS ?? 1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Deterministic data in [-1, 1). */
function det(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = scale * (s / 2 ** 31 - 1);
  }
  return out;
}

/** Spatial size after each layer ('same' padding). */
function sizes(net: Net): number[] {
  const out = [net.hw];
  for (const l of net.layers) out.push(Math.ceil(out[out.length - 1] / l.stride));
  return out;
}

/** FLOPs (multiply + add = 2) of the convolutions: forward, filter gradients, input gradients. */
function flops(net: Net, batch = net.batch) {
  const hw = sizes(net);
  let fwd = 0;
  let dx = 0;
  net.layers.forEach((l, i) => {
    const f = 2 * batch * hw[i + 1] * hw[i + 1] * l.f * l.f * l.cin * l.cout;
    fwd += f;
    if (i > 0) dx += f; // the input needs no gradient
  });
  return { fwd, dW: fwd, dx, step: 2 * fwd + dx };
}

function weightShapes(net: Net): number[][] {
  const s: number[][] = [];
  for (const l of net.layers) s.push([l.f, l.f, l.cin, l.cout], [l.cout]);
  s.push([net.layers[net.layers.length - 1].cout, net.classes], [net.classes]);
  return s;
}

function initWeights(net: Net): Float32Array[] {
  return weightShapes(net).map((shape, i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[0] * shape[1] * shape[2] : shape.length === 2 ? shape[0] : 1;
    return shape.length === 1 ? new Float32Array(n) : det(n, 100 + i, Math.sqrt(6 / fanIn));
  });
}

function batchData(net: Net, batch: number, offset = 0) {
  const x = det(net.batch * net.hw * net.hw * net.cin, 1).subarray(
    offset * net.hw * net.hw * net.cin, (offset + batch) * net.hw * net.hw * net.cin);
  const y = new Float32Array(batch * net.classes);
  for (let i = 0; i < batch; i++) y[i * net.classes + ((i + offset) * 7) % net.classes] = 1;
  return { x, y };
}

function loss(net: Net, x: tf.Tensor4D, y: tf.Tensor2D, v: tf.Variable[]): tf.Scalar {
  let h: tf.Tensor4D = x;
  net.layers.forEach((l, i) => {
    h = tf.relu(tf.add(tf.conv2d(h, v[2 * i] as tf.Tensor4D, l.stride, 'same'), v[2 * i + 1])) as tf.Tensor4D;
  });
  const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(pooled, v[v.length - 2] as tf.Tensor2D), v[v.length - 1]);
  return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

interface Model { x: tf.Tensor4D; y: tf.Tensor2D; vars: tf.Variable[]; opt: tf.SGDOptimizer; dispose(): void }

function makeModel(net: Net, weights: Float32Array[], batch = net.batch, offset = 0): Model {
  const { x, y } = batchData(net, batch, offset);
  const xt = tf.tensor4d(x, [batch, net.hw, net.hw, net.cin]);
  const yt = tf.tensor2d(y, [batch, net.classes]);
  const vars = weightShapes(net).map((s, i) => tf.variable(tf.tensor(weights[i], s)));
  const opt = tf.train.sgd(0.01);
  return { x: xt, y: yt, vars, opt, dispose: () => { tf.dispose([xt, yt, ...vars]); opt.dispose(); } };
}

function forward(net: Net, m: Model): number {
  const t0 = performance.now();
  const l = tf.tidy(() => loss(net, m.x, m.y, m.vars));
  l.dataSync();
  l.dispose();
  return performance.now() - t0;
}

function grads(net: Net, m: Model): tf.Tensor[] {
  const { value, grads: g } = tf.variableGrads(() => loss(net, m.x, m.y, m.vars));
  value.dispose();
  return m.vars.map((v) => g[v.name]);
}

/** One training step: forward, backward, SGD update; returns ms (and, if asked, the gradients). */
function step(net: Net, m: Model, keep?: Float32Array[][]): number {
  const t0 = performance.now();
  const g = grads(net, m);
  const named: tf.NamedTensorMap = {};
  m.vars.forEach((v, i) => { named[v.name] = g[i]; });
  m.opt.applyGradients(named);
  m.vars[0].dataSync();
  const t = performance.now() - t0;
  if (keep) keep.push(g.map((x) => x.dataSync() as Float32Array));
  tf.dispose(g);
  return t;
}

async function measure(net: Net, backend: string, reps: number, weights: Float32Array[]) {
  await tf.setBackend(backend);
  const m = makeModel(net, weights);
  // The first step's gradients (same initial weights on every backend) are kept for comparison;
  // on cpu that step is also the first timed one (no warm-up: each takes tens of seconds).
  const first: Float32Array[][] = [];
  const fw: number[] = [];
  const st: number[] = [];
  if (backend === 'cpu') {
    fw.push(forward(net, m));
    st.push(step(net, m, first));
  } else {
    step(net, m, first);
    forward(net, m);
    step(net, m);
  }
  for (let i = st.length; i < reps; i++) {
    fw.push(forward(net, m));
    st.push(step(net, m));
  }
  m.dispose();
  return { fwd: median(fw), step: median(st), fwdAll: fw, stepAll: st, firstGrads: first[0] };
}

/** Max relative difference (per tensor, relative to its largest entry) of two gradient sets. */
function gradAgreement(got: Float32Array[], ref: Float32Array[]): number {
  let worst = 0;
  got.forEach((a, k) => {
    const b = ref[k];
    let d = 0;
    let s = 0;
    for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
    worst = Math.max(worst, s ? d / s : d);
  });
  return worst;
}

function kernelTable(net: Net): string[] {
  const rows: string[] = [];
  const hw = sizes(net);
  const stock = wasmKernel('Conv2DBackpropInput');
  const be = tf.backend();
  const time = (f: () => tf.Tensor, n: number) => {
    f().dispose();
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const r = f();
      r.dataSync();
      r.dispose();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  net.layers.forEach((l, i) => {
    const x = tf.tensor4d(det(net.batch * hw[i] * hw[i] * l.cin, 3), [net.batch, hw[i], hw[i], l.cin]);
    const w = tf.tensor4d(det(l.f * l.f * l.cin * l.cout, 4), [l.f, l.f, l.cin, l.cout]);
    const dy = tf.tensor4d(det(net.batch * hw[i + 1] * hw[i + 1] * l.cout, 5), [net.batch, hw[i + 1], hw[i + 1], l.cout]);
    const gf = 2 * net.batch * hw[i + 1] * hw[i + 1] * l.f * l.f * l.cin * l.cout / 1e9;
    const attrs = { strides: l.stride, pad: 'same', dataFormat: 'NHWC' };
    const tF = time(() => tf.conv2d(x, w, l.stride, 'same'), REPS);
    const tW = time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape } as never) as tf.Tensor, REPS);
    const tX = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape } as never) as tf.Tensor, REPS);
    const tS = time(() => tf.engine().makeTensorFromTensorInfo(stock.kernelFunc({
      inputs: { dy, filter: w }, backend: be, attrs: { ...attrs, inputShape: x.shape } as never,
    }) as tf.TensorInfo), Math.max(3, Math.floor(REPS / 3)));
    const r = (t: number) => `${t.toFixed(1).padStart(7)} ms ${(gf / t * 1e3).toFixed(2).padStart(6)} GF/s`;
    rows.push(`  layer ${i + 1} (${hw[i]}x${hw[i]}x${l.cin}→${l.cout}, s${l.stride}, ${(gf * 1e3).toFixed(0)} MFLOP): ` +
      `Conv2D ${r(tF)} | BackpropFilter ${r(tW)} | BackpropInput ${r(tX)} | stock wasm BackpropInput ${r(tS)}`);
    tf.dispose([x, w, dy]);
  });
  return rows;
}

// ---- two-core experiment: a worker computes the gradient of half the batch -------------------

interface WorkerMsg { weights: Float32Array[] }

async function workerMain(): Promise<void> {
  const net: Net = workerData.net;
  await selectBackend('wasm', { logger: null, env: {} });
  let m: Model | null = null;
  parentPort!.on('message', (msg: WorkerMsg | 'stop') => {
    if (msg === 'stop') { m?.dispose(); parentPort!.close(); return; }
    if (m === null) m = makeModel(net, msg.weights, net.batch / 2, net.batch / 2);
    else m.vars.forEach((v, i) => v.assign(tf.tensor(msg.weights[i], v.shape)));
    const g = grads(net, m);
    const out = g.map((t) => t.dataSync() as Float32Array);
    tf.dispose(g);
    parentPort!.postMessage(out, out.map((a) => a.buffer as ArrayBuffer));
  });
}

async function twoCore(net: Net, weights: Float32Array[]): Promise<string[]> {
  await tf.setBackend('wasm');
  // Workers do not take --import; register tsx's CommonJS hook in the worker, then load this file.
  const boot = `require('tsx/cjs'); require(${JSON.stringify(__filename)});`;
  const worker = new Worker(boot, { eval: true, workerData: { net } });
  const ask = (w: Float32Array[]) => new Promise<Float32Array[]>((resolve) => {
    worker.once('message', resolve);
    worker.postMessage({ weights: w });
  });
  const full = makeModel(net, weights);
  const half = makeModel(net, weights, net.batch / 2, 0);
  // Warm both sides.
  await ask(weights);
  tf.dispose(grads(net, half));
  tf.dispose(grads(net, full));
  const single: number[] = [];
  const split: number[] = [];
  for (let i = 0; i < REPS; i++) {
    let t0 = performance.now();
    const gFull = grads(net, full);
    gFull[0].dataSync();
    single.push(performance.now() - t0);
    tf.dispose(gFull);

    t0 = performance.now();
    const cur = half.vars.map((v) => v.dataSync() as Float32Array);
    const remote = ask(cur);
    const local = grads(net, half);
    const parts = await remote;
    const summed = tf.tidy(() => local.map((g, k) => tf.mul(tf.add(g, tf.tensor(parts[k], g.shape)), 0.5)));
    summed[0].dataSync();
    split.push(performance.now() - t0);
    tf.dispose([...local, ...summed]);
  }
  worker.postMessage('stop');
  await new Promise((r) => worker.once('exit', r));
  full.dispose();
  half.dispose();
  const s = median(single);
  const p = median(split);
  return [
    `  gradient of batch ${net.batch} on the main thread: ${s.toFixed(1)} ms (median of ${REPS})`,
    `  batch split 16 + 16 over main thread + 1 worker (wasm + pack in both, weights/grads copied): ${p.toFixed(1)} ms`,
    `  speed-up ${(s / p).toFixed(2)}x -> ${s / p > 1.15 ? 'pays' : 'does not pay'} on this machine (load average ${require('os').loadavg()[0].toFixed(1)} over ${require('os').cpus().length} cores)`,
  ];
}

async function main(): Promise<void> {
  const sel = await selectBackend('wasm', { logger: null, env: {} });
  console.log(`wasm backend '${sel}', SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`);
  const lines: string[] = [];

  const net = MNIST;
  const w = initWeights(net);
  const F = flops(net);
  console.log(`\n${net.name}`);
  console.log(`  conv FLOPs: forward ${(F.fwd / 1e6).toFixed(1)} M, full step ${(F.step / 1e6).toFixed(1)} M (forward + filter grads + input grads of layers 2-3)`);
  const wasm = await measure(net, 'wasm', REPS, w);
  const cpu = await measure(net, 'cpu', CPU_STEPS, w);
  console.log(`  first-step gradients, wasm+pack vs cpu, max relative difference: ${gradAgreement(wasm.firstGrads, cpu.firstGrads).toExponential(2)}`);
  const rate = (fl: number, ms: number) => (fl / ms / 1e6).toFixed(2);
  for (const [name, r] of [['wasm+pack', wasm], ['cpu', cpu]] as const) {
    const bwd = r.step - r.fwd;
    console.log(`  ${name.padEnd(9)} forward ${r.fwd.toFixed(1).padStart(9)} ms (${rate(F.fwd, r.fwd)} GFLOP/s) | ` +
      `step ${r.step.toFixed(1).padStart(9)} ms (${rate(F.step, r.step)} GFLOP/s) | backward ≈ ${bwd.toFixed(1)} ms (${rate(F.step - F.fwd, bwd)} GFLOP/s)`);
  }
  const ratio = wasm.step / cpu.step;
  const fwdRate = F.fwd / wasm.fwd;
  const bwdRate = (F.step - F.fwd) / (wasm.step - wasm.fwd);
  lines.push(`step time wasm+pack / cpu = ${ratio.toFixed(4)} (bar ≤ 0.05: ${ratio <= 0.05 ? 'met' : 'NOT met'}); cpu steps timed: ${CPU_STEPS}`);
  lines.push(`wasm forward rate / backward rate = ${(fwdRate / bwdRate).toFixed(2)} (bar ≤ 3: ${fwdRate / bwdRate <= 3 ? 'met' : 'NOT met'})`);
  console.log(`  ${lines.join('\n  ')}`);
  await tf.setBackend('wasm');
  console.log('  per kernel on wasm (median):');
  for (const r of kernelTable(net)) console.log(r);

  const net2 = CIFAR;
  const w2 = initWeights(net2);
  const F2 = flops(net2);
  console.log(`\n${net2.name} (wasm+pack only; the cpu step would take minutes)`);
  const wasm2 = await measure(net2, 'wasm', Math.max(3, Math.floor(REPS / 2)), w2);
  console.log(`  wasm+pack forward ${wasm2.fwd.toFixed(1)} ms (${rate(F2.fwd, wasm2.fwd)} GFLOP/s) | step ${wasm2.step.toFixed(1)} ms (${rate(F2.step, wasm2.step)} GFLOP/s) | ` +
    `backward ${(wasm2.step - wasm2.fwd).toFixed(1)} ms (${rate(F2.step - F2.fwd, wasm2.step - wasm2.fwd)} GFLOP/s)`);
  await tf.setBackend('wasm');
  console.log('  per kernel on wasm (median):');
  for (const r of kernelTable(net2)) console.log(r);

  if (WORKERS > 0) {
    console.log(`\nsecond core (${net.name.split(':')[0]}):`);
    for (const l of await twoCore(net, w)) console.log(l);
    const cpuShare = wasm.step / cpu.step;
    console.log(`  cpu backend in parallel on the other core could take at most a ${(cpuShare * 100).toFixed(2)}% share of the batch (its step is ${(1 / cpuShare).toFixed(0)}x slower): does not pay`);
  }
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  void workerMain();
}
