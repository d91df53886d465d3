import { Command } from 'commander';
import { registerCommands } from './commands';

const program = new Command('zonal')
  .description('Zonal: two-layer coordination of EV demand response in active distribution networks')
  .version('0.1.0')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

// Set before the sub-commands are added, so each inherits it: commander's own usage errors (unknown
// flag, missing argument) are bad input, exit 2, no stack; --help and --version exit 0.
program.exitOverride((err) => {
  process.exit(err.exitCode === 0 ? 0 : 2);
});
await registerCommands(program, process.argv);
await program.parseAsync(process.argv);
