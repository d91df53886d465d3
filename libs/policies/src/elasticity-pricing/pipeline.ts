import type { EvSchedules, TimeGrid, UserClass } from '@zonal/ev';
import type { LpExporter } from '@zonal/solver';
import { groupPricedUsers, splitGroupCharge, type PriceBox, type PricedGroup } from './groups';
import { renormalisedClassEnergy, type Matrix3 } from './response';
import { solveStage, type Pricing, type StageObjective, type StageResult } from './tracking-lp';
import type { PricedUser, ZoneUsers } from './users';

/**
 * The elasticity-pricing zone's schedule (seed 001 §2.7–2.8, SPEC §7.1), the same pipeline standalone
 * and in the negotiation; only the stage objective differs (tracking-lp.ts):
 *  0. pricing: the price change x and every user's schedule at once (the joint optimum, a bound);
 *  1–3. with x fixed, the seed's order: type 4 first (their cheap hours cannot cover their need, so
 *       they get the valley and off-peak room first), then type 1 (one class: no room to shift
 *       between classes), then types 2 and 3 together, each stage on top of the load fixed before it;
 *  4. the V2G users, directly, on top of everything: the reported plan, the last LP.
 */
export const STAGES: { label: string; types: UserClass[] }[] = [
  { label: 'type 4', types: [4] },
  { label: 'type 1', types: [1] },
  { label: 'types 2 and 3', types: [2, 3] },
];

export interface PipelineInput {
  /** Model name (and exported file label). */
  name: string;
  grid: TimeGrid;
  fleetSize: number;
  users: ZoneUsers;
  /** P_zone without EVs, kW. */
  baseKw: Float64Array;
  pricing: { matrix: Matrix3; min: number; max: number; weight: number };
  peakTieBreakYuanPerKw: number;
  /** Every stage's objective, given the EV grid power the stages before it fixed. */
  objective: (fixedEvKw: Float64Array) => StageObjective;
  /**
   * Solve groups of users the LP cannot tell apart (groups.ts) instead of each user: the same optimum
   * from far smaller LPs. The standalone study solves per user (its exported LPs name every user).
   */
  groupUsers: boolean;
}

export interface PipelineResult {
  joint: StageResult;
  /** Every stage in order; a stage with no users is not solved (result null). */
  stages: { label: string; types: UserClass[]; users: number; result: StageResult | null }[];
  final: StageResult;
  /** Relative price change of p, o, v (the joint optimum's). */
  x: [number, number, number];
  /** The reported per-EV schedules (battery side), fleet order, for @zonal/ev checkSchedules. */
  schedules: EvSchedules;
}

export async function scheduleZone(input: PipelineInput, exporter: LpExporter | undefined): Promise<PipelineResult> {
  const { grid, users, pricing } = input;
  const T = grid.periods;
  const solveOn = (fixedEvKw: Float64Array, fixedKw: Float64Array, priced: readonly PricedUser[], direct: ZoneUsers['direct'], p: Pricing) =>
    solveStage({ name: input.name, grid, fixedKw, priced, direct, pricing: p, peakTieBreakYuanPerKw: input.peakTieBreakYuanPerKw, objective: input.objective(fixedEvKw) }, exporter);

  const jointGroups = unitsOf(users.priced, input, { lo: [pricing.min, pricing.min, pricing.min], hi: [pricing.max, pricing.max, pricing.max] });
  const joint = await solveOn(new Float64Array(T), input.baseKw, jointGroups.map((g) => g.user), users.direct, { kind: 'variable', ...pricing });
  const x = joint.x;
  const fixedPricing: Pricing = { kind: 'fixed', matrix: pricing.matrix, x, weight: pricing.weight };
  const classEnergyKwh = (u: PricedUser) => renormalisedClassEnergy(u.needKwh, u.shares, pricing.matrix, x);

  let fixedKw = input.baseKw, fixedEvKw = new Float64Array(T);
  const stages: PipelineResult['stages'] = [];
  const pricedCharge = new Map<number, Float64Array>();
  for (const stage of STAGES) {
    const priced = users.priced.filter((u) => stage.types.includes(u.type));
    if (priced.length === 0) {
      stages.push({ ...stage, users: 0, result: null });
      continue;
    }
    const groups = unitsOf(priced, input, { lo: x, hi: x });
    const result = await solveOn(fixedEvKw, fixedKw, groups.map((g) => g.user), [], fixedPricing);
    groups.forEach((g, k) => {
      const split = splitGroupCharge(g, result.pricedChargeKw[k], classEnergyKwh, grid.dtH);
      g.members.forEach((u, q) => pricedCharge.set(u.index, split[q]));
    });
    stages.push({ ...stage, users: priced.length, result });
    fixedKw = result.netLoadKw;
    fixedEvKw = fixedEvKw.map((p, t) => p + result.evGridKw[t]);
  }
  const final = await solveOn(fixedEvKw, fixedKw, [], users.direct, fixedPricing);
  stages.push({ label: 'V2G (direct)', types: [], users: users.direct.length, result: final });
  return { joint, stages, final, x, schedules: toSchedules(input.fleetSize, grid, users, pricedCharge, final) };
}

/** Each user alone, or the exact groups over the box of x the stage may choose. */
function unitsOf(priced: readonly PricedUser[], input: PipelineInput, box: PriceBox): PricedGroup[] {
  if (!input.groupUsers) return priced.map((u) => ({ user: u, members: [u] }));
  return groupPricedUsers(priced, input.pricing.matrix, box, input.grid.dtH);
}

/**
 * Per-EV schedules in fleet order. A V2G user's charge and discharge in one period are netted: the
 * stored energy is the same, the draw smaller, and an EV never does both at once (checkSchedules). The
 * LPs only do both when a coordination term pays for burning energy (ADMM's pull toward a reference
 * above what the zone needs); standalone the discharge weight rules it out.
 */
function toSchedules(fleetSize: number, grid: TimeGrid, users: ZoneUsers, priced: Map<number, Float64Array>, final: StageResult): EvSchedules {
  const charge = new Map<number, Float64Array>(priced), discharge = new Map<number, Float64Array>();
  const start = new Int32Array(fleetSize).fill(-1);
  for (const u of users.priced) start[u.index] = u.periods[0];
  users.direct.forEach((u, k) => {
    start[u.index] = u.region.periods[0];
    const c = final.directChargeKw[k], d = final.directDischargeKw[k];
    charge.set(u.index, c.map((v, j) => Math.max(0, v - d[j])));
    discharge.set(u.index, d.map((v, j) => Math.max(0, v - c[j])));
  });
  const offset = new Int32Array(fleetSize + 1);
  for (let i = 0; i < fleetSize; i++) offset[i + 1] = offset[i] + (charge.get(i)?.length ?? 0);
  const chargeKw = new Float64Array(offset[fleetSize]), dischargeKw = new Float64Array(offset[fleetSize]);
  for (const [i, c] of charge) chargeKw.set(c, offset[i]);
  for (const [i, d] of discharge) dischargeKw.set(d, offset[i]);
  return { periods: grid.periods, start, offset, chargeKw, dischargeKw };
}
