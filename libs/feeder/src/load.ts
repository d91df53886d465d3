/** One entry point for a feeder reference: a built-in name or a MATPOWER case file path. */
import type { Feeder } from './types';
import { loadIeee33 } from './ieee33';
import { loadMatpowerFile } from './matpower';

export const BUILT_IN_FEEDERS: Readonly<Record<string, () => Feeder>> = { ieee33: loadIeee33 };

/** `ieee33` (built in) or the path of a MATPOWER case file; throws InputError naming the problem. */
export function loadFeeder(ref: string): Feeder {
  const builtIn = Object.hasOwn(BUILT_IN_FEEDERS, ref) ? BUILT_IN_FEEDERS[ref] : undefined;
  return builtIn ? builtIn() : loadMatpowerFile(ref);
}
