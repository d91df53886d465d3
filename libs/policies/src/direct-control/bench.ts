import { createRng } from '@zonal/core';
import { aggregateEnvelope, anchoredEnvelopeGroups, checkSchedules, type EnvelopeGrouping, type Fleet, type ScheduleCheck } from '@zonal/ev';
import { LpExporter, ModelBuilder, shutdownSolver, solve, SolverLimitError } from '@zonal/solver';
import { solveZone } from '../zone-model';
import { directControlModel } from './direct-control';
import { envelopeSchedule, fleetSchedulingCase, type FleetSchedulingCase } from './fleet-scheduling';
import { scheduleCostYuan, solvePerEv, type ZoneData } from './per-ev';

/**
 * `npm run bench` suite 'fleet-scheduling': one zone's direct-control problem (SPEC §7.0) solved
 * three ways at growing fleet sizes (fleetSchedulingCase: the default scenario scaled):
 *  (a) per-EV LP, interior point, time-limited: the true optimum (per-ev.ts);
 *  (b) per-EV MILP, one charge-or-discharge binary per V2G EV and period, time-limited;
 *  (c) envelopes per plug-in window, need and room (libs/ev groups.ts, 'window-energy'), their LP,
 *      each group's schedule disaggregated to its EVs and checked (all inside directControl.respond),
 *      checkSchedules again (fleet-scheduling.ts): the method that meets the goal;
 *  (c1) the same with one envelope for the whole fleet, to show what the grouping buys.
 * Every objective is the zone's bill recomputed from the per-EV schedules (base load and EVs at the
 * tariff, degradation, peak tie-break), so the three compare like with like. Gaps are to (a) at the
 * same size; `evGapPct` divides the same difference by the part of the bill the EVs can change
 * (bill minus the base load's fixed bill), which is small and can be negative (V2G earns).
 *
 * Memory: RSS sampled every 10 ms and between synchronous steps. HiGHS runs in a worker thread of
 * this process, so its WebAssembly heap is inside the RSS (solverWorkerStats() reports only how many
 * workers ran, not their memory); the worker is shut down after each per-EV solve so the next row
 * does not inherit its heap (WebAssembly memory never shrinks). `startRssMb` is the RSS when the row
 * began (the fleet of that size is already in memory).
 */
export interface FleetSchedulingRow {
  evs: number;
  method: string;
  /** Milliseconds, or why there is no time ('time limit (60 s)', 'skipped'). */
  ms: number | string;
  startRssMb?: number;
  peakRssMb?: number;
  objectiveYuan?: number;
  /** (objective − per-EV LP optimum) / per-EV LP optimum, %. */
  gapPct?: number;
  evGapPct?: number;
  /** HiGHS's own relative gap when a MILP stops (b). */
  mipGapPct?: number;
  /** (c): energy asked by the envelope LP and not delivered, and delivered beyond the request (kWh). */
  underKwh?: number;
  overKwh?: number;
  /** EVs whose schedule the independent checker accepts (or that had to be left out) / fleet size. */
  feasible?: string;
  note: string;
}

export interface FleetSchedulingBenchOptions {
  /** Fleet sizes of (c), default 100, 1 000, 10 000, 100 000 and 1 000 000 (about 8 s and 1.0 GB RSS here; step by step: benchFleetScale). */
  sizes?: number[];
  /** Sizes at which (c1), one envelope for the fleet, runs too (it shows what the grouping buys). */
  oneEnvelopeSizes?: number[];
  /** Sizes at which (a) runs; at the others the row says why not. */
  perEvLpSizes?: number[];
  perEvLpTimeLimitS?: number;
  /** Sizes and time limits of (b). */
  milp?: Array<{ evs: number; timeLimitS: number }>;
}

const DEFAULTS: Required<FleetSchedulingBenchOptions> = {
  sizes: [100, 1_000, 10_000, 100_000, 1_000_000],
  oneEnvelopeSizes: [100, 1_000, 10_000, 100_000],
  perEvLpSizes: [100, 1_000, 10_000],
  perEvLpTimeLimitS: 120,
  milp: [{ evs: 100, timeLimitS: 10 }, { evs: 1_000, timeLimitS: 60 }],
};

const METHOD = { lp: '(a) per-EV LP, ipm', milp: '(b) per-EV MILP', windows: '(c) envelopes per window, need and room + disaggregation', one: '(c1) one envelope + disaggregation' };

