import { createRng } from '@zonal/core';
import { getPolicy } from '@zonal/policies';
import { LpExporter } from '@zonal/solver';
import type { ZoneClient } from './negotiate';
import type { NegotiationSetup } from './setup';

/** Zone agents as plain function calls (no transport): for the centralised-vs-negotiated tests. */
export function inProcessZoneClients(setup: NegotiationSetup): ZoneClient[] {
  const policy = getPolicy(setup.scenario.zones.policy);
  return setup.zones.map((zone) => ({
    zoneId: zone.id,
    async solve(signal) {
      try {
        const answer = await policy.respond(zone.problem, signal, { exporter: new LpExporter(undefined), rng: createRng(setup.scenario.seed).fork(`zone${zone.id}`) });
        return { status: 'replied', answer };
      } catch (e) {
        return { status: 'error', detail: (e as Error).message };
      }
    },
  }));
}
