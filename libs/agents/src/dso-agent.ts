import { InputError } from '@zonal/core';
import {
  negotiate, negotiationSetup, refuseAnnounce, uncoordinatedBusLoadKw,
  type CentralisedResult, type DsoNetwork, type RoundRecord, type ZoneAnnounce,
} from '@zonal/coordination';
import { buildDispatchInputs, runDispatch } from '@zonal/dispatch';
import { openRecorder, type Transport } from '@zonal/protocol';
import { LpExporter } from '@zonal/solver';
import { buildSimReport, withOracle, writeSimReport, type SimReport } from './report';
import { fromAnnounceBody } from './wire';
import { transportZoneClients } from './zone-clients';

/** How long a starting DSO waits for another DSO of its run id to answer (ms). */
const PRESENCE_PROBE_MS = 1000;

export interface DsoAgentOptions {
  transport: Transport;
  /** The DSO's own file and feeder: no EV. Zones join by announcing themselves. */
  network: DsoNetwork;
  /** How the transport is described in the report ("nats nats://…", "in-process"). */
  transportLabel: string;
  /** Where report.json and the CSVs go; nothing is written without it. */
  outDir?: string;
  /** How long to wait for every zone's announce before starting without the missing ones (ms). */
  announceTimeoutMs?: number;
  log?: (line: string) => void;
  onRound?: (record: RoundRecord) => void;
  /**
   * The centralised oracle, when whoever runs the DSO holds the zone files for that purpose (the
   * harness, or `zonal dso --oracle DIR`): the report then carries the gap. The DSO never solves
   * over private data itself.
   */
  oracle?: () => Promise<CentralisedResult>;
  /** Writes every model the DSO solves as `NNNN-dso.lp` here (SPEC §2), when given. */
  exportLpDir?: string;
}

export interface DsoOutcome {
  report: SimReport;
  files: string[];
}

/**
 * The DSO coordinator (SPEC §8): collects the zones' announces — refusing, by name, one that does not
 * fit its zone list or time grid, and going on — builds its model of each zone from what it announced,
 * negotiates with the zones over the transport (every round kept on JetStream), and writes the report
 * with each zone's delivery figures as the zone reported them. It ends by telling the zones to shut down.
 */