class RssPeak {
  private peakBytes = 0;
  private readonly timer = setInterval(() => this.sample(), 10);
  readonly startMb = process.memoryUsage().rss / 2 ** 20;
  sample = (): void => {
    this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss());
  };
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peakBytes / 2 ** 20;
  }
}

async function measured<T>(run: (probe: () => void) => Promise<T>): Promise<{ value: T; ms: number; startRssMb: number; peakRssMb: number }> {
  const rss = new RssPeak();
  const t0 = performance.now();
  try {
    const value = await run(rss.sample);
    return { value, ms: performance.now() - t0, startRssMb: rss.startMb, peakRssMb: rss.stop() };
  } finally {
    rss.stop();
  }
}

/** "scheduled and proven feasible / fleet", plus the EVs left out (each confirmed unschedulable). */
function feasibleOf(fleet: Fleet, check: ScheduleCheck): string {
  const bad = new Set(check.violations.map((v) => v.index)).size;
  // The checker lists at most 50 violations: beyond that the count of failing EVs is a lower bound.
  const listedAll = check.violations.length === check.violationCount;
  return `${check.scheduledEvs - bad}${listedAll ? '' : ' or fewer'} / ${fleet.size} (${check.leftOutEvs} left out)`;
}

async function warmUpSolver(): Promise<void> {
  const m = new ModelBuilder('warmup');
  const x = m.addVar('x', [], { lb: 0, ub: 1 });
  m.setObjectiveCoef(x, 1);
  await solve(m, { timeLimitS: 10 });
}

/**
 * STACK: the first solve in a process is 4–7x slower (V8 compiles highs.wasm), and the JavaScript
 * of each method is cold too: run all three once on a small fleet, unreported, before measuring.
 */
async function warmUp(): Promise<void> {
  const { fleet, zone } = fleetSchedulingCase(20);
  await envelopeSchedule(fleet, zone);
  await solvePerEv(fleet, zone, { solver: 'ipm', timeLimitS: 10 });
  await solvePerEv(fleet, zone, { integer: true, timeLimitS: 10 });
}

export async function benchFleetScheduling(options: FleetSchedulingBenchOptions = {}): Promise<FleetSchedulingRow[]> {
  const opts = { ...DEFAULTS, ...options };
  const rows: FleetSchedulingRow[] = [];
  await warmUp();
  for (const evs of opts.sizes) {
    const { fleet, zone } = fleetSchedulingCase(evs);
    await warmUpSolver(); // the previous row shut the worker down: (c) should not pay for a new one
    const c = await runEnvelope(fleet, zone, 'window-energy');
    const c1 = opts.oneEnvelopeSizes.includes(evs)
      ? (await runEnvelope(fleet, zone)).row
      : skipped(evs, METHOD.one, 'not run: (c) is the method; the smaller sizes show what one envelope costs');
    const lp = opts.perEvLpSizes.includes(evs)
      ? await runPerEv(fleet, zone, false, opts.perEvLpTimeLimitS)
      : skipped(evs, METHOD.lp, `not run: ${3 * c.entries + 1} columns; HiGHS in WebAssembly has 2 GiB and aborted at 40 000 EVs (STACK.md)`);
    const milpRun = opts.milp.find((x) => x.evs === evs);
    const milp = milpRun
      ? await runPerEv(fleet, zone, true, milpRun.timeLimitS)
      : skipped(evs, METHOD.milp, 'not run: STACK.md measured 32 s at 800 EVs; the smaller sizes show the trend');
    for (const row of [lp, milp, c.row, c1]) {
      if (row !== lp && lp.objectiveYuan !== undefined && row.objectiveYuan !== undefined) {
        row.gapPct = (100 * (row.objectiveYuan - lp.objectiveYuan)) / lp.objectiveYuan;
        row.evGapPct = (100 * (row.objectiveYuan - lp.objectiveYuan)) / Math.abs(lp.objectiveYuan - c.baseBillYuan);
      }
    }
    rows.push(lp, milp, c.row, c1);
  }
  return rows.map(inColumnOrder);
}

const COLUMNS: ReadonlyArray<keyof FleetSchedulingRow> = [
  'evs', 'method', 'ms', 'startRssMb', 'peakRssMb', 'objectiveYuan', 'gapPct', 'evGapPct', 'mipGapPct', 'underKwh', 'overKwh', 'feasible', 'note',
];

/** Every row with the same keys in one order (`npm run bench` takes its columns from the rows' keys). */
function inColumnOrder(row: FleetSchedulingRow): FleetSchedulingRow {
  return Object.fromEntries(COLUMNS.map((k) => [k, row[k]])) as unknown as FleetSchedulingRow;
}

