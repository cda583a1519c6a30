import * as path from 'path';
import type { Argv } from 'yargs';
import { classificationTask } from '@cdg/classification';
import { runTask, writeFileAtomic, writeJsonAtomic } from '@cdg/trainer';
import type { CommonTrainConfig, ProgressMode } from '@cdg/trainer';
import { activateBackend } from './backend';
import { UsageError } from './errors';
import type { CliIO } from './main';
import { BACKEND_CHOICES, BUILTIN_METRIC_NAMES, COMMON_DEFAULTS, PROGRESS_CHOICES } from './options';

/** One arm of the comparison. */
export interface CompareRow {
  metric: string;
  accuracy: number | null;
  loss: number | null;
  trainLoss: number | null;
  steps: number;
  stepsPerSecond: number;
  trainSeconds: number;
}

/** The comparison as a Markdown table; step-time overhead is relative to the l2 arm of the same run. */
export function formatCompareTable(rows: CompareRow[]): string {
  const base = rows.find((r) => r.metric === 'l2');
  const f = (v: number | null, d: number) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));
  const lines = ['| optimizer | test accuracy | test loss | train loss | steps | steps/s | ms/step | step time vs SGD |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    const ms = 1000 / r.stepsPerSecond;
    const rel = base ? `${(((1 / r.stepsPerSecond) / (1 / base.stepsPerSecond) - 1) * 100).toFixed(1)}%` : 'n/a';
    const name = r.metric === 'l2' ? 'SGD' : `SGD+${r.metric}`;
    lines.push(`| ${name} | ${f(r.accuracy, 4)} | ${f(r.loss, 4)} | ${f(r.trainLoss, 4)} | ${r.steps} | ${f(r.stepsPerSecond, 2)} | ${f(ms, 1)} | ${r.metric === 'l2' ? '—' : rel} |`);
  }
  return lines.join('\n');
}

