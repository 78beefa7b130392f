export { UsageError, handleErrors, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE } from './errors.ts';
export { withCommonOptions, commonSchema, num, type CommonOptions } from './options.ts';
export { runCli, runCommand, parseArgs, checkPrivileges, yargsMessage, helpWidth, wrapWords, type ToolCommand } from './run-cli.ts';
export { stopSignal, STOP_WITH_PARENT } from './signals.ts';
