// `cdg analyze correlation`: kernelCorrelation over every conv kernel of a saved model.
import * as path from 'path';
import { NamedWeight, readCheckpointWeights } from './checkpoint';
import { KernelCorrelation, KernelLayout, kernelCorrelation } from './correlation';
import { writeFileAtomic } from './fsutil';
import { renderSvg, svgToPng } from './render';

export interface LayerCorrelation {
  model: string;
  weight: string;
  layout: KernelLayout;
  correlation: KernelCorrelation;
}

export interface CorrelationAnalysisOptions {
  maxDistance?: number;
  /** Also analyze Dense kernels (rank 2). */
  includeDense?: boolean;
}

/** Weights that are layer kernels (not biases, batch-norm statistics or optimizer slots). */
function isKernel(w: NamedWeight, includeDense: boolean): KernelLayout | undefined {
  const last = w.name.split('/').pop();
  if (last !== 'kernel') return undefined; // depthwise_kernel has no output axis (method.md)
  if (w.layerClass === 'Conv2DTranspose' || w.layerClass === 'Conv3DTranspose') return 'conv-transpose';
  if (w.shape.length >= 3) return 'conv';
  if (w.shape.length === 2 && includeDense) return 'dense';
  return undefined;
}

/** Correlation curves of every kernel saved under `target` (run, checkpoint directory or model JSON). */
export function correlationOfModel(target: string, opts: CorrelationAnalysisOptions = {}): LayerCorrelation[] {
  const weights = readCheckpointWeights(target);
  const out: LayerCorrelation[] = [];
  for (const w of weights) {
    const layout = isKernel(w, opts.includeDense ?? false);
    if (!layout) continue;
    out.push({ model: w.model, weight: w.name, layout, correlation: kernelCorrelation(w.data, w.shape, { layout, maxDistance: opts.maxDistance }) });
  }
  if (out.length === 0) {
    throw new Error(`${target} has no conv kernels among its ${weights.length} weights (${weights.slice(0, 6).map((w) => w.name).join(', ')}…)${opts.includeDense ? '' : '; pass --include-dense for Dense layers'}`);
  }
  return out;
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : '—';
}

/** Markdown table: per kernel, the neighbour (d = 1) and mean over d ≤ 3 correlations along each axis. */
export function correlationTable(layers: readonly LayerCorrelation[]): string {
  const mean = (xs: { mean: number }[]) => {
    const v = xs.map((x) => x.mean).filter(Number.isFinite);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  };
  const lines = ['| model | kernel | shape | output d=1 | input d=1 | output mean d≤3 | input mean d≤3 |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const l of layers) {
    const o = l.correlation.output.byDistance;
    const i = l.correlation.input.byDistance;
    lines.push(`| ${l.model} | ${l.weight} | ${l.correlation.shape.join('×')} | ${f(o[0]?.mean ?? NaN)} | ${f(i[0]?.mean ?? NaN)} | ${f(mean(o.slice(0, 3)))} | ${f(mean(i.slice(0, 3)))} |`);
  }
  return lines.join('\n');
}

/** Vega-Lite spec: mean correlation against channel distance, one panel per kernel, output vs input axis. */
export function correlationSpec(layers: readonly LayerCorrelation[], title: string): Record<string, unknown> {
  const values: Record<string, unknown>[] = [];
  for (const l of layers) {
    for (const [axis, c] of [['output', l.correlation.output], ['input', l.correlation.input]] as const) {
      for (const d of c.byDistance) {
        if (Number.isFinite(d.mean)) values.push({ kernel: `${l.model}:${l.weight}`, axis, distance: d.distance, correlation: d.mean, count: d.count });
      }
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    facet: { field: 'kernel', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 260,
      height: 170,
      layer: [
        { mark: { type: 'rule', color: '#999999' }, encoding: { y: { datum: 0 } } },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'distance', type: 'quantitative', title: 'channel distance |i − j|', axis: { tickMinStep: 1 } },
            y: { field: 'correlation', type: 'quantitative', title: 'mean correlation' },
            color: { field: 'axis', type: 'nominal', title: 'axis', scale: { domain: ['output', 'input'], range: ['#d55e00', '#0072b2'] } },
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    config: { font: 'DejaVu Sans' },
    background: 'white',
  };
}

/** Writes correlation.md, correlation.json, correlation.svg and .png into `outDir`. */
export async function writeCorrelationReport(target: string, outDir: string, opts: CorrelationAnalysisOptions = {}): Promise<{ layers: LayerCorrelation[]; table: string; files: string[] }> {
  const layers = correlationOfModel(target, opts);
  const table = correlationTable(layers);
  const title = `filter correlation by channel distance — ${path.basename(path.resolve(target))}`;
  const svg = await renderSvg(correlationSpec(layers, title));
  const files = ['correlation.md', 'correlation.json', 'correlation.svg', 'correlation.png'].map((n) => path.join(outDir, n));
  writeFileAtomic(files[0], `# ${title}\n\nPearson correlation of whole filters j and j+d along each axis (invariant to re-scaling a channel), averaged over all pairs at distance d.\n\n${table}\n\n![correlation](correlation.png)\n`);
  writeFileAtomic(files[1], `${JSON.stringify(layers, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1)}\n`);
  writeFileAtomic(files[2], svg);
  writeFileAtomic(files[3], await svgToPng(svg));
  return { layers, table, files };
}
