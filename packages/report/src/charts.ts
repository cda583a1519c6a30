// Vega-Lite specifications of the report's figures (rendered by render.ts).
import { Analysis, SettingRow, metricLabel, runValues } from './aggregate';
import type { VegaLiteSpec } from './render';

const BASELINE_COLOR = '#222222';
const STRENGTH_WIDTH = 420;
/** Colour-blind-safe categorical colours for λ / σ values, in increasing order. */
const STRENGTH_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#f0e442', '#8c564b'];
const FORMULATION_DASH: Record<string, number[]> = { exact: [1, 0], paper: [6, 3], '—': [1, 0] };

export interface Figure {
  /** File stem, e.g. `curves_dataset-mnist_batchSize-8`. */
  name: string;
  title: string;
  caption: string;
  spec: VegaLiteSpec;
}

/** λ (σ for laplacian-smoothing) of a setting, from the run config when it is the same for every run. */
function strengthOf(row: SettingRow): number | null {
  const cfg = row.setting.runs[0]?.config ?? {};
  const key = row.setting.values.metric === 'laplacian-smoothing' ? 'sigma' : 'lambda';
  const v = row.setting.values[key] ?? cfg[key];
  return typeof v === 'number' ? v : null;
}

function strengthLabel(row: SettingRow): string {
  if (row.isBaseline) return 'l2 (baseline)';
  const v = strengthOf(row);
  if (v === null) return 'default';
  return `${row.setting.values.metric === 'laplacian-smoothing' ? 'σ' : 'λ'}=${v}`;
}

function contexts(analysis: Analysis): { key: string; label: string; slug: string; rows: SettingRow[] }[] {
  const out = new Map<string, { key: string; label: string; slug: string; rows: SettingRow[] }>();
  for (const row of analysis.rows) {
    let c = out.get(row.setting.contextKey);
    if (!c) {
      const slug = analysis.contextKeys.map((k) => `${k}-${String(row.setting.values[k] ?? 'none').replace(/[^A-Za-z0-9.]+/g, '-')}`).join('_') || 'all';
      c = { key: row.setting.contextKey, label: row.contextLabel || 'all runs', slug, rows: [] };
      out.set(row.setting.contextKey, c);
    }
    c.rows.push(row);
  }
  return [...out.values()];
}

function colorScale(rows: SettingRow[]): { domain: string[]; range: string[] } {
  const strengths = [...new Set(rows.filter((r) => !r.isBaseline).map(strengthLabel))].sort((a, b) => {
    const na = Number(a.split('=')[1]);
    const nb = Number(b.split('=')[1]);
    return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
  });
  const domain = ['l2 (baseline)', ...strengths];
  const range = [BASELINE_COLOR, ...strengths.map((_, i) => STRENGTH_COLORS[i % STRENGTH_COLORS.length])];
  return { domain, range };
}

const axisConfig = { config: { font: 'DejaVu Sans', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12 }, header: { labelFontSize: 12, titleFontSize: 12 } }, background: 'white' };

