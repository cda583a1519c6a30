// Grouping runs into settings and comparing each setting with its l2 baseline across seeds.
import { parameterApplies } from './grid';
import { LoadedRun, Measure, errorOf } from './runs';
import { PairedTestResult, Summary, errorReduction, mean, pairedTest, summarize } from './stats';

/** Config keys that never define a setting. */
const NOT_SETTING = new Set(['seed', 'out', 'outDir', 'resume', 'dataDir', 'task']);
/** Keys that say which metric was used; the rest of a setting is its context (dataset, batch size, …). */
export const METRIC_KEYS = ['metric', 'lambda', 'sigma', 'formulation', 'direction', 'mix'] as const;

export type SettingValue = string | number | boolean | null;

export interface Setting {
  key: string;
  /** Values of the setting's keys; metric parameters the metric ignores are null. */
  values: Record<string, SettingValue>;
  /** The context part (non-metric keys) as a key, shared with its baseline. */
  contextKey: string;
  runs: LoadedRun[];
}

export interface SettingRow {
  setting: Setting;
  label: string;
  contextLabel: string;
  seeds: number[];
  final: Summary;
  best: Summary;
  /** train − test of the measure at the final epoch, when the runs record it. */
  gap?: Summary;
  /** Whether this row is its context's l2 baseline. */
  isBaseline: boolean;
  /** vs the l2 baseline of the same context; undefined for the baseline itself or without one. */
  errorReductionFinal?: number;
  errorReductionBest?: number;
  paired?: PairedTestResult;
  pairedSeeds?: number[];
}

export interface Analysis {
  measure: Measure;
  settingKeys: string[];
  contextKeys: string[];
  /** Config values shared by every run (the protocol). */
  common: Record<string, SettingValue>;
  rows: SettingRow[];
}

function primitive(v: unknown): SettingValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return undefined;
}

function seedOf(run: LoadedRun): number {
  const s = run.config.seed;
  return typeof s === 'number' ? s : Number.NaN;
}

/** Final and best value of the measure in one run (records without it are ignored). */
export function runValues(run: LoadedRun, measure: Measure): { final: number; best: number; gap?: number; epochs: number } | undefined {
  const recs = run.metrics.filter((r) => typeof r[measure.key] === 'number' && Number.isFinite(r[measure.key] as number));
  if (recs.length === 0) return undefined;
  const vals = recs.map((r) => r[measure.key] as number);
  const last = recs[recs.length - 1];
  const trainKey = `train${measure.key[0].toUpperCase()}${measure.key.slice(1)}`;
  const train = last[trainKey];
  return {
    final: vals[vals.length - 1],
    best: measure.higherIsBetter ? Math.max(...vals) : Math.min(...vals),
    gap: typeof train === 'number' ? train - (last[measure.key] as number) : undefined,
    epochs: recs.length,
  };
}

function fmtNum(v: SettingValue): string {
  return v === null ? '—' : String(v);
}

/** `sobolev λ=5 paper`, `l2 (SGD)`. */
export function metricLabel(values: Record<string, SettingValue | undefined>): string {
  const metric = values.metric === null || values.metric === undefined ? 'l2' : String(values.metric);
  if (metric === 'l2') return 'l2 (baseline)';
  const parts = [metric];
  if (values.lambda !== null && values.lambda !== undefined) parts.push(`λ=${values.lambda}`);
  if (values.sigma !== null && values.sigma !== undefined) parts.push(`σ=${values.sigma}`);
  for (const k of ['formulation', 'direction'] as const) if (values[k] !== null && values[k] !== undefined) parts.push(String(values[k]));
  if (values.mix !== null && values.mix !== undefined && values.mix !== 0) parts.push(`mix ${values.mix}`);
  return parts.join(' ');
}

