import { addZoneTerms, announceOf, buildSimSetup, solveCentralised, type NegotiationSetup, type SimSetup } from '@zonal/coordination';
import { buildDispatchModel } from '@zonal/dispatch';
import { encode, InProcessBus, PROTOCOL_VERSION, type Message } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { solverConfig } from '@zonal/solver';
import { runDsoAgent } from './dso-agent';
import { syntheticNegotiationScenario, type SyntheticScenarioOptions } from './synthetic-scenario';
import type { SimReport } from './report';
import { toAnnounceBody, toSolveReply, toSolveRequest } from './wire';
import { answerGateFor } from './answer-gate';
import { startZoneAgent } from './zone-agent';

export interface NegotiationBenchRow {
  scenario: string;
  buses: number;
  zones: number;
  evs: number;
  /** Rows and columns of the centralised LP as solved (its last round, with the limit rows generated), and the rows of the full model. */
  lpRows: number;
  lpCols: number;
  fullLpRows: number;
  /** buildSimSetup: feeder, fleet, partition, zone files in memory, each zone's envelope groups and announce. */
  setupMs: number;
  /** solveCentralised on its own (successive LP with loss correction), and its LP solves. */
  centralisedMs: number;
  centralisedLpSolvesMs: string;
  /** Simplex iterations of those solves: the work, whatever else the machine runs. */
  centralisedLpIterations: string;
  /** The DSO agent end to end from the zones' announces: uncoordinated baseline, clearing of the bids (the warm start), rounds (each zone delivering to its EVs), evaluation, report. */
  negotiationMs: number;
  /** Whether the negotiation agreed, and if not why it stopped (a zone unanswered, the budget, ...). */
  converged: boolean;
  stoppedBecause: string;
  /** Rounds at which the agreed point's delivery broke a limit and the DSO tightened and cleared again. */
  deliveryChecks: number;
  rounds: number;
  /** Mean wall time of rounds 2…N (round 1 also carries the baseline and the warm start); null with one round. */
  msPerRound: number | null;
  gapPct: number;
  messagesPerRound: number;
  /** Encoded size of one round's solve requests and replies. */
  bytesPerRound: number;
  /** Encoded size of every zone's announce (the largest is what NATS's max_payload must hold). */
  announceBytes: number;
  maxAnnounceBytes: number;
  /** Energy the EVs took beyond / short of the aggregates their zones' policies solved, summed (kWh). */
  overKwh: number;
  shortfallKwh: number;
}

/** The negotiation of a built-in scenario on the in-process transport (DSO + zone agents). */
export async function benchNegotiation(scenarios: readonly string[] = ['small-test', 'default']): Promise<NegotiationBenchRow[]> {
  const rows: NegotiationBenchRow[] = [];
  for (const name of scenarios) {
    const t0 = performance.now();
    const setup = await buildSimSetup(loadScenario(name));
    rows.push(await benchSetup(setup, performance.now() - t0));
  }
  return rows;
}

/**
 * The negotiation issue's scale case: a seeded synthetic feeder with subtree zones and a large fleet
 * (see syntheticNegotiationScenario), on the in-process transport. Setup time includes writing and
 * reading back the feeder's MATPOWER file.
 */
export async function benchSyntheticNegotiation(
  opts: SyntheticScenarioOptions = { buses: 1000, zones: 20, evs: 100_000, seed: 20251123 },
): Promise<NegotiationBenchRow[]> {
  const t0 = performance.now();
  const { scenario } = syntheticNegotiationScenario(opts);
  const setup = await buildSimSetup(scenario);
  return [await benchSetup(setup, performance.now() - t0)];
}

