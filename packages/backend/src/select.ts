// Choose the fastest TensorFlow.js backend present: tfjs-node-gpu (only if a GPU is really used),
// then tfjs-node, then wasm with this package's training-kernel pack, then the pure-JS cpu backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// Training needs the gradient registry, which tfjs-core's CommonJS bundle does not fill (its
// dist/register_all_gradients.js is an ES module that plain Node cannot require). The CommonJS
// bundle of tfjs-layers registers every tfjs-core gradient when loaded.
import '@tensorflow/tfjs-layers';
import { registerCpuGradientFixes, registerWasmTrainingKernels } from './kernels/index';

export type BackendPreference = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'];
/** Environment variable that overrides the preference passed to selectBackend. */
export const BACKEND_ENV_VAR = 'CDG_BACKEND';

type Candidate = Exclude<BackendPreference, 'auto'>;
const AUTO_ORDER: readonly Candidate[] = ['node-gpu', 'node', 'wasm', 'cpu'];

const INSTALL_HINT: Record<Candidate, string> = {
  'node-gpu': 'npm install @tensorflow/tfjs-node-gpu@4.22.0 (Linux x64 with CUDA 11.2 / cuDNN 8.1; downloads libtensorflow at install time)',
  node: 'npm install @tensorflow/tfjs-node@4.22.0 (downloads libtensorflow at install time)',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0',
  cpu: 'npm install @tensorflow/tfjs-backend-cpu@4.22.0',
};

export interface BackendSelection {
  /** The tfjs backend name now active: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Which candidate was chosen. */
  chosen: Candidate;
  /** The effective preference, after the environment override. */
  preference: BackendPreference;
  /** Where the preference came from. */
  source: 'argument' | 'env' | 'default';
  /** Faster candidates that were tried and skipped, with the reason. */
  skipped: { candidate: Candidate; reason: string }[];
  /** Kernels registered: the wasm pack (chosen === 'wasm') or the cpu resize-gradient fixes (chosen === 'cpu'). */
  kernelsRegistered: string[];
}

export interface SelectBackendOptions {
  /** Receives one line per decision. `null` silences it. Default: console.error. */
  logger?: ((line: string) => void) | null;
  /** Environment to read CDG_BACKEND from. Default: process.env. */
  env?: Record<string, string | undefined>;
  /** Module loader used for the optional tfjs-node packages. Default: require. For tests/embedding. */
  requireModule?: (id: string) => unknown;
}

/** Thrown when the requested backend cannot be used; the message says how to install it. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly candidate: Candidate,
    readonly reason: string,
  ) {
    super(`backend '${candidate}' is not available: ${reason}. To use it: ${INSTALL_HINT[candidate]}`);
    this.name = 'BackendUnavailableError';
  }
}

function parsePreference(v: string, where: string): BackendPreference {
  const p = v.trim().toLowerCase();
  if ((BACKEND_PREFERENCES as readonly string[]).includes(p)) return p as BackendPreference;
  throw new Error(`${where} must be one of ${BACKEND_PREFERENCES.join(', ')}, got '${v}'`);
}

function isModuleNotFound(e: unknown, id: string): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === 'MODULE_NOT_FOUND' && typeof err.message === 'string' && err.message.includes(id);
}

/** Tries one candidate; returns null on success or the reason it cannot be used. */
async function tryCandidate(
  c: Candidate,
  load: (id: string) => unknown,
  kernels: string[],
): Promise<string | null> {
  if (c === 'node-gpu' || c === 'node') {
    const pkg = c === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    try {
      load(pkg);
    } catch (e) {
      if (isModuleNotFound(e, pkg)) return `${pkg} is not installed`;
      return `${pkg} failed to load (${(e as Error).message.split('\n')[0]})`;
    }
    if (tf.findBackendFactory('tensorflow') == null) {
      return `${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core (version mismatch? use 4.22.0)`;
    }
    const ok = await tf.setBackend('tensorflow');
    if (!ok) return `the 'tensorflow' backend of ${pkg} failed to initialise`;
    if (c === 'node-gpu') {
      const be = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
      if (be.isUsingGpuDevice !== true) {
        return `${pkg} loaded but TensorFlow found no usable GPU (CUDA/cuDNN missing or no device), so it would run on the CPU`;
      }
    }
    return null;
  }
  if (tf.findBackendFactory(c) == null) return `@tensorflow/tfjs-backend-${c} did not register the '${c}' backend`;
  let ok: boolean;
  try {
    ok = await tf.setBackend(c);
  } catch (e) {
    return `the ${c} backend failed to initialise (${(e as Error).message.split('\n')[0]})`;
  }
  if (!ok) return `the ${c} backend failed to initialise`;
  if (c === 'wasm') kernels.push(...registerWasmTrainingKernels());
  if (c === 'cpu') kernels.push(...registerCpuGradientFixes());
  return null;
}

/**
 * Picks and activates a backend; returns the full decision record.
 * `CDG_BACKEND` in the environment, when set, overrides `preference`.
 */
export async function selectBackendReport(
  preference?: BackendPreference,
  options: SelectBackendOptions = {},
): Promise<BackendSelection> {
  const env = options.env ?? process.env;
  const log = options.logger === undefined ? (l: string) => console.error(l) : options.logger;
  const load = options.requireModule ?? ((id: string) => require(id));
  let pref = parsePreference(String(preference ?? 'auto'), 'selectBackend preference');
  let source: BackendSelection['source'] = preference === undefined ? 'default' : 'argument';
  const fromEnv = env[BACKEND_ENV_VAR];
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    pref = parsePreference(fromEnv, `environment variable ${BACKEND_ENV_VAR}`);
    source = 'env';
  }
  const skipped: BackendSelection['skipped'] = [];
  const kernels: string[] = [];
  const prior = (tf.engine() as unknown as { backendName: string | null }).backendName;
  const order = pref === 'auto' ? AUTO_ORDER : [pref];
  for (const c of order) {
    const reason = await tryCandidate(c, load, kernels);
    if (reason === null) {
      const sel: BackendSelection = { backend: tf.getBackend(), chosen: c, preference: pref, source, skipped, kernelsRegistered: kernels };
      if (log) {
        for (const s of skipped) log(`[cdg/backend] skipped ${s.candidate}: ${s.reason}`);
        const extra = c === 'wasm' ? ` with ${kernels.length} training kernels` : '';
        log(`[cdg/backend] using ${c} (tfjs backend '${sel.backend}'${extra}; preference '${pref}' from ${source})`);
      }
      return sel;
    }
    if (pref !== 'auto') {
      // A half-way switch (e.g. to tfjs-node-gpu's backend without a GPU) is undone.
      if (prior && tf.getBackend() !== prior) await tf.setBackend(prior);
      throw new BackendUnavailableError(c, reason);
    }
    skipped.push({ candidate: c, reason });
  }
  throw new Error(`no TensorFlow.js backend could be initialised: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`);
}

/** Picks and activates the fastest available backend (see selectBackendReport); returns its tfjs name. */
export async function selectBackend(
  preference?: BackendPreference,
  options: SelectBackendOptions = {},
): Promise<string> {
  return (await selectBackendReport(preference, options)).backend;
}
