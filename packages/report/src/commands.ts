// yargs command modules for the `cdg` CLI: sweep, report, analyze.
import * as fs from 'fs';
import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import { writeCorrelationReport } from './analyze';
import { GridAxis, camelCase, parseGrid } from './grid';
import { PRESETS, getPreset } from './presets';
import { generateReport } from './report';
import { runSweep } from './sweep';

/** Grid axes that can also be given as their own comma-separated flags. */
const AXIS_FLAGS = ['metric', 'lambda', 'sigma', 'formulation', 'direction', 'mix', 'batch-size', 'lr', 'dataset', 'model', 'seed'] as const;

interface SweepArgs {
  task?: string;
  grid?: string[];
  preset?: string;
  out: string;
  workers: number;
  nice?: number;
  dryRun: boolean;
  cdg?: string;
  '--'?: string[];
  [key: string]: unknown;
}

/** Grid axes from --grid and the per-axis flags, seed outermost so that an interrupted sweep has every setting for the first seeds. */
export function sweepAxes(argv: Record<string, unknown>): GridAxis[] {
  const specs: string[] = [...((argv.grid as string[] | undefined) ?? [])];
  for (const flag of AXIS_FLAGS) {
    const v = argv[camelCase(flag)];
    if (v === undefined) continue;
    const list = (Array.isArray(v) ? v : [v]).map(String).join(',');
    specs.push(`${flag}=${list}`);
  }
  const axes = parseGrid(specs);
  const seed = axes.find((a) => a.key === 'seed');
  return seed ? [seed, ...axes.filter((a) => a !== seed)] : axes;
}

