import type { Feeder } from '@zonal/feeder';
import type { PartitionResult } from '@zonal/partition';
import type { DsoConfig, Scenario } from '@zonal/scenario';
import { buildDsoNetwork, negotiationSetup, type NegotiationSetup } from './setup';
import { splitScenario } from './split';
import { announceOf, zonePartyOf, type ZoneParty } from './zone-party';

/**
 * The simulation harness's view (`zonal sim`, the tests): the DSO's setup *and* every zone party. It
 * alone may see everything, so it alone computes the centralised oracle; the DSO's setup inside it is
 * built from the zones' announces exactly as a deployed DSO builds it.
 */
export interface SimSetup extends NegotiationSetup {
  /** The zone parties, in the DSO's zone order. */
  parties: ZoneParty[];
  /** The computed partition, when the harness split a scenario without explicit zones. */
  partition: PartitionResult | null;
}

/** A scenario split into its parties (`splitScenario`), each zone loaded as its own file would be. */
export async function buildSimSetup(scenario: Scenario, feeder?: Feeder): Promise<SimSetup> {
  const split = await splitScenario(scenario, feeder);
  const parties = split.zones.map((z) => zonePartyOf(z.config, z.sessions));
  return { ...simSetupOf(split.dso, parties, feeder), partition: split.partition };
}

/** The DSO's file and the zones' parties (e.g. loaded from `zonal split`'s files). */
export function simSetupOf(dso: DsoConfig, parties: ZoneParty[], feeder?: Feeder): SimSetup {
  const setup = negotiationSetup(buildDsoNetwork(dso, feeder), parties.map(announceOf));
  const byId = new Map(parties.map((p) => [p.config.id, p]));
  return { ...setup, parties: setup.zones.map((z) => byId.get(z.id)!), partition: null };
}

/** Every EV the zones left out, with why (the harness may list them; a DSO only sees counts). */
export function excludedEvMessages(sim: SimSetup): string[] {
  return sim.parties.flatMap((p) => p.excluded.map((e) => `zone ${p.config.id}: ${e.message}`));
}
