import { z } from 'zod';
import { InputError, ZonalError } from '@zonal/core';
import { clock, hourlyProfile } from '@zonal/scenario';
import { InfeasibleModelError, ModelBuilder, solve, SolverLimitError, type Solution } from '@zonal/solver';
import { atPeriods, caseHeader, loadShape } from '../common';
import type { EvSpec } from '@zonal/ev';
import { caseZoneHeader, declaredZoneSettings, zoneTariff } from '../case-zone';
import type { CaseZone, DsoSignal, PolicyContext, PolicyReport, ZoneAnswer, ZonePolicy, ZoneProblem } from '../policy';
import { buildZoneModel, solveZone, energyPrices } from '../zone-model';
import { addCommuterEv, commuterDay, type CommuterDay, type CommuterVars } from './commuter-fleet';

/**
 * peak-valley (SPEC §7.2, seed 000 §3, eq 1–9): the EV fleet minimises the peak-to-valley
 * difference of the grid load P_NL = P_L + P_c − P_dc (eq 1–2) over a cyclic day.
 *
 * Lexicographic, in LPs: (1) min max P_NL − min P_NL; (2) holding that difference, the declared
 * tie-break on the peak (SPEC §7) plus V2G degradation, which also removes needless simultaneous
 * charging and discharging. Should the optimum need it anyway (an LP can burn energy through the
 * efficiency losses to lift the valley once the batteries are full: the shipped case does), the
 * same two stages as MILPs with a charge-or-discharge binary per period (seed 000 §3: an EV
 * "cannot do both simultaneously") for a few groups of EVs give the reported schedule, and the
 * LP's difference is reported as the bound.
 */
const hourOfDay = z.number().min(0).max(24);

const caseSchema = z.strictObject({
  ...caseHeader,
  /** Declared (SPEC §7.2): the seed's minimum and maximum load placed on SPEC's load shape. */
  baseLoadMw: z.strictObject({ valleyMw: z.number().min(0), peakMw: z.number().min(0), profile: hourlyProfile })
    .refine((b) => b.peakMw > b.valleyMw, { message: 'peakMw must exceed valleyMw', path: ['peakMw'] })
    .refine((b) => Math.max(...b.profile) > Math.min(...b.profile), { message: 'a flat profile has no valley or peak to scale', path: ['profile'] }),
  fleet: z.strictObject({
    count: z.number().int().min(1).max(10_000_000),
    capacityKwh: z.number().positive().max(10_000),
    pChargeMaxGridKw: z.number().min(0).max(10_000),
    pDischargeMaxGridKw: z.number().min(0).max(10_000),
    eta: z.number().gt(0).max(1),
    socMin: z.number().min(0).max(1),
    socMax: z.number().min(0).max(1),
    departureMinKwh: z.number().min(0),
  }).superRefine((f, ctx) => {
    if (f.socMin > f.socMax) ctx.addIssue({ code: 'custom', path: ['socMin'], message: `(${f.socMin}) must not exceed socMax (${f.socMax})` });
    if (f.departureMinKwh > f.socMax * f.capacityKwh) {
      ctx.addIssue({ code: 'custom', path: ['departureMinKwh'], message: `(${f.departureMinKwh}) exceeds what the battery holds at socMax (${f.socMax * f.capacityKwh} kWh)` });
    }
  }),
  onGrid: z.array(z.strictObject({ fromH: hourOfDay, toH: hourOfDay })).min(1),
  trips: z.array(z.strictObject({ atH: hourOfDay, kwh: z.number().min(0) })),
  /** Groups (each moving together) of the exclusive MILP, used when the LP optimum burns energy. */
  exclusiveGroups: z.number().int().min(1).max(16),
  /** Per MILP stage; past it the best schedule found is reported with its gap (more groups, finer steps: harder). */
  exclusiveTimeLimitS: z.number().positive().max(3600),
  degradationYuanPerKwh: z.number().min(0),
  peakTieBreakYuanPerKw: z.number().min(0),
});
type PeakValleyCase = z.infer<typeof caseSchema>;

/** SPEC §7.2: P_L(t) = valley + (peak − valley)·(shape(t) − min shape)/(max shape − min shape). */
export function baseLoadMw(b: PeakValleyCase['baseLoadMw'], grid: { periods: number; dtH: number }): Float64Array {
  const lo = Math.min(...b.profile), hi = Math.max(...b.profile);
  return atPeriods(b.profile, grid).map((p) => b.valleyMw + (b.peakMw - b.valleyMw) * (p - lo) / (hi - lo));
}

