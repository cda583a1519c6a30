import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, LayerVariable } from '@tensorflow/tfjs-layers';
import { ENCODER_LAYER_PATTERN } from './model';
import { writeFileAtomicSync } from './render';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function specBytes(s: tf.io.WeightsManifestEntry): number {
  const n = s.shape.reduce((a, b) => a * b, 1);
  const dtype = s.quantization?.dtype ?? s.dtype;
  const b = BYTES[dtype];
  if (b === undefined) throw new Error(`weight "${s.name}" has unsupported dtype ${dtype}`);
  return n * b;
}

/**
 * Reads every weight of a tfjs model folder (`model.json` with a `weightsManifest`, plus its binary
 * shards) with plain file IO — tfjs' `file://` handler needs tfjs-node. Quantized weights are
 * de-quantized. The caller owns (and must dispose) the returned tensors.
 */
export function readTfjsWeights(dir: string): Map<string, tf.Tensor> {
  const jsonFile = path.join(dir, 'model.json');
  let json: { weightsManifest?: tf.io.WeightsManifestConfig };
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the tfjs model file ${jsonFile}: ${(e as Error).message}`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new Error(`${jsonFile} has no weightsManifest list; expected a tfjs model.json (e.g. from tensorflowjs_converter)`);
  const out = new Map<string, tf.Tensor>();
  try {
    json.weightsManifest.forEach((group, g) => {
      const parts = group.paths.map((p) => {
        const f = path.join(dir, p);
        try {
          return fs.readFileSync(f);
        } catch (e) {
          throw new Error(`cannot read weight shard ${f} (listed in ${jsonFile}): ${(e as Error).message}`);
        }
      });
      const data = Buffer.concat(parts);
      const expected = group.weights.reduce((a, s) => a + specBytes(s), 0);
      if (data.length !== expected) {
        throw new Error(`weight shards ${group.paths.map((p) => path.join(dir, p)).join(', ')} hold ${data.length} bytes but group ${g} of ${jsonFile} describes ${expected} (truncated or corrupt)`);
      }
      const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.length) as ArrayBuffer;
      const decoded = tf.io.decodeWeights(ab, group.weights);
      for (const [name, t] of Object.entries(decoded)) {
        if (out.has(name)) {
          t.dispose();
          throw new Error(`${jsonFile} lists weight "${name}" twice`);
        }
        out.set(name, t);
      }
    });
  } catch (e) {
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/**
 * Saves weights of `model` (default: the encoder's, batch-norm statistics included) as a tfjs
 * weights folder: `model.json` + `weights.bin`, named `<layer>/<weight>` as Keras does.
 */
export async function saveWeights(model: LayersModel, dir: string, layerFilter: RegExp = ENCODER_LAYER_PATTERN): Promise<number> {
  const named: tf.NamedTensorMap = {};
  for (const layer of model.layers) {
    if (!layerFilter.test(layer.name)) continue;
    for (const w of layer.weights) named[w.originalName] = w.read();
  }
  const { data, specs } = await tf.io.encodeWeights(named);
  const bytes = new Uint8Array(Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(path.join(dir, 'weights.bin'), bytes);
  const json = { format: 'layers-model', generatedBy: '@cdg/segmentation', modelTopology: null, weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  writeFileAtomicSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return specs.length;
}

export interface LoadWeightsResult {
  /** Model weights that were set, by their `<layer>/<weight>` name. */
  loaded: string[];
  /** Weights in the folder that no selected model weight asked for. */
  unused: string[];
}

/**
 * Sets the encoder's weights (layers matching `layerFilter`) from a tfjs weights folder. Each
 * model weight `<layer>/<weight>` is looked up by that name, or by a name ending in `/<layer>/<weight>`
 * (converted models often prefix the model name). Every selected weight must be found with the
 * right shape; otherwise nothing is changed and the error lists the problems.
 */
export function loadEncoderWeights(model: LayersModel, dir: string, layerFilter: RegExp = ENCODER_LAYER_PATTERN): LoadWeightsResult {
  const file = readTfjsWeights(dir);
  try {
    const bySuffix = new Map<string, string>();
    for (const name of file.keys()) {
      const parts = name.split('/');
      if (parts.length > 2) bySuffix.set(parts.slice(-2).join('/'), name);
    }
    const problems: string[] = [];
    const plan: Array<[LayerVariable, tf.Tensor, string]> = [];
    const used = new Set<string>();
    const targets = model.layers.filter((l) => layerFilter.test(l.name)).flatMap((l) => l.weights);
    if (targets.length === 0) throw new Error(`no layer of model "${model.name}" matches ${layerFilter}`);
    for (const w of targets) {
      const key = w.originalName;
      const source = file.has(key) ? key : bySuffix.get(key);
      const t = source !== undefined ? file.get(source) : undefined;
      if (!t || source === undefined) {
        problems.push(`missing ${key} ${JSON.stringify(w.shape)}`);
        continue;
      }
      if (!tf.util.arraysEqual(t.shape, w.shape as number[])) {
        problems.push(`${source} has shape ${JSON.stringify(t.shape)} but ${key} needs ${JSON.stringify(w.shape)}`);
        continue;
      }
      used.add(source);
      plan.push([w, t, key]);
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, 8).join('; ');
      throw new Error(`cannot load encoder weights from ${path.join(dir, 'model.json')}: ${problems.length} problem(s): ${shown}${problems.length > 8 ? '; …' : ''}. The weights must be named <layer>/<weight> as in Keras' ResNet50 (conv1_conv/kernel, conv2_block1_1_bn/gamma, …), convolutions without bias, at the same width multiplier.`);
    }
    for (const [variable, value] of plan) variable.write(value);
    return { loaded: plan.map((p) => p[2]), unused: [...file.keys()].filter((k) => !used.has(k)) };
  } finally {
    for (const t of file.values()) t.dispose();
  }
}
