/** Raised for a missing, truncated or corrupt dataset file; the message names the file. */
export class DatasetError extends Error {
  constructor(message: string, readonly file?: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * A small seeded pseudo-random generator (a Weyl sequence through a 32-bit avalanche mix) whose
 * whole state is one unsigned 32-bit integer, so it can be saved in a checkpoint and restored.
 */
export class SeededRandom {
  private s: number;
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${String(seed)}`);
    this.s = mixSeed(Math.floor(seed)) >>> 0;
  }
  /** The whole generator state; `SeededRandom.fromState(r.state)` continues the same sequence. */
  get state(): number {
    return this.s;
  }
  static fromState(state: number): SeededRandom {
    const r = new SeededRandom(0);
    r.s = state >>> 0;
    return r;
  }
  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Hashes a seed and any number of integers (epoch, stream id…) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    let v = Math.floor(p) >>> 0;
    for (let i = 0; i < 4; i++) {
      h = Math.imul(h ^ (v & 0xff), 0x01000193);
      v >>>= 8;
    }
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  }
  return h >>> 0;
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function seededPermutation(n: number, seed: number): Uint32Array {
  const rng = new SeededRandom(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
