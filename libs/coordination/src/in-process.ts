import { createRng } from '@zonal/core';
import { ZoneSolveMemory } from '@zonal/policies';
import { LpExporter } from '@zonal/solver';
import type { SimSetup } from './harness';
import { zoneReportOf, type ZoneClient } from './negotiate';

/** Zone agents as plain function calls (no transport): each zone party answers with its own policy. */
export function inProcessZoneClients(sim: SimSetup): ZoneClient[] {
  return sim.parties.map((party) => {
    const ctx = { exporter: new LpExporter(undefined), rng: createRng(party.config.seed).fork(`zone${party.config.id}`), memory: new ZoneSolveMemory() };
    return {
      zoneId: party.config.id,
      async solve(signal) {
        try {
          ctx.memory.round = signal.round;
          return { status: 'replied', answer: zoneReportOf(await party.policy.respond(party.problem, signal, ctx)) };
        } catch (e) {
          return { status: 'error', detail: (e as Error).message };
        }
      },
    };
  });
}
