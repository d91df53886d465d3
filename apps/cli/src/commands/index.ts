import type { Command } from 'commander';

/** Every `zonal` sub-command, in the order `zonal --help` lists them. One file per command. */
export function registerCommands(program: Command): void {
  void program;
}
