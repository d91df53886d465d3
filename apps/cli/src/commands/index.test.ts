import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { shutdownSolver, solverWorkerStats } from '@zonal/solver';
import { registerCommands } from './index';
import { zonal } from '../testing/cli';

/** Every command as `zonal --help` lists it: name, `[options]`, its arguments. */
const LISTED = [
  'sim [options]', 'split [options]', 'pf [options] <case>', 'dispatch [options]', 'network-split [options]', 'policy [options] <name>',
  'partition [options]', 'sensitivity [options]', 'zone [options]', 'dso [options]', 'nats-config [options]', 'help [command]',
];

afterAll(() => shutdownSolver());

describe('zonal\'s commands, each loaded when it runs (commands/index.ts)', () => {
  // First: a test below registers `zonal sim` to run, which starts the threads once for this process.
  it('zonal sim\'s solver threads start before its module loads when it is to run, not for its help', async () => {
    const started = () => solverWorkerStats().workersStarted;
    const before = started();
    for (const argv of [['sim', '--help'], ['help', 'sim'], ['sim', '-h']]) await registerCommands(new Command('zonal'), ['node', 'zonal', ...argv]);
    expect(started()).toBe(before);
    await registerCommands(new Command('zonal'), ['node', 'zonal', 'sim', '--out', 'x']);
    expect(started()).toBeGreaterThan(before);
  });

  it('zonal --help lists every command, in order, with its arguments and its description, and exits 0', () => {
    const r = zonal('--help');
    expect(r.code).toBe(0);
    const terms = r.stdout.split('\n').filter((l) => /^ {2}[a-z]/.test(l)).map((l) => l.trim().split(/ {2,}/)[0]).filter((t) => !t.startsWith('-'));
    expect(terms).toEqual(LISTED);
    expect(r.stdout).toMatch(/pf \[options\] <case> +AC power flow of a radial feeder/);
  });

  it('a command registered in full, flags and all, by the module that runs it: the same words as in the list', async () => {
    for (const [argv, name] of [[['sim'], 'sim'], [['help', 'pf'], 'pf'], [['dso', '--config', 'x'], 'dso'], [['zone'], 'zone']] as const) {
      const program = new Command('zonal');
      await registerCommands(program, ['node', 'zonal', ...argv]);
      const command = program.commands.find((c) => c.name() === name)!;
      expect(command.options.length).toBeGreaterThan(0);
      const listed = new Command('zonal');
      await registerCommands(listed, ['node', 'zonal', '--help']);
      expect(command.description()).toBe(listed.commands.find((c) => c.name() === name)!.description());
    }
  });

  it('zonal help pf and zonal pf --help show pf\'s flags; an unknown command is bad input (exit 2) with the list', () => {
    for (const args of [['help', 'pf'], ['pf', '--help']]) {
      const r = zonal(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: zonal pf \[options\] <case>/);
      expect(r.stdout).toMatch(/--scale <S>/);
    }
    const r = zonal('nosuch');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'nosuch'/);
    expect(r.stderr).toMatch(/pf \[options\] <case>/);
  });
});
