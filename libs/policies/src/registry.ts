import { InputError } from '@zonal/core';
import type { ZonePolicy } from './policy';
import { directControl } from './direct-control/direct-control';
import { peakValley } from './peak-valley/peak-valley';
import { profit } from './profit/profit';
import { ancillary } from './ancillary/ancillary';
import { elasticityPricing } from './elasticity-pricing/elasticity-pricing';
import { multiObjective } from './multi-objective/multi-objective';

/**
 * Every zone policy by name. A new policy is one module implementing ZonePolicy plus one line here.
 * (`erase` forgets each policy's case type: a case always reaches `runCase` through that policy's
 * own `caseSchema`, so the pairing holds at run time.)
 */
const registry: ReadonlyArray<ZonePolicy<unknown>> = [
  erase(directControl),
  erase(peakValley),
  erase(profit),
  erase(ancillary),
  erase(elasticityPricing),
  erase(multiObjective),
];

function erase<C>(p: ZonePolicy<C>): ZonePolicy<unknown> {
  return p as unknown as ZonePolicy<unknown>;
}

export function policyNames(): string[] {
  return registry.map((p) => p.name);
}

/** `where` names the field or flag the name came from, for the error. */
export function getPolicy(name: string, where = 'policy'): ZonePolicy<unknown> {
  const p = registry.find((x) => x.name === name);
  if (!p) throw new InputError(`unknown policy "${name}"`, where, `known policies: ${policyNames().join(', ')}`);
  return p;
}
