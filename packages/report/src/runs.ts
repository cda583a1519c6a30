// Loading finished (or partial) training runs: config.json + metrics.json per run directory.
import * as fs from 'fs';
import * as path from 'path';
import { readJsonIfExists, readRunConfig } from './fsutil';

export type MetricsRecord = Record<string, number | null>;

export interface LoadedRun {
  /** Directory name, or the sweep's run id. */
  id: string;
  dir: string;
  config: Record<string, unknown>;
  metrics: MetricsRecord[];
}

function loadRunDir(dir: string, fallbackConfig?: Record<string, unknown>): LoadedRun {
  const metricsFile = path.join(dir, 'metrics.json');
  const metrics = readJsonIfExists<unknown>(metricsFile);
  if (metrics === undefined) throw new Error(`${dir} is not a run: it has no metrics.json`);
  if (!Array.isArray(metrics) || metrics.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
    throw new Error(`${metricsFile} must be a JSON list of per-epoch records like {"epoch": 1, "accuracy": 0.9}`);
  }
  const config = readRunConfig(dir) ?? fallbackConfig;
  if (!config || typeof config !== 'object') {
    throw new Error(`${dir} has metrics.json but no config.json; report needs the config to group runs by setting`);
  }
  return { id: path.basename(dir), dir, config, metrics: metrics as MetricsRecord[] };
}

function walk(dir: string, depth: number, out: string[]): void {
  if (fs.existsSync(path.join(dir, 'metrics.json'))) {
    out.push(dir);
    return;
  }
  if (depth === 0) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && e.name !== 'checkpoint') {
      walk(path.join(dir, e.name), depth - 1, out);
    }
  }
}

/**
 * Runs from paths that are run directories, sweep directories (with sweep.json), or any directory
 * holding runs up to 4 levels down. Runs without any metrics record are left out (they never
 * finished an epoch); the same directory is loaded once.
 */
export function loadRuns(paths: readonly string[]): LoadedRun[] {
  if (paths.length === 0) throw new Error('report needs at least one run or sweep directory');
  const dirs: string[] = [];
  for (const p of paths) {
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) throw new Error(`${p} is not a directory (expected a run or sweep directory)`);
    const found: string[] = [];
    walk(p, 4, found);
    if (found.length === 0) throw new Error(`${p} holds no run: no metrics.json in it or below it`);
    dirs.push(...found);
  }
  const seen = new Set<string>();
  const runs: LoadedRun[] = [];
  for (const d of dirs) {
    const abs = path.resolve(d);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const run = loadRunDir(d);
    if (run.metrics.length > 0) runs.push(run);
  }
  return runs;
}

/** The quantity a report is about: test accuracy, mIoU, or a distance/FID (lower is better). */
export interface Measure {
  key: string;
  label: string;
  higherIsBetter: boolean;
  /** Shown ×100 with a % sign (accuracy, mIoU). */
  percent: boolean;
}

const KNOWN_MEASURES: Measure[] = [
  { key: 'accuracy', label: 'test accuracy', higherIsBetter: true, percent: true },
  { key: 'miou', label: 'test mIoU', higherIsBetter: true, percent: true },
  { key: 'mIoU', label: 'test mIoU', higherIsBetter: true, percent: true },
  { key: 'fid', label: 'FID', higherIsBetter: false, percent: false },
  { key: 'distance', label: 'distance', higherIsBetter: false, percent: false },
];

/** The measure named `key`, or the first known one present in the runs' records. */
export function chooseMeasure(runs: readonly LoadedRun[], key?: string, lowerIsBetter?: boolean): Measure {
  if (key) {
    const known = KNOWN_MEASURES.find((m) => m.key === key);
    const present = runs.some((r) => r.metrics.some((rec) => typeof rec[key] === 'number'));
    if (!present) throw new Error(`measure "${key}" appears in no metrics.json record of the ${runs.length} runs`);
    const m = known ?? { key, label: key, higherIsBetter: true, percent: false };
    return lowerIsBetter === undefined ? m : { ...m, higherIsBetter: !lowerIsBetter };
  }
  for (const m of KNOWN_MEASURES) {
    if (runs.some((r) => r.metrics.some((rec) => typeof rec[m.key] === 'number'))) {
      return lowerIsBetter === undefined ? m : { ...m, higherIsBetter: !lowerIsBetter };
    }
  }
  throw new Error(`no known measure (${KNOWN_MEASURES.map((m) => m.key).join(', ')}) in the runs' metrics.json; pass --measure KEY`);
}

/** Error in the paper's Table 2 sense: 1 − value for accuracy-like measures, the value itself otherwise. */
export function errorOf(measure: Measure, value: number): number {
  return measure.higherIsBetter ? 1 - value : value;
}