/** Per context: test measure against epoch, one panel per metric with the l2 baseline in each; mean over seeds ± std band. */
function curvesFigure(analysis: Analysis, ctx: ReturnType<typeof contexts>[number]): Figure | undefined {
  const m = analysis.measure;
  const scale = m.percent ? 100 : 1;
  const methods = [...new Set(ctx.rows.filter((r) => !r.isBaseline).map((r) => String(r.setting.values.metric)))];
  const panels = methods.length > 0 ? methods : ['l2'];
  const values: Record<string, unknown>[] = [];
  for (const row of ctx.rows) {
    const rowPanels = row.isBaseline ? panels : [String(row.setting.values.metric)];
    for (const run of row.setting.runs) {
      run.metrics.forEach((rec, i) => {
        const v = rec[m.key];
        if (typeof v !== 'number' || !Number.isFinite(v)) return;
        const epoch = typeof rec.epoch === 'number' ? rec.epoch : i + 1;
        for (const panel of rowPanels) {
          values.push({
            panel,
            epoch,
            value: v * scale,
            seed: run.config.seed,
            series: strengthLabel(row),
            formulation: row.isBaseline ? '—' : String(row.setting.values.formulation ?? '—'),
            setting: row.label,
          });
        }
      });
    }
  }
  if (values.length === 0) return undefined;
  const { domain, range } = colorScale(ctx.rows);
  const dashDomain = [...new Set(values.map((v) => String(v.formulation)))].sort((a, b) => (a === '—' ? 1 : b === '—' ? -1 : a.localeCompare(b)));
  const title = `${m.label}${m.percent ? ' (%)' : ''}`;
  const enc = {
    x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } },
    color: { field: 'series', type: 'nominal', title: 'λ / σ', scale: { domain, range }, legend: { symbolOpacity: 1, symbolType: 'stroke', symbolStrokeWidth: 3 } },
    strokeDash: {
      field: 'formulation',
      type: 'nominal',
      title: 'formulation',
      scale: { domain: dashDomain, range: dashDomain.map((d) => FORMULATION_DASH[d] ?? [2, 2]) },
      legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 300, encode: { symbols: { update: { stroke: { value: '#333333' } } } } },
    },
  };
  return {
    name: `curves_${ctx.slug}`,
    title: `${m.label} per epoch — ${ctx.label}`,
    caption: `${m.label} after each epoch, mean over seeds (line) ± one standard deviation (band); one panel per metric, the l2 baseline (black) repeated in each. Dashed: the paper's printed-code formulation.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `${m.label} per epoch — ${ctx.label}`,
      data: { values },
      facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels } },
      spec: {
        width: 300,
        height: 220,
        layer: [
          { mark: { type: 'errorband', extent: 'stdev', opacity: 0.12 }, encoding: { ...enc, y: { field: 'value', type: 'quantitative', title, scale: { zero: false } }, strokeDash: undefined } },
          { mark: { type: 'line', point: true, strokeWidth: 1.6 }, encoding: { ...enc, y: { aggregate: 'mean', field: 'value', type: 'quantitative', title } } },
        ],
      },
      ...axisConfig,
    },
  };
}

/** Per context: final measure against λ (or σ), per metric and formulation; seeds as dots, mean ± std, baseline band. */
function strengthFigure(analysis: Analysis, ctx: ReturnType<typeof contexts>[number]): Figure | undefined {
  const m = analysis.measure;
  const scale = m.percent ? 100 : 1;
  const points: Record<string, unknown>[] = [];
  for (const row of ctx.rows) {
    if (row.isBaseline) continue;
    const s = strengthOf(row);
    if (s === null) continue;
    for (const run of row.setting.runs) {
      const v = runValues(run, m);
      if (!v) continue;
      points.push({
        strength: s,
        value: v.final * scale,
        seed: run.config.seed,
        method: `${row.setting.values.metric}${row.setting.values.formulation ? ` (${row.setting.values.formulation})` : ''}`,
      });
    }
  }
  if (points.length === 0) return undefined;
  const base = ctx.rows.find((r) => r.isBaseline);
  const layers: Record<string, unknown>[] = [];
  const yTitle = `final ${m.label}${m.percent ? ' (%)' : ''}`;
  if (base) {
    const mean = base.final.mean * scale;
    const std = Number.isFinite(base.final.std) ? base.final.std * scale : 0;
    const baseData = { values: [{ mean, lo: mean - std, hi: mean + std, label: `l2 baseline ${mean.toFixed(2)} ± ${std.toFixed(2)}` }] };
    layers.push({ data: baseData, mark: { type: 'rect', color: '#888888', opacity: 0.18 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } });
    layers.push({ data: baseData, mark: { type: 'rule', color: BASELINE_COLOR, strokeDash: [4, 2] }, encoding: { y: { field: 'mean', type: 'quantitative' } } });
    layers.push({ data: baseData, mark: { type: 'text', align: 'right', dx: -4, dy: -6, color: BASELINE_COLOR, fontSize: 10 }, encoding: { y: { field: 'mean', type: 'quantitative' }, x: { value: STRENGTH_WIDTH }, text: { field: 'label' } } });
  }
  const x = { field: 'strength', type: 'quantitative', title: 'λ (σ for laplacian-smoothing)', scale: { type: 'log', padding: 28, nice: false }, axis: { values: [...new Set(points.map((p) => p.strength as number))].sort((a, b) => a - b) } };
  const y = { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } };
  const color = { field: 'method', type: 'nominal', title: 'metric (formulation)', legend: { titleLimit: 300, labelLimit: 300, symbolOpacity: 1 } };
  layers.push({ data: { values: points }, mark: { type: 'point', opacity: 0.5, size: 30 }, encoding: { x, y, color } });
  layers.push({ data: { values: points }, mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { x, y, color } });
  layers.push({ data: { values: points }, mark: { type: 'line', point: { filled: true, size: 45 } }, encoding: { x, y: { ...y, aggregate: 'mean' }, color } });
  return {
    name: `strength_${ctx.slug}`,
    title: `final ${m.label} against λ — ${ctx.label}`,
    caption: `Final-epoch ${m.label} against the metric strength (log scale): each seed a hollow dot, the mean a filled dot with ± one standard deviation; the grey band and dashed line are the l2 baseline's mean ± std.`,
    spec: { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: `final ${m.label} against λ — ${ctx.label}`, width: STRENGTH_WIDTH, height: 280, layer: layers, ...axisConfig },
  };
}

