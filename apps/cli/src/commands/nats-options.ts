import type { Command } from 'commander';
import { NATS_AUTH_FLAGS } from '@zonal/protocol';

/** Adds the NATS credential flags (`--nats-creds`, `--nats-nkey`, …) to a command that connects. */
export function withNatsAuthOptions(command: Command): Command {
  for (const f of NATS_AUTH_FLAGS) command.option(f.flag, f.description);
  return command;
}
