import { sampleSeed002Fleet, uncoordinatedProfile, type EvProblem, type Fleet, type ScheduleCheck, type TimeGrid } from '@zonal/ev';
import { solve, SolverError, type ModelBuilder, type Solution } from '@zonal/solver';
import { atPeriods, pricesAtPeriods } from '../common';
import type { PolicyContext } from '../policy';
import { modeWeights, type AhpLimits, type AhpResult } from './ahp';
import {
  buildAreaObjectives, checkAreaSchedule, evSessions, objectivesOf, outcomeOf, readSchedule,
  type AreaData, type AreaOutcome, type AreaSchedule, type Directions,
} from './area-model';
import { OBJECTIVE_COUNT, type ModeName, type MultiObjectiveCase } from './case-schema';
import type { VarianceForm } from './objectives';
import { solveAndRepair, type RepairedRun } from './repair';
import { nonDominated, payoffTable, simplexWeights, weighted, type Normalisation, type SolveFn } from './scalarise';

/**
 * Seed 002 §3's study on a case: the area, the payoff table, the Pareto sweep, the economy and
 * response modes (each LP/QP then the exclusivity repair), and the uncoordinated baseline.
 */

/** One solve, in the order of the exported files (a QP is solved but not exported). */
export interface SolveRecord {
  model: string;
  objective: number;
  status: Solution['status'];
  exported: boolean;
}

export interface ScheduledPoint {
  weights: number[];
  run: RepairedRun<ReturnType<typeof buildAreaObjectives>>;
  /** The last LP's own schedule, before the repair. */
  lpOutcome: AreaOutcome;
  outcome: AreaOutcome;
  check: ScheduleCheck;
  schedule: AreaSchedule;
}

export interface Study {
  fleet: Fleet;
  data: AreaData;
  excluded: EvProblem[];
  norm: Normalisation;
  ahp: Record<ModeName, { weights: number[]; experts: AhpResult[] }>;
  modes: Record<ModeName, ScheduledPoint>;
  sweep: ScheduledPoint[];
  /** Indices of the sweep's non-dominated points. */
  front: Set<number>;
  uncoordinated: AreaOutcome;
  solves: SolveRecord[];
  /** QP solves that failed or stopped, replaced by the LP (names). */
  qpFallbacks: string[];
}

export function caseData(c: MultiObjectiveCase, fleet: Fleet): { data: AreaData; excluded: EvProblem[] } {
  const grid: TimeGrid = { periods: c.time.periods, dtH: c.time.dtH };
  const building = atPeriods(c.buildingLoadKw.profile, grid, c.buildingLoadKw.peakKw);
  const pv = atPeriods(c.pvKw.profile, grid, c.pvKw.peakKw);
  const { evs, excluded } = evSessions(fleet, grid);
  const b = c.bess;
  const data: AreaData = {
    grid, baseKw: building.map((p, t) => p - pv[t]), priceYuanPerKwh: pricesAtPeriods(c.tariff, grid), evs,
    bess: { capacityKwh: b.capacityKwh, pMaxKw: b.pMaxKw, eta: b.eta, eMinKwh: b.socMin * b.capacityKwh, eMaxKwh: b.socMax * b.capacityKwh, eStartKwh: b.socStart * b.capacityKwh },
    // c_coeff/100 · C_replace per unit of SOC, i.e. per capacityKwh of energy.
    degradationYuanPerKwh: ((c.degradation.cCoeffPct / 100) * c.degradation.replacementCostYuan) / c.fleet.capacityKwh,
    peakTieBreakYuanPerKw: c.peakTieBreakYuanPerKw,
  };
  return { data, excluded };
}

/** Seed 002's baseline: every EV charges at full power from arrival until it holds its target; BESS idle. */
export function uncoordinatedSchedule(fleet: Fleet, data: AreaData): AreaSchedule {
  const u = uncoordinatedProfile(fleet, data.grid).schedules;
  const T = data.grid.periods;
  return {
    evChargeKw: data.evs.map((ev) => u.chargeKw.slice(u.offset[ev.index], u.offset[ev.index + 1])),
    evDischargeKw: data.evs.map((ev) => new Float64Array(ev.periods.length)),
    bessChargeKw: new Float64Array(T), bessDischargeKw: new Float64Array(T),
  };
}

