import type { PolicyReport, ReportTable } from '../policy';
import type { AhpResult } from './ahp';
import { objectivesOf, type AreaOutcome } from './area-model';
import type { ModeName, MultiObjectiveCase } from './case-schema';
import { normalised } from './scalarise';
import type { ScheduledPoint, Study } from './study';

/** The study as seed 002 prints it (its three-column table), plus weights, payoff table and front. */

const fmt = (x: number, digits = 1) => x.toFixed(digits);

function metrics(o: AreaOutcome) {
  return {
    gridCostYuan: o.gridCostYuan, degradationYuan: o.degradationYuan, totalCostYuan: o.totalCostYuan,
    stdKw: o.stdKw, varianceKw2: o.varianceKw2, peakValleyKw: o.peakValleyKw, peakKw: o.peakKw, valleyKw: o.valleyKw,
  };
}

function expertRow(e: AhpResult) {
  return { weights: e.weights, lambdaMax: e.lambdaMax, ci: e.ci, cr: e.cr, passesSeedCiTest: e.ci < 0.1 };
}

function repairRow(p: ScheduledPoint) {
  return {
    simultaneousBefore: p.run.burnsSeen, simultaneousAfter: p.outcome.simultaneous, resolves: p.run.resolves,
    maxDeviationKw: p.run.fixed.maxDeviationKw, status: p.run.fixed.sol.status,
  };
}

/** The outcome scored under both modes' weights (the schedules as repaired, F2 and F3 exact). */
function scores(s: Study, o: AreaOutcome) {
  return { economy: weightedScore(s, 'economy', o), response: weightedScore(s, 'response', o) };
}

function modeRow(s: Study, m: ModeName) {
  const p = s.modes[m];
  return {
    weights: p.weights, ahp: s.ahp[m].experts.map(expertRow),
    normalisedObjectives: normalised(s.norm, objectivesOf(p.outcome)),
    weightedObjective: p.run.lp.weightedObjective,
    ...metrics(p.outcome),
    scores: scores(s, p.outcome),
    beforeRepair: metrics(p.lpOutcome),
    repair: repairRow(p),
    scheduleCheck: { ok: p.check.ok, violations: p.check.violations.map((v) => v.message) },
    profile: { netLoadKw: Array.from(p.outcome.netLoadKw), evKw: Array.from(p.outcome.evKw), bessKw: Array.from(p.outcome.bessKw) },
  };
}

/** Σ ω_k · F~_k of an outcome: what a mode minimises, with its AHP weights, on the payoff table's scale. */
export function weightedScore(s: Study, m: ModeName, o: AreaOutcome): number {
  return normalised(s.norm, objectivesOf(o)).reduce((a, f, k) => a + s.modes[m].weights[k] * f, 0);
}

function seedTable(c: MultiObjectiveCase, s: Study): ReportTable {
  const cols = [s.uncoordinated, s.modes.economy.outcome, s.modes.response.outcome];
  const row = (label: string, f: (o: AreaOutcome) => string) => [label, ...cols.map(f)];
  return {
    title: `multi-objective: seed 002's comparison (${s.data.evs.length} of ${s.fleet.size} EVs, BESS ${c.bess.capacityKwh} kWh / ${c.bess.pMaxKw} kW, PV ${c.pvKw.peakKw} kW)`,
    head: ['performance metric', 'uncoordinated', 'economy mode', 'response mode'],
    rows: [
      row('total electricity cost (yuan)', (o) => fmt(o.gridCostYuan, 2)),
      row('EV degradation cost (yuan)', (o) => fmt(o.degradationYuan, 2)),
      row('total op. cost F1 (yuan)', (o) => fmt(o.totalCostYuan, 2)),
      row('net-load std (kW)', (o) => fmt(o.stdKw)),
      row('peak-to-valley (kW)', (o) => fmt(o.peakValleyKw)),
      row('economy score Σω·F~ (lower is better)', (o) => fmt(weightedScore(s, 'economy', o), 4)),
      row('response score Σω·F~ (lower is better)', (o) => fmt(weightedScore(s, 'response', o), 4)),
    ],
  };
}

function ahpTable(s: Study): ReportTable {
  return {
    title: 'AHP weights (ω1 cost, ω2 variance, ω3 peak-valley) and consistency per expert',
    head: ['mode', 'ω1', 'ω2', 'ω3', 'λmax', 'CI', 'CR'],
    rows: (['economy', 'response'] as const).map((m) => {
      const e = s.ahp[m].experts;
      const each = (f: (x: AhpResult) => number) => e.map((x) => fmt(f(x), 4)).join(' ');
      return [m, ...s.ahp[m].weights.map((w) => fmt(w, 3)), each((x) => x.lambdaMax), each((x) => x.ci), each((x) => x.cr)];
    }),
  };
}

