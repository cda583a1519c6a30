// `cdg sweep`: a grid of training runs, each a `cdg train` child process; resumable and parallel.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GridAxis, RunParams, camelCase, expandGrid, kebabCase, paramsToFlags, runId } from './grid';
import { readJsonIfExists, readRunConfig, writeFileAtomic } from './fsutil';

export type RunState = 'done' | 'partial' | 'pending';

export interface PlannedRun {
  id: string;
  dir: string;
  /** The grid point (only the parameters that vary in the sweep). */
  params: RunParams;
  /** Full argv after the command prefix, without `--resume`. */
  args: string[];
}

export interface SweepIndexEntry {
  id: string;
  dir: string;
  params: RunParams;
  args: string[];
  status: 'pending' | 'skipped' | 'done' | 'failed' | 'running' | 'busy';
  exitCode?: number | null;
  resumed?: boolean;
  seconds?: number;
  log?: string;
}

export interface SweepIndex {
  kind: 'cdg-sweep';
  version: 1;
  task: string;
  preset?: string;
  grid: GridAxis[];
  extraArgs: string[];
  command: string[];
  updatedAt: string;
  runs: SweepIndexEntry[];
}

export interface SweepOptions {
  task: string;
  axes: readonly GridAxis[];
  outDir: string;
  /** Flags every run gets before its grid point (e.g. a preset's), camelCase keys. */
  baseParams?: RunParams;
  presetName?: string;
  /** Train flags passed through verbatim after the generated ones. */
  extraArgs?: readonly string[];
  /** Concurrent child processes (default 1: one after another). */
  workers?: number;
  /** Program and leading arguments; default: this node running packages/cli/bin/cdg.js. */
  command?: readonly string[];
  /** Niceness for the children (os.setPriority), e.g. 10. */
  nice?: number;
  dryRun?: boolean;
  log?: (message: string) => void;
}

export interface SweepResult {
  index: SweepIndex;
  total: number;
  skipped: number;
  ran: number;
  failed: number;
  /** Runs left to another sweep process that held them. */
  busy?: number;
  /** The signal that stopped the sweep early, if one did. */
  interrupted?: NodeJS.Signals;
}

/** The default command prefix: the `cdg` binary of this checkout/installation. */
export function defaultCdgCommand(): string[] {
  let bin: string;
  try {
    bin = path.join(path.dirname(require.resolve('@cdg/cli/package.json')), 'bin', 'cdg.js');
  } catch {
    bin = path.resolve(__dirname, '..', '..', 'cli', 'bin', 'cdg.js');
  }
  return [process.execPath, bin];
}

/** The value of `--name N` / `--name=N` in an argv list (last one wins). */
function flagValue(args: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) found = args[i + 1];
    else if (args[i].startsWith(`${name}=`)) found = args[i].slice(name.length + 1);
  }
  return found;
}

interface MetricsRecord {
  epoch?: number;
  [key: string]: unknown;
}

/** What a run was asked to do, from its flags; config.json fills in what the flags do not say. */
export interface RunTarget {
  epochs?: number;
  maxSteps?: number;
}

/**
 * Whether a run directory holds a finished run: its metrics.json has a record for every epoch the
 * run was asked for, or its last record reached the run's --max-steps (the trainer stops there).
 * `partial` when the run started (config, checkpoint or some metrics exist), `pending` when nothing is there.
 */
export function runState(dir: string, target: RunTarget | number = {}): RunState {
  const want: RunTarget = typeof target === 'number' ? { epochs: target } : target;
  if (!fs.existsSync(dir)) return 'pending';
  let records: MetricsRecord[] | undefined;
  try {
    records = readJsonIfExists<MetricsRecord[]>(path.join(dir, 'metrics.json'));
  } catch {
    records = undefined; // a corrupt metrics.json means the run must be resumed
  }
  let config: Record<string, unknown> | undefined;
  try {
    config = readRunConfig(dir);
  } catch {
    config = undefined;
  }
  const epochs = want.epochs ?? (typeof config?.epochs === 'number' ? config.epochs : undefined);
  const maxSteps = want.maxSteps ?? (typeof config?.maxSteps === 'number' ? config.maxSteps : undefined);
  if (Array.isArray(records) && records.length > 0) {
    const seen = new Set(records.map((r) => r.epoch).filter((e) => typeof e === 'number'));
    const epochCount = seen.size > 0 ? seen.size : records.length;
    const lastStep = records[records.length - 1].step;
    if (epochs !== undefined && epochCount >= epochs) return 'done';
    if (maxSteps !== undefined && typeof lastStep === 'number' && lastStep >= maxSteps) return 'done';
  }
  const started = fs.readdirSync(dir).length > 0;
  return started ? 'partial' : 'pending';
}

