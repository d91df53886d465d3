import { z } from 'zod';
import { gridLoadKw, uncoordinatedProfile, type TimeGrid } from '@zonal/ev';
import { parseWithSchema } from '@zonal/scenario';
import type { ModelBuilder } from '@zonal/solver';
import type { DsoSignal, PolicyContext, ZoneAnswer, ZoneProblem, ZoneRegulation } from '../policy';
import { answerFromSchedules, buildZoneModel, energyPrices, solveZoneModel, type ZoneModel } from '../zone-model';
import { disaggregatePart, fleetPart, mergeSchedules, partBid, withoutEvs, type FleetPart } from '../zone-parts';
import { marketPrices, shippedAncillaryCase } from './markets';
import { incentiveLevels, willingShare } from './willingness';
import { acceptingUsers, type UserRole } from './zone-users';

/**
 * ancillary in the negotiation (SPEC §8; seed 003, SPEC §7.5): the zone is the aggregator and its own
 * users decide. At the incentives the zone offers (params; on the case's incentive levels), each user
 * accepts CBDR and DBDR with the willingness of the shipped case (zone-users.ts, seeded draws). Only
 * accepting users' EVs are the zone's to move — CBDR-only users charge-only, DBDR users with V2G
 * discharge in the DBDR window alone (the service they sold, as in market-lp.ts); everyone else
 * charges uncoordinated (full power on arrival, libs/ev uncoordinatedProfile), a fixed schedule that
 * is part of the answer.
 *
 * The zone minimises its energy cost (all its EVs at the prices it faces, plus the DSO's terms) less
 * its regulation margin: valley regulation (the CBDR users' draw above their uncoordinated baseline in
 * the CBDR window) and peak regulation (the DBDR users' draw below theirs in the DBDR window), each
 * paid its energy and capacity price less the incentive (a deterministic plan: the offer is the
 * delivery, no Monte Carlo shortfall). An LP; `regulation` in the answer reports users and books.
 */
const incentive = z.number().min(0).max(100);

export const ancillaryParamsSchema = z.strictObject({
  /** yuan/kWh offered for CBDR and for DBDR; default the shipped case's saturation incentive (willingness 90%). */
  cbdrIncentiveYuanPerKwh: incentive.optional(),
  dbdrIncentiveYuanPerKwh: incentive.optional(),
}).superRefine((p, ctx) => {
  const levels = incentiveLevels(shippedAncillaryCase().incentiveLevels);
  for (const key of ['cbdrIncentiveYuanPerKwh', 'dbdrIncentiveYuanPerKwh'] as const) {
    const v = p[key];
    if (v !== undefined && !levels.some((l) => Math.abs(l - v) < 1e-9)) {
      ctx.addIssue({ code: 'custom', path: [key], message: `${v} is not one of the case's incentive levels (${levels.join(', ')})` });
    }
  }
});
export type AncillaryParams = z.infer<typeof ancillaryParamsSchema>;

export async function respond(zone: ZoneProblem, signal: DsoSignal, ctx: PolicyContext): Promise<ZoneAnswer> {
  const c = shippedAncillaryCase();
  const params = parseWithSchema(ancillaryParamsSchema, zone.params ?? {}, `zone ${zone.zoneId}: policy.params`);
  const offer = {
    cbdr: params.cbdrIncentiveYuanPerKwh ?? c.willingness.saturationYuanPerKwh,
    dbdr: params.dbdrIncentiveYuanPerKwh ?? c.willingness.saturationYuanPerKwh,
  };
  const shares = { cbdr: willingShare(offer.cbdr, c.willingness), dbdr: willingShare(offer.dbdr, c.willingness) };
  // A fork keyed by the zone: the same users accept in every round (acceptance is a fact of the day,
  // not redrawn per round), and the caller's own stream is not shifted.
  const roles = acceptingUsers(zone.fleet, shares.cbdr, shares.dbdr, ctx.rng.fork(`ancillary-users-zone${zone.zoneId}`));

  const { grid } = zone;
  const T = grid.periods, dt = grid.dtH;
  const flexible = fleetPart(zone, (i) => roles[i], (f, k, i) => {
    if (roles[i] === 'C') f.v2g[k] = 0; // accepted valley filling only: never discharged
  });
  const fixed = uncoordinated(fleetPart(zone, (i) => (roles[i] === null ? 'fixed' : null)), grid);
  const prices = energyPrices(zone, signal);
  const market = marketPrices(c, prices, T, dt, grid.startH);
  const zm = buildZoneModel(partBid(zone, flexible), signal, `ancillary${zone.zoneId}`, { fixedKw: fixed.gridKw });
  for (let t = 0; t < T; t++) zm.model.setObjectiveCoef(zm.evKw[t], prices[t] * dt);
  zm.model.addObjectiveConstant(zone.baseNetLoadKw.reduce((a, x, t) => a + prices[t] * x * dt, 0));
  dischargeOnlyIn(zm, new Set(market.dbdrPeriods));

  const baseline = roleBaselines(flexible, grid, roles);
  const valley = addRegulation(zm, flexible, zone.eta, market.cbdrPeriods, ['C', 'CD'], +1, baseline.valley,
    market.valleyEnergyYuanPerKwh + market.capacityYuanPerKwPerH - offer.cbdr, dt, 'valley');
  const peak = addRegulation(zm, flexible, zone.eta, market.dbdrPeriods, ['D', 'CD'], -1, baseline.peak,
    market.peakEnergyYuanPerKwh + market.capacityYuanPerKwPerH - offer.dbdr, dt, 'peak');

  const { sol, groupBatteryKw } = await solveZoneModel(zm, ctx);
  const d = disaggregatePart(flexible, grid, groupBatteryKw);
  const schedules = mergeSchedules(zone.fleet.size, T, [{ indices: flexible.indices, schedules: d.schedules }, { indices: fixed.indices, schedules: fixed.schedules }]);
  const answer = answerFromSchedules(zone, schedules, prices, sol.objective, { overKwh: d.overKwh, shortfallKwh: d.underKwh });
  const valleyKwh = valley.reduce((a, col) => a + sol.value(col) * dt, 0), peakKwh = peak.reduce((a, col) => a + sol.value(col) * dt, 0);
  const count = (r: UserRole | null) => roles.filter((x) => x === r).length;
  const regulation: ZoneRegulation = {
    cbdrIncentiveYuanPerKwh: offer.cbdr, dbdrIncentiveYuanPerKwh: offer.dbdr, cbdrWillingShare: shares.cbdr, dbdrWillingShare: shares.dbdr,
    users: { cbdrOnly: count('C'), dbdrOnly: count('D'), both: count('CD'), uncoordinated: count(null) },
    valleyRegulationKwh: valleyKwh, peakRegulationKwh: peakKwh,
    revenueYuan: (market.valleyEnergyYuanPerKwh + market.capacityYuanPerKwPerH) * valleyKwh + (market.peakEnergyYuanPerKwh + market.capacityYuanPerKwPerH) * peakKwh,
    subsidyYuan: offer.cbdr * valleyKwh + offer.dbdr * peakKwh,
  };
  return { ...answer, regulation };
}

