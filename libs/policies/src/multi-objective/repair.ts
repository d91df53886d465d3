import type { Solution } from '@zonal/solver';
import { buildArea, freeDirections, outcomeOf, readSchedule, type AreaData, type AreaModel, type AreaSchedule, type Directions } from './area-model';
import type { SolveFn, WeightedSolved } from './scalarise';

/**
 * The repair after solving (SPEC §7.4). An LP that flattens load may charge and discharge one
 * battery at once: that burns (1/η − η) of the power as loss, which raises a valley as well as any
 * real load would. So the aggregate profile is fixed and a MILP with seed 002's exclusivity binaries
 * (eq 1.1: charging, discharging or idle) finds per-battery schedules that make it, with the least
 * EV degradation; the burn moves to one battery charging from another. The grid cost, F2 and F3 do
 * not change and degradation can only fall: the repaired schedule is as good on every objective.
 *
 * A burn with no partner (the BESS alone at night) cannot be moved, and the fixed profile cannot be
 * made: a deviation slack priced at `deviationPenaltyYuanPerKwh` keeps the MILP solvable and finds
 * the nearest profile. Then every battery-period that burned is locked to its net direction, the LP
 * is solved again and repaired again, at most `maxResolves` times; any deviation left is reported.
 */
export interface RepairOptions {
  deviationPenaltyYuanPerKwh: number;
  maxResolves: number;
}

export interface Repaired {
  schedule: AreaSchedule;
  sol: Solution;
  /** Largest |repaired − fixed| net load over the periods (kW). */
  maxDeviationKw: number;
}

/** Below this the repaired profile is the fixed one (the MILP's feasibility tolerance is 1e-6). */
export const DEVIATION_TOL_KW = 1e-5;

export async function repair(data: AreaData, netKw: Float64Array, opts: RepairOptions, name: string, solve: SolveFn): Promise<Repaired> {
  const area = buildArea(data, name, { exclusive: true });
  const { model: m, net } = area;
  const dt = data.grid.dtH;
  const span = Math.max(...area.netHiKw) - Math.min(...area.netLoKw);
  const slack: number[] = [];
  net.forEach((p, t) => {
    const over = m.addVar('devOver', [t], { lb: 0, ub: span }), under = m.addVar('devUnder', [t], { lb: 0, ub: span });
    m.addConstraint('fixNet', [t], [p, over, under], [1, -1, 1], '=', netKw[t]);
    m.setObjectiveCoef(over, opts.deviationPenaltyYuanPerKwh * dt);
    m.setObjectiveCoef(under, opts.deviationPenaltyYuanPerKwh * dt);
    slack.push(over, under);
  });
  for (const ds of area.evDischarge) for (const d of ds) m.setObjectiveCoef(d, data.degradationYuanPerKwh * dt);
  const sol = await solve(m);
  const maxDeviationKw = Math.max(0, ...net.map((_, t) => sol.value(slack[2 * t]) + sol.value(slack[2 * t + 1])));
  return { schedule: readSchedule(area, sol), sol, maxDeviationKw };
}

export interface RepairedRun<M> {
  /** The last LP (or QP) solved and its own schedule. */
  lp: WeightedSolved<M>;
  lpSchedule: AreaSchedule;
  fixed: Repaired;
  /** LP re-solves with locked directions (0 when the first profile could be made). */
  resolves: number;
  /** Battery-periods that charged and discharged at once, summed over every LP of the run. */
  burnsSeen: number;
}

/** LP → repair, and LP again with burners locked while the repair cannot make the profile. */
export async function solveAndRepair<M extends AreaModel>(
  data: AreaData, solveLp: (directions: Directions, name: string) => Promise<WeightedSolved<M>>,
  opts: RepairOptions, name: string, solve: SolveFn,
): Promise<RepairedRun<M>> {
  const directions = freeDirections(data);
  let burnsSeen = 0;
  for (let round = 0; ; round++) {
    const suffix = round === 0 ? '' : `-resolve${round}`;
    const lp = await solveLp(directions, `${name}${suffix}`);
    const lpSchedule = readSchedule(lp.built, lp.sol);
    const fixed = await repair(data, outcomeOf(data, lpSchedule).netLoadKw, opts, `${name}${suffix}-repair`, solve);
    const locked = fixed.maxDeviationKw > DEVIATION_TOL_KW && round < opts.maxResolves ? lockBurners(data, lpSchedule, directions) : 0;
    burnsSeen += countBurns(data, lpSchedule);
    if (locked === 0) return { lp, lpSchedule, fixed, resolves: round, burnsSeen };
  }
}

const BURN_KW = 1e-6;

function countBurns(data: AreaData, s: AreaSchedule): number {
  let n = 0;
  data.evs.forEach((ev, i) => ev.periods.forEach((_, k) => { if (s.evChargeKw[i][k] > BURN_KW && s.evDischargeKw[i][k] > BURN_KW) n++; }));
  for (let t = 0; t < data.grid.periods; t++) if (s.bessChargeKw[t] > BURN_KW && s.bessDischargeKw[t] > BURN_KW) n++;
  return n;
}

/** Locks each burning battery-period to the direction of its net grid power; returns how many. */
function lockBurners(data: AreaData, s: AreaSchedule, dir: Directions): number {
  let locked = 0;
  const lock = (c: number, d: number, eta: number, set: (v: number) => void) => {
    if (c > BURN_KW && d > BURN_KW) {
      set(c / eta >= d * eta ? 1 : -1);
      locked++;
    }
  };
  data.evs.forEach((ev, i) => ev.periods.forEach((_, k) => lock(s.evChargeKw[i][k], s.evDischargeKw[i][k], ev.eta, (v) => (dir.ev[i][k] = v))));
  for (let t = 0; t < data.grid.periods; t++) lock(s.bessChargeKw[t], s.bessDischargeKw[t], data.bess.eta, (v) => (dir.bess[t] = v));
  return locked;
}
