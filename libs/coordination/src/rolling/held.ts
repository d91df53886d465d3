import { createRng, ZonalError } from '@zonal/core';
import type { EvSchedules } from '@zonal/ev';
import { buildZoneModel, solveZone, type ZoneAnswer } from '@zonal/policies';
import { LpExporter } from '@zonal/solver';
import type { Evaluation } from '../evaluate';
import type { NegotiationResult } from '../negotiate';
import type { SimSetup } from '../harness';
import type { NegotiationSetup } from '../setup';
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

/**
 * The day-ahead plan as the plan held needs it: what the agents agreed, not how they agreed it. In
 * process it comes from the negotiation (`heldPlanOf`); over NATS from what each agent wrote of its
 * own part — the DSO its DERs' dispatch and the zones' agreed EV power, each zone its EVs' schedules.
 */
export interface HeldPlan {
  /** Per zone (the setup's order): its agreed EV power, grid side (kW per period): what it tracks. */
  zoneEvKw: ReadonlyArray<ArrayLike<number>>;
  /** Per zone (the setup's order): the per-EV schedules of its accepted answer, over its party's fleet. */
  schedules: readonly EvSchedules[];
  /** The DSO's DERs as the day-ahead agreement dispatched them: `[unit][t]`, kW, in the inputs' `diesels` and `renewables` order. */
  dieselKw: ReadonlyArray<ArrayLike<number>>;
  renewableKw: ReadonlyArray<ArrayLike<number>>;
}

/** The plan held of a negotiation run in process (`negotiateInProcess`). */
export function heldPlanOf(plan: NegotiatedPlan): HeldPlan {
  const s = plan.negotiation.evaluation.dispatch.schedule;
  return { zoneEvKw: plan.negotiation.zoneEvKw, schedules: plan.schedules, dieselKw: s.dieselKw, renewableKw: s.renewableKw };
}

/**
 * The DSO's part of the plan held, as it writes it (`dso-rolling.json`'s `dayAhead`): the day-ahead
 * agreement's dispatch of its DERs per unit (the report has only their sums) and each zone's agreed
 * EV power, by zone id. JSON numbers round-trip exactly, so the harness holds the very plan agreed.
 */
export interface DsoDayAheadRecord {
  zones: Array<{ zoneId: number; evKw: number[] }>;
  dieselKw: number[][];
  renewableKw: number[][];
}

export function dsoDayAheadRecord(setup: Pick<NegotiationSetup, 'zones'>, n: NegotiationResult): DsoDayAheadRecord {
  const s = n.evaluation.dispatch.schedule;
  return {
    zones: setup.zones.map((z, k) => ({ zoneId: z.id, evKw: Array.from(n.zoneEvKw[k]) })),
    dieselKw: s.dieselKw.map((kw) => Array.from(kw)),
    renewableKw: s.renewableKw.map((kw) => Array.from(kw)),
  };
}

/**
 * The plan held from the agents' own records: the DSO's (`dsoDayAheadRecord`) and each zone's per-EV
 * schedules (`schedulesOf(zoneId)`, read from what the zone wrote), in the parties' order. A zone
 * the DSO's record does not name, or a record that does not fit the setup's DERs and day, is refused
 * by name: the harness must not hold a plan of another run.
 */
export function heldPlanFromRecords(sim: Pick<SimSetup, 'parties' | 'inputs'>, dso: DsoDayAheadRecord, schedulesOf: (zoneId: number) => EvSchedules): HeldPlan {
  const T = sim.inputs.grid.periods;
  const fits = (rows: ReadonlyArray<ArrayLike<number>>, units: number, what: string) => {
    if (rows.length !== units || rows.some((r) => r.length !== T)) throw new ZonalError(`the DSO's day-ahead ${what} has ${rows.length} units of ${rows.map((r) => r.length).join('/')} periods; the setup has ${units} of ${T}`, 'dayAhead');
  };
  fits(dso.dieselKw, sim.inputs.diesels.length, 'diesel dispatch');
  fits(dso.renewableKw, sim.inputs.renewables.length, 'PV / wind dispatch');
  // runHeld takes the zones in its parties' order.
  const ids = sim.parties.map((p) => p.config.id);
  const zoneEvKw = ids.map((id) => {
    const row = dso.zones.find((r) => r.zoneId === id);
    if (!row) throw new ZonalError(`the DSO's day-ahead plan has no EV power for zone ${id}`, 'dayAhead.zones');
    fits([row.evKw], 1, `EV power of zone ${id}`);
    return row.evKw;
  });
  return { zoneEvKw, schedules: ids.map(schedulesOf), dieselKw: dso.dieselKw, renewableKw: dso.renewableKw };
}

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
export async function runHeld(sim: SimSetup, dayAhead: HeldPlan, realised: readonly RealisedDay[], opts: { everyPeriods: number; keepRecords?: boolean }): Promise<HeldResult> {
  const T = sim.inputs.grid.periods, K = opts.everyPeriods;
  checkEveryPeriods(K, T);
  const profile = dayAhead.zoneEvKw;
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
  const dispatched: DsoPast = { periods: T, dieselKw: dayAhead.dieselKw, renewableKw: dayAhead.renewableKw };
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