/** Groups runs by setting and compares each with its context's l2 baseline. */
export function analyze(runs: readonly LoadedRun[], measure: Measure): Analysis {
  // Keys whose (normalized) values differ between runs define the settings.
  const normalized = runs.map((run) => {
    const metric = String(run.config.metric ?? 'l2');
    const vals: Record<string, SettingValue> = {};
    for (const [k, v] of Object.entries(run.config)) {
      if (NOT_SETTING.has(k)) continue;
      const p = primitive(v);
      if (p === undefined) continue;
      vals[k] = parameterApplies(metric, k) ? p : null;
    }
    vals.metric = metric;
    return vals;
  });
  const allKeys = [...new Set(normalized.flatMap((v) => Object.keys(v)))];
  // A metric parameter varies only if it takes two real values (l2's null does not count: the
  // direction of every non-l2 run being 'output' is not a difference worth a column).
  const isMetricKey = (k: string) => (METRIC_KEYS as readonly string[]).includes(k) && k !== 'metric';
  const distinct = (k: string) => new Set(normalized.map((v) => v[k] ?? null).filter((v) => !(isMetricKey(k) && v === null)).map((v) => JSON.stringify(v)));
  const varying = allKeys.filter((k) => distinct(k).size > 1);
  // Context columns: dataset first, then batch size, then the rest in config order.
  const contextOrder = (k: string) => (k === 'dataset' ? 0 : k === 'batchSize' ? 1 : 2);
  const otherVarying = varying.filter((k) => !(METRIC_KEYS as readonly string[]).includes(k)).sort((a, b) => contextOrder(a) - contextOrder(b));
  const settingKeys = [...METRIC_KEYS.filter((k) => varying.includes(k) || k === 'metric'), ...otherVarying];
  const contextKeys = settingKeys.filter((k) => !(METRIC_KEYS as readonly string[]).includes(k));
  const common: Record<string, SettingValue> = {};
  for (const k of allKeys) if (!varying.includes(k)) common[k] = normalized.map((v) => v[k] ?? null).find((v) => v !== null) ?? null;

  const settings = new Map<string, Setting>();
  runs.forEach((run, i) => {
    const values: Record<string, SettingValue> = {};
    for (const k of settingKeys) values[k] = normalized[i][k] ?? null;
    const key = JSON.stringify(settingKeys.map((k) => values[k]));
    const contextKey = JSON.stringify(contextKeys.map((k) => values[k]));
    let s = settings.get(key);
    if (!s) {
      s = { key, values, contextKey, runs: [] };
      settings.set(key, s);
    }
    s.runs.push(run);
  });

  const rows: SettingRow[] = [];
  for (const setting of settings.values()) {
    const perRun = setting.runs
      .map((r) => ({ seed: seedOf(r), v: runValues(r, measure) }))
      .filter((x): x is { seed: number; v: NonNullable<ReturnType<typeof runValues>> } => x.v !== undefined)
      .sort((a, b) => a.seed - b.seed);
    const seeds = perRun.map((x) => x.seed);
    const dup = seeds.find((s, i) => i > 0 && s === seeds[i - 1]);
    if (dup !== undefined && !Number.isNaN(dup)) {
      const dirs = setting.runs.filter((r) => seedOf(r) === dup).map((r) => r.dir);
      throw new Error(`two runs of one setting have seed ${dup}: ${dirs.join(' and ')}; give them different seeds or report them separately`);
    }
    const gaps = perRun.map((x) => x.v.gap).filter((g): g is number => g !== undefined);
    rows.push({
      setting,
      label: metricLabel(setting.values),
      contextLabel: contextKeys.map((k) => `${k}=${fmtNum(setting.values[k])}`).join(', '),
      seeds,
      final: summarize(perRun.map((x) => x.v.final)),
      best: summarize(perRun.map((x) => x.v.best)),
      gap: gaps.length === perRun.length && gaps.length > 0 ? summarize(gaps) : undefined,
      isBaseline: setting.values.metric === 'l2',
    });
  }

  // Baseline comparison, paired by seed.
  for (const row of rows) {
    if (row.isBaseline) continue;
    const base = rows.find((r) => r.isBaseline && r.setting.contextKey === row.setting.contextKey);
    if (!base) continue;
    const bySeed = (r: SettingRow, which: 'final' | 'best') => {
      const m = new Map<number, number>();
      for (const run of r.setting.runs) {
        const v = runValues(run, measure);
        if (v) m.set(seedOf(run), v[which]);
      }
      return m;
    };
    const mine = bySeed(row, 'final');
    const theirs = bySeed(base, 'final');
    const common = [...mine.keys()].filter((s) => theirs.has(s) && !Number.isNaN(s)).sort((a, b) => a - b);
    // Error reduction over the seeds both settings have (all of them in a complete sweep), so that it
    // agrees with the paired difference when one setting is missing seeds.
    const reduction = (which: 'final' | 'best') => {
      const a = bySeed(row, which);
      const b = bySeed(base, which);
      const seeds = common.length > 0 ? common : undefined;
      const ma = seeds ? mean(seeds.map((s) => a.get(s)!)) : row[which].mean;
      const mb = seeds ? mean(seeds.map((s) => b.get(s)!)) : base[which].mean;
      return errorReduction(errorOf(measure, mb), errorOf(measure, ma));
    };
    row.errorReductionFinal = reduction('final');
    row.errorReductionBest = reduction('best');
    if (common.length > 0) {
      row.pairedSeeds = common;
      row.paired = pairedTest(common.map((s) => mine.get(s)!), common.map((s) => theirs.get(s)!));
    }
  }
  const order = (r: SettingRow) => [r.setting.contextKey, r.isBaseline ? 0 : 1, String(r.setting.values.metric), Number(r.setting.values.lambda ?? r.setting.values.sigma ?? 0), String(r.setting.values.formulation ?? '')];
  rows.sort((a, b) => {
    const x = order(a);
    const y = order(b);
    for (let i = 0; i < x.length; i++) {
      if (x[i] < y[i]) return -1;
      if (x[i] > y[i]) return 1;
    }
    return 0;
  });
  return { measure, settingKeys, contextKeys, common, rows };
}
