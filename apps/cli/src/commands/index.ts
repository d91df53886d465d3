import type { Command } from 'commander';
import { registerPf } from './pf';
import { registerPartition } from './partition';

/** Every `zonal` sub-command, in the order `zonal --help` lists them. One file per command. */
export function registerCommands(program: Command): void {
  registerPf(program);
  registerPartition(program);
  void program;
}