function skipped(evs: number, method: string, note: string): FleetSchedulingRow {
  return { evs, method, ms: 'skipped', note };
}

async function runEnvelope(fleet: Fleet, zone: ZoneData, grouping?: EnvelopeGrouping): Promise<{ row: FleetSchedulingRow; entries: number; baseBillYuan: number }> {
  const stepEndMs: number[] = [];
  const { value: r, ms, startRssMb, peakRssMb } = await measured((sample) => {
    const t0 = performance.now();
    return envelopeSchedule(fleet, zone, () => {
      sample();
      stepEndMs.push(performance.now() - t0);
    }, grouping);
  });
  const [envelopeMs, respondMs, checkMs] = stepEndMs.map((t, k) => t - (stepEndMs[k - 1] ?? 0));
  const { delivery } = r.answer;
  const row: FleetSchedulingRow = {
    evs: fleet.size, method: grouping ? METHOD.windows : METHOD.one, ms, startRssMb, peakRssMb, objectiveYuan: r.costYuan,
    underKwh: delivery.shortfallKwh, overKwh: delivery.overKwh, feasible: feasibleOf(fleet, r.check),
    note: `${r.envelopes} envelope${r.envelopes === 1 ? '' : 's'}; steps (ms): envelope ${envelopeMs.toFixed(0)}, ` +
      `respond (LP, disaggregation, check) ${respondMs.toFixed(0)}, check + bill again ${checkMs.toFixed(0)}; ` +
      `envelope LP objective ${r.answer.objective.toFixed(1)} yuan (a lower bound on (a)); ` +
      `${delivery.evsLeftOut} EVs left out as unschedulable, ${r.check.ok ? 'all' : 'not all'} confirmed by checkSchedules`,
  };
  return { row, entries: r.answer.schedules.offset[fleet.size], baseBillYuan: r.baseBillYuan };
}

async function runPerEv(fleet: Fleet, zone: ZoneData, integer: boolean, timeLimitS: number): Promise<FleetSchedulingRow> {
  const method = integer ? METHOD.milp : METHOD.lp;
  const base = { evs: fleet.size, method };
  try {
    const { value: r, ms, startRssMb, peakRssMb } = await measured(async () => {
      const solved = await solvePerEv(fleet, zone, { integer, solver: integer ? undefined : 'ipm', timeLimitS });
      return { ...solved, check: checkSchedules(fleet, zone.grid, solved.schedules), cost: scheduleCostYuan(zone, fleet, solved.schedules) };
    });
    const stopped = r.sol.status === 'time-limit-feasible';
    return {
      ...base, ms: stopped ? `time limit (${timeLimitS} s)` : ms, startRssMb, peakRssMb, objectiveYuan: r.cost.costYuan,
      ...(r.sol.mipGap !== null ? { mipGapPct: 100 * r.sol.mipGap } : {}),
      feasible: feasibleOf(fleet, r.check),
      note: `${r.columns} columns${integer ? `, ${r.binaries} binaries` : ''}; solver objective ${r.sol.objective.toFixed(1)} yuan${stopped ? ', best point found' : ''}`,
    };
  } catch (e) {
    if (!(e instanceof SolverLimitError)) throw e;
    return { ...base, ms: e.limit === 'time' ? `time limit (${timeLimitS} s)` : 'out of memory (2 GiB)', note: e.message };
  } finally {
    await shutdownSolver();
  }
}

/**
 * `npm run bench` suite 'fleet-scale' (issue 11 item 6): one zone of 100 000 and of 1 000 000 EVs
 * scheduled by direct-control as a zone answers a round (`respond`, step by step): the envelope of
 * the fleet (the announce's bounds), the envelope groups ('window-energy'), the LP's build and its
 * solve (HiGHS in the solver worker), each group's schedule disaggregated to its EVs, every EV's
 * schedule proven feasible (`checkSchedules`), and the answer's sums (per bus, in all, the bill).
 * Each step's time is the median of `repeats` runs on the same fleet, the total the median of the
 * runs' totals; sampling the fleet is shown apart (a zone reads its EVs from its file). Memory: the
 * process's RSS when the runs begin (the fleet in memory) and its peak (sampled every 10 ms and
 * between the steps; HiGHS's WebAssembly heap is inside it), and the JavaScript heap and typed arrays
 * in use once an answer is built. Linearity: microseconds per EV at each size against the first.
 */