// Solver tolerance, not a model number: stage 2 may give back 1 W of the stage-1 difference, so
// HiGHS's feasibility tolerance (1e-7) never makes the held optimum infeasible.
const HOLD_SLACK_MW = 1e-6;
// Charge and discharge both above this (kW, per EV) count as simultaneous.
const SIMULTANEOUS_KW = 1e-6;

interface FleetModel {
  m: ModelBuilder;
  /** One representative EV per group; group g stands for groupSizes[g] identical EVs. */
  groups: CommuterVars[];
  groupSizes: number[];
  peakMw: number;
  valleyMw: number;
}

/** Group sizes as equal as the count allows (largest first). */
export function splitFleet(count: number, groups: number): number[] {
  return Array.from({ length: groups }, (_, g) => Math.floor(count / groups) + (g < count % groups ? 1 : 0));
}

/** Representative EVs scaled by their group sizes, against the base load (eq 1–2 as epigraphs). */
function fleetModel(c: PeakValleyCase, day: CommuterDay, baseMw: Float64Array, name: string, groupSizes = [c.fleet.count]): FleetModel {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const m = new ModelBuilder(name);
  const groups = groupSizes.map((_, g) => addCommuterEv(m, c.fleet, day, grid, groupSizes.length > 1 ? `_g${g}` : ''));
  const fleetMw = c.fleet.count / 1000;
  const hi = Math.max(...baseMw) + fleetMw * c.fleet.pChargeMaxGridKw;
  const lo = Math.min(...baseMw) - fleetMw * c.fleet.pDischargeMaxGridKw;
  const peakMw = m.addVar('peakMw', [], { lb: lo, ub: hi });
  const valleyMw = m.addVar('valleyMw', [], { lb: lo, ub: hi });
  for (let t = 0; t < grid.periods; t++) {
    const cols = groups.flatMap((ev) => [ev.chargeGridKw.at(t), ev.dischargeGridKw.at(t)]);
    const mwPerKw = groupSizes.flatMap((n) => [n / 1000, -n / 1000]);
    m.addConstraint('peakDef', [t], [peakMw, ...cols], [1, ...mwPerKw.map((x) => -x)], '>=', baseMw[t]);
    m.addConstraint('valleyDef', [t], [valleyMw, ...cols], [1, ...mwPerKw.map((x) => -x)], '<=', baseMw[t]);
  }
  return { m, groups, groupSizes, peakMw, valleyMw };
}

/** Seed 000 §3: an EV "cannot do both simultaneously": one charge-or-discharge binary per group and period. */
function addExclusivity(fm: FleetModel, c: PeakValleyCase, day: CommuterDay): void {
  fm.groups.forEach((ev, g) => {
    for (let t = 0; t < day.plugged.length; t++) {
      if (!day.plugged[t]) continue;
      const charging = fm.m.addVar(`charging_g${g}`, [t], { lb: 0, ub: 1, integer: true });
      fm.m.addConstraint(`chargeOnly_g${g}`, [t], [ev.chargeGridKw.at(t), charging], [1, -c.fleet.pChargeMaxGridKw], '<=', 0);
      fm.m.addConstraint(`dischargeOnly_g${g}`, [t], [ev.dischargeGridKw.at(t), charging], [1, c.fleet.pDischargeMaxGridKw], '<=', c.fleet.pDischargeMaxGridKw);
    }
    // Groups of equal size are interchangeable: ordering their midnight energy removes mirror-image
    // branches (GLPK proves 4 groups in 0.1 s with it).
    const next = fm.groups[g + 1];
    if (next && fm.groupSizes[g + 1] === fm.groupSizes[g]) {
      fm.m.addConstraint('symmetry', [g], [ev.energyKwh.at(0), next.energyKwh.at(0)], [1, -1], '>=', 0);
    }
  });
}

async function solveFleet(fm: FleetModel, ctx: PolicyContext, mipTimeLimitS?: number): Promise<Solution> {
  try {
    return await solve(fm.m, { exportLp: ctx.exporter, ...(mipTimeLimitS ? { mipRelGap: 0, timeLimitS: mipTimeLimitS } : {}) });
  } catch (e) {
    if (e instanceof InfeasibleModelError) {
      throw new InputError(`no schedule meets the departure reserve, the trips and the SOC limits on the on-grid windows (${e.message})`, 'fleet');
    }
    throw e;
  }
}

