import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The shipped case of each policy (its source document's study): cases/<policy>.json. */
export function defaultCasePath(policy: string): string | undefined {
  const p = join(import.meta.dirname, '..', 'cases', `${policy}.json`);
  return existsSync(p) ? p : undefined;
}