export async function runDsoAgent(o: DsoAgentOptions): Promise<DsoOutcome> {
  const { transport, network } = o;
  const log = o.log ?? (() => {});
  const s = transport.subjects;
  const expected = network.scenario.zones.map((z) => z.id);
  const announces = new Map<number, ZoneAnnounce>();
  let state: 'waiting' | 'running' | 'converged' | 'roundLimit' | 'stopped' = 'waiting';
  let round: number | null = null;
  let allAnnounced!: () => void;
  const announced = new Promise<void>((resolve) => { allAnnounced = resolve; });
  const known = () => [...announces.keys()].sort((a, b) => a - b).map(String);

  // One DSO per run id: two would mix their zones' answers silently.
  const other = await transport.request(s.dsoPresence, { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }, { timeoutMs: PRESENCE_PROBE_MS, expect: 'status' });
  if (other.ok) {
    throw new InputError(`run id "${transport.runId}" is in use: another DSO answers on it (${other.reply.body.state}${other.reply.body.round ? `, round ${other.reply.body.round}` : ''}); give this run its own --run-id`, '--run-id');
  }
  const presence = transport.serve(s.dsoPresence, () => ({ type: 'status', body: { state, round, zonesKnown: known() } }), { accepts: ['status'] });

  const serving = transport.serve(s.anyZoneAnnounce, (message) => {
    if (message.type !== 'announce') throw new Error(`unexpected ${message.type}`);
    const announce = fromAnnounceBody(message.body);
    const refused = refuseAnnounce(network, announce);
    if (refused) throw new InputError(refused, `announce of zone ${message.body.zoneId}`);
    const id = announce.bid.zoneId;
    if (announces.has(id)) log(`zone ${id} announced again (rejoined)`);
    // Once the rounds run, the DSO's model of each zone is fixed: a rejoining zone answers against it.
    if (state === 'waiting') announces.set(id, announce);
    if (expected.every((z) => announces.has(z))) allAnnounced();
    return { type: 'status', body: { state, round, zonesKnown: known() } };
  }, { accepts: ['announce'], onError: (e) => log(`announce refused: ${(e as Error).message}`) });
  await transport.flush();

  const publishStatus = (detail?: string) => transport.publish(s.dsoStatus, { type: 'status', body: { state, round, zonesKnown: known(), ...(detail ? { detail } : {}) } });
  try {
    const timeoutMs = o.announceTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([announced.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
    clearTimeout(timer);
    const missing = expected.filter((z) => !announces.has(z));
    if (!waited) log(`starting without zone(s) ${missing.join(', ')}: no announce within ${timeoutMs} ms (their buses keep their base load; they have no EVs in the DSO's model)`);
    else log(`all ${expected.length} zones announced`);
    if (announces.size === 0) throw new InputError(`no zone announced itself within ${timeoutMs} ms`, 'zonal dso');
    const setup = negotiationSetup(network, [...announces.values()]);

    // Before coordination: the same feeder with every EV charging on arrival, as the zones announced it (SPEC §4).
    const exporter = new LpExporter(o.exportLpDir, 'dso');
    const before = await runDispatch(buildDispatchInputs(network.scenario, network.feeder, uncoordinatedBusLoadKw(setup)), { exporter });
    const centralised = o.oracle ? await o.oracle() : undefined;

    state = 'running';
    publishStatus();
    // The record is a witness, not a dependency: without it (no JetStream, the stream lost) the
    // negotiation goes on and says which rounds are not recorded.
    const recorder = await openRecorder(transport).catch((e: unknown) => {
      log(`rounds are not recorded: ${(e as Error).message}`);
      return null;
    });
    const unrecorded: number[] = [];
    const negotiation = await negotiate(setup, transportZoneClients(transport, setup), {
      exporter,
      onRound: async (r) => {
        round = r.round;
        const recorded = recorder && await recordWithRetry(() => recorder.record({
          round: r.round, method: r.method, rho: r.rho, primalResidualKw: r.primalResidualKw, dualResidualKw: r.dualResidualKw,
          totalCostYuan: r.totalCostYuan, relCostChange: r.relCostChange, converged: r.converged,
          ...(centralised ? { centralisedCostYuan: centralised.totalCostYuan } : {}),
          zones: r.zones.map((z) => ({ zoneId: String(z.zoneId), status: z.status, costYuan: z.costYuan, pKw: z.evKw, ...(z.detail ? { detail: z.detail } : {}) })),
        }), (e) => log(`round ${r.round} not recorded: ${e.message}`));
        if (!recorded) unrecorded.push(r.round);
        publishStatus();
        o.onRound?.(r);
      },
    });
    state = negotiation.converged ? 'converged' : negotiation.stalled || negotiation.deliveryUnmet || negotiation.unanswered.length ? 'stopped' : 'roundLimit';
    if (negotiation.unanswered.length) log(`stopped without converging: zone(s) ${negotiation.unanswered.join(', ')} never gave an acceptable answer`);
    if (negotiation.deliveryUnmet) log(`stopped without converging: after ${negotiation.deliveryChecks.length} re-plans the point the zones' EVs deliver still breaks a rating`);
    if (negotiation.roundLimitHit) log(`round limit ${network.scenario.negotiation.maxRounds} reached before convergence`);
    if (negotiation.stalled) log(`stopped without converging: no progress in the last ${network.scenario.negotiation.stallRounds} rounds (primal residual ${negotiation.rounds.at(-1)!.primalResidualKw.toFixed(3)} kW)`);
    const bare = { ...buildSimReport({ setup, runId: transport.runId, transport: o.transportLabel, before, negotiation, missingZones: missing }), unrecordedRounds: unrecorded };
    const report = centralised ? withOracle(bare, centralised) : bare;
    const files = o.outDir ? writeSimReport(o.outDir, report) : [];
    publishStatus(o.outDir ? `report: ${o.outDir}` : undefined);
    return { report, files };
  } finally {
    serving.unsubscribe();
    presence.unsubscribe();
    transport.publish(s.control, { type: 'control', body: { command: 'shutdown', reason: 'negotiation finished' } });
    await transport.flush();
  }
}

/** Records a round, once more after a short wait if the first attempt fails (a server restarting); false when both fail. */
async function recordWithRetry(record: () => Promise<unknown>, onFailure: (e: Error) => void): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await record();
      return true;
    } catch (e) {
      if (attempt >= RECORD_ATTEMPTS) { onFailure(e as Error); return false; }
      await new Promise((r) => setTimeout(r, RECORD_RETRY_MS));
    }
  }
}

/** A round record is tried this many times, this far apart (ms), before it is reported unrecorded. */
const RECORD_ATTEMPTS = 3;
const RECORD_RETRY_MS = 1000;
