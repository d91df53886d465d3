import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { parseWithSchema, readJsonFile } from '@zonal/scenario';

/** The shipped case of each policy (its source document's study): cases/<policy>.json. */
export function defaultCasePath(policy: string): string | undefined {
  const p = join(import.meta.dirname, '..', 'cases', `${policy}.json`);
  return existsSync(p) ? p : undefined;
}

const shipped = new Map<string, unknown>();

/**
 * A policy's shipped case, parsed once per process: in the negotiation it supplies the defaults of
 * the policy's zone-file parameters (the case is data, so no default hides in code).
 */
export function loadShippedCase<C>(policy: string, schema: z.ZodType<C>): C {
  if (!shipped.has(policy)) {
    const path = defaultCasePath(policy);
    if (!path) throw new Error(`the ${policy} policy ships cases/${policy}.json`);
    shipped.set(policy, parseWithSchema(schema, readJsonFile(path), path));
  }
  return shipped.get(policy) as C;
}