export interface FleetScaleRow {
  evs: number;
  groups: number;
  lpRowsCols: string;
  fleetMs: number;
  envelopeMs: number;
  groupsMs: number;
  lpBuildMs: number;
  lpSolveMs: number;
  disaggregationMs: number;
  checkMs: number;
  sumsMs: number;
  totalMs: number;
  usPerEv: number;
  /** usPerEv / usPerEv at the first size: 1 is linear in the EV count. */
  perEvVsFirst: number;
  startRssMb: number;
  peakRssMb: number;
  heapMb: number;
  typedArraysMb: number;
  feasible: string;
  /** Energy the EVs take short of and beyond their groups' LP schedules (kWh). */
  trackingKwh: number;
  goal: string;
}

export interface FleetScaleOptions {
  sizes?: number[];
  repeats?: number;
  /** The total the largest size should stay under (ms). */
  goalMs?: number;
}

const STEPS = ['envelope', 'groups', 'lp-build', 'lp-solve', 'disaggregation', 'check', 'sums'] as const;

export async function benchFleetScale(options: FleetScaleOptions = {}): Promise<FleetScaleRow[]> {
  const sizes = options.sizes ?? [100_000, 1_000_000], repeats = options.repeats ?? 3, goalMs = options.goalMs ?? 5_000;
  const rows: FleetScaleRow[] = [];
  await scheduleZone(fleetSchedulingCase(20_000), () => undefined); // JIT and HiGHS warm, unreported
  for (const evs of sizes) {
    const t0 = performance.now();
    const built = fleetSchedulingCase(evs);
    const fleetMs = performance.now() - t0;
    const runs: Array<Record<string, number>> = [];
    const rss = new RssPeak();
    let last: Awaited<ReturnType<typeof scheduleZone>> | undefined;
    for (let r = 0; r < repeats; r++) {
      last = undefined; // the previous answer's memory can go before the next is built
      const ms: Record<string, number> = {};
      let at = performance.now();
      const start = at;
      last = await scheduleZone(built, (step) => {
        rss.sample();
        const now = performance.now();
        ms[step] = now - at;
        at = now;
      });
      ms.total = performance.now() - start;
      runs.push(ms);
    }
    const peakRssMb = rss.stop();
    const mem = process.memoryUsage();
    const median = (k: string): number => medianOf(runs.map((x) => x[k]));
    const totalMs = median('total');
    const { answer, groups, lpRows, lpCols } = last!;
    const usPerEv = (1000 * totalMs) / evs;
    const d = answer.delivery;
    rows.push({
      evs, groups, lpRowsCols: `${lpRows} × ${lpCols}`, fleetMs,
      envelopeMs: median('envelope'), groupsMs: median('groups'), lpBuildMs: median('lp-build'), lpSolveMs: median('lp-solve'),
      disaggregationMs: median('disaggregation'), checkMs: median('check'), sumsMs: median('sums'), totalMs,
      usPerEv, perEvVsFirst: rows.length ? usPerEv / rows[0].usPerEv : 1,
      startRssMb: rss.startMb, peakRssMb, heapMb: mem.heapUsed / 2 ** 20, typedArraysMb: mem.arrayBuffers / 2 ** 20,
      feasible: `${d.evsFeasible} / ${d.evs} (${d.evsLeftOut} left out)`, trackingKwh: d.shortfallKwh + d.overKwh,
      goal: evs === Math.max(...sizes) ? `under ${goalMs / 1000} s: ${totalMs < goalMs ? 'met' : 'not met'}` : '',
    });
  }
  return rows;
}

/** One zone's answer as direct-control gives it (respond), `probe` called as each step ends. */
async function scheduleZone(c: FleetSchedulingCase, probe: (step: (typeof STEPS)[number]) => void) {
  const { fleet, zone: data } = c;
  const envelope = aggregateEnvelope(fleet, data.grid);
  probe('envelope');
  const envelopeGroups = anchoredEnvelopeGroups(fleet, data.grid, 'window-energy');
  probe('groups');
  const zone = { ...data, fleet, envelope, envelopeGroups };
  const { zm, prices } = directControlModel(zone, { round: 0 });
  probe('lp-build');
  const { answer } = await solveZone(zm, zone, prices, { exporter: new LpExporter(undefined), rng: createRng(0) }, probe);
  return { answer, groups: envelopeGroups.length, lpRows: zm.model.numRows, lpCols: zm.model.numCols };
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