export interface GroupSchedule {
  evs: number;
  chargeGridKw: Float64Array;
  dischargeGridKw: Float64Array;
  /** Stored energy of each of the group's EVs at boundaries 0..T (boundary T = boundary 0). */
  energyKwh: Float64Array;
}

export interface PeakValleySchedule {
  /** Fleet grid power per period, charging positive (MW). */
  evFleetMw: Float64Array;
  netLoadMw: Float64Array;
  groups: GroupSchedule[];
}

function readSchedule(sol: Solution, fm: FleetModel, baseMw: Float64Array): PeakValleySchedule {
  const groups = fm.groups.map((ev, g) => {
    const energy = sol.values(ev.energyKwh);
    return {
      evs: fm.groupSizes[g], chargeGridKw: sol.values(ev.chargeGridKw), dischargeGridKw: sol.values(ev.dischargeGridKw),
      energyKwh: Float64Array.from([...energy, energy[0]]),
    };
  });
  const evFleetMw = baseMw.map((_, t) => groups.reduce((a, g) => a + (g.evs * (g.chargeGridKw[t] - g.dischargeGridKw[t])) / 1000, 0));
  return { evFleetMw, netLoadMw: evFleetMw.map((x, t) => baseMw[t] + x), groups };
}

function simultaneousPeriods(s: PeakValleySchedule): number[] {
  return Array.from(s.evFleetMw.keys()).filter((t) => s.groups.some((g) => g.chargeGridKw[t] > SIMULTANEOUS_KW && g.dischargeGridKw[t] > SIMULTANEOUS_KW));
}

/**
 * Lexicographic: the least peak-valley difference, then (holding it) the least tie-break plus
 * degradation. With `exclusiveGroups` the fleet is that many groups with exclusivity binaries.
 */
async function flattest(c: PeakValleyCase, day: CommuterDay, baseMw: Float64Array, ctx: PolicyContext, name: string, exclusiveGroups?: number[]) {
  const build = (stage: string) => {
    const fm = fleetModel(c, day, baseMw, `${name}${stage}`, exclusiveGroups);
    if (exclusiveGroups) addExclusivity(fm, c, day);
    return fm;
  };
  const mipTimeLimitS = exclusiveGroups ? c.exclusiveTimeLimitS : undefined;
  const first = build('');
  first.m.setObjectiveCoef(first.peakMw, 1);
  first.m.setObjectiveCoef(first.valleyMw, -1);
  const firstSol = await solveFleet(first, ctx, mipTimeLimitS).catch((e: unknown) => {
    if (e instanceof SolverLimitError && e.limit === 'time') {
      throw new ZonalError(`the exclusive MILP found no schedule within ${c.exclusiveTimeLimitS} s`, 'exclusiveTimeLimitS', 'raise it, or lower exclusiveGroups');
    }
    throw e;
  });
  const peakValleyMw = firstSol.objective;

  const gapOf = (x: Solution) => (x.status === 'time-limit-feasible' ? [x.mipGap ?? NaN] : []);
  if (firstSol.status === 'optimal') {
    const held = build('_tiebreak');
    held.m.addConstraint('holdPeakValley', [], [held.peakMw, held.valleyMw], [1, -1], '<=', peakValleyMw + HOLD_SLACK_MW);
    held.m.setObjectiveCoef(held.peakMw, c.peakTieBreakYuanPerKw * 1000);
    held.groups.forEach((ev, g) => {
      for (let t = 0; t < day.plugged.length; t++) {
        held.m.setObjectiveCoef(ev.dischargeGridKw.at(t), (c.degradationYuanPerKwh * held.groupSizes[g] * c.time.dtH) / c.fleet.eta);
      }
    });
    try {
      const sol = await solveFleet(held, ctx, mipTimeLimitS);
      return { peakValleyMw, schedule: readSchedule(sol, held, baseMw), objective: sol.objective, stoppedGaps: gapOf(sol), tieBreak: true };
    } catch (e) {
      if (!(mipTimeLimitS && e instanceof SolverLimitError)) throw e;
    }
  }
  // A MILP stopped by its time limit: its best schedule is reported without the tie-break stage,
  // and written again so that the last exported file is the model whose objective is reported.
  ctx.exporter.write(first.m);
  return { peakValleyMw, schedule: readSchedule(firstSol, first, baseMw), objective: firstSol.objective, stoppedGaps: gapOf(firstSol), tieBreak: false };
}