function payoffTableRows(s: Study): ReportTable {
  const line = (label: string, r: number[]) => [label, fmt(r[0], 2), fmt(r[1], 0), fmt(r[2])];
  return {
    title: 'payoff table (lexicographic: each row optimises its objective first, then the others in turn)',
    head: ['row', 'F1 (yuan)', 'F2 (kW²)', 'F3 (kW)'],
    rows: [...s.norm.table.map((r, k) => line(`min F${k + 1}`, r)), line('ideal F*', s.norm.ideal), line('nadir', s.norm.nadir)],
  };
}

function paretoPoints(s: Study) {
  return s.sweep.map((p, k) => ({ weights: p.weights, ...metrics(p.outcome), simultaneous: p.outcome.simultaneous, onFront: s.front.has(k) }));
}

/** The front, one row per distinct outcome (several weightings often reach the same schedule). */
function frontTable(c: MultiObjectiveCase, front: ReturnType<typeof paretoPoints>, total: number): ReportTable {
  const groups = new Map<string, { row: Array<string | number>; count: number }>();
  for (const p of front) {
    const key = [fmt(p.totalCostYuan, 2), fmt(p.stdKw), fmt(p.peakValleyKw)];
    const g = groups.get(key.join());
    if (g) g.count++;
    else groups.set(key.join(), { row: [...p.weights.map((w) => fmt(w, 2)), ...key], count: 1 });
  }
  return {
    title: `Pareto front by weight sweep (step ${c.pareto.weightStep}: ${front.length} of ${total} points non-dominated, ${groups.size} distinct)`,
    head: ['ω1', 'ω2', 'ω3', 'F1 cost (yuan)', 'std (kW)', 'peak-valley (kW)', 'weightings'],
    rows: [...groups.values()].map((g) => [...g.row, g.count]),
  };
}

export function toReport(c: MultiObjectiveCase, s: Study, segmentWidthKw: number): PolicyReport {
  const points = paretoPoints(s);
  const front = points.filter((p) => p.onFront).sort((a, b) => a.totalCostYuan - b.totalCostYuan);
  const all = [...s.sweep, s.modes.economy, s.modes.response];
  const deviation = Math.max(...all.map((p) => p.run.fixed.maxDeviationKw));
  const notes = [
    `AHP: a matrix is accepted when CR = CI/${c.ahp.randomIndex} < ${c.ahp.maxConsistencyRatio} (Saaty); the seed tests CI < 0.1, which also accepts CR up to ${fmt(0.1 / c.ahp.randomIndex, 2)}.`,
    c.variance.form === 'pwl'
      ? `F2 is piecewise linear (${c.variance.pwlSegments} secant pieces of ${fmt(segmentWidthKw, 2)} kW each way: it overstates the variance by at most ${fmt(segmentWidthKw ** 2 / 4)} kW²); std and variance are reported exactly.`
      : 'F2 is the exact convex QP in the mode solves: those are not exported (GLPK reads no quadratic terms); the payoff table, the sweep and the repairs are LPs/MILPs and are.',
    `Repair: ${all.reduce((a, p) => a + p.run.burnsSeen, 0)} battery-periods charged and discharged at once in the LP answers, none after the repair; ` +
      `${all.reduce((a, p) => a + p.run.resolves, 0)} re-solve(s) where a burn had no partner battery, with exclusivity binaries on the battery-periods that burned` +
      `${c.variance.form === 'qp' ? ' (their direction locked instead in the QP mode solves)' : ''}; ` +
      `largest net-load deviation left ${fmt(deviation, 6)} kW.`,
  ];
  if (s.qpFallbacks.length) notes.push(`HiGHS's QP solver failed or stopped on ${s.qpFallbacks.join(', ')}: the piecewise-linear LP stands in there.`);
  if (s.excluded.length) notes.push(`${s.excluded.length} EV(s) left out and reported, e.g. ${s.excluded[0].message}`);
  const unfinished = s.solves.filter((r) => r.status !== 'optimal').map((r) => r.model);
  if (unfinished.length) notes.push(`stopped at the time limit (${c.solveTimeLimitS} s) with a feasible, unproven point: ${unfinished.join(', ')}`);
  return {
    policy: 'multi-objective', caseName: c.name, seed: c.seed, objective: s.solves.at(-1)!.objective,
    rows: {
      uncoordinated: { ...metrics(s.uncoordinated), scores: scores(s, s.uncoordinated) },
      economy: modeRow(s, 'economy'),
      response: modeRow(s, 'response'),
      payoff: { objectives: ['F1 cost + degradation (yuan)', 'F2 net-load variance (kW²)', 'F3 peak-to-valley (kW)'], table: s.norm.table, ideal: s.norm.ideal, nadir: s.norm.nadir },
      pareto: { weightStep: c.pareto.weightStep, points },
      varianceForm: c.variance.form,
      evs: { count: s.fleet.size, scheduled: s.data.evs.length, excluded: s.excluded.map((p) => p.message) },
      solves: s.solves,
    },
    tables: [
      seedTable(c, s),
      ahpTable(s),
      payoffTableRows(s),
      frontTable(c, front, points.length),
    ],
    notes,
  };
}
