import type { Solution } from '@zonal/solver';
import {
  buildArea, CHARGE_ONLY, DISCHARGE_ONLY, EXCLUSIVE, freeDirections, outcomeOf, readSchedule,
  type AreaData, type AreaModel, type AreaSchedule, type Directions,
} from './area-model';
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
 * the nearest profile. Then the weighted problem is solved again with seed 002's exclusivity binary
 * on every battery-period that burned so far (a small MILP; a QP cannot take binaries, so there each
 * burner is locked to its net direction instead) and repaired again, at most `maxResolves` times;
 * any deviation left is reported.
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

/**
 * The MILP is solved with its binaries added lazily: first none, then one for every battery-period
 * that burned in the previous answer, until an answer burns nowhere. Each round relaxes the full
 * MILP (fewer binaries), so an answer without burns is feasible for the full MILP and optimal for
 * it; rounds are few (only the BESS burns for free, an EV's burn costs degradation), and each is
 * far smaller than a binary for all of the ~500 battery-periods.
 */
export async function repair(data: AreaData, netKw: Float64Array, opts: RepairOptions, name: string, solve: SolveFn): Promise<Repaired> {
  const exclusive = freeDirections(data);
  for (let round = 0; ; round++) {
    const r = await repairRound(data, netKw, opts, round === 0 ? name : `${name}${round + 1}`, solve, exclusive);
    if (constrainBurners(data, r.schedule, exclusive, true) === 0) return r;
  }
}

async function repairRound(data: AreaData, netKw: Float64Array, opts: RepairOptions, name: string, solve: SolveFn, directions: Directions): Promise<Repaired> {
  const area = buildArea(data, name, { directions });
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
  /** Re-solves with the burners made exclusive or locked (0 when the first profile could be made). */
  resolves: number;
  /** Battery-periods that charged and discharged at once, summed over every LP of the run. */
  burnsSeen: number;
}

/**
 * LP → repair, and the weighted problem again with the burners constrained while the repair cannot
 * make the profile. `binaries`: make burners exclusive (a MILP); otherwise lock their direction.
 */
export async function solveAndRepair<M extends AreaModel>(
  data: AreaData, solveLp: (directions: Directions, name: string) => Promise<WeightedSolved<M>>,
  opts: RepairOptions, name: string, solve: SolveFn, binaries = true,
): Promise<RepairedRun<M>> {
  const directions = freeDirections(data);
  let burnsSeen = 0;
  for (let round = 0; ; round++) {
    const suffix = round === 0 ? '' : `-resolve${round}`;
    const lp = await solveLp(directions, `${name}${suffix}`);
    const lpSchedule = readSchedule(lp.built, lp.sol);
    const fixed = await repair(data, outcomeOf(data, lpSchedule).netLoadKw, opts, `${name}${suffix}-repair`, solve);
    const locked = fixed.maxDeviationKw > DEVIATION_TOL_KW && round < opts.maxResolves ? constrainBurners(data, lpSchedule, directions, binaries) : 0;
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

/** Makes each burning battery-period exclusive, or locks it to its net grid direction; returns how many. */
function constrainBurners(data: AreaData, s: AreaSchedule, dir: Directions, binaries: boolean): number {
  let constrained = 0;
  const constrain = (c: number, d: number, eta: number, set: (v: number) => void) => {
    if (c > BURN_KW && d > BURN_KW) {
      set(binaries ? EXCLUSIVE : c / eta >= d * eta ? CHARGE_ONLY : DISCHARGE_ONLY);
      constrained++;
    }
  };
  data.evs.forEach((ev, i) => ev.periods.forEach((_, k) => constrain(s.evChargeKw[i][k], s.evDischargeKw[i][k], ev.eta, (v) => (dir.ev[i][k] = v))));
  for (let t = 0; t < data.grid.periods; t++) constrain(s.bessChargeKw[t], s.bessDischargeKw[t], data.bess.eta, (v) => (dir.bess[t] = v));
  return constrained;
}