/** The stages of the header; every solve is exported, the last one's objective is reported. */
export async function solvePeakValley(c: PeakValleyCase, ctx: PolicyContext) {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const day = commuterDay(grid, c.onGrid, c.trips);
  const baseMw = baseLoadMw(c.baseLoadMw, grid);
  const lp = await flattest(c, day, baseMw, ctx, 'peakvalley');
  const burningPeriods = simultaneousPeriods(lp.schedule);
  const reported = burningPeriods.length
    ? await flattest(c, day, baseMw, ctx, 'peakvalley_exclusive', splitFleet(c.fleet.count, Math.min(c.exclusiveGroups, c.fleet.count)))
    : lp;
  return { day, baseMw, lpPeakValleyMw: lp.peakValleyMw, burningPeriods, ...reported };
}

async function runCase(c: PeakValleyCase, ctx: PolicyContext): Promise<PolicyReport> {
  const r = await solvePeakValley(c, ctx);
  const { groups } = r.schedule;
  const before = loadShape(r.baseMw), after = loadShape(r.schedule.netLoadMw);
  const changePct = (x: number) => (100 * (x - before.peakValleyKw)) / before.peakValleyKw;
  const dt = c.time.dtH;
  const fleetMwh = (side: (g: GroupSchedule) => Float64Array) => groups.reduce((a, g) => a + (g.evs * side(g).reduce((x, y) => x + y, 0) * dt) / 1000, 0);
  const chargedMwh = fleetMwh((g) => g.chargeGridKw), dischargedMwh = fleetMwh((g) => g.dischargeGridKw);
  const meanEnergyKwh = (k: number) => groups.reduce((a, g) => a + g.evs * g.energyKwh[k], 0) / c.fleet.count;
  const burned = r.burningPeriods.length > 0;
  const notes = [`${c.fleet.count} identical EVs modelled as one representative EV scaled by ${c.fleet.count} (exact for the LP).`];
  if (burned) {
    notes.push(`the LP optimum (${r.lpPeakValleyMw.toFixed(2)} MW) needs EVs that charge and discharge at once (burning energy through the losses) in period(s) ` +
      `${r.burningPeriods.join(', ')}; the reported schedule is the MILP with a charge-or-discharge binary per period for ${groups.length} group(s) of ` +
      `${groups.map((g) => g.evs).join('/')} EVs, each group moving together; the fleet's best exclusive schedule lies between the two`);
  }
  if (r.stoppedGaps.length || !r.tieBreak) {
    notes.push(`the exclusive MILP stopped at its ${c.exclusiveTimeLimitS} s limit (exclusiveTimeLimitS)` +
      (r.stoppedGaps.length ? ` with a relative gap of ${r.stoppedGaps.map((g) => `${(100 * g).toFixed(3)}%`).join(', ')}` : '') +
      `${r.tieBreak ? '' : ', so the tie-break stage was skipped'}: the schedule is feasible, not proven best (fewer exclusiveGroups solve faster)`);
  }
  const mw = (x: number) => x.toFixed(2);
  return {
    policy: 'peak-valley', caseName: c.name, seed: c.seed, objective: r.objective,
    rows: {
      before: { peakMw: before.peakKw, valleyMw: before.valleyKw, peakValleyMw: before.peakValleyKw },
      after: { peakMw: after.peakKw, valleyMw: after.valleyKw, peakValleyMw: after.peakValleyKw },
      reductionPct: changePct(after.peakValleyKw),
      lpBound: { peakValleyMw: r.lpPeakValleyMw, reductionPct: changePct(r.lpPeakValleyMw), simultaneousPeriods: r.burningPeriods },
      provenOptimal: r.stoppedGaps.length === 0 && r.tieBreak,
      fleet: { count: c.fleet.count, groups: groups.map((g) => g.evs), chargedGridMwh: chargedMwh, dischargedGridMwh: dischargedMwh },
      schedule: {
        baseLoadMw: Array.from(r.baseMw), netLoadMw: Array.from(r.schedule.netLoadMw), evFleetMw: Array.from(r.schedule.evFleetMw),
        groups: groups.map((g) => ({ evs: g.evs, chargeGridKw: Array.from(g.chargeGridKw), dischargeGridKw: Array.from(g.dischargeGridKw), energyKwh: Array.from(g.energyKwh) })),
      },
    },
    tables: [
      {
        title: `peak-valley: ${c.fleet.count} EVs of ${c.fleet.capacityKwh} kWh, ${c.fleet.pChargeMaxGridKw} kW (seed 000 §3)`,
        head: ['', 'before (base load)', 'after (EV demand response)'],
        rows: [
          ['maximum load (MW)', mw(before.peakKw), mw(after.peakKw)],
          ['minimum load (MW)', mw(before.valleyKw), mw(after.valleyKw)],
          ['peak-valley difference (MW)', mw(before.peakValleyKw), mw(after.peakValleyKw)],
          ['change of the difference', '', `${changePct(after.peakValleyKw).toFixed(2)}%`],
          ...(burned ? [['LP bound, charging and discharging at once (MW)', '', `${mw(r.lpPeakValleyMw)} (${changePct(r.lpPeakValleyMw).toFixed(2)}%)`]] : []),
          ['EV energy charged / discharged, grid side (MWh)', '', `${chargedMwh.toFixed(1)} / ${dischargedMwh.toFixed(1)}`],
        ],
      },
      {
        title: 'load and EV fleet power per period (seed 000 Figures 1–2; EV power > 0 charging)',
        head: ['period from', 'base load (MW)', 'EV fleet (MW)', 'load with EVs (MW)', 'mean energy per EV at start (kWh)'],
        rows: Array.from(r.baseMw, (b, t) => [clock(t * dt), mw(b), mw(r.schedule.evFleetMw[t]), mw(r.schedule.netLoadMw[t]), meanEnergyKwh(t).toFixed(1)]),
      },
    ],
    notes,
  };
}