/** The runs of a sweep, in grid order, with their directories and argv. */
export function planSweep(opts: SweepOptions): PlannedRun[] {
  if (!opts.task) throw new Error('sweep needs a task, e.g. --task classification');
  const points = expandGrid(opts.axes);
  const extra = opts.extraArgs ?? [];
  for (const flag of ['--out', '--resume']) {
    if (extra.some((a) => a === flag || a.startsWith(`${flag}=`))) {
      throw new Error(`extra train flag ${flag} is set by the sweep itself; remove it from the flags after --`);
    }
  }
  const overridden = new Set(
    extra.filter((a) => a.startsWith('--')).map((a) => camelCase(a.slice(2).split('=')[0].replace(/^no-/, ''))),
  );
  return points.map((params) => {
    const id = runId(params);
    const dir = path.join(opts.outDir, id);
    // Flags given after `--` win over the preset's (one value per flag reaches `cdg train`).
    const merged: RunParams = { ...(opts.baseParams ?? {}), ...params };
    for (const key of overridden) {
      if (key in params) throw new Error(`train flag --${kebabCase(key)} is both a grid axis and given after --; keep one`);
      delete merged[key];
    }
    const args = ['train', opts.task, ...paramsToFlags(merged), ...extra, '--out', dir];
    return { id, dir, params, args };
  });
}

function targetOf(run: PlannedRun): RunTarget {
  const int = (flag: string) => {
    const v = flagValue(run.args, flag);
    const n = v === undefined ? NaN : Number(v);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  return { epochs: int('--epochs'), maxSteps: int('--max-steps') };
}

function writeIndex(file: string, index: SweepIndex): void {
  index.updatedAt = new Date().toISOString();
  writeFileAtomic(file, `${JSON.stringify(index, null, 2)}\n`);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims a run for this process with `<run dir>.lock` (created exclusively, holding our pid), so that
 * several `cdg sweep` processes can share one sweep directory; a lock whose process is gone is taken over.
 * Returns the release function, or undefined when another live sweep holds the run.
 */
export function claimRun(dir: string): (() => void) | undefined {
  const lock = `${dir}.lock`;
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) return undefined;
      fs.rmSync(lock, { force: true }); // stale: its sweep died
    }
  }
  return undefined;
}

