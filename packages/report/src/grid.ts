// Sweep grids: `key=v1,v2` axes expanded to a list of runs, with metric parameters only where they matter.

export type GridValue = string | number | boolean;
export type RunParams = Record<string, GridValue>;

/** One axis of a sweep: a train flag (camelCase) and the values it takes. */
export interface GridAxis {
  key: string;
  values: GridValue[];
}

/** Which metric uses which parameter; keys not listed here apply to every run. */
const METRIC_PARAMETERS: Record<string, readonly string[]> = {
  l2: [],
  'reweighted-l2': ['lambda', 'formulation', 'direction', 'mix'],
  sobolev: ['lambda', 'formulation', 'direction', 'mix'],
  'laplacian-smoothing': ['sigma', 'direction', 'mix'],
};
const ALL_METRIC_PARAMETERS = new Set(Object.values(METRIC_PARAMETERS).flat());

/** `batch-size` → `batchSize`. */
export function camelCase(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `batchSize` → `batch-size`. */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function parseValue(raw: string): GridValue {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  return raw;
}

/**
 * Parses grid axes written as `key=v1,v2,…` (one string per axis, or several separated by spaces).
 * Keys may be kebab- or camelCase; numbers become numbers.
 */
export function parseGrid(specs: readonly string[]): GridAxis[] {
  const axes: GridAxis[] = [];
  for (const spec of specs.flatMap((s) => s.split(/\s+/)).filter((s) => s.length > 0)) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) {
      throw new Error(`grid axis "${spec}" must look like key=value1,value2 (e.g. lambda=0.5,1,5)`);
    }
    const key = camelCase(spec.slice(0, eq).replace(/^--/, ''));
    const rawValues = spec.slice(eq + 1).split(',');
    if (rawValues.some((v) => v.trim() === '')) {
      throw new Error(`grid axis "${spec}" has an empty value; write key=value1,value2 without blanks`);
    }
    if (axes.some((a) => a.key === key)) throw new Error(`grid axis "${key}" is given twice; merge its values into one key=v1,v2`);
    const values = rawValues.map(parseValue);
    if (new Set(values.map(String)).size !== values.length) throw new Error(`grid axis "${key}" repeats a value: ${rawValues.join(',')}`);
    if (key === 'metric') {
      for (const v of values) {
        if (!(String(v) in METRIC_PARAMETERS)) {
          throw new Error(`grid metric "${v}" is unknown; use ${Object.keys(METRIC_PARAMETERS).join(', ')}`);
        }
      }
    }
    axes.push({ key, values });
  }
  return axes;
}

/** True when `key` changes what a run with this metric computes. */
export function parameterApplies(metric: string, key: string): boolean {
  if (!ALL_METRIC_PARAMETERS.has(key)) return true;
  const used = METRIC_PARAMETERS[metric];
  return used === undefined ? true : used.includes(key);
}

/**
 * The cartesian product of the axes, in axis order (the last axis varies fastest), with the metric
 * parameters dropped where the metric ignores them — l2 is not multiplied by λ, σ or formulation —
 * and duplicates removed.
 */
export function expandGrid(axes: readonly GridAxis[]): RunParams[] {
  let combos: RunParams[] = [{}];
  for (const axis of axes) {
    if (axis.values.length === 0) throw new Error(`grid axis "${axis.key}" has no values`);
    const next: RunParams[] = [];
    for (const c of combos) for (const v of axis.values) next.push({ ...c, [axis.key]: v });
    combos = next;
  }
  const seen = new Set<string>();
  const out: RunParams[] = [];
  for (const c of combos) {
    const metric = c.metric === undefined ? undefined : String(c.metric);
    const kept: RunParams = {};
    for (const [k, v] of Object.entries(c)) {
      if (metric === undefined || parameterApplies(metric, k)) kept[k] = v;
    }
    const id = runId(kept);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(kept);
    }
  }
  return out;
}

const SHORT: Record<string, string> = { batchSize: 'bs', lambda: 'lambda', sigma: 'sigma', seed: 'seed' };

/** A stable directory name for a run: `sobolev_lambda5_exact_bs8_seed1`. */
export function runId(params: RunParams): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const value = String(v).replace(/[^A-Za-z0-9.+-]/g, '-');
    if (k === 'metric' || k === 'formulation' || k === 'direction' || k === 'dataset' || k === 'model') parts.push(value);
    else parts.push(`${SHORT[k] ?? k}${value}`);
  }
  return parts.length ? parts.join('_') : 'run';
}

/** `{batchSize: 8, resume: true}` → `['--batch-size', '8', '--resume']`. */
export function paramsToFlags(params: RunParams): string[] {
  const flags: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const flag = `--${kebabCase(k)}`;
    if (v === true) flags.push(flag);
    else if (v === false) flags.push(`--no-${kebabCase(k)}`);
    else flags.push(flag, String(v));
  }
  return flags;
}
