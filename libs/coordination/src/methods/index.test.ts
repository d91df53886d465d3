import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@zonal/core';
import { loadScenario, parseScenario, scenarioSchema } from '@zonal/scenario';
import { shutdownSolver } from '@zonal/solver';
import { buildSimSetup } from '../harness';
import { createMethod } from './index';

afterAll(() => shutdownSolver());

describe('coordination methods by name', async () => {
  const small = loadScenario('small-test');
  // Explicit zones: no partition needed to name a method.
  const setup = await buildSimSetup(parseScenario({ ...structuredClone(small), zones: { ...small.zones, buses: [Array.from({ length: 33 }, (_, i) => i + 1)] } }));
  const schemaNames = scenarioSchema.shape.negotiation.shape.method.options;

  it('every method the scenario schema accepts is registered under that name', () => {
    expect(schemaNames).toEqual(['admm', 'target-penalty']);
    for (const name of schemaNames) expect(createMethod(name, setup).name).toBe(name);
  });

  it('an unknown method in a scenario is an InputError naming negotiation.method', () => {
    const raw = { ...structuredClone(small), negotiation: { ...small.negotiation, method: 'gossip' } };
    expect(() => parseScenario(raw)).toThrow(InputError);
    expect(() => parseScenario(raw)).toThrow(/negotiation\.method/);
  });

  it('an unknown method asked of the registry is an InputError naming negotiation.method and the known ones', () => {
    const err = (() => { try { createMethod('gossip', setup); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ where: 'negotiation.method', hint: 'known: admm, target-penalty' });
    expect((err as Error).message).toMatch(/unknown coordination method "gossip"/);
  });
});