/** `cdg compare`: the same seed and budget with SGD, SGD+sobolev and SGD+reweighted-l2, then a table. */
export function compareCommand(io: CliIO) {
  return {
    command: 'compare',
    describe: 'train the 2-layer CNN on bundled MNIST with SGD, SGD+sobolev and SGD+reweighted-l2 (same seed and steps) and print a table',
    builder: (y: Argv) =>
      y
        .options({
          dataset: { type: 'string', choices: ['mnist', 'fashion-mnist', 'cifar10'], default: 'mnist', describe: 'dataset' },
          'data-dir': { type: 'string', describe: 'dataset folder (cifar10)' },
          model: { type: 'string', describe: 'network (default: cnn2 for the MNISTs, resnet20 for cifar10)' },
          metrics: { type: 'array', string: true, default: ['l2', 'sobolev', 'reweighted-l2'], describe: 'arms to compare (l2 = plain SGD)' },
          lambda: { type: 'number', default: 1, describe: 'λ of sobolev and reweighted-l2' },
          sigma: { type: 'number', default: 1, describe: 'σ of laplacian-smoothing' },
          formulation: { type: 'string', choices: ['exact', 'paper'], default: 'paper', describe: "metric formulation; default 'paper' (the printed code the paper's experiments ran: reweighted-l2 is g = f + λ·mean), since with the exact formula λ = 1 reweighted-l2 is plain SGD" },
          optimizer: { type: 'string', choices: ['sgd', 'momentum', 'adam'], default: 'sgd', describe: 'inner optimizer' },
          lr: { type: 'number', default: classificationTask.defaults.lr ?? COMMON_DEFAULTS.lr, describe: 'learning rate' },
          'batch-size': { type: 'number', default: 32, describe: 'examples per step' },
          'max-steps': { type: 'number', default: 300, describe: 'optimizer steps per arm' },
          'eval-limit': { type: 'number', default: 0, describe: 'evaluate on the first N test images (0 = all 10k)' },
          seed: { type: 'number', default: 1, describe: 'seed shared by all arms' },
          backend: { type: 'string', choices: [...BACKEND_CHOICES], default: 'auto', describe: 'tfjs backend' },
          out: { type: 'string', default: path.join('runs', 'compare'), describe: 'output folder (one subfolder per arm, compare.md, compare.json)' },
          progress: { type: 'string', choices: [...PROGRESS_CHOICES], default: 'auto', describe: 'progress display' },
        })
        .check((a) => {
          for (const m of a.metrics as string[]) if (!(BUILTIN_METRIC_NAMES as readonly string[]).includes(m)) throw new UsageError(`--metrics: unknown metric "${m}"; expected some of ${BUILTIN_METRIC_NAMES.join(', ')}`);
          for (const k of ['lambda', 'sigma', 'lr'] as const) if (!(Number.isFinite(a[k]) && a[k] > 0)) throw new UsageError(`--${k} must be a finite number > 0, got ${String(a[k])}`);
          for (const k of ['batch-size', 'max-steps'] as const) if (!(Number.isInteger(a[k]) && (a[k] as number) > 0)) throw new UsageError(`--${k} must be a positive integer, got ${String(a[k])}`);
          if (!(Number.isInteger(a['eval-limit']) && a['eval-limit'] >= 0)) throw new UsageError(`--eval-limit must be an integer ≥ 0, got ${String(a['eval-limit'])}`);
          return true;
        }),
    handler: async (a: Record<string, unknown>) => {
      const t0 = Date.now();
      const backend = await activateBackend(String(a.backend));
      const rows: CompareRow[] = [];
      const outRoot = String(a.out);
      for (const metric of a.metrics as string[]) {
        const config: CommonTrainConfig & Record<string, unknown> = {
          ...COMMON_DEFAULTS,
          ...classificationTask.defaults,
          task: 'classification',
          dataset: String(a.dataset),
          dataDir: a.dataDir as string | undefined,
          model: (a.model as string | undefined) ?? (a.dataset === 'cifar10' ? 'resnet20' : 'cnn2'),
          optimizer: a.optimizer as CommonTrainConfig['optimizer'],
          lr: Number(a.lr),
          metric,
          lambda: Number(a.lambda),
          sigma: Number(a.sigma),
          formulation: a.formulation as CommonTrainConfig['formulation'],
          batchSize: Number(a.batchSize),
          epochs: 1,
          maxSteps: Number(a.maxSteps),
          seed: Number(a.seed),
          backend,
          out: path.join(outRoot, metric),
          resume: false,
          evalLimit: Number(a.evalLimit),
        };
        io.out(`\n== ${metric === 'l2' ? 'SGD' : `SGD+${metric}`} (λ=${config.lambda}) ==`);
        const r = await runTask(classificationTask, config, { log: io.out, progress: a.progress as ProgressMode });
        const last = r.history.at(-1) ?? {};
        rows.push({ metric, accuracy: last.accuracy ?? null, loss: last.loss ?? null, trainLoss: last.trainLoss ?? null, steps: r.steps, stepsPerSecond: r.stepsPerSecond, trainSeconds: Number(last.trainSeconds ?? NaN) });
      }
      const seconds = (Date.now() - t0) / 1000;
      const table = formatCompareTable(rows);
      const header = `${String(a.dataset)}, ${rows[0]?.steps ?? 0} steps × batch ${String(a.batchSize)}, ${String(a.optimizer)} lr ${String(a.lr)}, λ=${String(a.lambda)} (${String(a.formulation)}), seed ${String(a.seed)}, backend ${backend}; evaluated on ${Number(a.evalLimit) > 0 ? `the first ${String(a.evalLimit)}` : 'all'} test images; wall time ${seconds.toFixed(0)} s`;
      writeFileAtomic(path.join(outRoot, 'compare.md'), `${header}\n\n${table}\n`);
      writeJsonAtomic(path.join(outRoot, 'compare.json'), { settings: { ...a, $0: undefined, _: undefined, backend }, seconds, rows });
      io.out(`\n${header}\n\n${table}\n\n(saved in ${path.join(outRoot, 'compare.md')})`);
    },
  };
}
