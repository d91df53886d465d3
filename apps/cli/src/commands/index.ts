import type { Command } from 'commander';
import { registerPf } from './pf';
import { registerSim } from './sim';
import { registerAgents } from './agents';
import { registerDispatch } from './dispatch';
import { registerPartition } from './partition';
import { registerPolicy } from './policy';
import { registerSplit } from './split';
import { registerSensitivity } from './sensitivity';
import { registerNatsConfig } from './nats-config';
import { registerNetworkSplit } from './network-split';

/** Every `zonal` sub-command, in the order `zonal --help` lists them. One file per command. */
export function registerCommands(program: Command): void {
  registerSim(program);
  registerSplit(program);
  registerPf(program);
  registerDispatch(program);
  registerNetworkSplit(program);
  registerPolicy(program);
  registerPartition(program);
  registerSensitivity(program);
  registerAgents(program);
  registerNatsConfig(program);
}
