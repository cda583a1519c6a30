import * as fs from 'fs';
import * as path from 'path';

/** Writes a file atomically: a temp file beside it, then rename (readers never see half a file). */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** Reads and parses a JSON file, or returns undefined if it is missing; a corrupt file is an error naming it. */
export function readJsonIfExists<T = unknown>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * The training config of a run directory, flattened: the trainer writes `{config, backend, …}`
 * to config.json; a plain config object is accepted too. Undefined when there is none.
 */
export function readRunConfig(dir: string): Record<string, unknown> | undefined {
  const raw = readJsonIfExists<Record<string, unknown>>(`${dir}/config.json`);
  if (raw === undefined || raw === null || typeof raw !== 'object') return undefined;
  const inner = raw.config;
  if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
    const flat: Record<string, unknown> = { ...(inner as Record<string, unknown>) };
    if (typeof raw.backend === 'string') flat.backend = raw.backend;
    return flat;
  }
  return raw;
}
