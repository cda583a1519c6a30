import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel, input as symbolicInput } from '@tensorflow/tfjs-layers';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import {
  buildMultiscaleDiscriminator, buildSpadeGenerator, multiscaleDiscriminatorParameterCount, ParameterFreeNorm, ResizeNearest,
  spadeGeneratorParameterCount, SpadeModulation, SpectralConv2D, SPADE_CITYSCAPES, trainableParameterCount,
} from '@cdg/gan';

/** Largest singular value of a TF kernel [kh, kw, in, out] seen as PyTorch's [out, kh·kw·in] matrix. */
function spectralNorm(kernel: tf.Tensor): number {
  const [kh, kw, cin, cout] = kernel.shape;
  const v = kernel.dataSync();
  const m = new Matrix(cout, kh * kw * cin);
  for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    m.set(o, (a * kw + b) * cin + i, v[((a * kw + b) * cin + i) * cout + o]);
  }
  return new SingularValueDecomposition(m, { autoTranspose: true }).norm2;
}

describe('gan: SPADE generator and multi-scale discriminator', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('SPADE residual blocks have the SPADE channel plan, sizes and learned shortcuts', () => {
    const G = buildSpadeGenerator({ height: 32, width: 64, labelChannels: 5, ngf: 2, spadeHidden: 6 });
    const plan: [string, number[]][] = [
      ['head_0', [1, 2, 32]], ['G_middle_0', [2, 4, 32]], ['G_middle_1', [2, 4, 32]],
      ['up_0', [4, 8, 16]], ['up_1', [8, 16, 8]], ['up_2', [16, 32, 4]], ['up_3', [32, 64, 2]],
    ];
    for (const [name, shape] of plan) expect(G.getLayer(`g_${name}_out`).outputShape, name).to.deep.equal([null, ...shape]);
    const names = G.layers.map((l) => l.name);
    for (const [name] of plan) expect(names.includes(`g_${name}_conv_s`), name).to.equal(name.startsWith('up_'));
    // SPADE γ/β convs output the normalized tensor's channels; the shared conv sees the resized label map
    expect(G.getLayer('g_up_1_norm_0_mlp_gamma').outputShape).to.deep.equal([null, 8, 16, 16]);
    expect(G.getLayer('g_up_1_norm_1_mlp_beta').outputShape).to.deep.equal([null, 8, 16, 8]);
    expect(G.getLayer('g_up_1_norm_0_mlp_shared').outputShape).to.deep.equal([null, 8, 16, 6]);
    const y = G.apply(tf.ones([1, 32, 64, 5]), { training: true }) as tf.Tensor;
    expect(y.shape).to.deep.equal([1, 32, 64, 3]);
    const v = y.dataSync();
    expect(Math.max(...v)).to.be.at.most(1);
    expect(Math.min(...v)).to.be.at.least(-1);
    y.dispose();
    G.dispose();
  });

  it('the analytic parameter counts equal the trainable weights, and SPADE\'s Cityscapes sizes give 93.0M / 5.6M', () => {
    for (const cfg of [
      { height: 32, width: 64, labelChannels: 5, ngf: 4, spadeHidden: 6 },
      { height: 128, width: 128, labelChannels: 3, ngf: 2, spadeHidden: 3, upsampling: 'most' as const, norm: 'instance' as const },
    ]) {
      const G = buildSpadeGenerator(cfg);
      expect(spadeGeneratorParameterCount(cfg)).to.equal(trainableParameterCount(G));
      G.dispose();
    }
    const dcfg = { height: 32, width: 64, inputChannels: 8, ndf: 4, layers: 3, scales: 3 };
    const D = buildMultiscaleDiscriminator(dcfg);
    expect(multiscaleDiscriminatorParameterCount(dcfg)).to.equal(trainableParameterCount(D));
    D.dispose();
    const s = SPADE_CITYSCAPES;
    expect(spadeGeneratorParameterCount({ height: s.height, width: s.width, labelChannels: s.labelChannels, ngf: s.ngf, spadeHidden: s.spadeHidden })).to.equal(93_048_003);
    expect(multiscaleDiscriminatorParameterCount({ height: s.height, width: s.width, inputChannels: s.labelChannels + 3, ndf: s.ndf, layers: s.dLayers, scales: s.dScales })).to.equal(5_601_410);
  });

  it('the discriminator gives layers + 1 outputs per scale, the next scale at half size', () => {
    const D = buildMultiscaleDiscriminator({ height: 32, width: 64, inputChannels: 8, ndf: 4, layers: 3, scales: 2 });
    const outs = D.apply(tf.zeros([1, 32, 64, 8])) as tf.Tensor[];
    // k4 pad 2: out = floor(in / stride) + 1
    expect(outs.map((o) => o.shape)).to.deep.equal([
      [1, 17, 33, 4], [1, 9, 17, 8], [1, 10, 18, 16], [1, 11, 19, 1],
      [1, 9, 17, 4], [1, 5, 9, 8], [1, 6, 10, 16], [1, 7, 11, 1],
    ]);
    tf.dispose(outs);
    D.dispose();
  });

  it('parameter-free norm, SPADE modulation and nearest resize compute what they should (by hand)', () => {
    const x = tf.tensor4d([1, 2, 3, 6, 10, 20, 30, 60], [2, 2, 2, 1]);
    const inst = new ParameterFreeNorm({ mode: 'instance', epsilon: 0 }).apply(x) as tf.Tensor;
    // sample 0: mean 3, var (4+1+0+9)/4 = 3.5
    const s = Math.sqrt(3.5);
    Array.from(inst.dataSync().slice(0, 4)).forEach((v, i) => expect(v).to.be.closeTo([-2 / s, -1 / s, 0, 3 / s][i], 1e-5));
    // sample 1 is sample 0 × 10: same normalized values
    Array.from(inst.dataSync().slice(4)).forEach((v, i) => expect(v).to.be.closeTo(inst.dataSync()[i], 1e-5));
    const batch = new ParameterFreeNorm({ mode: 'batch', epsilon: 0 }).apply(x) as tf.Tensor;
    const vals = [1, 2, 3, 6, 10, 20, 30, 60];
    const m = vals.reduce((a, b) => a + b) / 8;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - m) ** 2, 0) / 8);
    Array.from(batch.dataSync()).forEach((v, i) => expect(v).to.be.closeTo((vals[i] - m) / sd, 1e-5));
    const mod = new SpadeModulation().apply([tf.tensor1d([1, 2]), tf.tensor1d([0.5, -1]), tf.tensor1d([3, 4])]) as tf.Tensor;
    expect(Array.from(mod.dataSync())).to.deep.equal([1 * 1.5 + 3, 2 * 0 + 4]);
    // 4 → 2 nearest: source index floor(i · 4/2) = 0, 2
    const r = new ResizeNearest({ height: 1, width: 2 }).apply(tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 4, 1])) as tf.Tensor;
    expect(Array.from(r.dataSync())).to.deep.equal([0, 2]);
    tf.dispose([x, inst, batch, mod, r]);
  });

  it('spectral norm: the convolved kernel has spectral norm 1 (SVD) once the power iteration has converged', () => {
    const layer = new SpectralConv2D({ filters: 6, kernelSize: 3, seed: 4 });
    const x = tf.randomNormal([1, 5, 5, 4], 0, 1, 'float32', 2);
    for (let i = 0; i < 40; i++) tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
    const raw = layer.getWeights()[0];
    expect(spectralNorm(raw)).to.not.be.closeTo(1, 0.05); // the raw weight is not normalized…
    const w = layer.normalizedKernel();
    expect(spectralNorm(w)).to.be.closeTo(1, 1e-3); // …the kernel used is
    // u is a non-trainable weight: checkpointed, not optimized
    expect(layer.trainableWeights.map((v) => v.originalName)).to.deep.equal([`${layer.name}/kernel`, `${layer.name}/bias`]);
    expect(layer.nonTrainableWeights.map((v) => v.originalName)).to.deep.equal([`${layer.name}/u`]);
    tf.dispose([x, w]);
  });

  it('spectral norm: the kernel gradient is PyTorch\'s (u, v constant): G/σ − (Σ G∘W)/σ² · u vᵀ', () => {
    const layer = new SpectralConv2D({ filters: 3, kernelSize: 3, useBias: false, seed: 9 });
    const inp = symbolicInput({ shape: [4, 4, 2] });
    layer.apply(inp);
    const x = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 5);
    const r = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 6);
    const kernel = layer.trainableWeights[0].read() as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: false }) as tf.Tensor, r)) as tf.Scalar, [kernel]);
    // independent: σ and u, v by hand from the same u; the plain conv gradient at W/σ by tf.grad
    const W = kernel.dataSync();
    const u0 = Array.from(layer.getWeights()[1].dataSync());
    const cols = 3 * 3 * 2;
    const mat = (o: number, c: number) => W[c * 3 + o]; // TF [kh, kw, in, out] row-major: (kh·kw·in index) · out + o
    const norm = (a: number[]) => Math.hypot(...a);
    let v = [...Array(cols).keys()].map((c) => u0.reduce((s2, uo, o) => s2 + uo * mat(o, c), 0));
    const nv = norm(v) + 1e-12;
    v = v.map((t) => t / nv);
    let u = [0, 1, 2].map((o) => v.reduce((s2, vc, c) => s2 + vc * mat(o, c), 0));
    const nu = norm(u) + 1e-12;
    u = u.map((t) => t / nu);
    const sigma = [0, 1, 2].reduce((s2, o) => s2 + u[o] * v.reduce((t, vc, c) => t + vc * mat(o, c), 0), 0);
    const wn = tf.div(kernel, sigma) as tf.Tensor4D;
    const g = tf.grad((k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), r)))(wn).dataSync();
    let gw = 0;
    for (let i = 0; i < W.length; i++) gw += g[i] * W[i];
    const expected = Array.from(W, (_, i) => g[i] / sigma - (gw / (sigma * sigma)) * u[i % 3] * v[Math.floor(i / 3)]);
    const got = grads[kernel.name].dataSync();
    expected.forEach((e, i) => expect(got[i]).to.be.closeTo(e, 1e-4 * (1 + Math.abs(e))));
    tf.dispose([x, r, wn, grads[kernel.name]]);
  });

  it('rejects sizes the upsampling plan cannot reach, naming them', () => {
    expect(() => buildSpadeGenerator({ height: 48, width: 64, labelChannels: 3 })).to.throw(/multiples of 32 .* got 48x64/);
    expect(() => buildSpadeGenerator({ height: 32, width: 64, labelChannels: 3, ngf: 0 })).to.throw(/ngf must be a positive integer, got 0/);
  });

  it('serializes with its custom layers and reloads to the same outputs (what checkpoints rely on)', async () => {
    const G = buildSpadeGenerator({ height: 32, width: 32, labelChannels: 3, ngf: 2, spadeHidden: 2, seed: 3 });
    let saved: tf.io.ModelArtifacts | null = null;
    await G.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const G2 = await loadLayersModel(tf.io.fromMemory(saved!));
    const seg = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1);
    const a = G.predict(seg) as tf.Tensor, b = G2.predict(seg) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).to.be.below(1e-6);
    tf.dispose([seg, a, b]);
    G.dispose();
    G2.dispose();
  });
});
