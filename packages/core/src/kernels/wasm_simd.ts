// The hand-written wasm SIMD filters (../../wasm/filters.wat), instantiated once per tfjs wasm
// heap with that heap's memory imported, so they read and write tensors in place.
import type { FibreFilterParams } from '../fibre';
import { FILTERS_WASM_BASE64 } from './wasm_module';

interface FilterExports {
  reweighted(src: number, dst: number, outer: number, n: number, a: number, bn: number): void;
  sobolev(src: number, dst: number, outer: number, n: number, lambda: number, mix: number, paper: number): void;
}

// Minimal typings (the package compiles without the DOM lib, where WebAssembly's types live).
/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, FilterExports | null>();

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function compile(): object | null {
  if (compiled === undefined) {
    try {
      if (!wasmApi) throw new Error('no WebAssembly');
      compiled = new wasmApi.Module(decodeBase64(FILTERS_WASM_BASE64));
    } catch {
      compiled = null; // no wasm SIMD here: the JS loops run instead
    }
  }
  return compiled;
}

/** The filters bound to `memory`, or null when they cannot run there (no SIMD, shared memory, …). */
export function simdFiltersFor(memory: WasmMemory | undefined): FilterExports | null {
  if (!wasmApi || !(memory instanceof wasmApi.Memory)) return null;
  let inst = instances.get(memory);
  if (inst === undefined) {
    const mod = compile();
    try {
      inst = mod && wasmApi ? (new wasmApi.Instance(mod, { env: { memory } }).exports as FilterExports) : null;
    } catch {
      inst = null; // e.g. the threaded build's shared memory does not match the import
    }
    instances.set(memory, inst);
  }
  return inst;
}

/** Fibres the SIMD code handles: along the last axis, n a multiple of 4 and short enough for f32 scans. */
export function simdApplies(p: FibreFilterParams): boolean {
  return p.inner === 1 && p.n % 4 === 0 && p.n >= 4 && p.n <= 2048 && (p.metric === 'reweighted-l2' || p.metric === 'sobolev');
}

/** Runs the SIMD filter on byte offsets `src`, `dst` of the memory the exports were bound to. */
export function runSimdFilter(f: FilterExports, src: number, dst: number, p: FibreFilterParams): void {
  if (p.metric === 'reweighted-l2') {
    const paper = p.formulation === 'paper';
    const a = paper ? 1 + p.mix : 1 / p.lambda + p.mix;
    const bn = (paper ? p.lambda : 1 - 1 / p.lambda) / p.n;
    f.reweighted(src, dst, p.outer, p.n, a, bn);
  } else {
    f.sobolev(src, dst, p.outer, p.n, p.lambda, p.mix, p.formulation === 'paper' ? 1 : 0);
  }
}