/**
 * In the negotiation the zone keeps its policy's priority: (1) the flattest net load its envelope
 * allows, alone; (2) holding that peak-valley difference, the cheapest answer to the DSO's signal
 * (energy at its prices, degradation, targets, consensus terms). Both are LP/QP, no binaries.
 */
async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const prices = energyPrices(zone, signal);
  const T = zone.grid.periods, dt = zone.grid.dtH;

  // Stage 1 keeps the zone model's constraints and replaces its objective by the difference alone.
  const flat = buildZoneModel(zone, { round: signal.round }, `zone${zone.zoneId}_peakvalley`);
  for (let j = 0; j < flat.model.numCols; j++) flat.model.setObjectiveCoef(j, -flat.model.objectiveCoef(j));
  const flatValley = addValley(flat.model, zone, flat.evKw);
  flat.model.setObjectiveCoef(flat.peakKw, 1);
  flat.model.setObjectiveCoef(flatValley, -1);
  const peakValleyKw = (await solve(flat.model, { exportLp: ctx.exporter })).objective;

  const zm = buildZoneModel(zone, signal, undefined, { evCapsFor: zone });
  const valley = addValley(zm.model, zone, zm.evKw);
  zm.model.addConstraint('holdPeakValley', [], [zm.peakKw, valley], [1, -1], '<=', peakValleyKw + 1000 * HOLD_SLACK_MW);
  for (let t = 0; t < T; t++) zm.model.setObjectiveCoef(zm.evKw[t], prices[t] * dt);
  zm.model.addObjectiveConstant(zone.baseNetLoadKw.reduce((a, p, t) => a + prices[t] * p * dt, 0));
  return (await solveZone(zm, zone, prices, ctx)).answer;
}

function addValley(m: ModelBuilder, zone: ZoneProblem, evKw: number[]): number {
  const lo = Math.min(0, ...zone.baseNetLoadKw.map((b, t) => b - zone.envelope.pDischargeMaxGridKw[t]));
  const hi = Math.max(0, ...zone.baseNetLoadKw.map((b, t) => b + zone.envelope.pChargeMaxGridKw[t]));
  const valley = m.addVar('valley', [], { lb: lo, ub: hi });
  evKw.forEach((x, t) => m.addConstraint('valleyDef', [t], [valley, x], [1, -1], '<=', zone.baseNetLoadKw[t]));
  return valley;
}

/**
 * The case as one zone. Its units are a city's (a base load of ~1 GW, 800 EVs of 80 kW), not a
 * feeder's, so the zone is the case scaled down with the EVs per MW of load kept: n = max(1,
 * round(count / 1000)) of its identical EVs — the case's LP models the fleet as one representative
 * EV anyway, so the scaled problem is the case's — on n/count of its base load, in kW (the shipped
 * case: 1 EV on 1228–1954 kW). Each EV's cyclic commuter day becomes one session per on-grid
 * window, each arriving with what the last departure's reserve leaves after the trip between them
 * and leaving with that reserve again: the day's steady state at the least energy the case allows
 * (the case's LP may also carry energy from one window to the next; sessions cannot). Grid-side
 * charger limits (seed 000 eq 7–8) become battery side: charge × eta, discharge / eta.
 */
