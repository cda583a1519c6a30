import type { CommandModule } from 'yargs';
import type { TaskDefinition } from '@cdg/trainer';
import { classificationTask } from '@cdg/classification';

/** A task or command set that could not be loaded, and why. */
export interface Unavailable {
  name: string;
  reason: string;
}

function isMissing(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(pkg);
}

/** `require`s an optional workspace package; returns the named export or the reason it is not there. */
export function optionalExport<T>(pkg: string, name: string): { value: T } | { reason: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(pkg) as Record<string, unknown>;
    if (mod[name] === undefined) return { reason: `${pkg} does not export ${name} (not built yet?)` };
    return { value: mod[name] as T };
  } catch (e) {
    return { reason: isMissing(e, pkg) ? `${pkg} is not installed` : `${pkg} failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** The tasks `cdg train` knows: classification always; segmentation and gan when their packages load. */
export function loadTasks(): { tasks: TaskDefinition[]; unavailable: Unavailable[] } {
  const tasks: TaskDefinition[] = [classificationTask];
  const unavailable: Unavailable[] = [];
  for (const [task, pkg, name] of [
    ['segmentation', '@cdg/segmentation', 'segmentationTask'],
    ['gan', '@cdg/gan', 'ganTask'],
  ] as const) {
    const r = optionalExport<TaskDefinition>(pkg, name);
    if ('value' in r) tasks.push(r.value);
    else unavailable.push({ name: task, reason: r.reason });
  }
  return { tasks, unavailable };
}

/** `@cdg/report`'s commands (sweep, report, analyze) when that package loads. */
export function loadReportCommands(): { commands: CommandModule[]; unavailable: Unavailable[] } {
  const r = optionalExport<CommandModule[]>('@cdg/report', 'commands');
  if ('value' in r && Array.isArray(r.value)) return { commands: r.value, unavailable: [] };
  return { commands: [], unavailable: [{ name: 'report commands', reason: 'reason' in r ? r.reason : '@cdg/report commands is not an array' }] };
}
