import type { EvSpec } from '@zonal/ev';
import { solveCentralised, type CentralisedResult } from '../centralised';
import type { SimSetup } from '../harness';
import { negotiationSetup, type NegotiationSetup } from '../setup';
import { announceOf, zonePartyOf, type ZoneParty } from '../zone-party';
import type { RollingZone } from './zone-state';

export interface Hindsight {
  /** The monolithic problem on the realised day: the realised EVs of each bus as one party there, the DSO's whole day open. */
  setup: NegotiationSetup;
  centralised: CentralisedResult;
  /** eq 1 + EV degradation + soft-limit penalties (yuan). */
  costYuan: number;
}

/**
 * The perfect-foresight optimum of the realised day (issue 12 item 3; the harness's, as every oracle
 * is): the centralised model (SPEC §8, `solveCentralised`) over the zones' realised EVs as
 * `RollingZone.hindsightSpecs` gives them — from arrival to when each actually left, holding then
 * what it left with under the rolling run, up to its target: equal service — with the DSO's whole
 * day open. Each bus's EVs are one party of the model, at that bus, with their zone's declared costs
 * and grouping: the oracle of `zonal sim` spreads a zone's EV power over its buses by the shares of
 * its announced flexibility, which can lose more in the lines than the EVs where they are (its gap
 * note); here the rolling run's own point, EV by EV at its bus, is a point of this model, so
 * hindsight ≤ rolling up to the successive LP's loss tolerance.
 */
export async function solveHindsight(sim: SimSetup, zones: readonly RollingZone[]): Promise<Hindsight> {
  return solveHindsightOf(sim, zones.map((z) => z.hindsightSpecs()));
}

/**
 * `solveHindsight` from each zone's realised EVs as its own output gives them (`hindsightSpecs`, in
 * the harness's zone order: a zone agent of a rolling run over NATS writes them to its
 * `zone-<id>-rolling.json`).
 */
export async function solveHindsightOf(sim: SimSetup, specsByZone: ReadonlyArray<readonly EvSpec[]>): Promise<Hindsight> {
  const { zones: _zones, parties: _parties, partition: _partition, past: _past, ...network } = sim;
  const parties = sim.parties.flatMap((p, i) => busParties(sim, p, specsByZone[i]));
  const scenario = { ...network.scenario, zones: parties.map((p) => ({ id: p.config.id, buses: p.config.buses })) };
  const setup = negotiationSetup({ ...network, scenario }, parties.map(announceOf));
  const centralised = await solveCentralised(setup);
  return { setup, centralised, costYuan: centralised.totalCostYuan + centralised.dispatch.costs.penaltyYuan };
}

/** A zone's realised EVs as one party per bus (id: the bus's), each with the bus's own load less its PV and wind as base net load. */
function busParties(sim: SimSetup, z: ZoneParty, specs: readonly EvSpec[]): ZoneParty[] {
  const { inputs, feeder } = sim;
  const byBus = new Map<number, EvSpec[]>();
  for (const spec of specs) byBus.set(spec.bus!, [...(byBus.get(spec.bus!) ?? []), spec]);
  return [...byBus].sort(([a], [b]) => a - b).map(([bus, specs]) => {
    const j = feeder.buses.findIndex((b) => b.id === bus);
    const baseNetLoadKw = inputs.loadPKw.map((row, t) => row[j] - inputs.renewables.reduce((a, u) => a + (u.busId === bus ? u.availableKw[t] : 0), 0));
    return zonePartyOf({ ...z.config, id: bus, buses: [bus], baseNetLoadKw }, specs, `${z.source} (realised EVs at bus ${bus}, hindsight)`);
  });
}
