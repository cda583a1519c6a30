import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { fsyncDir, writeFileDurable } from './atomic';
import { fileSystemIO } from './fileIO';
import type { OptimizerSlot } from './types';

export const CHECKPOINT_FORMAT = 'cdg-checkpoint';
export const CHECKPOINT_VERSION = 1;
const STATE_JSON = 'state.json';
const DIR_PATTERN = /^epoch-(\d+)$/;

/** Everything beyond the tensors that a resumed run needs. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  task: string;
  /** Epochs completed (the next epoch to run is this number, 0-based). */
  epoch: number;
  /** Optimizer steps taken in total. */
  step: number;
  /** Every random draw of the run (data order, augmentation) is a function of (seed, epoch); initial weights of seed. */
  rng: { seed: number; nextEpoch: number };
  models: string[];
  optimizers: { name: string; learningRate: number; baseLearningRate: number }[];
  hooks: unknown;
  /** Per-epoch records so far (what metrics.json holds). */
  history: Record<string, number | null>[];
  config: Record<string, unknown>;
  savedAt: string;
}

export function checkpointRoot(outDir: string): string {
  return path.join(outDir, 'checkpoint');
}

function readLearningRate(opt: tf.Optimizer): number {
  const lr = (opt as unknown as { learningRate?: unknown }).learningRate;
  return typeof lr === 'number' ? lr : NaN;
}

/**
 * Writes a checkpoint atomically: everything goes into a temp folder (each file fsynced), which is
 * then renamed to `checkpoint/epoch-NNNNNN` in one step; older checkpoints are removed only after
 * that. A crash at any moment leaves either the previous checkpoint or the new one, never a partial one.
 */
