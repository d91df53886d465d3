/**
 * Writes a seeded synthetic radial feeder as a MATPOWER case, for `zonal dispatch --case` (or `zonal pf`)
 * at sizes no shipped case has: `node tools/scripts/run-ts.mjs tools/bench/src/synthetic-case.ts 5000 case5000.m [SEED]`.
 * The feeder is libs/feeder's `makeSyntheticFeeder` (buses numbered 1…N, the substation bus 1), so a
 * scenario's DER buses (the default's: 2…33) are in it from 33 buses up.
 */
import { writeFileSync } from 'node:fs';
import { InputError } from '@zonal/core';
import { makeSyntheticFeeder, writeMatpower } from '@zonal/feeder';

const [busesArg, out, seedArg = '20251123'] = process.argv.slice(2);
try {
  if (!busesArg || !out) throw new InputError('usage: synthetic-case.ts BUSES OUT.m [SEED]', 'arguments');
  const buses = Number(busesArg), seed = Number(seedArg);
  if (!Number.isInteger(seed) || seed < 0) throw new InputError(`must be a non-negative integer, got "${seedArg}"`, 'SEED');
  const feeder = makeSyntheticFeeder({ buses, seed, name: `case${buses}_seed${seed}` });
  writeFileSync(out, writeMatpower(feeder));
  process.stdout.write(`${out}: ${feeder.buses.length} buses, ${feeder.branches.length} branches (seed ${seed})\n`);
} catch (e) {
  process.stderr.write(`error: ${(e as Error).message}\n`);
  process.exit(2);
}
