import { createRng, InputError, type Rng } from '@zonal/core';
import { Fleet, sampleDefaultFleet, type EvSpec, type TimeGrid } from '@zonal/ev';
import type { Feeder } from '@zonal/feeder';
import { timeGrid, type Scenario, type ZoneListEntry } from '@zonal/scenario';
import { stayOf } from './pieces';
import type { ZoneParty } from '../zone-party';

/**
 * The day as it happens (issue 12 item 2): what each zone's charge points see, which differs from the
 * forecast the zone planned with. Per session: the EV as the driver announced it (arrival, energy,
 * departure, target) and the boundary at which it actually leaves.
 */
export interface RealisedDay {
  zoneId: number;
  sessions: RealisedSession[];
}

export interface RealisedSession {
  spec: EvSpec;
  /**
   * The period boundary at which the EV unplugs, counted from the grid's start like its stay
   * (`stayOf`): its announced departure's, or an earlier one when it leaves early. Null when the
   * stay holds no whole period (the EV is never plugged in).
   */
  leaveBoundary: number | null;
}

/** The declared realised-day settings of `negotiation.horizon` (README, "Rolling horizon"). */
export interface RealisedDayOptions {
  /** Share of the EVs that leave before their announced departure. */
  earlyDepartureShare: number;
}

/**
 * The realised day of a scenario (the harness's: it holds the fleet law, which no party file does):
 * the scenario's own fleet sampler (`evFleet`, SPEC §6: same laws, same placement by load) on its
 * own stream — the scenario seed's `evFleet` stream forked as `realised` — so arrivals, departures
 * and energies differ from the forecast's EV by EV while the population is the same; then early
 * departures (`earlyDepartures`) on that stream's `early-departure` fork. Each zone gets the
 * sessions at its buses, as its charge points would report them.
 */
export function drawRealisedDay(scenario: Scenario, feeder: Feeder, zones: readonly ZoneListEntry[], opts: RealisedDayOptions): RealisedDay[] {
  const grid = timeGrid(scenario);
  const rng = createRng(scenario.seed).fork('evFleet').fork('realised');
  const busLoads = feeder.buses.filter((b) => b.pdKw > 0).map((b) => ({ bus: b.id, pKw: b.pdKw }));
  const fleet = sampleDefaultFleet({ ...scenario.evFleet, busLoads }, rng);
  const leave = earlyDepartures(fleet, grid, opts.earlyDepartureShare, rng.fork('early-departure'));
  const specs = Fleet.toSpecs(fleet);
  const zoneOf = new Map(zones.flatMap((z) => z.buses.map((b) => [b, z.id] as const)));
  const stray = specs.find((ev) => ev.bus === undefined || !zoneOf.has(ev.bus));
  if (stray) throw new InputError(`realised EV ${stray.id} is at bus ${stray.bus}, which is in no zone`, 'zones');
  return zones.map((z) => ({
    zoneId: z.id,
    sessions: specs.flatMap((spec, i) => (zoneOf.get(spec.bus!) === z.id ? [{ spec, leaveBoundary: leave[i] }] : [])),
  }));
}

/**
 * Who leaves early, and when (issue 12 item 2). Per EV in fleet order, two uniform draws u1, u2
 * (always both, so the stream does not depend on the share): the EV leaves early when u1 < share and
 * its stay has a boundary strictly inside the part of it that lies in the day — its whole stay, or,
 * for a stay across 00:00, its morning (the stay that began the evening before ends early; the
 * evening's arrival belongs to the next day's stay) — at the boundary u2 picks uniformly among those.
 * Otherwise it leaves at its announced departure. Null for a stay with no whole period.
 */
export function earlyDepartures(fleet: Fleet, grid: TimeGrid, share: number, rng: Rng): Array<number | null> {
  if (!(share >= 0 && share <= 1)) throw new InputError(`must be in [0, 1], got ${share}`, 'negotiation.horizon.earlyDepartureShare');
  const T = grid.periods;
  return Array.from({ length: fleet.size }, (_, i) => {
    const u1 = rng.next(), u2 = rng.next();
    const stay = stayOf(fleet, i, grid);
    if (!stay) return null;
    const first = stay.end > T ? T + 1 : stay.start + 1;
    const inside = stay.end - first;
    return u1 < share && inside > 0 ? first + Math.min(inside - 1, Math.floor(u2 * inside)) : stay.end;
  });
}

/** The forecast as the realised day (a test, or a study of the forecast itself): every EV as planned, none leaving early. */
export function forecastAsRealised(parties: readonly ZoneParty[]): RealisedDay[] {
  return parties.map((p) => {
    const fleet = p.problem.fleet;
    return {
      zoneId: p.config.id,
      sessions: Fleet.toSpecs(fleet).map((spec, i) => ({ spec, leaveBoundary: stayOf(fleet, i, p.problem.grid)?.end ?? null })),
    };
  });
}
