import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'chai';
import {
  selectBackend, selectBackendReport, BackendUnavailableError, registerWasmTrainingKernels, wasmTrainingKernels,
} from '@cdg/backend';

function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** A stand-in for tfjs-node's 'tensorflow' backend, registered by a fake module loader. */
class FakeNodeBackend extends tf.KernelBackend {
  constructor(readonly isUsingGpuDevice: boolean) {
    super();
  }
  override dispose(): void {}
}

function fakeLoader(available: Record<string, boolean | 'gpu'>, loaded: string[]) {
  return (id: string) => {
    const v = available[id];
    if (v === undefined) {
      const e = new Error(`Cannot find module '${id}'`) as Error & { code: string };
      e.code = 'MODULE_NOT_FOUND';
      throw e;
    }
    loaded.push(id);
    if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
    tf.registerBackend('tensorflow', () => new FakeNodeBackend(v === 'gpu'));
    return {};
  };
}

describe('backend: selectBackend', function () {
  afterEach(async () => {
    if (tf.findBackend('tensorflow') || tf.findBackendFactory('tensorflow')) {
      await tf.setBackend('wasm');
      tf.removeBackend('tensorflow');
    }
  });

  it('auto picks wasm here (tfjs-node and tfjs-node-gpu are not installed) and says why', async function () {
    if (installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')) this.skip();
    const lines: string[] = [];
    const sel = await selectBackendReport('auto', { logger: (l) => lines.push(l), env: {} });
    expect(sel.backend).to.equal('wasm');
    expect(tf.getBackend()).to.equal('wasm');
    expect(sel.skipped.map((s) => s.candidate)).to.deep.equal(['node-gpu', 'node']);
    expect(sel.skipped[0].reason).to.match(/tfjs-node-gpu is not installed/);
    expect(sel.kernelsRegistered).to.include('Conv2DBackpropFilter');
    expect(lines.join('\n')).to.match(/skipped node-gpu/).and.to.match(/skipped node:/).and.to.match(/using wasm/);
    expect(await selectBackend(undefined, { logger: null, env: {} })).to.equal('wasm');
  });

  it('registers every pack kernel on wasm once the wasm backend is chosen', async () => {
    await selectBackend('wasm', { logger: null, env: {} });
    for (const k of wasmTrainingKernels) {
      expect(tf.getKernel(k.kernelName, 'wasm')?.kernelFunc, k.kernelName).to.equal(k.kernelFunc);
    }
    expect(registerWasmTrainingKernels()).to.have.length(wasmTrainingKernels.length); // idempotent
  });

  it('prefers node-gpu only when TensorFlow really uses a GPU, else node', async () => {
    const loaded: string[] = [];
    const gpu = await selectBackendReport('auto', {
      logger: null, env: {}, requireModule: fakeLoader({ '@tensorflow/tfjs-node-gpu': 'gpu', '@tensorflow/tfjs-node': true }, loaded),
    });
    expect(gpu.chosen, JSON.stringify(gpu.skipped)).to.equal('node-gpu');
    expect(gpu.backend).to.equal('tensorflow');
    await tf.setBackend('wasm');

    const noGpu = await selectBackendReport('auto', {
      logger: null, env: {}, requireModule: fakeLoader({ '@tensorflow/tfjs-node-gpu': true, '@tensorflow/tfjs-node': true }, loaded),
    });
    expect(noGpu.chosen).to.equal('node');
    expect(noGpu.skipped[0].candidate).to.equal('node-gpu');
    expect(noGpu.skipped[0].reason).to.match(/no usable GPU/);
    await tf.setBackend('wasm');

    const onlyNode = await selectBackendReport('auto', {
      logger: null, env: {}, requireModule: fakeLoader({ '@tensorflow/tfjs-node': true }, loaded),
    });
    expect(onlyNode.chosen).to.equal('node');
    expect(onlyNode.skipped).to.deep.equal([{ candidate: 'node-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed' }]);
  });

  it('a package that fails to load for another reason is skipped with that reason', async () => {
    const sel = await selectBackendReport('auto', {
      logger: null, env: {}, requireModule: (id) => { throw new Error(`libtensorflow.so.2: cannot open shared object file (${id})`); },
    });
    expect(sel.chosen).to.equal('wasm');
    expect(sel.skipped[1].reason).to.match(/failed to load \(libtensorflow/);
  });

  it('CDG_BACKEND overrides the argument', async () => {
    const sel = await selectBackendReport('wasm', { logger: null, env: { CDG_BACKEND: 'cpu' } });
    expect(sel.backend).to.equal('cpu');
    expect(sel.source).to.equal('env');
    expect(tf.getBackend()).to.equal('cpu');
    expect(await selectBackend('cpu', { logger: null, env: { CDG_BACKEND: ' WASM ' } })).to.equal('wasm');
  });

  it('names a bad preference and a bad CDG_BACKEND value', async () => {
    let err: Error | undefined;
    try { await selectBackend('gpu' as never, { logger: null, env: {} }); } catch (e) { err = e as Error; }
    expect(err?.message).to.equal("selectBackend preference must be one of auto, node-gpu, node, wasm, cpu, got 'gpu'");
    err = undefined;
    try { await selectBackend('auto', { logger: null, env: { CDG_BACKEND: 'tpu' } }); } catch (e) { err = e as Error; }
    expect(err?.message).to.match(/environment variable CDG_BACKEND must be one of .*got 'tpu'/);
  });

  it('asking for a backend that is not installed fails with an install hint', async () => {
    for (const [pref, pkg] of [['node', '@tensorflow/tfjs-node'], ['node-gpu', '@tensorflow/tfjs-node-gpu']] as const) {
      let err: Error | undefined;
      try {
        await selectBackend(pref, { logger: null, env: {}, requireModule: fakeLoader({}, []) });
      } catch (e) { err = e as Error; }
      expect(err).to.be.instanceOf(BackendUnavailableError);
      expect(err?.message).to.contain(`${pkg} is not installed`).and.to.contain(`npm install ${pkg}@4.22.0`);
    }
    // node-gpu on a machine whose TensorFlow sees no GPU is refused too, not silently run on the CPU.
    let err: Error | undefined;
    try {
      await selectBackend('node-gpu', { logger: null, env: {}, requireModule: fakeLoader({ '@tensorflow/tfjs-node-gpu': true }, []) });
    } catch (e) { err = e as Error; }
    expect(err?.message).to.match(/no usable GPU/);
  });

  it('is quiet with logger: null', async () => {
    const orig = console.error;
    const seen: unknown[] = [];
    console.error = (...a: unknown[]) => { seen.push(a); };
    try {
      await selectBackend('wasm', { logger: null, env: {} });
    } finally {
      console.error = orig;
    }
    expect(seen).to.deep.equal([]);
  });
});
