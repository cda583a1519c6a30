export { main, buildParser, UsageError } from './main';
export type { CliIO } from './main';
export { compareCommand, formatCompareTable } from './compare';
export type { CompareRow } from './compare';
export { commonOptions, checkCommonFlags, configFromArgs, applyDatasetDefaults, COMMON_DEFAULTS } from './options';
export { loadTasks, loadReportCommands, optionalExport } from './tasks';
export { activateBackend } from './backend';