async function benchSetup(setup: SimSetup, setupMs: number): Promise<NegotiationBenchRow> {
  const name = setup.scenario.name;
  const lp = centralisedLpSize(setup);
  const t1 = performance.now();
  const centralised = await solveCentralised(setup);
  const centralisedMs = performance.now() - t1;

  const bus = new InProcessBus();
  const runId = `bench-${name}`;
  // As `zonal sim` runs its zones in process: one more at a time than the solver threads they share.
  const answerGate = answerGateFor(setup.parties.length, solverConfig().workers);
  const agents = await Promise.all(setup.parties.map((party) => startZoneAgent({ transport: bus.connect({ runId, name: `zone${party.config.id}` }), party, answerGate })));
  const roundEndMs: number[] = [];
  const t2 = performance.now();
  // As `zonal sim` does, the harness hands the DSO its oracle (solved above) for the report's gap.
  const { report } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), network: setup, transportLabel: 'in-process', oracle: async () => centralised, onRound: () => { roundEndMs.push(performance.now()); } });
  const negotiationMs = performance.now() - t2;
  await Promise.all(agents.map((a) => a.stop()));
  const later = roundEndMs.length - 1;
  const announces = setup.parties.map((p) => encode({ v: PROTOCOL_VERSION, type: 'announce', runId, sender: 'zone', seq: 1, body: toAnnounceBody(announceOf(p)) } as Message).length);
  const delivered = (key: 'overKwh' | 'shortfallKwh') => report.zones.reduce((a, z) => a + (z.delivery?.[key] ?? 0), 0);
  return {
    scenario: name, buses: setup.feeder.buses.length, zones: setup.zones.length, evs: setup.parties.reduce((a, p) => a + p.problem.fleet.size, 0),
    lpRows: centralised.dispatch.constraintStats.rows, lpCols: centralised.dispatch.constraintStats.cols, fullLpRows: lp.rows, setupMs, centralisedMs,
    // A large oracle's start (the clearing over coarser sums, coordination clearing-start.ts) first.
    centralisedLpSolvesMs: withStart(centralised.coarseStart?.solveMs.map((ms) => ms.toFixed(0)), centralised.dispatch.solveMs.map((ms) => ms.toFixed(0))),
    centralisedLpIterations: withStart(centralised.coarseStart?.solveIterations, centralised.dispatch.solveIterations),
    negotiationMs, converged: report.converged, stoppedBecause: stopReasonOf(report), deliveryChecks: report.deliveryChecks.length, rounds: report.rounds,
    msPerRound: later > 0 ? (roundEndMs[later] - roundEndMs[0]) / later : null,
    gapPct: report.gapToCentralisedPct ?? NaN, messagesPerRound: 2 * setup.zones.length, bytesPerRound: roundBytes(setup, report, runId),
    announceBytes: announces.reduce((a, b) => a + b, 0), maxAnnounceBytes: Math.max(...announces),
    overKwh: delivered('overKwh'), shortfallKwh: delivered('shortfallKwh'),
  };
}

/** "start a + b; c + d": the coarse start's figures (when there was one), then the oracle's own. */
function withStart(start: ReadonlyArray<number | string> | undefined, own: ReadonlyArray<number | string>): string {
  return `${start ? `start ${start.join(' + ')}; ` : ''}${own.join(' + ')}`;
}

/** Built, not solved: the full centralised model's size, every limit row in it (the ADMM step adds 25 tangent rows per zone-period). */
function centralisedLpSize(setup: NegotiationSetup): { rows: number } {
  const built = buildDispatchModel(setup.inputs, null, setup.zones.map((z) => z.flexible), { constraints: 'full' });
  setup.zones.forEach((z, k) => addZoneTerms(built, z, k));
  return { rows: built.model.numRows };
}

/** One round's solve requests and replies as encoded on the wire, with the report's schedules as payload. */
function roundBytes(setup: NegotiationSetup, report: SimReport, runId: string): number {
  const T = setup.inputs.grid.periods;
  return setup.zones.reduce((sum, z, k) => {
    const signal = { round: 1, consensus: { referenceKw: Float64Array.from(report.zones[k].targetKw), lambdaYuanPerKwh: new Float64Array(T).fill(0.5), rho: 0.01 } };
    const evKw = Float64Array.from(report.zones[k].achievedKw);
    const delivery = report.zones[k].delivery ?? { evs: 0, evsScheduled: 0, evsFeasible: 0, evsLeftOut: 0, overKwh: 0, shortfallKwh: 0 };
    const answer = { evKw, netLoadKw: evKw, costYuan: 1, degradationYuan: 1, objective: 1, delivery };
    const wrap = (type: 'solveRequest' | 'solveReply', body: unknown) => encode({ v: PROTOCOL_VERSION, type, runId, sender: 'dso', seq: 1, body } as Message).length;
    return sum + wrap('solveRequest', toSolveRequest(z.id, signal, T)) + wrap('solveReply', toSolveReply(z.id, 1, answer));
  }, 0);
}

/** Why a negotiation ended, in a word or two: what the report says. */
function stopReasonOf(report: SimReport): string {
  if (report.converged) return 'converged';
  if (report.unanswered.length) return `zones ${report.unanswered.join(', ')} unanswered`;
  if (report.stoppedBy) return report.stoppedBy;
  if (report.roundLimitHit) return 'round limit';
  if (report.stalled) return 'stalled';
  if (report.deliveryUnmet) return 'delivery still broke a limit after the last re-plan';
  return 'not converged';
}
