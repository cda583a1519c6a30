import * as path from 'path';
import yargs, { Argv } from 'yargs';
import { runTask, TaskDefinition } from '@cdg/trainer';
import type { ProgressMode } from '@cdg/trainer';
import { activateBackend } from './backend';
import { compareCommand } from './compare';
import { applyDatasetDefaults, checkCommonFlags, commonOptions, configFromArgs, taskOptions } from './options';
import { loadReportCommands, loadTasks } from './tasks';

import { UsageError } from './errors';

export { UsageError };

export interface CliIO {
  out: (m: string) => void;
  err: (m: string) => void;
}

const defaultIO: CliIO = { out: (m) => console.log(m), err: (m) => console.error(m) };

function trainTaskCommand(def: TaskDefinition, io: CliIO) {
  return {
    command: def.task,
    describe: def.describe,
    builder: (y: Argv) =>
      y
        .options(commonOptions({ out: path.join('runs', def.task), ...def.defaults }, def.datasetDefaults))
        .options(taskOptions(def))
        .middleware((a) => applyDatasetDefaults(a as Record<string, unknown>, def), true)
        .check((a) => {
          const problem = checkCommonFlags(a as Record<string, unknown>);
          if (problem) throw new UsageError(problem);
          return true;
        }),
    handler: async (a: Record<string, unknown>) => {
      const config = configFromArgs(def.task, a, def);
      const backend = await activateBackend(String(config.backend));
      config.backend = backend;
      const result = await runTask(def, config, { log: io.out, progress: a.progress as ProgressMode });
      const last = result.history.at(-1);
      io.out(`done: ${result.epochs} epoch(s), ${result.steps} step(s) in ${result.seconds.toFixed(1)} s (${result.stepsPerSecond.toFixed(2)} steps/s on ${backend}); ${last ? `last record ${JSON.stringify(last)}` : 'nothing to do'}; metrics in ${config.out}/metrics.json`);
    },
  };
}

/** Builds the `cdg` parser (exported for tests). */
export function buildParser(argv: string[], io: CliIO = defaultIO): Argv {
  const { tasks, unavailable } = loadTasks();
  const report = loadReportCommands();
  let y = yargs(argv)
    .scriptName('cdg')
    .usage('$0 <command> [options]\n\nChannel-directed gradients for TensorFlow.js.')
    .command('train', 'train a task with the shared trainer', (t: Argv) => {
      for (const def of tasks) t = t.command(trainTaskCommand(def, io) as never);
      for (const u of unavailable) {
        t = t.command(u.name, `(unavailable: ${u.reason})`, (z: Argv) => z.strict(false), () => {
          throw new Error(`task "${u.name}" is not available: ${u.reason}`);
        });
      }
      return t.demandCommand(1, `name a task: ${[...tasks.map((d) => d.task), ...unavailable.map((u) => u.name)].join(', ')}`);
    })
    .command(compareCommand(io) as never);
  for (const c of report.commands) y = y.command(c);
  return y
    .demandCommand(1, 'name a command: train, compare' + (report.commands.length ? ', ' + report.commands.map((c) => String(c.command).split(' ')[0]).join(', ') : ''))
    .strict()
    .recommendCommands()
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err && !(err instanceof UsageError)) throw err;
      throw new UsageError(msg || err?.message || 'invalid command line');
    })
    .help()
    .version(false);
}

/**
 * Runs `cdg` with the given arguments and resolves to the exit code (the bin sets it). Bad flags:
 * message on stderr, code 2. Failures while running (missing data, a diverged run): `error: …`, code 1.
 */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  let code = 0;
  try {
    await buildParser(argv, io).parseAsync();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cdg: ${e.message}\nRun with --help for the options.`);
      code = 2;
    } else {
      io.err(`error: ${(e as Error).message}`);
      if (process.env.CDG_DEBUG) io.err(String((e as Error).stack));
      code = 1;
    }
  }
  return code;
}