/** Runs (or, with dryRun, lists) a sweep; finished runs are skipped and interrupted ones resumed. */
export async function runSweep(opts: SweepOptions): Promise<SweepResult> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be an integer ≥ 1, got ${opts.workers}`);
  const command = [...(opts.command ?? defaultCdgCommand())];
  const plan = planSweep(opts);
  const indexFile = path.join(opts.outDir, 'sweep.json');
  const index: SweepIndex = {
    kind: 'cdg-sweep',
    version: 1,
    task: opts.task,
    preset: opts.presetName,
    grid: opts.axes.map((a) => ({ key: a.key, values: [...a.values] })),
    extraArgs: [...(opts.extraArgs ?? [])],
    command,
    updatedAt: '',
    runs: [],
  };
  const todo: { run: PlannedRun; entry: SweepIndexEntry; resume: boolean }[] = [];
  for (const run of plan) {
    const state = runState(run.dir, targetOf(run));
    const entry: SweepIndexEntry = { id: run.id, dir: path.relative(opts.outDir, run.dir) || '.', params: run.params, args: run.args, status: state === 'done' ? 'skipped' : 'pending' };
    index.runs.push(entry);
    if (state !== 'done') todo.push({ run, entry, resume: state === 'partial' });
  }
  const skipped = plan.length - todo.length;
  log(`sweep: ${plan.length} runs, ${skipped} already finished, ${todo.length} to run${todo.some((t) => t.resume) ? ` (${todo.filter((t) => t.resume).length} resumed)` : ''}, ${workers} worker${workers > 1 ? 's' : ''}`);
  if (opts.dryRun) {
    for (const t of todo) log(`  ${[...command, ...t.run.args, ...(t.resume ? ['--resume'] : [])].join(' ')}`);
    return { index, total: plan.length, skipped, ran: 0, failed: 0 };
  }
  fs.mkdirSync(opts.outDir, { recursive: true });
  writeIndex(indexFile, index);

  const logDir = path.join(opts.outDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  let next = 0;
  let finished = 0;
  let failed = 0;
  let skippedLater = 0;
  let busy = 0;
  const started = Date.now();
  const children = new Set<ReturnType<typeof spawn>>();
  let interrupted: NodeJS.Signals | undefined;
  // Ctrl-C / kill: pass the signal to the running trainings (they checkpoint per epoch), start no more.
  const onSignal = (sig: NodeJS.Signals) => {
    interrupted = sig;
    for (const c of children) c.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runOne = (item: (typeof todo)[number]): Promise<void> =>
    new Promise((resolve) => {
      const { run, entry } = item;
      const release = claimRun(run.dir);
      // Another sweep on the same directory may hold this run, or have finished it since we planned.
      const state = release ? runState(run.dir, targetOf(run)) : undefined;
      if (!release || state === 'done') {
        release?.();
        entry.status = release ? 'skipped' : 'busy';
        if (release) skippedLater++;
        else busy++;
        finished++;
        writeIndex(indexFile, index);
        log(`[${finished}/${todo.length}] ${run.id} ${release ? 'finished meanwhile by another sweep' : 'is being run by another sweep'}; skipped`);
        resolve();
        return;
      }
      const resume = state === 'partial';
      const args = [...run.args, ...(resume ? ['--resume'] : [])];
      const logFile = path.join(logDir, `${run.id}.log`);
      const fd = fs.openSync(logFile, 'a');
      fs.writeSync(fd, `\n# ${new Date().toISOString()} ${[...command, ...args].join(' ')}\n`);
      const t0 = Date.now();
      const child = spawn(command[0], [...command.slice(1), ...args], { stdio: ['ignore', fd, fd] });
      children.add(child);
      if (opts.nice !== undefined && child.pid !== undefined) {
        try {
          os.setPriority(child.pid, opts.nice);
        } catch {
          /* lowering priority is best effort */
        }
      }
      entry.status = 'running';
      entry.resumed = resume;
      entry.log = path.relative(opts.outDir, logFile);
      writeIndex(indexFile, index);
      let closed = false;
      const finish = (code: number | null) => {
        if (closed) return;
        closed = true;
        release();
        children.delete(child);
        fs.closeSync(fd);
        entry.exitCode = code;
        entry.seconds = Math.round((Date.now() - t0) / 100) / 10;
        const complete = code === 0 && runState(run.dir, targetOf(run)) === 'done';
        entry.status = complete ? 'done' : 'failed';
        if (!complete) failed++;
        finished++;
        writeIndex(indexFile, index);
        const elapsed = (Date.now() - started) / 1000;
        const eta = (elapsed / finished) * (todo.length - finished);
        log(`[${finished}/${todo.length}] ${run.id} ${complete ? 'done' : `FAILED (exit ${code}${code === 0 ? ', metrics.json incomplete' : ''}; see ${logFile})`} in ${formatSeconds(entry.seconds)}; ETA ${formatSeconds(eta)}`);
        resolve();
      };
      child.on('error', (err) => {
        fs.writeSync(fd, `spawn failed: ${err.message}\n`);
        finish(null);
      });
      child.on('close', (code) => finish(code));
    });

  const worker = async () => {
    while (next < todo.length && !interrupted) {
      const item = todo[next++];
      await runOne(item);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, todo.length) }, worker));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) {
    for (const e of index.runs) if (e.status === 'pending' || e.status === 'running') e.status = 'pending';
    writeIndex(indexFile, index);
    log(`sweep: interrupted by ${interrupted} after ${finished} of ${todo.length} runs; run the same command again to continue`);
  }
  return { index, total: plan.length, skipped: skipped + skippedLater, busy, ran: finished - skippedLater - busy, failed, interrupted };
}
