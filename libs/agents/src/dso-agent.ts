import { InputError } from '@zonal/core';
import {
  decodeState, encodeState, negotiate, negotiationSetup, refuseAnnounce, uncoordinatedBusLoadKw,
  type CentralisedResult, type DsoNetwork, type NegotiationCheckpoint, type NegotiationResult, type NegotiationSetup, type RoundRecord, type ZoneAnnounce,
} from '@zonal/coordination';
import { buildDispatchInputs, LimitWorkingSet, runDispatch, type DispatchResult } from '@zonal/dispatch';
import { openDsoStateStore, openRecorder, type BodyOf, type DsoStateStore, type SavedRun, type Transport } from '@zonal/protocol';
import { LpExporter } from '@zonal/solver';
import { buildSimReport, withOracle, writeSimReport, type SimReport } from './report';
import { fromAnnounceBody } from './wire';
import { transportZoneClients } from './zone-clients';

/** How long a starting DSO waits for another DSO of its run id to answer (ms). */
const PRESENCE_PROBE_MS = 1000;
/** The DSO's status heartbeat (ms): zones that hear none for long know it is gone (zone-agent.ts). */
export const HEARTBEAT_MS = 1000;
/** A DSO cut off from its server this long (ms) stops after the round in hand, not converged (default). */
const SERVER_OUTAGE_MS = 30_000;

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
  /** Replicas of the round record's stream when this DSO creates it (`--rounds-replicas`, default 1); an existing stream is used as it is. */
  roundsReplicas?: number;
  /** Stop, not converged, once the server has been unreachable this long (ms; default 30 s). */
  serverOutageMs?: number;
  /** Called once the DSO hears announces (`zonal sim` in process starts the zones then: a zone that finds no DSO waits before it announces again). */
  onListening?: () => void;
  /** Runs once the negotiation's report is written, before the zones are told to stop: a rolling run's day (libs/agents rolling.ts). */
  afterNegotiation?: (done: { setup: NegotiationSetup; negotiation: NegotiationResult }) => Promise<void>;
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
  const announceBodies = new Map<number, BodyOf<'announce'>>();

  // One DSO per run id: two would mix their zones' answers silently.
  const other = await transport.request(s.dsoPresence, { type: 'status', body: { state: 'waiting', round: null, zonesKnown: [] } }, { timeoutMs: PRESENCE_PROBE_MS, expect: 'status' });
  if (other.ok) {
    throw new InputError(`run id "${transport.runId}" is in use: another DSO answers on it (${other.reply.body.state}${other.reply.body.round ? `, round ${other.reply.body.round}` : ''}); give this run its own --run-id`, '--run-id');
  }
  // The negotiation's state, kept to resume from: a DSO restarted on this run id goes on after the last completed round.
  const store = await openDsoStateStore(transport, { replicas: o.roundsReplicas }).catch((e: unknown) => {
    log(`the DSO's state is not kept (${(e as Error).message}): a restarted DSO would start this run over`);
    return null;
  });
  const saved = store ? await store.load() : null;
  if (saved?.finishedAt) throw new InputError(`run id "${transport.runId}" finished at ${saved.finishedAt} (its report is written); give a new run its own --run-id`, '--run-id');
  if (saved) {
    for (const [, body] of saved.announces) {
      const announce = fromAnnounceBody(JSON.parse(body) as BodyOf<'announce'>);
      announces.set(announce.bid.zoneId, announce);
    }
    log(`resuming run ${transport.runId}: ${saved.announces.size} zone(s) announced before the restart, ${saved.rounds.length} round(s) completed`);
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
    if (state === 'waiting' && !saved) { announces.set(id, announce); announceBodies.set(id, message.body); }
    if (expected.every((z) => announces.has(z))) allAnnounced();
    return { type: 'status', body: { state, round, zonesKnown: known() } };
  }, { accepts: ['announce'], onError: (e) => log(`announce refused: ${(e as Error).message}`) });
  await transport.flush();
  o.onListening?.();

  const publishStatus = (detail?: string) => transport.publish(s.dsoStatus, { type: 'status', body: { state, round, zonesKnown: known(), ...(detail ? { detail } : {}) } });
  // The heartbeat: zones tell a DSO that is gone from one that is busy by it.
  const heartbeat = setInterval(() => { try { publishStatus(); } catch { /* closed: the run is ending */ } }, HEARTBEAT_MS);
  let finished = false;
  try {
    const timeoutMs = o.announceTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    publishStatus();
    // A resumed DSO models the zones from their kept announces: the rounds go on at once.
    const waited = saved ? true : await Promise.race([announced.then(() => true), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), timeoutMs); })]);
    clearTimeout(timer);
    const missing = expected.filter((z) => !announces.has(z));
    if (saved && missing.length) log(`resuming without zone(s) ${missing.join(', ')}, as the run started`);
    else if (!waited) log(`starting without zone(s) ${missing.join(', ')}: no announce within ${timeoutMs} ms (their buses keep their base load; they have no EVs in the DSO's model)`);
    else if (!saved) log(`all ${expected.length} zones announced`);
    if (announces.size === 0) throw new InputError(`no zone announced itself within ${timeoutMs} ms`, 'zonal dso');
    // The limit rows the DSO's dispatches generate are its own state, kept from solve to solve: in
    // process the harness solves the same inputs (its split, its oracle), and sharing their rows made
    // the DSO's run depend on what the harness had solved before (a degenerate optimum, then a loss
    // round that starts a few watts apart).
    const setup = negotiationSetup({ ...network, inputs: { ...network.inputs, workingSet: new LimitWorkingSet() } }, [...announces.values()]);
    if (store && !saved) await saveAnnounces(store, announceBodies, log);

    // Before coordination: the same feeder with every EV charging on arrival, as the zones announced it (SPEC §4).
    // Needed only for the report: solved once round 1 is done (while the zones solve round 2), not
    // queued on the DSO's solver ahead of its clearing; first when the solves are exported, since the
    // files are numbered in the order of the solves, which must not depend on timing.
    const exporter = new LpExporter(o.exportLpDir, 'dso');
    let beforeSolve: Promise<DispatchResult> | undefined;
    const solveBefore = () => {
      beforeSolve ??= runDispatch(buildDispatchInputs(network.scenario, network.feeder, uncoordinatedBusLoadKw(setup)), { exporter });
      beforeSolve.catch(() => undefined);
      return beforeSolve;
    };
    if (exporter.enabled) await solveBefore();
    // The oracle is awaited for the report only; a round record carries its cost once it is known.
    let centralised: CentralisedResult | undefined;
    const oracle = o.oracle?.().then((c) => { centralised = c; return c; });
    oracle?.catch(() => undefined);

    state = 'running';
    publishStatus();
    // The record is a witness, not a dependency: without it (no JetStream, the stream lost) the
    // negotiation goes on and says which rounds are not recorded.
    const recorder = await openRecorder(transport, { replicas: o.roundsReplicas }).catch((e: unknown) => {
      log(`rounds are not recorded: ${(e as Error).message}`);
      return null;
    });
    const unrecorded: number[] = [], duplicated: number[] = [];
    const recordIds: Record<string, string> = {};
    // After a round that could not be recorded, each round is tried once until one is: a stream that is
    // gone costs the negotiation one retry budget, not one per round.
    let recordFailing = false;
    const outageMs = o.serverOutageMs ?? SERVER_OUTAGE_MS;
    const negotiation = await negotiate(setup, transportZoneClients(transport, setup), {
      exporter,
      resume: resumeFrom(saved),
      onCheckpoint: keeper(store, log),
      stopReason: () => {
        const cutOff = transport.unreachableForMs?.() ?? 0;
        return cutOff > outageMs ? `the NATS server unreachable for ${(cutOff / 1000).toFixed(0)} s (the DSO waits ${outageMs / 1000} s)` : null;
      },
      onRound: async (r) => {
        round = r.round;
        void solveBefore();
        // A duplicate ack on a retry is this DSO's own unacknowledged first try; on the first try it is someone else's record.
        let firstTry = true;
        const recorded = recorder && await recordWithRetry(() => recorder.record({
          round: r.round, method: r.method, rho: r.rho, primalResidualKw: r.primalResidualKw, dualResidualKw: r.dualResidualKw,
          totalCostYuan: r.totalCostYuan, relCostChange: r.relCostChange, converged: r.converged,
          ...(centralised ? { centralisedCostYuan: centralised.totalCostYuan } : {}),
          zones: r.zones.map((z) => ({ zoneId: String(z.zoneId), status: z.status, costYuan: z.costYuan, pKw: z.evKw, ...(z.detail ? { detail: z.detail } : {}) })),
        }).then(({ duplicate, messageId }) => {
          recordIds[String(r.round)] = messageId;
          // Cannot happen unless the round's secret leaked (it is in no record): said, not hidden.
          if (duplicate && firstTry) { duplicated.push(r.round); log(`round ${r.round}: the stream already held a record under this DSO's message id, not stored by it (read the run back to see which stands)`); }
        }).finally(() => { firstTry = false; }), (e) => log(`round ${r.round} not recorded: ${e.message}`), recordFailing ? 0 : undefined);
        if (!recorded) unrecorded.push(r.round);
        recordFailing = recorder !== null && !recorded;
        publishStatus();
        o.onRound?.(r);
      },
    });
    state = negotiation.converged ? 'converged' : negotiation.stalled || negotiation.deliveryUnmet || negotiation.unanswered.length || negotiation.stoppedBy ? 'stopped' : 'roundLimit';
    if (negotiation.stoppedBy) log(`stopped without converging: ${negotiation.stoppedBy}`);
    for (const z of negotiation.stalledZones) log(`zone ${z.zoneId} stalled: its answer has not moved since round ${z.sinceRound}, ${z.mismatchKw.toFixed(3)} kW (RMS) off what the DSO asks`);
    if (negotiation.unanswered.length) log(`stopped without converging: zone(s) ${negotiation.unanswered.join(', ')} never gave an acceptable answer`);
    if (negotiation.deliveryKept) log(`agreed at round ${negotiation.deliveryKept.round} keeping ${negotiation.deliveryKept.violations} soft-limit violation(s) of the delivered point (penalties ${negotiation.deliveryKept.penaltyYuan.toFixed(2)} yuan): re-planning had stopped lowering its cost`);
    if (negotiation.deliveryUnmet) log(`stopped without converging: after ${negotiation.deliveryChecks.length} re-plans the point the zones' EVs deliver still breaks a rating`);
    if (negotiation.roundLimitHit) log(`round limit ${network.scenario.negotiation.maxRounds} reached before convergence`);
    if (negotiation.stalled) log(`stopped without converging: no progress in the last ${network.scenario.negotiation.stallRounds} rounds (primal residual ${negotiation.rounds.at(-1)!.primalResidualKw.toFixed(3)} kW)`);
    const before = await solveBefore();
    await oracle;
    const bare = { ...buildSimReport({ setup, runId: transport.runId, transport: o.transportLabel, before, negotiation, missingZones: missing }), unrecordedRounds: unrecorded,
      duplicateRecords: duplicated, ...(recorder ? { recordInstance: recorder.instance, recordIds } : {}) };
    const report = centralised ? withOracle(bare, centralised) : bare;
    const files = o.outDir ? writeSimReport(o.outDir, report) : [];
    await o.afterNegotiation?.({ setup, negotiation });
    await store?.finish().catch((e: unknown) => log(`the run could not be marked finished in the DSO's state (${(e as Error).message}): a restart on this run id would write the report again`));
    finished = true;
    publishStatus(o.outDir ? `report: ${o.outDir}` : undefined);
    return { report, files };
  } finally {
    clearInterval(heartbeat);
    serving.unsubscribe();
    presence.unsubscribe();
    // A DSO that failed mid-run leaves its zones waiting for it (a restart on the run id resumes);
    // one that finished, or never started the rounds, tells them to stop.
    if (finished || state === 'waiting') transport.publish(s.control, { type: 'control', body: { command: 'shutdown', reason: finished ? 'negotiation finished' : 'the DSO stopped before the rounds' } });
    else log(`the zones are left waiting: restart the DSO with --run-id ${transport.runId} to resume after round ${round ?? 0}`);
    await transport.flush().catch(() => undefined);
  }
}

