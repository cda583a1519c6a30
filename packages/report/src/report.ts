// `cdg report`: the table, the figures (SVG + PNG) and one Markdown and one self-contained HTML page.
import * as path from 'path';
import { Analysis, SettingRow, analyze } from './aggregate';
import { Figure, reportFigures } from './charts';
import { writeFileAtomic } from './fsutil';
import { renderSvg, svgToPng } from './render';
import { LoadedRun, Measure, chooseMeasure, loadRuns } from './runs';

export interface ReportOptions {
  /** Run or sweep directories. */
  inputs: readonly string[];
  outDir: string;
  title?: string;
  /** metrics.json key to report (default: accuracy, miou, fid or distance, whichever is present). */
  measure?: string;
  lowerIsBetter?: boolean;
  /** Markdown put under the title (e.g. the protocol that was run). */
  notes?: string;
  png?: boolean;
  log?: (message: string) => void;
}

export interface ReportResult {
  analysis: Analysis;
  runs: LoadedRun[];
  figures: { name: string; svg: string; png?: string }[];
  markdown: string;
  html: string;
}

export interface TableColumn {
  header: string;
  cell: (row: SettingRow) => string;
}

function pct(measure: Measure, v: number): string {
  if (!Number.isFinite(v)) return '—';
  return measure.percent ? (v * 100).toFixed(2) : v.toPrecision(4);
}

function meanStd(measure: Measure, s: { mean: number; std: number; n: number }): string {
  if (s.n === 0) return '—';
  return s.n > 1 ? `${pct(measure, s.mean)} ± ${pct(measure, s.std)}` : pct(measure, s.mean);
}

/** p-values: 3 significant digits, `<0.001` below that. */
export function formatP(p: number | undefined): string {
  if (p === undefined || !Number.isFinite(p)) return '—';
  return p < 0.001 ? '<0.001' : p.toPrecision(2);
}

function signed(v: number | undefined, digits = 2, factor = 100): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const x = v * factor;
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/** The table's columns for an analysis (context columns only when the context varies). */
export function tableColumns(a: Analysis): TableColumn[] {
  const m = a.measure;
  const unit = m.percent ? ' (%)' : '';
  const cols: TableColumn[] = a.contextKeys.map((k) => ({ header: k, cell: (r: SettingRow) => String(r.setting.values[k] ?? '—') }));
  cols.push(
    { header: 'setting', cell: (r) => r.label },
    { header: 'seeds', cell: (r) => String(r.final.n) },
    { header: `final ${m.label}${unit}`, cell: (r) => meanStd(m, r.final) },
    { header: `best ${m.label}${unit}`, cell: (r) => meanStd(m, r.best) },
    { header: 'error reduction vs l2, final (%)', cell: (r) => signed(r.errorReductionFinal, 1) },
    { header: `Δ vs l2${m.percent ? ' (pp)' : ''}`, cell: (r) => (r.paired ? signed(r.paired.meanDifference, m.percent ? 2 : 4, m.percent ? 100 : 1) : '—') },
    { header: 'paired t p', cell: (r) => formatP(r.paired?.pValue) },
    { header: 'Wilcoxon p', cell: (r) => formatP(r.paired?.wilcoxonPValue) },
  );
  if (a.rows.some((r) => r.gap)) {
    cols.push({ header: `train − test${m.percent ? ' (pp)' : ''}`, cell: (r) => (r.gap ? meanStd(m, r.gap) : '—') });
  }
  return cols;
}