export async function runStudy(c: MultiObjectiveCase, ctx: PolicyContext): Promise<Study> {
  const fleet = sampleSeed002Fleet(c.fleet, ctx.rng);
  const { data, excluded } = caseData(c, fleet);
  const solves: SolveRecord[] = [], qpFallbacks: string[] = [];
  const solveFn: SolveFn = async (model: ModelBuilder) => {
    const exported = !model.isQuadratic;
    const sol = await solve(model, { exportLp: exported ? ctx.exporter : undefined, timeLimitS: c.solveTimeLimitS });
    solves.push({ model: model.name, objective: sol.objective, status: sol.status, exported });
    return sol;
  };
  const segments = c.variance.pwlSegments;
  const build = (form: VarianceForm, directions?: Directions) => (name: string) => buildAreaObjectives(data, name, form, segments, { directions });

  // The payoff table is always the LP: a quadratic F2 cannot be held as a row in its lexicographic stages.
  const evaluate = (s: { built: ReturnType<typeof buildAreaObjectives>; sol: Solution }) => objectivesOf(outcomeOf(data, readSchedule(s.built, s.sol)));
  const norm = await payoffTable(build('pwl'), OBJECTIVE_COUNT, evaluate, solveFn, c.normalisationMinRange);

  /** Weighted LP/QP, then the exclusivity repair on its net-load profile. */
  const schedule = async (weights: number[], name: string, form: VarianceForm): Promise<ScheduledPoint> => {
    const solveWeighted = async (directions: Directions, n: string) => {
      if (form === 'qp') {
        // HiGHS's QP solver fails or stalls on some weightings (see scalarise.ts): the LP stands in, and the report says so.
        try {
          const qp = await weighted(build('qp', directions), weights, norm, n, solveFn);
          if (qp.sol.status === 'optimal') return qp;
        } catch (e) {
          if (!(e instanceof SolverError)) throw e;
        }
        qpFallbacks.push(n);
      }
      return weighted(build('pwl', directions), weights, norm, form === 'qp' ? `${n}-pwl` : n, solveFn);
    };
    // A QP takes no binaries (HiGHS has no MIQP): there the burners are locked instead.
    const run = await solveAndRepair(data, solveWeighted, c.repair, name, solveFn, form === 'pwl');
    return {
      weights, run, lpOutcome: outcomeOf(data, run.lpSchedule), outcome: outcomeOf(data, run.fixed.schedule),
      check: checkAreaSchedule(fleet, data, run.fixed.schedule), schedule: run.fixed.schedule,
    };
  };

  // The sweep is the LP whatever the case says: with ω1 = 0 HiGHS's QP solver fails outright.
  const sweep: ScheduledPoint[] = [];
  for (const [k, w] of simplexWeights(OBJECTIVE_COUNT, Math.round(1 / c.pareto.weightStep)).entries()) sweep.push(await schedule(w, `sweep${k + 1}`, 'pwl'));
  const front = new Set(nonDominated(sweep.map((p) => objectivesOf(p.outcome)), [1e-6, 1e-6, 1e-6]));

  const limits: AhpLimits = { randomIndex: c.ahp.randomIndex, maxConsistencyRatio: c.ahp.maxConsistencyRatio };
  const ahp = { economy: modeWeights(c.ahp.economy.judgements, limits), response: modeWeights(c.ahp.response.judgements, limits) };
  // Response last: its repair is the final solve, whose objective the report carries (SPEC §2).
  const economy = await schedule(ahp.economy.weights, 'economy', c.variance.form);
  const response = await schedule(ahp.response.weights, 'response', c.variance.form);
  return {
    fleet, data, excluded, norm, ahp, modes: { economy, response }, sweep, front,
    uncoordinated: outcomeOf(data, uncoordinatedSchedule(fleet, data)), solves, qpFallbacks,
  };
}