/** The zones' announces as accepted, kept once before round 1 (a resumed DSO models the zones from them). */
async function saveAnnounces(store: DsoStateStore, bodies: ReadonlyMap<number, BodyOf<'announce'>>, log: (l: string) => void): Promise<void> {
  try {
    for (const [id, body] of bodies) await store.saveAnnounce(String(id), JSON.stringify(body));
  } catch (e) {
    log(`the zones' announces could not be kept (${(e as Error).message}): a restarted DSO would wait for them again`);
  }
}

/** Keeps each round's record and the state after it; a failure is said and the run goes on. */
function keeper(store: DsoStateStore | null, log: (l: string) => void) {
  let tooLarge = false;
  return async (cp: NegotiationCheckpoint, record: RoundRecord): Promise<void> => {
    if (!store || tooLarge) return;
    const state = encodeState(cp), text = encodeState(record);
    const bytes = Math.max(Buffer.byteLength(state), Buffer.byteLength(text));
    if (bytes > store.maxValueBytes) {
      tooLarge = true;
      log(`the DSO's state after round ${cp.round} is ${bytes} bytes, more than the server takes (${store.maxValueBytes}): it is not kept, and a restart would start over`);
      return;
    }
    await store.saveRound(cp.round, text, state).catch((e: unknown) => log(`the DSO's state after round ${cp.round} is not kept: ${(e as Error).message}`));
  };
}

