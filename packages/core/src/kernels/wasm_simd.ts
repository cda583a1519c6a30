// The hand-written wasm SIMD filters (../../wasm/filters.wat), instantiated once per tfjs wasm
// heap with that heap's memory imported, so they read and write tensors in place.
import type { FibreFilterParams } from '../fibre';
import { FILTERS_WASM_BASE64 } from './wasm_module';

interface FilterExports {
  reweighted(src: number, dst: number, outer: number, n: number, a: number, bn: number): void;
  sobolev(src: number, dst: number, outer: number, n: number, lambda: number, mix: number, paper: number): void;
  reweightedStrided(src: number, dst: number, outer: number, n: number, inner: number, a: number, bn: number): void;
  sobolevStrided(src: number, dst: number, outer: number, n: number, inner: number, lambda: number, mix: number, paper: number): void;
  laplacianQuads(src: number, dst: number, quads: number, n: number, r: number, scale: number, wrap: number, wrapr: number, terms: number, mix: number): void;
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

/**
 * Layouts the SIMD code handles. Sums run in f32 there (per-fibre constants in f64), so fibres are
 * capped in length: along the last axis n a multiple of 4 up to 2048; strided (inner a multiple of 4,
 * four adjacent fibres per vector) up to 2048 for reweighted-l2 and 512 for sobolev. Laplacian
 * smoothing: groups of four fibres along the last axis (n a multiple of 4; its recursions are stable
 * in f32 at any n).
 */
export function simdApplies(p: FibreFilterParams): boolean {
  if (p.metric === 'laplacian-smoothing') return p.inner === 1 && p.n % 4 === 0 && p.n >= 4 && p.outer >= 4;
  if (p.metric !== 'reweighted-l2' && p.metric !== 'sobolev') return false;
  if (p.inner === 1) return p.n % 4 === 0 && p.n >= 4 && p.n <= 2048;
  return p.inner % 4 === 0 && p.n >= 2 && p.n <= (p.metric === 'sobolev' ? 512 : 2048);
}

/**
 * Runs the SIMD filter on byte offsets `src`, `dst` of the memory the exports were bound to.
 * Returns how many of the `outer` fibre blocks it handled (the rest are left to the caller).
 */
export function runSimdFilter(f: FilterExports, src: number, dst: number, p: FibreFilterParams): number {
  const paper = p.formulation === 'paper';
  if (p.metric === 'laplacian-smoothing') {
    const { n, sigma } = p;
    const r = (1 + 2 * sigma - Math.sqrt(1 + 4 * sigma)) / (2 * sigma);
    const wrap = 1 / (1 - Math.pow(r, n));
    const terms = Math.min(n, Math.max(1, Math.ceil(Math.log(1e-9) / Math.log(r))));
    const quads = Math.floor(p.outer / 4);
    f.laplacianQuads(src, dst, quads, n, r, r / sigma, wrap, Math.pow(r, n - 1) * wrap, terms, p.mix);
    return 4 * quads;
  }
  if (p.metric === 'reweighted-l2') {
    const a = paper ? 1 + p.mix : 1 / p.lambda + p.mix;
    const bn = (paper ? p.lambda : 1 - 1 / p.lambda) / p.n;
    if (p.inner === 1) f.reweighted(src, dst, p.outer, p.n, a, bn);
    else f.reweightedStrided(src, dst, p.outer, p.n, p.inner, a, bn);
  } else if (p.inner === 1) {
    f.sobolev(src, dst, p.outer, p.n, p.lambda, p.mix, paper ? 1 : 0);
  } else {
    f.sobolevStrided(src, dst, p.outer, p.n, p.inner, p.lambda, p.mix, paper ? 1 : 0);
  }
  return p.outer;
}