function caseZone(c: PeakValleyCase, _ctx: PolicyContext): CaseZone {
  const grid = { periods: c.time.periods, dtH: c.time.dtH };
  const T = grid.periods, dt = grid.dtH, f = c.fleet;
  const evs = Math.max(1, Math.round(f.count / 1000)), scale = evs / f.count;
  const day = commuterDay(grid, c.onGrid, c.trips);
  // Plugged runs [start, end) in periods, end possibly past T (the night window wraps).
  const runs: Array<{ start: number; end: number }> = [];
  for (let t = 0; t < T; t++) {
    if (!day.plugged[t] || day.plugged[(t - 1 + T) % T]) continue;
    let end = t + 1;
    while (end < t + T && day.plugged[end % T]) end++;
    if (end - t >= T) break;
    runs.push({ start: t, end });
  }
  if (runs.length === 0) throw new InputError('the EVs are on grid all day: a charging session must end within 24 h', 'onGrid');
  const eMin = f.socMin * f.capacityKwh, eMax = f.socMax * f.capacityKwh;
  // Trips from a run's departure boundary to the next run's arrival boundary, inclusive.
  const tripAfter = runs.map((r, i) => {
    const next = runs[(i + 1) % runs.length].start + (i + 1 === runs.length ? T : 0);
    let kwh = 0;
    for (let k = r.end; k <= next; k++) kwh += day.tripKwh[k % T];
    return kwh;
  });
  const leaveKwh = tripAfter.map((trip) => Math.max(f.departureMinKwh, eMin + trip));
  leaveKwh.forEach((kwh, i) => {
    if (kwh > eMax + 1e-9) throw new InputError(`the EVs must leave window ${i + 1} with ${kwh} kWh for the trip after it, more than they hold at socMax (${eMax} kWh)`, 'trips');
  });
  const sessions: EvSpec[] = [];
  for (let n = 1; n <= evs; n++) {
    runs.forEach((r, i) => {
      const arrivalKwh = leaveKwh[(i - 1 + runs.length) % runs.length] - tripAfter[(i - 1 + runs.length) % runs.length];
      sessions.push({
        id: `${n}-${i + 1}`, arrivalH: r.start * dt, departureH: r.end * dt, capacityKwh: f.capacityKwh,
        pChargeMaxKw: f.pChargeMaxGridKw * f.eta, pDischargeMaxKw: f.pDischargeMaxGridKw / f.eta, eta: f.eta, v2g: f.pDischargeMaxGridKw > 0,
        socMin: f.socMin, socMax: f.socMax, socArrival: arrivalKwh / f.capacityKwh, socTarget: leaveKwh[i] / f.capacityKwh,
      });
    });
  }
  const baseKw = Array.from(baseLoadMw(c.baseLoadMw, grid), (mw) => mw * 1000 * scale);
  const kw = (x: number) => x.toFixed(0);
  return {
    zone: {
      ...caseZoneHeader('peak-valley', c), time: c.time, tariff: zoneTariff(),
      baseNetLoadKw: baseKw, policy: { name: 'peak-valley' },
      degradationYuanPerKwh: c.degradationYuanPerKwh, peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
      envelopeGrouping: declaredZoneSettings().envelopeGrouping,
    },
    sessions,
    notes: [
      `scaled to a feeder's size by ${evs}/${f.count}: ${evs} of the case's ${f.count} identical EVs on ${evs}/${f.count} of its ${c.baseLoadMw.valleyMw}–${c.baseLoadMw.peakMw} MW base load, ` +
        `i.e. ${kw(Math.min(...baseKw))}–${kw(Math.max(...baseKw))} kW (the EVs per MW of load kept, so the peak-valley problem is the case's in proportion)`,
      `each EV's commuter day is ${runs.length} sessions (${runs.map((r) => `${clock(r.start * dt)}–${clock(r.end * dt)}`).join(', ')}), each leaving with its departure reserve ` +
        `(${leaveKwh.map((x) => `${x} kWh`).join(', ')}) and arriving with it less the trip; energy is not carried from one window to the next as the case's cyclic LP may`,
      `the case has no tariff: the zone's users face SPEC's TOU`,
    ],
  };
}

export const peakValley: ZonePolicy<PeakValleyCase> = {
  name: 'peak-valley',
  summary: 'minimise the peak-to-valley difference of the load with the EV fleet (seed 000 §3), then the peak tie-break and degradation',
  source: 'SPEC §7.2, seed 000 §3 eq 1–9',
  caseSchema,
  runCase,
  respond,
  caseZone,
};
