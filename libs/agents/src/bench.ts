import { addZoneTerms, buildNegotiationSetup, solveCentralised, type NegotiationSetup } from '@zonal/coordination';
import { buildDispatchModel } from '@zonal/dispatch';
import { encode, InProcessBus, PROTOCOL_VERSION, type Message } from '@zonal/protocol';
import { loadScenario } from '@zonal/scenario';
import { runDsoAgent } from './dso-agent';
import { syntheticNegotiationScenario, type SyntheticScenarioOptions } from './synthetic-scenario';
import type { SimReport } from './report';
import { toSolveReply, toSolveRequest } from './wire';
import { startZoneAgent } from './zone-agent';

export interface NegotiationBenchRow {
  scenario: string;
  buses: number;
  zones: number;
  evs: number;
  /** Rows and columns of the DSO's centralised LP (first, lossless round). */
  lpRows: number;
  lpCols: number;
  /** buildNegotiationSetup: feeder, fleet, per-bus and per-zone envelopes, dispatch inputs. */
  setupMs: number;
  /** solveCentralised on its own (successive LP with loss correction), and its LP solves. */
  centralisedMs: number;
  centralisedLpSolvesMs: string;
  /** The DSO agent end to end, given the centralised solve: uncoordinated baseline, warm start (from it), rounds, evaluation, delivery, report. */
  negotiationMs: number;
  rounds: number;
  /** Mean wall time of rounds 2…N (round 1 also carries the baseline and the warm start); null with one round. */
  msPerRound: number | null;
  gapPct: number;
  messagesPerRound: number;
  /** Encoded size of one round's solve requests and replies. */
  bytesPerRound: number;
}

/** The negotiation of a built-in scenario on the in-process transport (DSO + zone agents). */
export async function benchNegotiation(scenarios: readonly string[] = ['small-test', 'default']): Promise<NegotiationBenchRow[]> {
  const rows: NegotiationBenchRow[] = [];
  for (const name of scenarios) {
    const t0 = performance.now();
    const setup = await buildNegotiationSetup(loadScenario(name));
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
  const setup = await buildNegotiationSetup(scenario);
  return [await benchSetup(setup, performance.now() - t0)];
}

async function benchSetup(setup: NegotiationSetup, setupMs: number): Promise<NegotiationBenchRow> {
  const name = setup.scenario.name;
  const lp = centralisedLpSize(setup);
  const t1 = performance.now();
  const centralised = await solveCentralised(setup);
  const centralisedMs = performance.now() - t1;

  const bus = new InProcessBus();
  const runId = `bench-${name}`;
  const agents = await Promise.all(setup.zones.map((z) => startZoneAgent({ transport: bus.connect({ runId, name: `zone${z.id}` }), setup, zoneId: z.id })));
  const roundEndMs: number[] = [];
  const t2 = performance.now();
  // As `zonal sim` does, the DSO gets the centralised solve instead of solving it again.
  const { report } = await runDsoAgent({ transport: bus.connect({ runId, name: 'dso' }), setup, transportLabel: 'in-process', centralised, onRound: () => { roundEndMs.push(performance.now()); } });
  const negotiationMs = performance.now() - t2;
  await Promise.all(agents.map((a) => a.stop()));
  const later = roundEndMs.length - 1;
  return {
    scenario: name, buses: setup.feeder.buses.length, zones: setup.zones.length, evs: setup.fleet.size,
    lpRows: lp.rows, lpCols: lp.cols, setupMs, centralisedMs,
    centralisedLpSolvesMs: centralised.dispatch.solveMs.map((ms) => ms.toFixed(0)).join(' + '),
    negotiationMs, rounds: report.rounds,
    msPerRound: later > 0 ? (roundEndMs[later] - roundEndMs[0]) / later : null,
    gapPct: report.gapToCentralisedPct, messagesPerRound: 2 * setup.zones.length, bytesPerRound: roundBytes(setup, report, runId),
  };
}

/** Built, not solved: the centralised model's size (the ADMM step adds 25 tangent rows per zone-period). */
function centralisedLpSize(setup: NegotiationSetup): { rows: number; cols: number } {
  const built = buildDispatchModel(setup.inputs, null, setup.zones.map((z) => z.flexible));
  setup.zones.forEach((z, k) => addZoneTerms(built, z, k, setup));
  return { rows: built.model.numRows, cols: built.model.numCols };
}

/** One round's solve requests and replies as encoded on the wire, with the report's schedules as payload. */
function roundBytes(setup: NegotiationSetup, report: SimReport, runId: string): number {
  const T = setup.inputs.grid.periods;
  return setup.zones.reduce((sum, z, k) => {
    const signal = { round: 1, consensus: { referenceKw: Float64Array.from(report.zones[k].targetKw), lambdaYuanPerKwh: new Float64Array(T).fill(0.5), rho: 0.01 } };
    const evKw = Float64Array.from(report.zones[k].achievedKw);
    const answer = { evKw, netLoadKw: evKw, costYuan: 1, degradationYuan: 1, objective: 1 };
    const wrap = (type: 'solveRequest' | 'solveReply', body: unknown) => encode({ v: PROTOCOL_VERSION, type, runId, sender: 'dso', seq: 1, body } as Message).length;
    return sum + wrap('solveRequest', toSolveRequest(z.id, signal, T)) + wrap('solveReply', toSolveReply(z.id, 1, answer));
  }, 0);
}
