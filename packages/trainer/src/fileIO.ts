import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileDurable } from './atomic';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  const joined = Array.isArray(data) ? tf.io.CompositeArrayBuffer.join(data) : data;
  return new Uint8Array(joined);
}

/**
 * A tfjs IOHandler that saves to and loads from a folder on the local file system (model.json +
 * weights.bin, the layout tfjs-node's `file://` uses), without needing tfjs-node. Files are
 * fsynced; making the whole save atomic is the caller's job (write into a temp folder, then rename).
 */
export class FileSystemIOHandler implements tf.io.IOHandler {
  constructor(readonly dir: string) {}

  async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    fs.mkdirSync(this.dir, { recursive: true });
    const weights = weightBytes(artifacts.weightData);
    writeFileDurable(path.join(this.dir, WEIGHTS_BIN), weights);
    const json: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
    const text = JSON.stringify(json);
    writeFileDurable(path.join(this.dir, MODEL_JSON), text);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        modelTopologyBytes: artifacts.modelTopology ? JSON.stringify(artifacts.modelTopology).length : 0,
        weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
        weightDataBytes: weights.byteLength,
      },
    };
  }

  async load(): Promise<tf.io.ModelArtifacts> {
    const jsonFile = path.join(this.dir, MODEL_JSON);
    let json: tf.io.ModelJSON;
    try {
      json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    } catch (e) {
      throw new Error(`cannot read ${jsonFile}: ${(e as Error).message}`);
    }
    const specs: tf.io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    for (const group of json.weightsManifest ?? []) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const f = path.join(this.dir, p);
        try {
          parts.push(fs.readFileSync(f));
        } catch (e) {
          throw new Error(`cannot read ${f}: ${(e as Error).message}`);
        }
      }
    }
    const total = parts.reduce((a, b) => a + b.byteLength, 0);
    const data = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.byteLength;
    }
    const expected = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1) * bytesPerElement(s.dtype), 0);
    if (expected !== total) throw new Error(`${this.dir}: weights are ${total} bytes but the manifest describes ${expected} (truncated or corrupt)`);
    return {
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      trainingConfig: json.trainingConfig,
      userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs: specs,
      weightData: data.buffer,
    };
  }
}

function bytesPerElement(dtype: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new Error(`unsupported weight dtype ${dtype} in checkpoint`);
}

/** `tf.io.IOHandler` for a folder: `model.save(fileSystemIO(dir))`, `tf.loadLayersModel(fileSystemIO(dir))`. */
export function fileSystemIO(dir: string): FileSystemIOHandler {
  return new FileSystemIOHandler(dir);
}
