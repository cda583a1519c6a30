// Reading kernels from the weight files the trainer writes: tfjs weight specs (JSON) + binary data.
import * as fs from 'fs';
import * as path from 'path';

export interface NamedWeight {
  /** Which saved model it came from (file stem, e.g. `model`, `generator`). */
  model: string;
  name: string;
  shape: number[];
  data: Float32Array;
  /** tfjs layer class of the weight's layer when the topology says it (e.g. `Conv2D`). */
  layerClass?: string;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

interface ManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function decode(buffer: Buffer, offset: number, spec: WeightSpec, file: string): { data: Float32Array; bytes: number } {
  const dtype = spec.dtype ?? 'float32';
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const width = BYTES[dtype];
  if (!width) throw new Error(`${file}: weight ${spec.name} has dtype ${dtype}; only float32, int32 and bool are read`);
  const bytes = size * width;
  if (offset + bytes > buffer.length) {
    throw new Error(`${file}: weight data ends at byte ${buffer.length} but ${spec.name} needs bytes ${offset}…${offset + bytes}; the checkpoint is truncated`);
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const at = offset + i * width;
    data[i] = dtype === 'float32' ? buffer.readFloatLE(at) : dtype === 'int32' ? buffer.readInt32LE(at) : buffer[at];
  }
  return { data, bytes };
}

/** Layer class by layer name, from a Keras-style topology (`modelTopology.config.layers`). */
function layerClasses(topology: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const n = node as { class_name?: unknown; config?: { name?: unknown; layers?: unknown } };
    if (typeof n.class_name === 'string' && n.config && typeof n.config.name === 'string') out.set(n.config.name, n.class_name);
    const layers = n.config?.layers;
    if (Array.isArray(layers)) layers.forEach(visit);
    for (const v of Object.values(node)) if (v && typeof v === 'object') visit(v);
  };
  visit(topology);
  return out;
}

/** Reads every weight described by one JSON file (tfjs `model.json` with weightsManifest, or `{weightSpecs, weightData…}`). */
export function readWeightsFile(jsonFile: string): NamedWeight[] {
  const dir = path.dirname(jsonFile);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${jsonFile} is not readable JSON (${(err as Error).message})`);
  }
  // The trainer writes checkpoint/epoch-N/model-<name>/model.json; elsewhere the file stem names the model.
  const stem = path.basename(jsonFile, '.json');
  const model = stem === 'model' ? path.basename(dir).replace(/^model-/, '') : stem;
  const classes = layerClasses(doc.modelTopology);
  const groups: { specs: WeightSpec[]; buffer: Buffer; file: string }[] = [];
  if (Array.isArray(doc.weightsManifest)) {
    for (const g of doc.weightsManifest as ManifestGroup[]) {
      const files = g.paths.map((p) => path.join(dir, p));
      groups.push({ specs: g.weights, buffer: Buffer.concat(files.map((f) => fs.readFileSync(f))), file: files.join('+') });
    }
  } else if (Array.isArray(doc.weightSpecs)) {
    const named = ['weightDataPath', 'weightsPath', 'weightData', 'dataPath'].map((k) => doc[k]).find((v) => typeof v === 'string') as string | undefined;
    const candidates = [named, `${model}.bin`, `${model}.weights.bin`, 'weights.bin'].filter((c): c is string => !!c).map((c) => path.join(dir, c));
    const bin = candidates.find((c) => fs.existsSync(c));
    if (!bin) throw new Error(`${jsonFile} has weightSpecs but none of ${candidates.join(', ')} exists`);
    groups.push({ specs: doc.weightSpecs as WeightSpec[], buffer: fs.readFileSync(bin), file: bin });
  } else {
    return [];
  }
  if (doc.format === 'cdg-optimizer-state') return [];
  const out: NamedWeight[] = [];
  for (const g of groups) {
    let offset = 0;
    for (const spec of g.specs) {
      const { data, bytes } = decode(g.buffer, offset, spec, g.file);
      offset += bytes;
      const layer = spec.name.split('/').slice(-2, -1)[0] ?? '';
      out.push({ model, name: spec.name, shape: spec.shape, data, layerClass: classes.get(layer) });
    }
  }
  return out;
}

function findWeightJson(dir: string, depth: number, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.json') && !e.name.includes('.tmp')) {
      const head = fs.readFileSync(p, 'utf8');
      if (head.includes('"weightsManifest"') || head.includes('"weightSpecs"')) out.push(p);
    } else if (e.isDirectory() && depth > 0 && !e.name.startsWith('.') && !e.name.startsWith('optimizer-')) {
      findWeightJson(p, depth - 1, out);
    }
  }
}

/** The newest `epoch-N` checkpoint folder under a run directory or a checkpoint root; otherwise `target` itself. */
function newestCheckpoint(target: string): string {
  for (const root of [path.join(target, 'checkpoint'), target]) {
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) continue;
    const epochs = fs.readdirSync(root).filter((e) => /^epoch-\d+$/.test(e)).sort();
    if (epochs.length > 0) return path.join(root, epochs[epochs.length - 1]);
  }
  return target;
}

/** All saved model weights (not optimizer slots) under a run directory (its newest checkpoint), a checkpoint folder, a model folder or one weights JSON file. */
export function readCheckpointWeights(target: string): NamedWeight[] {
  if (!fs.existsSync(target)) throw new Error(`${target} does not exist (expected a run directory, a checkpoint directory or a model .json)`);
  if (fs.statSync(target).isDirectory()) target = newestCheckpoint(target);
  const files: string[] = [];
  if (fs.statSync(target).isFile()) files.push(target);
  else findWeightJson(target, 3, files);
  if (files.length === 0) throw new Error(`${target} holds no tfjs weights (no .json with weightsManifest or weightSpecs up to 3 levels down)`);
  return files.flatMap(readWeightsFile);
}
