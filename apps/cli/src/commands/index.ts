import { Help, type Command } from 'commander';

/**
 * Every `zonal` sub-command, in the order `zonal --help` lists them: its name, its arguments as the
 * help shows them, its one-line description, and the module that registers it in full (its flags and
 * its action; one file per command). A module is loaded only when its command runs or its own help
 * is asked for, so `zonal --help`, or `zonal pf`, does not load (parse, compile, evaluate) the code of
 * every other command: the bundle is split along these imports (tools/scripts/build.mjs), and
 * `zonal --help` starts in about half the time it took with every command loaded.
 */
interface CommandEntry {
  name: string;
  /** Its arguments as the help shows them after `[options]`, e.g. `<case>`. */
  args?: string;
  description: string;
  /** Registers this command (and, for `zone`/`dso`, its sibling) on `program`. */
  load(): Promise<(program: Command) => void>;
  /** What starts before `load` when the command is to run, not only to show its help (`zonal sim`'s solver threads). */
  prepare?(): Promise<void>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'sim',
    description: 'the main job: a local multi-zone negotiation (DSO + one process per zone over NATS), checked against the centralised optimum',
    load: async () => (await import('./sim')).registerSim,
    prepare: async () => (await import('./sim-solver')).startSimSolver(),
  },
  {
    name: 'split',
    description: 'write a scenario as its parties\' files: DIR/dso.json (no EV) and DIR/zone-<id>.json + sessions CSV per zone',
    load: async () => (await import('./split')).registerSplit,
  },
  {
    name: 'pf',
    args: '<case>',
    description: 'AC power flow of a radial feeder (backward/forward sweep): losses, minimum voltage, substation power',
    load: async () => (await import('./pf')).registerPf,
  },
  {
    name: 'dispatch',
    description: 'DSO low-carbon economic dispatch of the whole feeder (seed 001 eq 1-5), EVs uncoordinated, with an AC check',
    load: async () => (await import('./dispatch')).registerDispatch,
  },
  {
    name: 'network-split',
    description: 'the feeder split into areas that each solve their own part (LinDistFlow with losses, their zones\' EVs), coordinated on the cut lines by consensus ADMM; rounds, gap to the centralised LP, time',
    load: async () => (await import('./network-split')).registerNetworkSplit,
  },
  {
    name: 'policy',
    args: '<name>',
    description: 'run one zone policy standalone on its source document\'s case (SPEC §7) and print that document\'s table; with --zone-file, write the case as one zone of a negotiation instead',
    load: async () => (await import('./policy')).registerPolicy,
  },
  {
    name: 'partition',
    description: 'zone partitioning of the feeder (SPEC §5, seed 001 eq 12-21): zones, tie lines and every index',
    load: async () => (await import('./partition')).registerPartition,
  },
  {
    name: 'sensitivity',
    description: 'one declared value at a time (V2G share, capacity price, battery wear): before coordination against the centralised coordinated optimum',
    load: async () => (await import('./sensitivity')).registerSensitivity,
  },
  {
    name: 'zone',
    description: 'run zone aggregator agents from their own zone files (zonal split writes them) against a NATS server: one zone, or several in one process on one connection',
    load: async () => (await import('./agents')).registerAgents,
  },
  {
    name: 'dso',
    description: 'run the DSO coordinator from its own file (no EV) against a NATS server; --oracle DIR adds the gap to the centralised optimum',
    load: async () => (await import('./agents')).registerAgents,
  },
  {
    name: 'nats-config',
    description: 'write a nats-server.conf with one nkey user per party (DSO, each zone, an observer), each with only its own rights, and their seed files',
    load: async () => (await import('./nats-config')).registerNatsConfig,
  },
];

/** A command's one-line description, as its module registers it and `zonal --help` lists it. */
export function summary(name: string): string {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) throw new Error(`no command ${name} in the catalog`);
  return entry.description;
}

/**
 * Registers what `argv` (process.argv) needs: the command it names (also after `help`) in full, or
 * else every command by its name, arguments and description — what `zonal --help` lists, and what
 * commander's "unknown command" error suggests from.
 */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const named = COMMANDS.find((c) => c.name === (words[0] === 'help' ? words[1] : words[0]));
  if (named) {
    const helpOnly = words[0] === 'help' || argv.includes('--help') || argv.includes('-h');
    if (!helpOnly) await named.prepare?.();
    (await named.load())(program);
    return;
  }
  for (const c of COMMANDS) {
    const listed = program.command(c.name).description(c.description);
    if (c.args) listed.arguments(c.args);
  }
  // Every command has flags, which only its module declares: listed as commander lists a command
  // with flags. (Commander's own `help [command]` keeps its term.)
  const plain = new Help();
  program.configureHelp({
    subcommandTerm: (cmd) => {
      const entry = COMMANDS.find((c) => c.name === cmd.name());
      return entry ? `${entry.name} [options]${entry.args ? ` ${entry.args}` : ''}` : plain.subcommandTerm(cmd);
    },
  });
}