function escapeMd(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function markdownTable(a: Analysis): string {
  const cols = tableColumns(a);
  const lines = [`| ${cols.map((c) => escapeMd(c.header)).join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`];
  for (const r of a.rows) lines.push(`| ${cols.map((c) => escapeMd(c.cell(r))).join(' | ')} |`);
  return lines.join('\n');
}

function htmlTable(a: Analysis): string {
  const cols = tableColumns(a);
  const head = `<tr>${cols.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('')}</tr>`;
  const body = a.rows.map((r) => `<tr${r.isBaseline ? ' class="baseline"' : ''}>${cols.map((c) => `<td>${escapeHtml(c.cell(r))}</td>`).join('')}</tr>`).join('\n');
  return `<table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

function protocolLines(a: Analysis, runs: readonly LoadedRun[]): string[] {
  const shown = Object.entries(a.common).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  const seeds = [...new Set(runs.map((r) => r.config.seed))].sort();
  const epochs = [...new Set(runs.map((r) => r.metrics.length))].sort((x, y) => x - y);
  return [
    `${runs.length} runs in ${a.rows.length} settings; seeds ${seeds.join(', ')}; ${epochs.length === 1 ? `${epochs[0]} epoch records per run` : `between ${epochs[0]} and ${epochs[epochs.length - 1]} epoch records per run`}.`,
    `Shared by every run: ${shown.join(', ') || '—'}.`,
    `Varying: ${a.settingKeys.join(', ')}.`,
  ];
}

const METHOD_NOTE = (m: Measure) =>
  [
    `Values are the ${m.label} at the final epoch (and the best epoch) per run, as mean ± sample standard deviation over seeds.`,
    `Error reduction is (err_l2 − err)/err_l2 of the mean final ${m.higherIsBetter ? `error (1 − ${m.label})` : m.label} against the l2 runs of the same context, as in the paper's Table 2, over the seeds both have; positive is better than l2.`,
    'Δ, the paired t-test and the Wilcoxon signed-rank test pair runs with the same seed (same initialization and batch order); p-values are two-sided and not corrected for the number of settings compared; with n paired seeds the smallest attainable Wilcoxon p is 2/2ⁿ (0.25 for 3 seeds).',
  ].join(' ');

/** Loads the runs, analyzes them, renders the figures and writes report.md, report.html, figures/ and summary.json. */
export async function generateReport(opts: ReportOptions): Promise<ReportResult> {
  const log = opts.log ?? (() => undefined);
  const runs = loadRuns(opts.inputs);
  if (runs.length === 0) throw new Error(`no run under ${opts.inputs.join(', ')} has finished an epoch yet`);
  const measure = chooseMeasure(runs, opts.measure, opts.lowerIsBetter);
  const analysis = analyze(runs, measure);
  const figures = reportFigures(analysis);
  const title = opts.title ?? 'cdg report';
  const figDir = path.join(opts.outDir, 'figures');
  const rendered: { figure: Figure; svg: string; svgFile: string; pngFile?: string }[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    const svgFile = path.join(figDir, `${figure.name}.svg`);
    writeFileAtomic(svgFile, svg);
    let pngFile: string | undefined;
    if (opts.png !== false) {
      pngFile = path.join(figDir, `${figure.name}.png`);
      writeFileAtomic(pngFile, await svgToPng(svg));
    }
    rendered.push({ figure, svg, svgFile, pngFile });
    log(`figure ${figure.name}`);
  }

  const rel = (f: string) => path.relative(opts.outDir, f).split(path.sep).join('/');
  const md: string[] = [`# ${title}`, ''];
  if (opts.notes) md.push(opts.notes.trim(), '');
  md.push('## Protocol', '', ...protocolLines(analysis, runs).map((l) => `- ${l}`), '', '## Results', '', markdownTable(analysis), '', METHOD_NOTE(measure), '', '## Figures', '');
  for (const r of rendered) {
    md.push(`### ${r.figure.title}`, '', `![${r.figure.title}](${rel(r.pngFile ?? r.svgFile)})`, '', `${r.figure.caption} ([SVG](${rel(r.svgFile)}))`, '');
  }
  const markdown = `${md.join('\n').trim()}\n`;

  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}',
    'table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}',
    'th{background:#f3f3f3}td:nth-child(-n+3){text-align:left}tr.baseline{background:#f7f7f7;font-weight:600}',
    'figure{margin:2em 0}figcaption{color:#555;max-width:70em}svg{max-width:100%;height:auto}</style>',
    '</head><body>',
    `<h1>${escapeHtml(title)}</h1>`,
    opts.notes ? `<pre class="notes">${escapeHtml(opts.notes.trim())}</pre>` : '',
    '<h2>Protocol</h2><ul>',
    ...protocolLines(analysis, runs).map((l) => `<li>${escapeHtml(l)}</li>`),
    '</ul><h2>Results</h2>',
    htmlTable(analysis),
    `<p>${escapeHtml(METHOD_NOTE(measure))}</p>`,
    '<h2>Figures</h2>',
    ...rendered.map((r) => `<figure id="${escapeHtml(r.figure.name)}"><h3>${escapeHtml(r.figure.title)}</h3>\n${r.svg}\n<figcaption>${escapeHtml(r.figure.caption)}</figcaption></figure>`),
    '</body></html>',
    '',
  ].join('\n');

  writeFileAtomic(path.join(opts.outDir, 'report.md'), markdown);
  writeFileAtomic(path.join(opts.outDir, 'report.html'), html);
  const summary = {
    measure,
    settingKeys: analysis.settingKeys,
    common: analysis.common,
    rows: analysis.rows.map((r) => ({
      setting: r.setting.values,
      label: r.label,
      context: r.contextLabel,
      seeds: r.seeds,
      runs: r.setting.runs.map((run) => path.relative(opts.outDir, run.dir)),
      final: r.final,
      best: r.best,
      gap: r.gap,
      errorReductionFinal: r.errorReductionFinal,
      errorReductionBest: r.errorReductionBest,
      paired: r.paired,
      pairedSeeds: r.pairedSeeds,
    })),
  };
  writeFileAtomic(path.join(opts.outDir, 'summary.json'), `${JSON.stringify(summary, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return {
    analysis,
    runs,
    figures: rendered.map((r) => ({ name: r.figure.name, svg: r.svgFile, png: r.pngFile })),
    markdown,
    html,
  };
}

export { analyze };