/** Per context: histograms of the final measure over seeds, each setting beside the l2 baseline (paper Fig. 5). */
function histogramFigure(analysis: Analysis, ctx: ReturnType<typeof contexts>[number]): Figure | undefined {
  const m = analysis.measure;
  const scale = m.percent ? 100 : 1;
  const base = ctx.rows.find((r) => r.isBaseline);
  const others = ctx.rows.filter((r) => !r.isBaseline);
  const panels = others.length > 0 ? others : base ? [base] : [];
  const values: Record<string, unknown>[] = [];
  for (const row of panels) {
    const members = row === base ? [row] : base ? [base, row] : [row];
    for (const member of members) {
      for (const run of member.setting.runs) {
        const v = runValues(run, m);
        if (v) values.push({ panel: row.label, value: v.final * scale, who: member.isBaseline ? 'l2 (baseline)' : 'with metric' });
      }
    }
  }
  if (values.length === 0) return undefined;
  return {
    name: `histogram_${ctx.slug}`,
    title: `distribution over seeds — ${ctx.label}`,
    caption: `Histogram of the final ${m.label} over seeds for each setting (colour) against the l2 baseline (grey), as in the paper's Figure 5; bins are shared by all panels, and where both fall in one bin the bars overlap (darker).`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: `final ${m.label} over seeds — ${ctx.label}`,
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: null, sort: panels.map((p) => p.label) },
      columns: 4,
      spec: {
        width: 170,
        height: 110,
        mark: { type: 'bar', opacity: 0.65, binSpacing: 1 },
        encoding: {
          x: { field: 'value', type: 'quantitative', bin: { maxbins: 12 }, title: `final ${m.label}${m.percent ? ' (%)' : ''}` },
          y: { aggregate: 'count', type: 'quantitative', title: 'runs', stack: null, axis: { tickMinStep: 1, format: 'd' } },
          color: { field: 'who', type: 'nominal', title: null, scale: { domain: ['l2 (baseline)', 'with metric'], range: ['#999999', '#0072b2'] } },
        },
      },
      ...axisConfig,
    },
  };
}

/** All figures of a report, per context (dataset × batch size × …). */
export function reportFigures(analysis: Analysis): Figure[] {
  const figs: Figure[] = [];
  for (const ctx of contexts(analysis)) {
    for (const make of [curvesFigure, strengthFigure, histogramFigure]) {
      const f = make(analysis, ctx);
      if (f) figs.push(f);
    }
  }
  return figs;
}

export { metricLabel };
