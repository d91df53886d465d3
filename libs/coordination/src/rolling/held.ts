import { createRng } from '@zonal/core';
import { buildZoneModel, solveZone, type ZoneAnswer } from '@zonal/policies';
import { LpExporter } from '@zonal/solver';
import type { Evaluation } from '../evaluate';
import type { SimSetup } from '../harness';
import type { ZoneParty } from '../zone-party';
import type { DsoPast } from './dso-past';
import type { RealisedDay } from './realised';
import { checkEveryPeriods, evaluateRealised, type NegotiatedPlan } from './rolling';
import { RollingZone, type Shortfall } from './zone-state';

/**
 * Holding to the day-ahead plan is worth keeping as the thing rolling must beat: its deviation is
 * priced far above anything the zone's own terms (degradation, the peak tie-break) can save, so
 * those only break ties between schedules that track equally well (yuan per kWh of deviation).
 */
const HELD_DEVIATION_YUAN_PER_KWH = 1000;

export interface HeldResult {
  zones: RollingZone[];
  /** The day-ahead dispatch of the DSO's DERs, held all day. */
  dispatched: DsoPast;
  evaluation: Evaluation;
  /** eq 1 + EV degradation + soft-limit penalties of the realised day (yuan). */
  costYuan: number;
  shortfalls: Shortfall[];
  /** Windows in which some zone re-planned its tracking (its window was not what its plan expected). */
  retracks: number;
}

/**
 * The day-ahead plan held (issue 12 item 3): the DSO dispatches its DERs as the day-ahead agreement
 * said, and each zone keeps its day-ahead aggregate as best it can with the EVs that actually come.
 * Each zone works as in the rolling run, with what it knows at each boundary (its realised EVs
 * present, its forecast of the rest; the same `RollingZone`), but instead of negotiating it tracks
 * its day-ahead profile over the rest of the day: least absolute deviation (an LP, so
 * exportable like every model) over its window's envelope groups, every EV still held to its target;
 * the schedules go to its EVs and the next `everyPeriods` periods are realised. A zone whose window
 * is what its plan expected keeps the plan. The realised day is then dispatched with the DERs held.
 */
export async function runHeld(sim: SimSetup, dayAhead: NegotiatedPlan, realised: readonly RealisedDay[], opts: { everyPeriods: number; keepRecords?: boolean }): Promise<HeldResult> {
  const T = sim.inputs.grid.periods, K = opts.everyPeriods;
  checkEveryPeriods(K, T);
  const profile = dayAhead.negotiation.zoneEvKw;
  const zones = sim.parties.map((p, i) => {
    const z = new RollingZone(p, realised.find((r) => r.zoneId === p.config.id)!, { keepRecords: opts.keepRecords });
    z.adoptDayAhead(dayAhead.schedules[i]);
    return z;
  });
  let retracks = 0;
  for (let k = 0; k < T; k += K) {
    // The zones track apart (each its own LP): side by side.
    const retracked = await Promise.all(zones.map(async (z, i) => {
      const w = z.window(k);
      const plan = w.onPlan ?? (await trackProfile(w.party, profile[i], k)).schedules;
      z.adopt(w, plan);
      z.apply(k, K);
      return !w.onPlan;
    }));
    if (retracked.some(Boolean)) retracks++;
  }
  const s = dayAhead.negotiation.evaluation.dispatch.schedule;
  const dispatched: DsoPast = { periods: T, dieselKw: s.dieselKw, renewableKw: s.renewableKw };
  const evaluation = await evaluateRealised(sim, zones, dispatched);
  return {
    zones, dispatched, evaluation, costYuan: evaluation.totalCostYuan + evaluation.dispatch.costs.penaltyYuan,
    shortfalls: zones.flatMap((z) => z.shortfalls()), retracks,
  };
}

/**
 * The zone's schedule that keeps its grid-side EV power closest to `profileKw` (kW per period) from
 * period `k` on, in absolute deviation, its own terms breaking ties; handed to its EVs.
 */
export async function trackProfile(party: ZoneParty, profileKw: ArrayLike<number>, k: number): Promise<ZoneAnswer> {
  const zone = party.problem;
  const T = zone.grid.periods, dt = zone.grid.dtH;
  const zm = buildZoneModel(zone, { round: 0 }, `zone${zone.zoneId}held`);
  const m = zm.model;
  for (let t = k; t < T; t++) {
    const room = Math.abs(m.colLowerBound(zm.evKw[t])) + Math.abs(m.colUpperBound(zm.evKw[t])) + Math.abs(profileKw[t]);
    const dev = m.addVar('heldDev', [t], { lb: 0, ub: room });
    m.addConstraint('heldOver', [t], [dev, zm.evKw[t]], [1, -1], '>=', -profileKw[t]);
    m.addConstraint('heldUnder', [t], [dev, zm.evKw[t]], [1, 1], '>=', profileKw[t]);
    m.setObjectiveCoef(dev, HELD_DEVIATION_YUAN_PER_KWH * dt);
  }
  const ctx = { exporter: new LpExporter(undefined), rng: createRng(party.config.seed).fork(`zone${zone.zoneId}`) };
  return (await solveZone(zm, zone, zone.tariffYuanPerKwh, ctx)).answer;
}