export async function saveCheckpoint(
  outDir: string,
  models: Record<string, LayersModel>,
  optimizers: OptimizerSlot[],
  state: Omit<CheckpointState, 'format' | 'version' | 'models' | 'optimizers' | 'savedAt'>,
): Promise<string> {
  const root = checkpointRoot(outDir);
  fs.mkdirSync(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(tmp);
  try {
    for (const [name, model] of Object.entries(models)) await saveModelWeights(model, path.join(tmp, `model-${safeName(name)}`));
    for (const slot of optimizers) {
      const named = await slot.optimizer.getWeights();
      const { data, specs } = await tf.io.encodeWeights(named);
      // getWeights hands out fresh tensors (the iteration count) beside its variables: free those.
      tf.dispose(named.map((n) => n.tensor).filter((t) => !(t instanceof tf.Variable)));
      await fileSystemIO(path.join(tmp, `optimizer-${safeName(slot.name)}`)).save({ weightSpecs: specs, weightData: data, format: 'cdg-optimizer-state' });
    }
    const full: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      ...state,
      models: Object.keys(models),
      optimizers: optimizers.map((s) => ({ name: s.name, learningRate: readLearningRate(s.optimizer), baseLearningRate: s.baseLearningRate })),
      savedAt: new Date().toISOString(),
    };
    writeFileDurable(path.join(tmp, STATE_JSON), JSON.stringify(full, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1));
    fsyncDir(tmp);
    const final = path.join(root, `epoch-${String(state.epoch).padStart(6, '0')}`);
    if (fs.existsSync(final)) discard(final, root); // a re-run of the same epoch after resume
    fs.renameSync(tmp, final);
    fsyncDir(root);
    for (const entry of fs.readdirSync(root)) {
      const m = DIR_PATTERN.exec(entry);
      if (m && Number(m[1]) < state.epoch) discard(path.join(root, entry), root);
    }
    return final;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Removes a folder by first renaming it out of the checkpoint namespace (atomic), then deleting it. */
function discard(dir: string, root: string): void {
  const trash = path.join(root, `.trash-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.renameSync(dir, trash);
  fs.rmSync(trash, { recursive: true, force: true });
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

async function saveModelWeights(model: LayersModel, dir: string): Promise<void> {
  try {
    await model.save(fileSystemIO(dir));
  } catch {
    // Models with custom layers that cannot serialize their topology: weights only.
    const named = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
    const { data, specs } = await tf.io.encodeWeights(named);
    await fileSystemIO(dir).save({ weightSpecs: specs, weightData: data, format: 'cdg-weights' });
  }
}

/** Removes every checkpoint in `outDir` (a fresh, non-resumed run must not leave older ones to be resumed later). Returns how many. */
export function clearCheckpoints(outDir: string): number {
  const root = checkpointRoot(outDir);
  if (!fs.existsSync(root)) return 0;
  let n = 0;
  for (const entry of fs.readdirSync(root)) {
    if (DIR_PATTERN.test(entry)) {
      discard(path.join(root, entry), root);
      n++;
    }
  }
  return n;
}

/** Removes temp and trash folders left by a run that was killed while writing. */
export function cleanCheckpointLeftovers(outDir: string): void {
  const root = checkpointRoot(outDir);
  if (!fs.existsSync(root)) return;
  for (const entry of fs.readdirSync(root)) {
    if (entry.startsWith('.tmp-') || entry.startsWith('.trash-')) fs.rmSync(path.join(root, entry), { recursive: true, force: true });
  }
}

export interface LoadedCheckpoint {
  dir: string;
  state: CheckpointState;
}

/** The newest complete checkpoint in `outDir`, or null if there is none. */
export function findLatestCheckpoint(outDir: string): LoadedCheckpoint | null {
  const root = checkpointRoot(outDir);
  if (!fs.existsSync(root)) return null;
  const dirs = fs
    .readdirSync(root)
    .filter((e) => DIR_PATTERN.test(e))
    .sort()
    .reverse();
  const problems: string[] = [];
  for (const d of dirs) {
    const dir = path.join(root, d);
    try {
      const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_JSON), 'utf8')) as CheckpointState;
      if (state.format !== CHECKPOINT_FORMAT) throw new Error(`format is ${String(state.format)}, expected ${CHECKPOINT_FORMAT}`);
      return { dir, state };
    } catch (e) {
      problems.push(`${dir}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`no readable checkpoint in ${root}:\n  ${problems.join('\n  ')}`);
  return null;
}

/** Restores model weights (by position, shapes checked) and optimizer states from a checkpoint folder. */
export async function restoreCheckpoint(ckpt: LoadedCheckpoint, models: Record<string, LayersModel>, optimizers: OptimizerSlot[]): Promise<void> {
  const { dir, state } = ckpt;
  const wantModels = Object.keys(models).sort().join(',');
  if (state.models.slice().sort().join(',') !== wantModels) throw new Error(`checkpoint ${dir} holds models [${state.models.join(', ')}], this run has [${Object.keys(models).join(', ')}]`);
  for (const [name, model] of Object.entries(models)) {
    const art = await fileSystemIO(path.join(dir, `model-${safeName(name)}`)).load();
    const specs = art.weightSpecs!;
    const weights = model.weights;
    if (specs.length !== weights.length) {
      throw new Error(`checkpoint ${dir}: model "${name}" has ${specs.length} weights, this model has ${weights.length} (different architecture?)`);
    }
    specs.forEach((s, i) => {
      const want = weights[i].shape;
      if (s.shape.join(',') !== want.join(',')) {
        throw new Error(`checkpoint ${dir}: model "${name}" weight ${i} (${s.name}) has shape [${s.shape}], the model expects [${want}] for ${weights[i].originalName}`);
      }
    });
    const tensors = decodeByPosition(art.weightData as ArrayBuffer, specs);
    model.setWeights(tensors);
    tf.dispose(tensors);
  }
  for (const slot of optimizers) {
    const art = await fileSystemIO(path.join(dir, `optimizer-${safeName(slot.name)}`)).load();
    const tensors = decodeByPosition(art.weightData as ArrayBuffer, art.weightSpecs!);
    await slot.optimizer.setWeights(art.weightSpecs!.map((s, i) => ({ name: s.name, tensor: tensors[i] })));
    tf.dispose(tensors);
  }
}

/** Decodes weights in manifest order (names may repeat across layers, so no name lookup). */
function decodeByPosition(data: ArrayBuffer, specs: tf.io.WeightsManifestEntry[]): tf.Tensor[] {
  let off = 0;
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype !== 'float32' && s.dtype !== 'int32') throw new Error(`unsupported weight dtype ${s.dtype} for ${s.name}`);
    const bytes = data.slice(off, off + 4 * n);
    off += 4 * n;
    const values = s.dtype === 'float32' ? new Float32Array(bytes) : new Int32Array(bytes);
    return tf.tensor(values, s.shape, s.dtype);
  });
}