/**
 * The declining users' schedules: full power from arrival to their target. An EV that cannot reach
 * its target that way is left out, as the envelope leaves it out (checkSchedules confirms it could not).
 */
function uncoordinated(part: FleetPart, grid: TimeGrid) {
  const unco = uncoordinatedProfile(part.fleet, grid);
  const schedules = withoutEvs(unco.schedules, new Set(unco.shortOfTarget.map((p) => p.index)));
  return { indices: part.indices, schedules, gridKw: gridLoadKw(part.fleet, schedules).totalKw };
}

/** Uncoordinated grid-side draw of the accepting users, summed for CBDR (C, CD) and for DBDR (D, CD): their baselines (SPEC §7.5). */
function roleBaselines(part: FleetPart, grid: TimeGrid, roles: ReadonlyArray<UserRole | null>) {
  const unco = uncoordinated(part, grid);
  const valley = new Float64Array(grid.periods), peak = new Float64Array(grid.periods);
  const s = unco.schedules;
  for (let k = 0; k < part.fleet.size; k++) {
    const role = roles[part.indices[k]];
    for (let e = s.offset[k], t = s.start[k]; e < s.offset[k + 1]; e++, t = (t + 1) % grid.periods) {
      const kw = s.chargeKw[e] / part.fleet.eta[k];
      if (role === 'C' || role === 'CD') valley[t] += kw;
      if (role === 'D' || role === 'CD') peak[t] += kw;
    }
  }
  return { valley, peak };
}

/** DBDR users discharge only in the DBDR window: the service they accepted (market-lp.ts). */
function dischargeOnlyIn(zm: ZoneModel, periods: ReadonlySet<number>): void {
  zm.env.groups.forEach((g) => g.dischargeCols.forEach((col, t) => {
    if (col >= 0 && !periods.has(t)) zm.model.setColBounds(col, 0, 0);
  }));
}

/**
 * Regulation R[t] in a market's window: R <= sign · (draw − baseline) of the groups whose users sold it
 * (sign +1: valley filling, draw above baseline; −1: peak shaving, draw below baseline), earning
 * `netYuanPerKwh` (minimised as a negative cost). Returns the R columns.
 */
function addRegulation(
  zm: ZoneModel, part: FleetPart, eta: number, periods: readonly number[], sellers: UserRole[], sign: number,
  baselineKw: Float64Array, netYuanPerKwh: number, dtH: number, name: string,
): number[] {
  const m: ModelBuilder = zm.model;
  const groups = zm.env.groups.filter((_, n) => sellers.includes(part.groupRoles[n] as UserRole));
  const out: number[] = [];
  for (const t of periods) {
    const cols: number[] = [], coefs: number[] = [];
    let ub = sign > 0 ? -baselineKw[t] : baselineKw[t];
    for (const g of groups) {
      if (g.chargeCols[t] >= 0) {
        cols.push(g.chargeCols[t]);
        coefs.push(-sign / eta);
        if (sign > 0) ub += m.colUpperBound(g.chargeCols[t]) / eta;
      }
      if (g.dischargeCols[t] >= 0) {
        cols.push(g.dischargeCols[t]);
        coefs.push(sign * eta);
        if (sign < 0) ub += m.colUpperBound(g.dischargeCols[t]) * eta;
      }
    }
    if (!(ub > 1e-9)) continue; // nobody who sold this service can move here
    // R − sign·draw <= −sign·baseline
    const r = m.addVar(`${name}Reg`, [t], { lb: 0, ub });
    m.addConstraint(`${name}RegDef`, [t], [r, ...cols], [1, ...coefs], '<=', -sign * baselineKw[t]);
    m.setObjectiveCoef(r, -netYuanPerKwh * dtH);
    out.push(r);
  }
  return out;
}