/** The checkpoint and rounds a restarted DSO goes on from, when the run had completed a round. */
function resumeFrom(saved: SavedRun | null): { checkpoint: NegotiationCheckpoint; rounds: RoundRecord[] } | undefined {
  if (!saved?.state) return undefined;
  const checkpoint = decodeState<NegotiationCheckpoint>(saved.state, 'the DSO state');
  const rounds = saved.rounds.slice(0, checkpoint.round).map((r, i) => decodeState<RoundRecord>(r, `round ${i + 1} of the DSO state`));
  return { checkpoint, rounds };
}

/** Records a round, trying again RECORD_RETRY_MS apart while `budgetMs` lasts (a server restarting); false when no try succeeded. */
async function recordWithRetry(record: () => Promise<unknown>, onFailure: (e: Error) => void, budgetMs = RECORD_BUDGET_MS): Promise<boolean> {
  const t0 = Date.now();
  for (;;) {
    try {
      await record();
      return true;
    } catch (e) {
      if (Date.now() - t0 + RECORD_RETRY_MS > budgetMs) { onFailure(e as Error); return false; }
      await new Promise((r) => setTimeout(r, RECORD_RETRY_MS));
    }
  }
}

/**
 * A round record is tried RECORD_RETRY_MS apart for up to RECORD_BUDGET_MS (ms) before it is reported
 * unrecorded: a JetStream cluster that lost the server leading the stream elects another in seconds
 * (4-9 s on nats-server 2.9, measured in test/integration/cluster.test.ts), and the record must outlast that.
 */
const RECORD_BUDGET_MS = 20_000;
const RECORD_RETRY_MS = 1000;