export const sweepCommand: CommandModule<object, SweepArgs> = {
  command: 'sweep [task]',
  describe: 'Run a grid of `cdg train` runs (metrics × λ × batch sizes × seeds …); resumable, optionally in parallel',
  builder: (y: Argv) =>
    y
      .parserConfiguration({ 'populate--': true })
      .positional('task', { type: 'string', describe: 'task to train (classification, segmentation, gan)' })
      .option('task', { type: 'string', describe: 'same as the positional task' })
      .option('grid', { alias: 'g', type: 'string', array: true, describe: 'axes as key=v1,v2 (any train flag), e.g. --grid metric=l2,sobolev lambda=0.5,1,5 seed=1,2,3' })
      .option('metric', { type: 'string', describe: 'axis shorthand: comma-separated metrics (l2 runs once per other axis, not per λ)' })
      .option('lambda', { type: 'string', describe: 'axis shorthand: comma-separated λ (sobolev, reweighted-l2)' })
      .option('sigma', { type: 'string', describe: 'axis shorthand: comma-separated σ (laplacian-smoothing)' })
      .option('formulation', { type: 'string', describe: 'axis shorthand: exact,paper (only for sobolev and reweighted-l2)' })
      .option('direction', { type: 'string', describe: 'axis shorthand: output,input,rasterized' })
      .option('mix', { type: 'string', describe: 'axis shorthand: comma-separated mix α' })
      .option('batch-size', { type: 'string', describe: 'axis shorthand: comma-separated batch sizes' })
      .option('lr', { type: 'string', describe: 'axis shorthand: comma-separated learning rates' })
      .option('dataset', { type: 'string', describe: 'axis shorthand: comma-separated datasets' })
      .option('model', { type: 'string', describe: 'axis shorthand: comma-separated models' })
      .option('seed', { type: 'string', describe: 'axis shorthand: comma-separated seeds, e.g. 1,2,3' })
      .option('preset', { type: 'string', choices: Object.keys(PRESETS), describe: 'start every run from a paper setting (its flags; the grid overrides)' })
      .option('out', { type: 'string', demandOption: true, describe: 'sweep directory: one sub-directory per run, sweep.json index, logs/' })
      .option('workers', { alias: 'j', type: 'number', default: 1, describe: 'runs at the same time (child processes)' })
      .option('nice', { type: 'number', describe: 'niceness of the training processes (e.g. 10)' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list the commands, run nothing' })
      .option('cdg', { type: 'string', describe: 'command that trains, split on spaces (default: this node + the cdg binary)' })
      .epilogue('Flags after `--` go to every `cdg train` unchanged, e.g. -- --epochs 3 --max-steps 200. A run whose metrics.json covers all its epochs is skipped; an interrupted one is resumed with --resume.')
      .example('$0 sweep classification --metric l2,sobolev,reweighted-l2 --lambda 0.5,1,5,20 --formulation exact,paper --seed 1,2,3 --out runs/mnist -- --dataset mnist --epochs 2', 'the paper\'s MNIST comparison, shortened') as unknown as Argv<SweepArgs>,
  handler: async (argv) => {
    const task = argv.task ?? (argv.preset ? getPreset(argv.preset).task : undefined);
    if (!task) throw new Error('sweep needs a task: cdg sweep classification … (or --preset)');
    const preset = argv.preset ? getPreset(argv.preset) : undefined;
    if (preset && preset.task !== task) throw new Error(`preset ${preset.name} is for task ${preset.task}, not ${task}`);
    for (const c of preset?.caveats ?? []) console.log(`preset ${preset!.name}: ${c}`);
    const extra = (argv['--'] ?? []).map(String);
    const result = await runSweep({
      task,
      axes: sweepAxes(argv),
      outDir: argv.out,
      baseParams: preset?.params,
      presetName: preset?.name,
      extraArgs: extra,
      workers: argv.workers,
      nice: argv.nice,
      dryRun: argv.dryRun,
      command: argv.cdg ? argv.cdg.split(' ').filter((s) => s.length > 0) : undefined,
    });
    if (!argv.dryRun) console.log(`sweep: ${result.total} runs, ${result.skipped} skipped, ${result.busy ? `${result.busy} left to other sweeps, ` : ''}${result.ran - result.failed} ran, ${result.failed} failed; index ${path.join(argv.out, 'sweep.json')}`);
    if (result.interrupted) process.exitCode = 130;
    else if (result.failed > 0) process.exitCode = 1;
  },
};

interface ReportArgs {
  runs: string[];
  out: string;
  title?: string;
  measure?: string;
  lowerIsBetter?: boolean;
  notes?: string;
  png: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <runs..>',
  describe: 'Table (mean ± std over seeds, error reduction vs l2, paired tests) and plots from run or sweep directories',
  builder: (y: Argv) =>
    y
      .positional('runs', { type: 'string', array: true, describe: 'run directories, sweep directories, or directories holding them' })
      .option('out', { type: 'string', demandOption: true, describe: 'where report.md, report.html, figures/ and summary.json go' })
      .option('title', { type: 'string', describe: 'report title' })
      .option('measure', { type: 'string', describe: 'metrics.json key to report (default: accuracy, miou, fid or distance)' })
      .option('lower-is-better', { type: 'boolean', describe: 'the measure is an error or distance' })
      .option('notes', { type: 'string', describe: 'Markdown file whose text goes under the title (e.g. what was run)' })
      .option('png', { type: 'boolean', default: true, describe: 'also write PNGs (--no-png: SVG only)' }) as unknown as Argv<ReportArgs>,
  handler: async (argv) => {
    const notes = argv.notes ? fs.readFileSync(argv.notes, 'utf8') : undefined;
    const r = await generateReport({ inputs: argv.runs, outDir: argv.out, title: argv.title, measure: argv.measure, lowerIsBetter: argv.lowerIsBetter, notes, png: argv.png });
    console.log(`${r.runs.length} runs, ${r.analysis.rows.length} settings, ${r.figures.length} figures → ${path.join(argv.out, 'report.md')} and report.html`);
  },
};

interface AnalyzeArgs {
  analysis: string;
  target: string;
  out?: string;
  maxDistance?: number;
  includeDense: boolean;
}

export const analyzeCommand: CommandModule<object, AnalyzeArgs> = {
  command: 'analyze <analysis> <target>',
  describe: 'Analyze trained weights; `analyze correlation RUN_OR_MODEL`: filter correlation along output vs input channels (paper Fig. 1)',
  builder: (y: Argv) =>
    y
      .positional('analysis', { type: 'string', choices: ['correlation'], describe: 'which analysis' })
      .positional('target', { type: 'string', describe: 'run directory, checkpoint directory or model .json' })
      .option('out', { type: 'string', describe: 'output directory (default: TARGET/analysis, or beside a .json)' })
      .option('max-distance', { type: 'number', default: 16, describe: 'largest channel distance (0: all); far distances have few pairs and are noisy' })
      .option('include-dense', { type: 'boolean', default: false, describe: 'also Dense kernels' }) as unknown as Argv<AnalyzeArgs>,
  handler: async (argv) => {
    const isFile = fs.existsSync(argv.target) && fs.statSync(argv.target).isFile();
    const out = argv.out ?? path.join(isFile ? path.dirname(argv.target) : argv.target, 'analysis');
    const r = await writeCorrelationReport(argv.target, out, { maxDistance: argv.maxDistance ? argv.maxDistance : undefined, includeDense: argv.includeDense });
    console.log(r.table);
    console.log(`\nwritten: ${r.files.join(', ')}`);
  },
};

/** The commands the `cdg` CLI mounts. */
export const commands: CommandModule<object, any>[] = [sweepCommand, reportCommand, analyzeCommand]; // eslint-disable-line @typescript-eslint/no-explicit-any
