import * as fs from 'fs';
import { DatasetError } from '../common';

/** An IDX array (the MNIST file format): unsigned bytes with their dimensions. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Reads a file, turning a missing or unreadable file into a DatasetError that names it. */
export function readDatasetFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DatasetError(code === 'ENOENT' ? `${what}: file not found: ${file}` : `${what}: cannot read ${file} (${(e as Error).message})`, file);
  }
}

/**
 * Parses an IDX file of unsigned bytes (magic 0x00 0x00 0x08 <ndims>, big-endian int32 dims, data).
 * Checks the magic, the dimension count and that the size matches exactly (truncated or padded files fail).
 */
export function parseIdx(buf: Uint8Array, file: string, expectedDims?: number): IdxArray {
  if (buf.length < 4) throw new DatasetError(`${file}: truncated IDX file (${buf.length} bytes, no header)`, file);
  if (buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(`${file}: not an IDX file (magic bytes ${buf[0]}, ${buf[1]}; expected 0, 0)`, file);
  if (buf[2] !== 0x08) throw new DatasetError(`${file}: IDX data type 0x${buf[2].toString(16)} is not unsigned byte (0x08)`, file);
  const nd = buf[3];
  if (expectedDims !== undefined && nd !== expectedDims) throw new DatasetError(`${file}: IDX file has ${nd} dimensions, expected ${expectedDims}`, file);
  const headerLen = 4 + 4 * nd;
  if (buf.length < headerLen) throw new DatasetError(`${file}: truncated IDX header (${buf.length} bytes, need ${headerLen})`, file);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const have = buf.length - headerLen;
  if (have < size) throw new DatasetError(`${file}: truncated IDX data (${have} bytes, header says ${dims.join('×')} = ${size})`, file);
  if (have > size) throw new DatasetError(`${file}: IDX file has ${have - size} bytes beyond its declared ${dims.join('×')} data (corrupt)`, file);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerLen, size) };
}

/** Checks every label is a class id below `classes`. */
export function checkLabels(labels: Uint8Array, classes: number, file: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) throw new DatasetError(`${file}: label ${labels[i]} at index ${i} is not a class id 0..${classes - 1} (corrupt)`, file);
  }
}
